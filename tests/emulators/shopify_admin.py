"""A loopback emulator of Shopify's Admin GraphQL API.

It runs the real documents a client sends, with graphql-core, against a subset of the Admin
schema, resolving from per-shop fixtures. Endpoint: `POST /{shop}/admin/api/{version}/graphql.json`
(or `/admin/api/{version}/graphql.json` with the shop in the Host header). Tests switch on
Shopify's failure modes: wrong token (401), THROTTLED, 5xx/429, slow and malformed answers.
"""

import base64
import json
import re
import threading
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphql import GraphQLError, build_schema, graphql_sync

SDL = """
schema { query: QueryRoot }

scalar URL

interface Node { id: ID! }

enum MediaContentType { EXTERNAL_VIDEO IMAGE MODEL_3D VIDEO }
enum MediaStatus { FAILED PROCESSING READY UPLOADED }

interface Media { id: ID! alt: String mediaContentType: MediaContentType! status: MediaStatus! }

type Image { id: ID url: URL! width: Int height: Int altText: String }

type MediaImage implements Media & Node {
  id: ID! alt: String mediaContentType: MediaContentType! status: MediaStatus!
  image: Image mimeType: String
}

type VideoSource { url: String! mimeType: String! height: Int! width: Int! }

type Video implements Media & Node {
  id: ID! alt: String mediaContentType: MediaContentType! status: MediaStatus!
  sources: [VideoSource!]! filename: String!
}

type PageInfo {
  hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String
}

type MediaEdge { cursor: String! node: Media! }
type MediaConnection { nodes: [Media!]! edges: [MediaEdge!]! pageInfo: PageInfo! }

type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection {
  nodes: [ProductVariant!]! edges: [ProductVariantEdge!]! pageInfo: PageInfo!
}

type Product implements Node {
  id: ID! title: String! handle: String! productType: String!
  featuredMedia: Media
  media(first: Int, after: String, last: Int, before: String, reverse: Boolean = false):
    MediaConnection!
  variants(first: Int, after: String, last: Int, before: String, reverse: Boolean = false):
    ProductVariantConnection!
}

type ProductVariant implements Node {
  id: ID! title: String! position: Int! product: Product! image: Image
  media(first: Int, after: String, last: Int, before: String, reverse: Boolean = false):
    MediaConnection!
}

type QueryRoot {
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  product(id: ID!): Product
  productVariant(id: ID!): ProductVariant
}
"""

UNAUTHORIZED_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
MAXIMUM_AVAILABLE, RESTORE_RATE = 1000.0, 50.0
_GID = re.compile(r"^gid://shopify/[A-Za-z]+/\d+$")
_PATH = re.compile(r"^(?:/(?P<shop>[^/]+))?/admin/api/(?P<version>[^/]+)/graphql\.json$")


class ShopifyAdminEmulator:
    """Holds fixtures per shop and serves them; `start()` binds 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        self.schema = build_schema(SDL)
        self._wire_resolvers()
        self.tokens: dict[str, str] = {}
        self.calls: list[tuple[str, str | None, dict[str, Any] | None]] = []
        self.requests: list[dict[str, Any]] = []  # path, version and headers of each call
        self.query_cost = 10.0
        self._products: dict[str, dict[str, dict[str, Any]]] = {}
        self._specs: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: list[tuple[str, dict[str, Any]]] = []  # (behaviour, options), in order
        self._lock = threading.Lock()
        self._ids = 1000
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> "ShopifyAdminEmulator":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop() (which waits for the next poll) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in delay_next
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return self._server.server_address[1]

    @property
    def url_template(self) -> str:
        """A value for settings.SHOPIFY_ADMIN_API_URL pointing at this emulator."""
        return f"http://127.0.0.1:{self.port}/{{shop}}/admin/api/{{version}}/graphql.json"

    # --- fixtures -------------------------------------------------------------------------
    def add_product(
        self,
        shop: str,
        gid: str,
        title: str = "Garment",
        product_type: str = "",
        featured_image_url: str | None = None,
        media_image_urls: Sequence[str] = (),
        variants: Iterable[tuple[str, str | None] | tuple[str, str | None, Sequence[str]]] = (),
        video_urls: Sequence[str] = (),
    ) -> None:
        """Media order is: the featured image, the videos, the other images; Shopify's
        featuredMedia is the first media, so with no featured image a video can be featured.
        A variant is `(gid, image_url_or_None)` or `(gid, image_url_or_None, [media urls])`."""
        spec = {
            "title": title,
            "product_type": product_type,
            "featured_image_url": featured_image_url,
            "media_image_urls": list(media_image_urls),
            "variants": [tuple(variant) for variant in variants],
            "video_urls": list(video_urls),
        }
        media = [
            *([self._image(featured_image_url)] if featured_image_url else []),
            *(self._video(url) for url in video_urls),
            *(self._image(url) for url in media_image_urls),
        ]
        product_variants = [
            {
                "__typename": "ProductVariant",
                "id": variant[0],
                "title": f"Variant {position}",
                "position": position,
                "_product": gid,
                "_image_url": variant[1],
                "_media": [self._image(url) for url in (variant[2] if len(variant) > 2 else ())],
            }
            for position, variant in enumerate(spec["variants"], start=1)
        ]
        product = {
            "__typename": "Product",
            "id": gid,
            "title": title,
            "handle": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
            "productType": product_type,
            "_media": media,
            "_variants": product_variants,
        }
        with self._lock:
            self._products.setdefault(shop, {})[gid] = product
            self._specs[(shop, gid)] = spec

    def update_product(self, shop: str, gid: str, **changes: Any) -> None:
        """Change some of add_product's arguments, keeping the others."""
        self.add_product(shop, gid, **(self._specs[(shop, gid)] | changes))

    def remove_product(self, shop: str, gid: str) -> None:
        with self._lock:
            self._products.get(shop, {}).pop(gid, None)
            self._specs.pop((shop, gid), None)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    def _image(self, url: str) -> dict[str, Any]:
        number = self._next_id()
        return {
            "__typename": "MediaImage",
            "id": f"gid://shopify/MediaImage/{number}",
            "alt": "",
            "mediaContentType": "IMAGE",
            "status": "READY",
            "mimeType": "image/jpeg",
            "image": _image_object(url, number),
        }

    def _video(self, url: str) -> dict[str, Any]:
        return {
            "__typename": "Video",
            "id": f"gid://shopify/Video/{self._next_id()}",
            "alt": "",
            "mediaContentType": "VIDEO",
            "status": "READY",
            "filename": url.rsplit("/", 1)[-1],
            "sources": [{"url": url, "mimeType": "video/mp4", "height": 1080, "width": 1920}],
        }

    # --- behaviours -----------------------------------------------------------------------
    def throttle_next(
        self,
        n: int = 1,
        *,
        currently_available: float = 0.0,
        requested_cost: float | None = None,
        restore_rate: float = RESTORE_RATE,
    ) -> None:
        """The next n calls answer 200 THROTTLED with this throttleStatus."""
        options = {
            "available": currently_available,
            "cost": requested_cost,
            "restore_rate": restore_rate,
        }
        self._queue("throttle", n, options)

    def fail_next(self, n: int = 1, status: int = 502, *, retry_after: str | None = None) -> None:
        self._queue("fail", n, {"status": status, "retry_after": retry_after})

    def delay_next(self, n: int, seconds: float) -> None:
        """The next n calls answer normally, after `seconds`."""
        self._queue("delay", n, {"seconds": seconds})

    def malformed_next(self, n: int = 1) -> None:
        self._queue("malformed", n, {})

    def _queue(self, behaviour: str, n: int, options: dict[str, Any]) -> None:
        with self._lock:
            self._pending.extend((behaviour, options) for _ in range(n))

    def _take_behaviour(self) -> tuple[str, dict[str, Any]] | None:
        with self._lock:
            return self._pending.pop(0) if self._pending else None

    # --- serving --------------------------------------------------------------------------
    def answer(
        self, *, shop: str, token: str | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One call, as (status, headers, body): the behaviours queued first, then GraphQL."""
        try:
            request = json.loads(body)
            query, variables = request.get("query"), request.get("variables") or {}
        except (ValueError, AttributeError):
            query, variables = None, None
        with self._lock:
            self.calls.append((shop, query, variables))
        behaviour = self._take_behaviour()
        name, options = behaviour or ("", {})
        if name == "delay":
            self._stopping.wait(options["seconds"])
        if name == "fail":
            headers = {"Retry-After": options["retry_after"]} if options["retry_after"] else {}
            return options["status"], headers, b'{"errors":"Internal Server Error"}'
        if not token or self.tokens.get(shop, token) != token:
            return 401, {}, json.dumps(UNAUTHORIZED_BODY).encode()
        if name == "malformed":
            return 200, {"Content-Type": "text/html"}, b"<html><body>Oops</body></html>"
        if not isinstance(query, str):
            return 400, {}, b'{"errors":{"query":"Required parameter missing or invalid"}}'
        if name == "throttle":
            return 200, {}, json.dumps(self._throttled(options)).encode()
        return 200, {}, json.dumps(self._execute(shop, query, variables)).encode()

    def _throttled(self, options: dict[str, Any]) -> dict[str, Any]:
        cost = options["cost"] if options["cost"] is not None else self.query_cost
        return {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {
                "cost": {
                    "requestedQueryCost": cost,
                    "actualQueryCost": None,
                    "throttleStatus": _throttle_status(
                        options["available"], options["restore_rate"]
                    ),
                }
            },
        }

    def _execute(self, shop: str, query: str, variables: Any) -> dict[str, Any]:
        with self._lock:
            products = dict(self._products.get(shop, {}))
        result = graphql_sync(
            self.schema,
            query,
            variable_values=variables if isinstance(variables, dict) else None,
            context_value={"products": products},
        )
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        if result.data is not None:
            body["data"] = result.data
        available = MAXIMUM_AVAILABLE - self.query_cost
        body["extensions"] = {
            "cost": {
                "requestedQueryCost": self.query_cost,
                "actualQueryCost": self.query_cost,
                "throttleStatus": _throttle_status(available, RESTORE_RATE),
            }
        }
        return body

    def _wire_resolvers(self) -> None:
        fields = self.schema.query_type.fields  # type: ignore[union-attr]
        fields["product"].resolve = lambda _, info, id: _find(info, id, "Product")
        fields["productVariant"].resolve = lambda _, info, id: _find(info, id, "ProductVariant")
        fields["node"].resolve = lambda _, info, id: _find(info, id, None)
        fields["nodes"].resolve = lambda _, info, ids: [_find(info, gid, None) for gid in ids]
        product = self.schema.get_type("Product").fields  # type: ignore[union-attr]
        product["featuredMedia"].resolve = lambda source, _: next(iter(source["_media"]), None)
        product["media"].resolve = _connection("_media")
        product["variants"].resolve = _connection("_variants")
        variant = self.schema.get_type("ProductVariant").fields  # type: ignore[union-attr]
        variant["media"].resolve = _connection("_media")
        variant["product"].resolve = lambda source, info: _find(info, source["_product"], None)
        variant["image"].resolve = lambda source, _: (
            _image_object(source["_image_url"], 0) if source["_image_url"] else None
        )


def _image_object(url: str, number: int) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/ImageSource/{number}",
        "url": url,
        "width": 1024,
        "height": 1536,
        "altText": None,
    }


def _throttle_status(available: float, restore_rate: float) -> dict[str, float]:
    return {
        "maximumAvailable": MAXIMUM_AVAILABLE,
        "currentlyAvailable": available,
        "restoreRate": restore_rate,
    }


def _find(info: Any, gid: str, typename: str | None) -> dict[str, Any] | None:
    """The object with this GID in the calling shop; an error, like Shopify's, for a non-GID."""
    if not _GID.match(gid):
        raise GraphQLError(f"Invalid global id '{gid}'", extensions={"code": "invalidGlobalId"})
    products: dict[str, dict[str, Any]] = info.context["products"]
    for product in products.values():
        candidates = [product, *product["_variants"], *product["_media"]]
        candidates += [media for variant in product["_variants"] for media in variant["_media"]]
        for candidate in candidates:
            if candidate["id"] == gid and typename in (None, candidate["__typename"]):
                return candidate
    return None


def _connection(key: str) -> Any:
    """A Relay connection over source[key], with Shopify's rule that first or last is required."""

    def resolve(
        source: dict[str, Any],
        _info: Any,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        if (first or 0) > 250 or (last or 0) > 250:
            raise GraphQLError("The page size is over the maximum of 250.")
        items = list(enumerate(source[key]))
        items = items[::-1] if reverse else items
        if after is not None:
            items = [item for item in items if item[0] > _index(after)]
        if before is not None:
            items = [item for item in items if item[0] < _index(before)]
        page = items[:first] if first is not None else items
        page = page[-last:] if last is not None else page
        edges = [{"cursor": _cursor(index), "node": node} for index, node in page]
        return {
            "nodes": [node for _, node in page],
            "edges": edges,
            "pageInfo": {
                "hasNextPage": bool(page) and page[-1][0] != items[-1][0],
                "hasPreviousPage": bool(page) and page[0][0] != items[0][0],
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    return resolve


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError) as error:
        raise GraphQLError(f"Invalid cursor: {cursor}") from error


class _Handler(BaseHTTPRequestHandler):
    server_version = "ShopifyAdminEmulator/1"

    def do_POST(self) -> None:
        emulator: ShopifyAdminEmulator = self.server.emulator  # type: ignore[attr-defined]
        match = _PATH.match(self.path.split("?", 1)[0])
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if match is None:
            self._send(404, {}, b'{"errors":"Not Found"}')
            return
        shop = match["shop"] or (self.headers.get("Host") or "").split(":", 1)[0]
        with emulator._lock:
            emulator.requests.append(
                {"path": self.path, "version": match["version"], "headers": dict(self.headers)}
            )
        token = self.headers.get("X-Shopify-Access-Token")
        status, headers, payload = emulator.answer(shop=shop, token=token, body=body)
        self._send(status, headers, payload)

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a read timeout under test): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

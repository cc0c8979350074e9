"""A loopback emulator of Shopify's Admin GraphQL API.

It runs the real documents a client sends, with graphql-core, against a subset of the Admin
schema, resolving from per-shop fixtures. Endpoint: `POST /{shop}/admin/api/{version}/graphql.json`
(or `/admin/api/{version}/graphql.json` with the shop in the Host header). Tests switch on
Shopify's failure modes: wrong token (401), THROTTLED, 5xx/429, slow and malformed answers.

Billing: `appSubscriptionCreate` records a PENDING subscription; tests play the merchant with
`approve_subscription` / `cancel_subscription`; `currentAppInstallation.activeSubscriptions` lists
the ACTIVE ones; `appUsageRecordCreate` enforces the usage line item's cappedAmount and replays
the record of an idempotencyKey it has seen instead of charging again.
"""

import base64
import copy
import json
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from graphql import GraphQLError, build_schema, graphql_sync

from tests.emulators.loopback import LoopbackEmulator
from tests.emulators.shopify_customers import Customers
from tests.emulators.shopify_customers import wire as wire_customers

SDL = Path(__file__).with_name("shopify_admin_schema.graphql").read_text()

UNAUTHORIZED_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
MAXIMUM_AVAILABLE, RESTORE_RATE = 1000.0, 50.0
_GID = re.compile(r"^gid://shopify/[A-Za-z]+/\d+$")
_PATH = re.compile(r"^(?:/(?P<shop>[^/]+))?/admin/api/(?P<version>[^/]+)/graphql\.json$")
CAP_EXCEEDED = "Total price exceeds balance remaining"
NO_PUBLIC_DISTRIBUTION = "Apps without a public distribution cannot use the Billing API"


class ShopifyAdminEmulator(LoopbackEmulator):
    """Holds fixtures per shop and serves them; `start()` binds 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        super().__init__()
        self.schema = build_schema(SDL)
        self._billing = _Billing()
        self.customers = Customers()  # e-mail capture (tests/emulators/shopify_customers.py)
        self._wire_resolvers()
        wire_customers(self.schema, self.customers, _connection)
        self.tokens: dict[str, str] = {}
        self.calls: list[tuple[str, str | None, dict[str, Any] | None]] = []
        self.requests: list[dict[str, Any]] = []  # path, version and headers of each call
        self.query_cost = 10.0
        self._products: dict[str, dict[str, dict[str, Any]]] = {}
        self._specs: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending: list[tuple[str, dict[str, Any]]] = []  # (behaviour, options), in order
        self._lock = threading.Lock()
        self._ids = 1000

    # --- lifecycle (start, stop, port: LoopbackEmulator) -----------------------------------
    @property
    def url_template(self) -> str:
        """A value for settings.SHOPIFY_ADMIN_API_URL pointing at this emulator."""
        return f"{self.base_url}/{{shop}}/admin/api/{{version}}/graphql.json"

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

    # --- billing (the merchant's side and what tests inspect) --------------------------------
    def approve_subscription(self, shop: str, subscription_id: str) -> None:
        """The merchant approves: ACTIVE for 30 days, replacing the shop's other active one."""
        self._billing.approve(shop, subscription_id)

    def cancel_subscription(self, shop: str, subscription_id: str) -> None:
        self._billing.set_status(shop, subscription_id, "CANCELLED")

    def refuse_billing(
        self, shop: str, message: str = NO_PUBLIC_DISTRIBUTION, field: list[str] | None = None
    ) -> None:
        """appSubscriptionCreate answers this userError for the shop (e.g. a custom app)."""
        with self._billing.lock:
            self._billing.refusals[shop] = _user_error(field, message)

    def set_balance_used(self, shop: str, line_item_id: str, amount: str) -> None:
        self._billing.set_balance_used(shop, line_item_id, Decimal(amount))

    def subscriptions(self, shop: str) -> list[dict[str, Any]]:
        with self._billing.lock:
            return copy.deepcopy(self._billing.subscriptions.get(shop, []))

    def usage_records(self, shop: str) -> list[dict[str, Any]]:
        with self._billing.lock:
            return copy.deepcopy(self._billing.records.get(shop, []))

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
            context_value={"products": products, "shop": shop},
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
        billing = self._billing
        fields["currentAppInstallation"].resolve = lambda _, info: billing.installation(
            info.context["shop"]
        )
        mutation = self.schema.mutation_type.fields  # type: ignore[union-attr]
        mutation["appSubscriptionCreate"].resolve = lambda _, info, **args: (
            billing.subscription_create(info.context["shop"], args)
        )
        mutation["appUsageRecordCreate"].resolve = lambda _, info, **args: (
            billing.usage_record_create(info.context["shop"], args)
        )


class _Billing:
    """App subscriptions and usage records per shop; every change happens under `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.subscriptions: dict[str, list[dict[str, Any]]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.refusals: dict[str, dict[str, Any]] = {}
        self._ids = 5000

    def _number(self) -> int:
        self._ids += 1
        return self._ids

    def installation(self, shop: str) -> dict[str, Any]:
        with self.lock:
            active = [s for s in self.subscriptions.get(shop, []) if s["status"] == "ACTIVE"]
            return {
                "id": "gid://shopify/AppInstallation/1",
                "activeSubscriptions": copy.deepcopy(active),
            }

    def subscription_create(self, shop: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            errors = self._subscription_errors(shop, args)
            if errors:
                return {"appSubscription": None, "confirmationUrl": None, "userErrors": errors}
            number = self._number()
            subscription = {
                "id": f"gid://shopify/AppSubscription/{number}",
                "name": args["name"],
                "test": bool(args.get("test")),
                "status": "PENDING",
                "createdAt": _iso(datetime.now(UTC)),
                "currentPeriodEnd": None,
                "trialDays": args.get("trialDays") or 0,
                "returnUrl": args["returnUrl"],
                "lineItems": [
                    _line_item(
                        f"gid://shopify/AppSubscriptionLineItem/{number}?v=1&index={i}", item
                    )
                    for i, item in enumerate(args["lineItems"])
                ],
            }
            subscription["confirmationUrl"] = (  # kept for tests; not a field of the type
                f"https://{shop}/admin/charges/fittingroom/{number}/RecurringApplicationCharge"
                "/confirm_recurring_application_charge?signature=emulated"
            )
            self.subscriptions.setdefault(shop, []).append(subscription)
            return {
                "appSubscription": copy.deepcopy(subscription),
                "confirmationUrl": subscription["confirmationUrl"],
                "userErrors": [],
            }

    def _subscription_errors(self, shop: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        if shop in self.refusals:
            return [self.refusals[shop]]
        errors = []
        if not args["name"].strip():
            errors.append(_user_error(["name"], "Name can't be blank"))
        if not args["lineItems"]:
            errors.append(_user_error(["lineItems"], "Line items can't be blank"))
        kinds = []
        for index, item in enumerate(args["lineItems"]):
            given = [kind for kind, details in item["plan"].items() if details]
            if len(given) != 1:
                path = ["lineItems", str(index), "plan"]
                errors.append(_user_error(path, "A line item needs exactly one pricing plan"))
            kinds += given
            usage = item["plan"].get("appUsagePricingDetails")
            if usage and _decimal(usage["cappedAmount"]["amount"]) <= 0:
                path = ["lineItems", str(index), "plan", "appUsagePricingDetails", "cappedAmount"]
                errors.append(_user_error(path, "Capped amount must be greater than 0"))
        if len(kinds) != len(set(kinds)):
            message = "Only one pricing plan can be defined for each available type"
            errors.append(_user_error(["lineItems"], message))
        return errors

    def approve(self, shop: str, subscription_id: str) -> None:
        with self.lock:
            for subscription in self.subscriptions.get(shop, []):
                if subscription["status"] == "ACTIVE":
                    subscription.update(status="CANCELLED", currentPeriodEnd=None)
            period_end = _iso(datetime.now(UTC) + timedelta(days=30))
            self._subscription(shop, subscription_id).update(
                status="ACTIVE", currentPeriodEnd=period_end
            )

    def set_status(self, shop: str, subscription_id: str, status: str) -> None:
        with self.lock:
            self._subscription(shop, subscription_id).update(status=status, currentPeriodEnd=None)

    def _subscription(self, shop: str, subscription_id: str) -> dict[str, Any]:
        found = [s for s in self.subscriptions.get(shop, []) if s["id"] == subscription_id]
        assert found, f"no subscription {subscription_id} in {shop}"
        return found[0]

    def _line_item(self, shop: str, line_item_id: str) -> tuple[dict, dict] | None:
        for subscription in self.subscriptions.get(shop, []):
            for item in subscription["lineItems"]:
                if item["id"] == line_item_id:
                    return subscription, item
        return None

    def set_balance_used(self, shop: str, line_item_id: str, amount: Decimal) -> None:
        with self.lock:
            found = self._line_item(shop, line_item_id)
            assert found, f"no line item {line_item_id} in {shop}"
            details = found[1]["plan"]["pricingDetails"]
            details["balanceUsed"] = _money(amount, details["cappedAmount"]["currencyCode"])

    def usage_record_create(self, shop: str, args: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            key = args.get("idempotencyKey")
            replay = [r for r in self.records.get(shop, []) if key and r["idempotencyKey"] == key]
            if replay:  # the same key again: the first record, and no second charge
                return {"appUsageRecord": self._record_out(shop, replay[0]), "userErrors": []}
            found = self._line_item(shop, args["subscriptionLineItemId"])
            error = self._usage_error(found, args)
            if error is not None:
                return {"appUsageRecord": None, "userErrors": [error]}
            details = found[1]["plan"]["pricingDetails"]  # type: ignore[index]
            price = _decimal(args["price"]["amount"])
            balance = _decimal(details["balanceUsed"]["amount"]) + price
            details["balanceUsed"] = _money(balance, args["price"]["currencyCode"])
            record = {
                "id": f"gid://shopify/AppUsageRecord/{self._number()}",
                "createdAt": _iso(datetime.now(UTC)),
                "description": args["description"],
                "idempotencyKey": key,
                "price": _money(price, args["price"]["currencyCode"]),
                "_line_item_id": args["subscriptionLineItemId"],
            }
            self.records.setdefault(shop, []).append(record)
            return {"appUsageRecord": self._record_out(shop, record), "userErrors": []}

    def _usage_error(self, found: tuple[dict, dict] | None, args: dict) -> dict[str, Any] | None:
        key = args.get("idempotencyKey")
        if key is not None and len(key) > 255:
            message = "Idempotency key is too long (maximum is 255 characters)"
            return _user_error(["idempotencyKey"], message)
        if found is None or found[0]["status"] != "ACTIVE":
            return _user_error(["subscriptionLineItemId"], "Subscription line item not found")
        details = found[1]["plan"]["pricingDetails"]
        if details["__typename"] != "AppUsagePricing":
            message = "Subscription line item must have a usage pricing plan"
            return _user_error(["subscriptionLineItemId"], message)
        price, cap = args["price"], details["cappedAmount"]
        if price["currencyCode"] != cap["currencyCode"] or _decimal(price["amount"]) <= 0:
            return _user_error(["price"], "Price is invalid")
        remaining = _decimal(cap["amount"]) - _decimal(details["balanceUsed"]["amount"])
        if _decimal(price["amount"]) > remaining:
            return _user_error(None, CAP_EXCEEDED)
        return None

    def _record_out(self, shop: str, record: dict[str, Any]) -> dict[str, Any]:
        found = self._line_item(shop, record["_line_item_id"])
        line_item = found[1] if found else None
        return copy.deepcopy({**record, "subscriptionLineItem": line_item})


def _line_item(line_item_id: str, item: dict[str, Any]) -> dict[str, Any]:
    plan = item["plan"]
    if plan.get("appRecurringPricingDetails"):
        recurring = plan["appRecurringPricingDetails"]
        details = {
            "__typename": "AppRecurringPricing",
            "price": _money(
                _decimal(recurring["price"]["amount"]), recurring["price"]["currencyCode"]
            ),
            "interval": recurring.get("interval") or "EVERY_30_DAYS",
        }
    else:
        usage = plan["appUsagePricingDetails"]
        currency = usage["cappedAmount"]["currencyCode"]
        details = {
            "__typename": "AppUsagePricing",
            "terms": usage["terms"],
            "cappedAmount": _money(_decimal(usage["cappedAmount"]["amount"]), currency),
            "balanceUsed": _money(Decimal(0), currency),
            "interval": "EVERY_30_DAYS",
        }
    return {"id": line_item_id, "plan": {"pricingDetails": details}}


def _decimal(value: Any) -> Decimal:
    """Shopify's Decimal scalar: a number or a numeric string."""
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise GraphQLError(f"Invalid Decimal: {value!r}") from error
    if not number.is_finite():
        raise GraphQLError(f"Invalid Decimal: {value!r}")
    return number


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currencyCode": currency}


def _user_error(field: list[str] | None, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


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


ShopifyAdminEmulator.handler_class = _Handler

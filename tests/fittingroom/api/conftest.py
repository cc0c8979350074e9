"""Fixtures of the public API's tests: an API account and a client sending its key, a stored
person image, and loopback image servers.

No test may dial anything but loopback: `connections` records every outbound connect and refuses
the rest. A name can be made to look public (`public_host`): it resolves to a public address
whose connections are carried to a loopback server, so the fetcher's checks see what they would
see on the Internet.
"""

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.accounts.models import Account
from fittingroom.accounts.services import account_credit_grant
from fittingroom.images.models import PersonImage
from fittingroom.images.services import person_image_upload
from fittingroom.limits.shoppers import Shopper
from tests.conftest import io_file

Route = Callable[[BaseHTTPRequestHandler], None]
PUBLIC_ADDRESS = "93.184.215.14"  # a public address; connections to it go to loopback instead


# --- Accounts and clients --------------------------------------------------------------------


def make_api_account(name: str = "api-customer", *, credits: int = 10) -> Account:
    account = Account.objects.create(
        name=name, kind=Account.Kind.API, catalog_source="inline", quota_limit=None
    )
    if credits:
        account_credit_grant(account=account, amount=credits, note="test")
    account.refresh_from_db()
    return account


class ApiClient:
    """Calls /v1/… the way an API client does: `x-api-key` on every request."""

    def __init__(self, account: Account) -> None:
        _, raw_key = api_key_create(account=account, name="test")
        self.account = account
        self.client = Client(headers={"x-api-key": raw_key})

    def post_json(self, path: str, body: object):
        return self.client.post(path, json.dumps(body), content_type="application/json")

    def try_on(self, body: object):
        return self.post_json("/v1/try-on", body)

    def try_on_multipart(self, body: object, **files: bytes):
        parts = {key: io_file(content, f"{key}.jpg") for key, content in files.items()}
        return self.client.post("/v1/try-on", {"data": json.dumps(body), **parts})

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {})

    def delete(self, path: str):
        return self.client.delete(path)


@pytest.fixture
def api_account(db) -> Account:
    return make_api_account()


@pytest.fixture
def api_client(api_account) -> ApiClient:
    return ApiClient(api_account)


def store_person_image(account: Account, content: bytes, shopper_key: str = "api") -> PersonImage:
    return person_image_upload(
        account=account,
        shopper=Shopper(key=shopper_key, ip="203.0.113.9"),
        upload=_uploaded(content),
    )


def _uploaded(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")


@pytest.fixture
def person_image_id(api_account, person_jpeg) -> str:
    """A photo the API account uploaded before (the recommended flow)."""
    return store_person_image(api_account, person_jpeg).id


def assert_error(response, status: int, code: str, *paths: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "status", "details"}
    assert (body["code"], body["status"]) == (code, status)
    for path in paths:
        assert path in [detail["path"] for detail in body["details"]], body["details"]
    return body


def try_on_body(person_image_id: str, **product: object) -> dict:
    """A current-shape body: one product item and the person image by id."""
    return {
        "products": [product or {"externalId": "sku-1"}],
        "person": {"image": {"source": {"id": person_image_id}}},
    }


# --- Loopback image servers ------------------------------------------------------------------


def respond(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str) -> Route:
    return respond(302, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        owner: ImageServer = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(self.path)
        route = owner.routes.get(self.path, respond(404, b"no such image"))
        with contextlib.suppress(OSError):  # the client may hang up (byte cap): that's the point
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ImageServer:
    """A loopback HTTP server serving canned routes by path, counting the requests it sees."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.routes: dict[str, Route] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,))
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.stop()


@pytest.fixture
def other_image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.stop()


@dataclass
class Network:
    """What the code under test tried to reach."""

    connections: list[tuple] = field(default_factory=list)
    names: dict[str, list[str] | None] = field(default_factory=dict)  # None: does not resolve
    tunnels: dict[tuple[str, int], int] = field(default_factory=dict)  # public → loopback port


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    """Records every connect; lets through loopback and tunnelled public addresses only."""
    state = Network()
    real_connect, real_resolve = socket.create_connection, socket.getaddrinfo

    def create_connection(address: tuple, *args: object, **kwargs: object):
        state.connections.append(address)
        host, port = address[0], address[1]
        if (host, port) in state.tunnels:
            return real_connect(("127.0.0.1", state.tunnels[host, port]), *args, **kwargs)
        if host not in ("127.0.0.1", "::1"):
            raise OSError("tests make no outbound connections")
        return real_connect(address, *args, **kwargs)

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host not in state.names:
            return real_resolve(host, port, *args, **kwargs)
        addresses = state.names[host]
        if addresses is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


def public_host(network: Network, name: str, server: ImageServer) -> str:
    """Make `name` resolve to a public address that reaches `server`; returns its base URL."""
    network.names[name] = [PUBLIC_ADDRESS]
    network.tunnels[PUBLIC_ADDRESS, server.port] = server.port
    return f"http://{name}:{server.port}"

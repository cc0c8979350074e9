"""The guarded image fetcher, against real loopback HTTP(S) servers.

No test may dial anything but loopback: `connections` records every outbound connect and refuses
the rest, so "it made no connection" is asserted, not assumed.
"""

import contextlib
import io
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from fittingroom.core.fetch import (
    FetchFailed,
    FetchForbidden,
    FetchNotAnImage,
    FetchTooLarge,
    fetch_image,
)

Route = Callable[[BaseHTTPRequestHandler], None]


def image_bytes(image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, image_format)
    return buffer.getvalue()


PNG = image_bytes()


def respond(
    status: int = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    content_length: bool = True,
) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if content_length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return respond(status, headers={"Location": location})


def endless_body(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.end_headers()
    for _ in range(1024):  # 64 MiB at most; the client hangs up long before
        handler.wfile.write(bytes(64 * 1024))


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:
        owner = self.server.owner
        owner.requests.append(self.path)
        owner.host_headers.append(self.headers.get("Host", ""))
        route = owner.routes.get(self.path, respond(404, b"no such image"))
        # The client may hang up mid-answer (the byte cap, a timeout): that is the point.
        with contextlib.suppress(OSError):
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    owner: "ImageServer"


class ImageServer:
    """A loopback HTTP server serving canned routes by path, counting the requests it sees."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[str] = []
        self.host_headers: list[str] = []
        self.routes: dict[str, Route] = {"/cat.png": respond(200, PNG)}
        self.release = threading.Event()  # lets a handler that never answers go
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,))
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class FakeDns:
    """Chosen names resolve to chosen answers, one answer per lookup (the last one repeats);
    every other name goes to the real resolver."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []

    def add(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def getaddrinfo(self, host: str, port: int, *args: object, **kwargs: object) -> list:
        self.lookups.append(host)
        queue = self.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [_addrinfo(address, port) for address in addresses]


def _addrinfo(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def server() -> Iterator[ImageServer]:
    image_server = ImageServer()
    yield image_server
    image_server.stop()


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every address anything tried to connect to; only loopback connects are let through."""
    made: list[tuple] = []
    real_create_connection = socket.create_connection

    def recording_create_connection(address: tuple, *args: object, **kwargs: object):
        made.append(address)
        if address[0] not in ("127.0.0.1", "::1"):
            raise OSError("tests make no outbound connections")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording_create_connection)
    return made


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host in fake.answers:
            return fake.getaddrinfo(host, port)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


# --- What it lets through ----------------------------------------------------------------------


def test_it_downloads_a_png_from_a_loopback_server_when_private_addresses_are_allowed(server):
    fetched = fetch_image(server.url("/cat.png"), allow_private=True)

    assert fetched.content == PNG
    assert fetched.final_url == server.url("/cat.png")
    assert server.requests == ["/cat.png"]


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP", "HEIF"])
def test_it_accepts_jpeg_webp_and_heif_too(server, image_format):
    content = image_bytes(image_format)
    server.routes["/garment"] = respond(200, content, headers={"Content-Type": "image/whatever"})

    fetched = fetch_image(server.url("/garment"), allow_private=True)

    assert fetched.content == content
    assert fetched.content_type == "image/whatever"


def test_it_follows_the_setting_when_allow_private_is_not_given(server, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    assert fetch_image(server.url("/cat.png")).content == PNG

    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/cat.png"))
    assert server.requests == ["/cat.png"]


def test_it_accepts_a_body_of_exactly_max_bytes(server):
    fetched = fetch_image(server.url("/cat.png"), allow_private=True, max_bytes=len(PNG))

    assert fetched.content == PNG


def test_it_sends_the_urls_host_name_while_connecting_to_the_checked_address(
    server, dns, connections
):
    dns.add("images.example.test", ["127.0.0.1"])

    fetch_image(server.url("/cat.png", host="images.example.test"), allow_private=True)

    assert server.host_headers == [f"images.example.test:{server.port}"]
    assert connections == [("127.0.0.1", server.port)]


def test_it_connects_to_the_address_it_checked_without_resolving_the_name_again(
    server, dns, connections
):
    # A rebinding resolver: the first answer passes the check, later ones would go elsewhere
    # (nothing listens on 127.0.0.2, so a second lookup would make the download fail).
    dns.add("rebind.example.test", ["127.0.0.1"], ["127.0.0.2"])

    fetched = fetch_image(server.url("/cat.png", host="rebind.example.test"), allow_private=True)

    assert fetched.content == PNG
    assert dns.lookups == ["rebind.example.test"]
    assert connections == [("127.0.0.1", server.port)]
    assert server.requests == ["/cat.png"]


def test_it_matches_allowed_hosts_in_any_case_and_dotted_entries_match_subdomains(server, dns):
    dns.add("img.shop.example.test", ["127.0.0.1"])
    dns.add("shop.example.test", ["127.0.0.1"])

    for url, allowed in [
        (server.url("/cat.png", host="img.shop.example.test"), ["IMG.Shop.Example.Test"]),
        (server.url("/cat.png", host="img.shop.example.test"), [".shop.example.test"]),
        (server.url("/cat.png", host="shop.example.test"), [".shop.example.test"]),
    ]:
        assert fetch_image(url, allowed_hosts=allowed, allow_private=True).content == PNG


def test_it_follows_redirects_up_to_max_redirects(server):
    server.routes["/a"] = redirect(server.url("/b"), status=301)
    server.routes["/b"] = redirect("/c", status=307)  # relative, resolved against /b
    server.routes["/c"] = redirect("/cat.png", status=308)

    fetched = fetch_image(server.url("/a"), allow_private=True, max_redirects=3)

    assert fetched.content == PNG
    assert fetched.final_url == server.url("/cat.png")
    assert server.requests == ["/a", "/b", "/c", "/cat.png"]


# --- What it refuses before connecting -----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "169.254.169.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",  # noqa: S104 - a URL host under test, not a bind
        "0.1.2.3",
        "2130706433",  # 127.0.0.1 written as one decimal number
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[fd00::1]",
        "[fe80::1]",
        "[fec0::1]",
        "[::]",
        "224.0.0.1",
        "192.0.2.1",  # documentation range: not global
    ],
)
def test_it_refuses_non_public_addresses_without_connecting(server, connections, host):
    with pytest.raises(FetchForbidden) as refused:
        fetch_image(server.url("/cat.png", host=host), allow_private=False)

    assert refused.value.kind == "forbidden"
    assert refused.value.reason == "The image URL points to a forbidden address."
    assert connections == []
    assert server.requests == []


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "[::ffff:169.254.169.254]",
        "169.254.170.2",
        "169.254.1.1",
        "[fe80::1]",
        "[fd00:ec2::254]",
        "100.100.100.200",
        "0.0.0.0",  # noqa: S104 - a URL host under test, not a bind
    ],
)
def test_it_refuses_metadata_and_link_local_addresses_even_when_private_ones_are_allowed(
    connections, host
):
    with pytest.raises(FetchForbidden):
        fetch_image(f"http://{host}/latest/meta-data/", allow_private=True)

    assert connections == []


def test_it_refuses_a_host_when_any_one_of_its_addresses_is_forbidden(server, dns, connections):
    dns.add("mixed.example.test", ["93.184.215.14", "127.0.0.1"])

    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/cat.png", host="mixed.example.test"), allow_private=False)

    assert connections == []


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/cat.png", "file:///etc/passwd", "gopher://127.0.0.1/", "cat.png", ""],
)
def test_it_refuses_schemes_other_than_http_and_https(connections, url):
    with pytest.raises(FetchForbidden):
        fetch_image(url, allow_private=True)

    assert connections == []


@pytest.mark.parametrize("userinfo", ["user@", "user:secret@", "@"])
def test_it_refuses_credentials_in_the_url(server, connections, userinfo):
    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/cat.png", host=f"{userinfo}127.0.0.1"), allow_private=True)

    assert connections == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/", "http://[::1/", "http://127.0.0.1/a b", "http:///cat.png"]
)
def test_it_refuses_malformed_urls(connections, url):
    with pytest.raises(FetchForbidden):
        fetch_image(url, allow_private=True)

    assert connections == []


def test_it_refuses_a_host_outside_the_allowed_hosts(server, connections):
    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/cat.png"), allowed_hosts=["cdn.shopify.com"], allow_private=True)

    assert connections == []
    assert server.requests == []


def test_a_dotted_allowed_host_does_not_match_a_name_that_merely_ends_like_it(connections):
    with pytest.raises(FetchForbidden):
        fetch_image(
            "https://evilshopify.com/cat.png", allowed_hosts=[".shopify.com"], allow_private=True
        )

    assert connections == []


# --- Redirects ---------------------------------------------------------------------------------


def test_it_refuses_a_redirect_to_a_forbidden_address_without_connecting_to_it(server, connections):
    server.routes["/go"] = redirect("http://169.254.169.254/latest/meta-data/")

    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/go"), allow_private=True)

    assert connections == [("127.0.0.1", server.port)]
    assert server.requests == ["/go"]


def test_it_refuses_a_redirect_to_a_host_outside_the_allowed_hosts(server, dns, connections):
    dns.add("images.example.test", ["127.0.0.1"])
    server.routes["/go"] = redirect(server.url("/cat.png", host="127.0.0.1"))

    with pytest.raises(FetchForbidden):
        fetch_image(
            server.url("/go", host="images.example.test"),
            allowed_hosts=["images.example.test"],
            allow_private=True,
        )

    assert server.requests == ["/go"]


def test_it_refuses_a_redirect_to_another_scheme(server):
    server.routes["/go"] = redirect("file:///etc/passwd")

    with pytest.raises(FetchForbidden):
        fetch_image(server.url("/go"), allow_private=True)


def test_it_fails_on_a_redirect_chain_longer_than_max_redirects(server):
    for hop in range(4):
        server.routes[f"/{hop}"] = redirect(f"/{hop + 1}")
    server.routes["/4"] = respond(200, PNG)

    with pytest.raises(FetchFailed) as failed:
        fetch_image(server.url("/0"), allow_private=True, max_redirects=3)

    assert failed.value.kind == "failed"
    assert server.requests == ["/0", "/1", "/2", "/3"]


def test_it_fails_on_a_redirect_without_a_location(server):
    server.routes["/go"] = respond(302)

    with pytest.raises(FetchFailed, match=r"HTTP 302"):
        fetch_image(server.url("/go"), allow_private=True)


# --- Failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 403, 500, 304])
def test_it_fails_on_an_answer_other_than_2xx_and_never_repeats_the_body(server, status):
    server.routes["/gone"] = respond(status, b"<h1>internal detail</h1>")

    with pytest.raises(FetchFailed) as failed:
        fetch_image(server.url("/gone"), allow_private=True)

    assert failed.value.reason == f"The image could not be downloaded (HTTP {status})."


def test_it_gives_up_on_a_server_that_never_answers_within_the_read_timeout(server):
    server.routes["/silent"] = lambda handler: handler.server.owner.release.wait(5)
    started = time.monotonic()

    with pytest.raises(FetchFailed, match="did not answer in time"):
        fetch_image(server.url("/silent"), allow_private=True, read_timeout=0.5)

    assert time.monotonic() - started < 2


def test_it_fails_when_the_host_does_not_resolve(connections):
    with pytest.raises(FetchFailed, match="could not be resolved"):
        fetch_image("http://does-not-exist.invalid/cat.png", allow_private=True)

    assert connections == []


def test_it_fails_when_nothing_listens(server, connections):
    port = server.port
    server.stop()

    with pytest.raises(FetchFailed):
        fetch_image(f"http://127.0.0.1:{port}/cat.png", allow_private=True)


def test_it_refuses_a_body_whose_content_length_is_over_the_cap_without_reading_it(server):
    # The header promises a gigabyte and the body is ten bytes: reading would end in a
    # truncated-body failure, so FetchTooLarge proves it stopped at the header.
    server.routes["/huge"] = respond(
        200, b"x" * 10, headers={"Content-Length": "1000000000"}, content_length=False
    )

    with pytest.raises(FetchTooLarge) as too_large:
        fetch_image(server.url("/huge"), allow_private=True, max_bytes=1000)

    assert too_large.value.kind == "too_large"


def test_it_stops_reading_a_body_over_the_cap_when_there_is_no_content_length(server):
    server.routes["/stream"] = endless_body
    started = time.monotonic()

    with pytest.raises(FetchTooLarge):
        fetch_image(server.url("/stream"), allow_private=True, max_bytes=100_000)

    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>not a cat</body></html>", "text/html"),
        (b"just text", "image/png"),
        (b"", "image/png"),
        (PNG[: len(PNG) // 2], "image/png"),
        (image_bytes("GIF"), "image/gif"),
    ],
    ids=["html", "text-claiming-png", "empty", "truncated-png", "gif"],
)
def test_it_refuses_bytes_that_are_not_a_jpeg_png_webp_or_heif(server, body, content_type):
    server.routes["/fake.png"] = respond(200, body, headers={"Content-Type": content_type})

    with pytest.raises(FetchNotAnImage) as not_image:
        fetch_image(server.url("/fake.png"), allow_private=True)

    assert not_image.value.kind == "not_image"


# --- HTTPS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for images.example.test (key and certificate in one file)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    name = "images.example.test"
    names = ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
    files = ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")]
    subprocess.run([*command.split(), *names, *files], check=True, capture_output=True)
    return folder


@pytest.fixture
def tls_server(certificate: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImageServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    # The fetcher trusts the system's CAs; for this test, the system trusts our certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))
    image_server = ImageServer(tls=context)
    yield image_server
    image_server.stop()


def test_it_verifies_tls_against_the_urls_host_name_while_connecting_to_the_checked_address(
    tls_server, dns, connections
):
    dns.add("images.example.test", ["127.0.0.1"])

    url = tls_server.url("/cat.png", host="images.example.test", scheme="https")
    fetched = fetch_image(url, allow_private=True)

    assert fetched.content == PNG
    assert connections == [("127.0.0.1", tls_server.port)]


def test_it_refuses_a_certificate_for_another_name(tls_server, dns):
    dns.add("other.example.test", ["127.0.0.1"])

    with pytest.raises(FetchFailed):
        fetch_image(
            tls_server.url("/cat.png", host="other.example.test", scheme="https"),
            allow_private=True,
        )

    assert tls_server.requests == []


def test_it_fails_when_an_https_url_reaches_a_plain_http_server(server):
    with pytest.raises(FetchFailed):
        fetch_image(server.url("/cat.png", scheme="https"), allow_private=True, read_timeout=1)

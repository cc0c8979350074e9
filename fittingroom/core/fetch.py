"""One guarded fetcher for every outbound image download (garment images, provider results).

The URL comes from outside (a merchant's catalog, an API client, a provider), so it must not be
able to reach us: http(s) only, every address the host resolves to is checked, the socket is
connected to a checked address (no second lookup, so DNS rebinding cannot swap it), each redirect
hop is checked again, and the download is bounded in time and bytes and must decode as an image.

It is built on `http.client` with a socket we connect ourselves rather than on `requests`: that
way nothing can dial on its own (no proxy from the environment, no pooled connection, no automatic
redirect, no second DNS lookup), and TLS is verified against the URL's host name by the standard
library's default context.
"""

import http.client
import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from PIL import Image

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

IMAGE_FORMATS = ["JPEG", "PNG", "WEBP", "HEIF"]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024
# RFC 3986 reserved characters and "%" stay as they are; anything else (spaces, non-ASCII) is
# percent-encoded so the request line is always plain ASCII.
_URL_SAFE = "/?:@!$&'()*+,;=%"

# What allow_private opens up: loopback and private ranges, for local runs and tests.
_PRIVATE_NETWORKS = [
    *map(ipaddress.ip_network, ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]),
    *map(ipaddress.ip_network, ["::1/128", "fc00::/7"]),
]
# Cloud metadata endpoints stay refused even with allow_private. Most are link-local anyway;
# AWS's IPv6 one is unique-local and Alibaba's sits in CGNAT space.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_INVALID_URL = "The image URL is not valid."
_FORBIDDEN_ADDRESS = "The image URL points to a forbidden address."
_NOT_AN_IMAGE = "The URL does not point to a JPEG, PNG, WebP or HEIF image."


class FetchError(Exception):
    """A download that did not yield an image. `reason` is safe to show to an API client."""

    kind = "error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchForbidden(FetchError):
    kind = "forbidden"


class FetchFailed(FetchError):
    kind = "failed"


class FetchTooLarge(FetchError):
    kind = "too_large"


class FetchNotAnImage(FetchError):
    kind = "not_image"


@dataclass(frozen=True)
class FetchedImage:
    content: bytes
    content_type: str  # as the server declared it; informational only, the bytes were checked
    final_url: str


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # lower-case ASCII, no brackets, no trailing dot
    port: int
    path: str  # the request target: path and query, percent-encoded


@dataclass(frozen=True)
class _Limits:
    allow_private: bool
    max_bytes: int
    connect_timeout: float
    read_timeout: float


@dataclass(frozen=True)
class _Response:
    location: str | None  # set for a redirect, whose body is never read
    content: bytes = b""
    content_type: str = ""


def fetch_image(
    url: str,
    *,
    allowed_hosts: list[str] | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    connect_timeout: float = 3.0,
    read_timeout: float = 10.0,
    max_redirects: int = 3,
    allow_private: bool | None = None,
) -> FetchedImage:
    """Download an image from an untrusted URL.

    Returns only bytes that decode as JPEG, PNG, WebP or HEIF and are at most `max_bytes` long;
    anything else raises a `FetchError` subclass. `allowed_hosts` entries match exactly (any
    case); one starting with "." also matches its subdomains, as in Django's ALLOWED_HOSTS.
    `allow_private=None` follows settings.FETCH_ALLOW_PRIVATE_ADDRESSES. `read_timeout` bounds
    each wait for data, not the whole download.
    """
    if allow_private is None:
        allow_private = settings.FETCH_ALLOW_PRIVATE_ADDRESSES
    limits = _Limits(allow_private, max_bytes, connect_timeout, read_timeout)
    for _hop in range(max_redirects + 1):
        target = _parse_target(url, allowed_hosts=allowed_hosts)
        response = _fetch_once(target, limits=limits)
        if response.location is None:
            _check_image(response.content)
            return FetchedImage(response.content, response.content_type, final_url=url)
        url = urljoin(url, response.location)
    raise FetchFailed("The image URL redirected too many times.")


# --- The URL ---------------------------------------------------------------------------------


def _parse_target(url: str, *, allowed_hosts: list[str] | None) -> _Target:
    # Whitespace and control characters have no business in a URL, and parsers disagree on them.
    if any(char.isspace() or not char.isprintable() for char in url):
        raise FetchForbidden(_INVALID_URL)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:  # a bad port or a broken IPv6 literal
        raise FetchForbidden(_INVALID_URL) from error
    if parts.scheme not in _DEFAULT_PORTS:
        raise FetchForbidden("Only http and https image URLs are allowed.")
    if "@" in parts.netloc:
        raise FetchForbidden("Image URLs must not carry credentials.")
    host = _normalized_host(parts.hostname)
    if allowed_hosts is not None and not any(_host_matches(host, entry) for entry in allowed_hosts):
        raise FetchForbidden("The image host is not allowed.")
    path = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_URL_SAFE)
    return _Target(parts.scheme, host, port or _DEFAULT_PORTS[parts.scheme], path)


def _normalized_host(hostname: str | None) -> str:
    host = (hostname or "").rstrip(".")  # urlsplit has already lower-cased it
    if not host:
        raise FetchForbidden(_INVALID_URL)
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise FetchForbidden(_INVALID_URL) from error


def _host_matches(host: str, entry: str) -> bool:
    pattern = entry.lower().rstrip(".")
    if pattern.startswith("."):
        return host.endswith(pattern) or host == pattern[1:]
    return host == pattern


# --- Addresses -------------------------------------------------------------------------------


def _resolve(target: _Target, *, allow_private: bool) -> list[str]:
    """The host's addresses, each one checked. One bad address refuses the whole host, so which
    address ends up being used can never matter."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchFailed("The image host could not be resolved.") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not _address_is_allowed(address, allow_private=allow_private):
            logger.warning("Refused an image fetch: %s resolves to %s.", target.host, address)
            raise FetchForbidden(_FORBIDDEN_ADDRESS)
    if not addresses:
        raise FetchFailed("The image host could not be resolved.")
    return addresses


def _address_is_allowed(text: str, *, allow_private: bool) -> bool:
    try:
        address: IPAddress = ipaddress.ip_address(text)
    except ValueError:
        return False
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host, so judge that instead.
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        address = embedded
    if _never_allowed(address):
        return False
    if allow_private and any(address in network for network in _PRIVATE_NETWORKS):
        return True
    # is_global alone lets through e.g. fec0::/10 (deprecated site-local) on this Python.
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_global and not address.is_private and not site_local


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address behind an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _never_allowed(address: IPAddress) -> bool:
    """Addresses refused whatever allow_private says: metadata, link-local and the unroutable."""
    return (
        address in _METADATA_ADDRESSES
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address in _THIS_NETWORK
    )


# --- The request -----------------------------------------------------------------------------


def _fetch_once(target: _Target, *, limits: _Limits) -> _Response:
    addresses = _resolve(target, allow_private=limits.allow_private)
    connection = http.client.HTTPConnection(target.host, target.port)
    try:
        # With a socket already set, http.client sends on it and never dials by itself.
        connection.sock = _connect(target, addresses, limits=limits)
        connection.request("GET", target.path, headers=_request_headers(target))
        # A closing server hands the socket to the response; closing it frees the socket.
        with connection.getresponse() as response:
            return _read_response(response, max_bytes=limits.max_bytes)
    except TimeoutError as error:
        raise FetchFailed("The image server did not answer in time.") from error
    except (OSError, http.client.HTTPException) as error:
        raise FetchFailed("The image could not be downloaded.") from error
    finally:
        connection.close()


def _connect(target: _Target, addresses: list[str], *, limits: _Limits) -> socket.socket:
    """A socket to the first checked address that answers, TLS-verified against the URL's host
    name (SNI and certificate), not against the address."""
    sock = _open_socket(addresses, target.port, timeout=limits.connect_timeout)
    try:
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        sock.settimeout(limits.read_timeout)
    except BaseException:
        sock.close()
        raise
    return sock


def _open_socket(addresses: list[str], port: int, *, timeout: float) -> socket.socket:
    failure: OSError = OSError("no address")
    for address in addresses:
        try:
            # The address is numeric, so create_connection does no DNS lookup of its own.
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as error:
            failure = error
    raise failure


def _request_headers(target: _Target) -> dict[str, str]:
    host = f"[{target.host}]" if ":" in target.host else target.host
    if target.port != _DEFAULT_PORTS[target.scheme]:
        host = f"{host}:{target.port}"
    # http.client adds "Accept-Encoding: identity": no compression, so the byte cap is honest.
    return {"Host": host, "Accept": "image/*", "User-Agent": "fittingroom-image-fetcher/1"}


def _read_response(response: http.client.HTTPResponse, *, max_bytes: int) -> _Response:
    status = response.status
    location = response.getheader("Location")
    if status in _REDIRECT_STATUSES and location:
        return _Response(location=location)
    if not 200 <= status < 300:
        raise FetchFailed(f"The image could not be downloaded (HTTP {status}).")
    content = _read_capped(response, max_bytes=max_bytes)
    return _Response(None, content, response.getheader("Content-Type", ""))


def _read_capped(response: http.client.HTTPResponse, *, max_bytes: int) -> bytes:
    too_large = FetchTooLarge(f"The image is larger than {max_bytes} bytes.")
    if response.length is not None and response.length > max_bytes:
        raise too_large  # refused on the declared length, before reading any of it
    body = bytearray()
    # Never ask for more than one byte past the cap: that byte is enough to know it is too big.
    while chunk := response.read(min(_CHUNK_BYTES, max_bytes + 1 - len(body))):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


# --- The bytes -------------------------------------------------------------------------------


def _check_image(content: bytes) -> None:
    _register_heif_opener()
    try:
        with Image.open(BytesIO(content), formats=IMAGE_FORMATS) as image:
            image.verify()
    # Pillow raises many types on hostile bytes (OSError, SyntaxError, struct.error,
    # DecompressionBombError, ...); all of them mean the same thing here.
    except Exception as error:
        raise FetchNotAnImage(_NOT_AN_IMAGE) from error


@cache
def _register_heif_opener() -> None:
    # The images app registers it at startup; this keeps the fetcher right outside Django too.
    from pillow_heif import register_heif_opener

    register_heif_opener()

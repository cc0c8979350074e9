import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest, *, trust_forwarded: bool) -> str | None:
    """The client's address: the first X-Forwarded-For entry when the hop is trusted
    (Shopify's proxy adds it), else the socket peer. Always a valid IP string, or None when
    neither is one: REMOTE_ADDR is whatever the server put there (uvicorn copies a trusted
    peer's X-Forwarded-For into it unchecked, and a Unix socket has no address)."""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if trust_forwarded:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return None

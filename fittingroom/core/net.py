import ipaddress

from django.http import HttpRequest


def client_ip(request: HttpRequest, *, trust_forwarded: bool) -> str:
    """The client's address: the first X-Forwarded-For entry when the hop is trusted
    (Shopify's proxy adds it), else the socket peer. Always a valid IP string."""
    peer = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - placeholder, not a bind
    if trust_forwarded:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return peer

import time
from urllib.parse import urlencode

from django.conf import settings

from shopify_integration.proxy.signature import sign_proxy_query


def signed_url(shop: str, path: str, *, customer_id: str = "", **extra: str) -> str:
    """A /proxy/public path with the query Shopify's app proxy would add (and `extra`)."""
    pairs = [
        *extra.items(),
        ("shop", shop),
        ("logged_in_customer_id", customer_id),
        ("path_prefix", "/apps/fitting-room"),
        ("timestamp", str(int(time.time()))),
    ]
    return f"/proxy/public/{path}?{urlencode(sign_proxy_query(pairs, settings.SHOPIFY_API_SECRET))}"

"""Shopify app proxy signatures, exactly as Shopify signs them (see ../shared/docs/shopify.md).

The signed message: the raw query's parameters (blank values kept) without `signature`, each
key's values joined with ",", as `key=value` strings, sorted, concatenated; HMAC-SHA256 with the
app's client secret, lowercase hex.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from shopify_integration.identifiers import SHOP_DOMAIN, shop_domain_valid  # noqa: F401 (also here)

# Parameters Shopify sets once. A repeated one is parameter pollution: the signature covers all
# values while a framework's lookup returns only one of them.
SINGLE_VALUED = ("shop", "timestamp", "signature", "logged_in_customer_id", "path_prefix")
# Unix seconds as Shopify writes them. int() alone would also take "+1", " 1", "1_0", other
# scripts' digits and 400-digit numbers (which overflow against a float clock).
TIMESTAMP = re.compile(r"[0-9]{1,12}")
MAX_FIELDS = 100


def unix_seconds(raw: str) -> int | None:
    """A timestamp as Shopify writes it (proxy queries, OAuth callbacks), or None."""
    return int(raw) if TIMESTAMP.fullmatch(raw) else None


class InvalidProxySignature(Exception):
    """The request did not come through Shopify's app proxy (or came too late)."""


@dataclass(frozen=True)
class ProxyParams:
    shop: str
    logged_in_customer_id: str
    path_prefix: str
    timestamp: int


def proxy_signature(pairs: list[tuple[str, str]], secret: str) -> str:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    message = "".join(sorted(f"{key}={','.join(values)}" for key, values in grouped.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_proxy_query(pairs: list[tuple[str, str]], secret: str) -> list[tuple[str, str]]:
    """The pairs with their signature appended: what Shopify's proxy sends (tests, dev proxy)."""
    return [*pairs, ("signature", proxy_signature(pairs, secret))]


def verify_proxy_query(
    query_string: str, *, secrets: list[str], now: float, max_skew: int
) -> ProxyParams:
    """Check a forwarded request's raw query string; raise InvalidProxySignature if it fails
    in any way (the reason stays in the exception, never in the response)."""
    try:
        # Lone surrogates cannot be encoded (Django never passes them; callers might).
        query_string.encode()
        pairs = parse_qsl(query_string, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise InvalidProxySignature("unparseable query") from error
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    for key in SINGLE_VALUED:
        if len(values.get(key, [])) > 1:
            raise InvalidProxySignature(f"repeated {key}")
    given = values.get("signature", [""])[0]
    expected = [proxy_signature(pairs, secret) for secret in secrets if secret]
    if not any(hmac.compare_digest(given.encode(), sig.encode()) for sig in expected):
        raise InvalidProxySignature("signature mismatch")
    return _params(values, now=now, max_skew=max_skew)


def _params(values: dict[str, list[str]], *, now: float, max_skew: int) -> ProxyParams:
    shop = values.get("shop", [""])[0]
    if not shop_domain_valid(shop):
        raise InvalidProxySignature("bad shop domain")
    timestamp = unix_seconds(values.get("timestamp", [""])[0])
    if timestamp is None:
        raise InvalidProxySignature("bad timestamp")
    if abs(now - timestamp) > max_skew:
        raise InvalidProxySignature("stale timestamp")
    return ProxyParams(
        shop=shop,
        logged_in_customer_id=values.get("logged_in_customer_id", [""])[0],
        path_prefix=values.get("path_prefix", [""])[0],
        timestamp=timestamp,
    )

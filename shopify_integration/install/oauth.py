"""Shopify's authorization-code grant (non-embedded and legacy installs): the authorize URL, the
`hmac` Shopify puts on the install and callback requests, and the shop domain check.

The signed message: the query's parameters without `hmac`, as `key=value` strings (with `%`, `=`
and `&` escaped so one parameter cannot pose as two), sorted, joined with `&`; HMAC-SHA256 with
the app's client secret, lowercase hex.
"""

import hashlib
import hmac
from dataclasses import dataclass
from secrets import token_urlsafe
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.urls import reverse

from shopify_integration.identifiers import shop_domain_valid
from shopify_integration.proxy.signature import unix_seconds

MAX_FIELDS = 50


class InvalidOAuthRequest(Exception):
    """The request did not come from Shopify, or came too late; `status` is 400 or 401. The
    reason is for the log, never for the response."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        self.status = status
        super().__init__(reason)


@dataclass(frozen=True)
class OAuthCallback:
    shop: str
    code: str
    state: str


def oauth_hmac(params: dict[str, str], secret: str) -> str:
    pairs = (
        f"{_escape(key, also='=')}={_escape(value)}"
        for key, value in params.items()
        if key != "hmac"
    )
    message = "&".join(sorted(pairs))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _escape(text: str, *, also: str = "") -> str:
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if also else text


def oauth_query_verify(query_string: str, *, secrets: list[str]) -> dict[str, str]:
    """The query's parameters once its `hmac` checks out with one of `secrets` (current and
    previous client secret). Raises InvalidOAuthRequest; a repeated parameter is refused."""
    try:
        query_string.encode()  # lone surrogates cannot be signed (Django never passes them)
        pairs = parse_qsl(query_string, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise InvalidOAuthRequest("unparseable query") from error
    params = dict(pairs)
    if len(params) != len(pairs):
        raise InvalidOAuthRequest("repeated parameter")
    given = params.get("hmac", "").lower().encode()
    expected = [oauth_hmac(params, secret).encode() for secret in secrets if secret]
    if not given or not any(hmac.compare_digest(given, sig) for sig in expected):
        raise InvalidOAuthRequest("hmac mismatch", status=401)
    return params


def oauth_callback_verify(
    query_string: str, *, secrets: list[str], now: float, max_age: int
) -> OAuthCallback:
    """Check Shopify's redirect back to us: hmac, shop domain and a timestamp no more than
    `max_age` seconds away from `now`. The state nonce is the caller's to compare."""
    params = oauth_query_verify(query_string, secrets=secrets)
    shop = params.get("shop", "").lower()
    if not shop_domain_valid(shop):
        raise InvalidOAuthRequest("bad shop domain")
    timestamp = unix_seconds(params.get("timestamp", ""))
    if timestamp is None:
        raise InvalidOAuthRequest("bad timestamp")
    if abs(now - timestamp) > max_age:
        raise InvalidOAuthRequest("stale timestamp")
    code, state = params.get("code", ""), params.get("state", "")
    if not code or not state:
        raise InvalidOAuthRequest("code or state missing")
    return OAuthCallback(shop=shop, code=code, state=state)


def oauth_state_new() -> str:
    return token_urlsafe(32)


def oauth_state_matches(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def oauth_authorize_url(*, shop: str, state: str) -> str:
    """Where to send the merchant to approve our scopes; Shopify comes back to our callback."""
    query = urlencode(
        {
            "client_id": settings.SHOPIFY_API_KEY,
            "scope": settings.SHOPIFY_SCOPES,
            "redirect_uri": f"{settings.PUBLIC_BASE_URL}{reverse('shopify-oauth-callback')}",
            "state": state,
        }
    )
    return f"{settings.SHOPIFY_AUTHORIZE_URL.format(shop=shop)}?{query}"

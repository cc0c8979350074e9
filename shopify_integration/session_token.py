"""Shopify session tokens (App Bridge id tokens): how the embedded admin page proves which shop
and which staff member is calling. HS256 JWTs signed with the app's client secret."""

from dataclasses import dataclass
from urllib.parse import urlparse

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from fittingroom.core.errors import Unauthorized
from shopify_integration.identifiers import shop_domain_valid
from shopify_integration.models import Shop

LEEWAY_SECONDS = 10
# On a 401 with this header App Bridge fetches a fresh session token and retries the request once.
RETRY_INVALID_SESSION = {"X-Shopify-Retry-Invalid-Session-Request": "1"}


class InvalidSessionToken(Unauthorized):
    message = "Invalid session token."


class SessionTokenExpired(InvalidSessionToken):
    """Signed by Shopify for us, but past its expiry: App Bridge can fetch a fresh one."""


@dataclass(frozen=True)
class SessionClaims:
    shop: str  # the shop's myshopify domain, from `dest`
    user_id: str  # `sub`: the staff member
    session_id: str


def decode_session_token(token: str) -> SessionClaims:
    """Verify signature (current or previous secret), audience (our client id), expiry and
    not-before with ~10 s leeway, and that `iss` and `dest` name the same shop. Raises
    SessionTokenExpired (a genuine token, expired) or InvalidSessionToken (both UNAUTHORIZED)."""
    claims, expired = None, False
    for secret in (settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_SECRET_PREVIOUS):
        if not secret:
            continue
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                audience=settings.SHOPIFY_API_KEY,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "dest", "aud", "exp", "nbf", "sub"]},
            )
            break
        except jwt.ExpiredSignatureError:  # raised only once the signature checked out
            expired = True
        except jwt.PyJWTError:
            continue
    if claims is None:
        raise SessionTokenExpired() if expired else InvalidSessionToken()
    shop = urlparse(str(claims["dest"])).hostname or ""
    issuer_shop = urlparse(str(claims["iss"])).hostname or ""
    if not shop_domain_valid(shop) or issuer_shop != shop:
        raise InvalidSessionToken()
    return SessionClaims(
        shop=shop, user_id=str(claims["sub"]), session_id=str(claims.get("sid", ""))
    )


class ShopifySessionTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <session token>` → request.auth = the installed Shop. A missing,
    invalid or expired token is answered 401 with X-Shopify-Retry-Invalid-Session-Request, so
    App Bridge retries with a fresh one; a shop without the app installed is not retried."""

    def authenticate(self, request: Request) -> tuple[None, Shop]:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "Send the session token as 'Authorization: Bearer …'.",
                headers=RETRY_INVALID_SESSION,
            )
        try:
            claims = decode_session_token(token.strip())
        except InvalidSessionToken as error:
            error.headers = error.headers | RETRY_INVALID_SESSION
            raise
        shop = Shop.objects.select_related("account").filter(domain=claims.shop).first()
        if shop is None or not shop.is_installed:
            raise Unauthorized("The app is not installed on this store.")
        return None, shop

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"

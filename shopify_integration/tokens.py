"""Shopify access tokens: encrypted at rest, refreshed before expiry under a per-shop lock.

Expiring offline tokens last an hour and come with a refresh token that is replaced on every
refresh, so two workers refreshing at once would invalidate each other: the shop row is locked
(SELECT … FOR UPDATE) while one of them refreshes, and the other then finds a fresh token.
"""

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fittingroom.core.errors import ApplicationError
from shopify_integration.models import Shop

logger = logging.getLogger(__name__)


class ShopReauthRequired(ApplicationError):
    code, status = "SHOP_REAUTH_REQUIRED", 503
    message = "Try-ons are paused: the store must reopen the app to reconnect it."


@dataclass(frozen=True)
class IssuedToken:
    """An access token as Shopify's token endpoint returns it (expires_in None: never)."""

    access_token: str
    scope: str = ""
    expires_in: int | None = None
    refresh_token: str = ""
    refresh_token_expires_in: int | None = None

    @classmethod
    def from_response(cls, body: dict) -> "IssuedToken":
        return cls(
            access_token=str(body["access_token"]),
            scope=str(body.get("scope", "")),
            expires_in=body.get("expires_in"),
            refresh_token=str(body.get("refresh_token", "")),
            refresh_token_expires_in=body.get("refresh_token_expires_in"),
        )


def _fernet() -> Fernet:
    # A dedicated key derived from its own setting: never the client secret (see shopify.md).
    digest = hashlib.sha256(b"fittingroom-tokens:" + settings.TOKEN_ENCRYPTION_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        logger.error("a stored Shopify token could not be decrypted (key changed?)")
        return ""


def _in(seconds: int | None) -> datetime | None:
    return timezone.now() + timedelta(seconds=int(seconds)) if seconds else None


def shop_tokens_store(*, shop: Shop, token: IssuedToken) -> None:
    """Store both tokens (encrypted) and their expiries in one write; clears needs_reauth."""
    shop.access_token_encrypted = encrypt(token.access_token)
    shop.access_token_expires_at = _in(token.expires_in)
    shop.refresh_token_encrypted = encrypt(token.refresh_token)
    shop.refresh_token_expires_at = _in(token.refresh_token_expires_in)
    if token.scope:
        shop.scopes = token.scope
    shop.needs_reauth = False
    shop.save(
        update_fields=[
            "access_token_encrypted",
            "access_token_expires_at",
            "refresh_token_encrypted",
            "refresh_token_expires_at",
            "scopes",
            "needs_reauth",
            "updated_at",
        ]
    )


def shop_tokens_wipe(*, shop: Shop) -> None:
    Shop.objects.filter(id=shop.id).update(
        access_token_encrypted="",
        access_token_expires_at=None,
        refresh_token_encrypted="",
        refresh_token_expires_at=None,
        updated_at=timezone.now(),
    )


def shop_mark_needs_reauth(*, shop: Shop) -> None:
    Shop.objects.filter(id=shop.id).update(needs_reauth=True, updated_at=timezone.now())
    shop.needs_reauth = True


def _fresh(shop: Shop) -> bool:
    expires = shop.access_token_expires_at
    margin = timedelta(seconds=settings.SHOPIFY_TOKEN_REFRESH_MARGIN)
    return bool(shop.access_token_encrypted) and (
        expires is None or expires - margin > timezone.now()
    )


def shop_access_token(*, shop: Shop) -> str:
    """A usable offline access token for the shop, refreshed first if it is about to expire.
    Raises SHOP_REAUTH_REQUIRED when there is none and it cannot be refreshed."""
    if shop.needs_reauth:
        raise ShopReauthRequired()
    if _fresh(shop):
        return decrypt(shop.access_token_encrypted)
    try:
        with transaction.atomic():
            locked = Shop.objects.select_for_update().get(id=shop.id)
            if not _fresh(locked):  # another worker may have refreshed while we waited
                _refresh(locked)
    except ShopReauthRequired:
        # Marked after the rollback, or the mark would be rolled back with it.
        shop_mark_needs_reauth(shop=shop)
        raise
    shop.refresh_from_db()
    return decrypt(shop.access_token_encrypted)


def _refresh(shop: Shop) -> None:
    refresh_token = decrypt(shop.refresh_token_encrypted)
    if not refresh_token:
        raise ShopReauthRequired()
    body = request_token(
        shop=shop.domain, grant={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    if body is None:
        raise ShopReauthRequired()
    shop_tokens_store(shop=shop, token=IssuedToken.from_response(body))


def request_token(*, shop: str, grant: dict[str, str]) -> dict | None:
    """POST to Shopify's token endpoint with our client credentials. Returns the JSON body, or
    None when Shopify refuses the grant (4xx). Network trouble and 5xx raise ShopifyUnavailable."""
    data = {
        "client_id": settings.SHOPIFY_API_KEY,
        "client_secret": settings.SHOPIFY_API_SECRET,
        **grant,
    }
    try:
        response = requests.post(
            settings.SHOPIFY_TOKEN_URL.format(shop=shop),
            json=data,  # as Shopify's own libraries send it (Shopify also takes a form)
            headers={"Accept": "application/json"},
            timeout=(5, 15),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise ShopifyUnavailable() from error
    if response.status_code >= 500:
        raise ShopifyUnavailable()
    if response.status_code != 200:
        logger.warning("Shopify refused a token grant for %s: HTTP %s", shop, response.status_code)
        return None
    try:
        body = response.json()
        str(body["access_token"])
    except (ValueError, KeyError, TypeError) as error:
        raise ShopifyUnavailable() from error
    return body


class ShopifyUnavailable(ApplicationError):
    code, status = "SHOPIFY_UNAVAILABLE", 503
    message = "Shopify could not be reached. Try again in a moment."

"""Public-API keys: `fr_live_` + 40 random characters, stored as a SHA-256, shown once."""

import hashlib
import secrets

from django.utils import timezone

from fittingroom.accounts.models import Account, ApiKey
from fittingroom.core.errors import Unauthorized

KEY_PREFIX = "fr_live_"


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, account: Account, name: str = "") -> tuple[ApiKey, str]:
    """A new key for the account; returns the row and the raw key (its only appearance)."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(30)
    key = ApiKey.objects.create(
        account=account, name=name[:100], prefix=raw_key[:12], key_hash=_hash(raw_key)
    )
    return key, raw_key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(id=key.id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def account_for_api_key(*, raw_key: str) -> Account:
    """The account a live key belongs to. Raises UNAUTHORIZED for a missing, unknown or revoked
    key (a hash lookup: no timing signal about partial matches)."""
    if not raw_key:
        raise Unauthorized("Send your API key in the x-api-key header.")
    key = (
        ApiKey.objects.select_related("account")
        .filter(key_hash=_hash(raw_key), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise Unauthorized("Invalid API key.")
    if key.last_used_at is None or (timezone.now() - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(id=key.id).update(last_used_at=timezone.now())
    return key.account

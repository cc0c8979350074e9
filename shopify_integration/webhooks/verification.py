"""Shopify's webhook signature: `X-Shopify-Hmac-SHA256` is base64(HMAC-SHA256(raw body, client
secret)). It covers the body only, never the headers, and must be checked on the bytes exactly
as received, before any parsing."""

import base64
import hashlib
import hmac
from collections.abc import Iterable


def webhook_signature(body: bytes, secret: str) -> str:
    """The header value Shopify sends for `body` signed with `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature_valid(*, body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when `header` is the signature of `body` under one of `secrets` (the current one and,
    during a rotation, the previous one; blank secrets are skipped). Constant-time comparison.

    The header is compared as text, not decoded: base64 leaves 2 unused bits in the last
    character of a 32-byte digest, so decoding would accept four spellings of one signature."""
    received = (header or "").strip()
    if not received or not received.isascii():
        return False
    valid = False
    for secret in secrets:
        if secret:
            expected = webhook_signature(body, secret)
            valid |= hmac.compare_digest(expected.encode(), received.encode())
    return valid

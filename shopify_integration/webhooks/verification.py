"""Shopify's webhook signature: `X-Shopify-Hmac-SHA256` is base64(HMAC-SHA256(raw body, client
secret)). It covers the body only, never the headers, and must be checked on the bytes exactly
as received, before any parsing."""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable


def webhook_signature(body: bytes, secret: str) -> str:
    """The header value Shopify sends for `body` signed with `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_signature_valid(*, body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """True when `header` is the signature of `body` under one of `secrets` (the current one and,
    during a rotation, the previous one; blank secrets are skipped). Constant-time comparison."""
    if not header:
        return False
    try:
        received = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    valid = False
    for secret in secrets:
        if secret:
            expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
            valid |= hmac.compare_digest(expected, received)
    return valid

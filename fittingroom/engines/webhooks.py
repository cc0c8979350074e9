"""Tokens for the URLs providers call back. FASHN and fal call back exactly the URL they were
given (fal also signs with its own key pair, which needs its published keys fetched), so the
URL carries an HMAC of ours over the engine and our job reference."""

import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac


def webhook_token(engine: str, reference: str) -> str:
    """The token for the job we know as ``reference`` (the generation id) on ``engine``."""
    secret = settings.ENGINE_WEBHOOK_SECRET or settings.SECRET_KEY
    salt = f"fittingroom.engines.{engine}.webhook"
    return salted_hmac(salt, reference, secret=secret, algorithm="sha256").hexdigest()


def webhook_token_valid(engine: str, reference: str, token: str) -> bool:
    """Whether ``token`` is ``webhook_token(engine, reference)``, in constant time."""
    return hmac.compare_digest(webhook_token(engine, reference), token)

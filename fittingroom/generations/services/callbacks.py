"""The URL a provider calls back when a generation's job ends (FASHN's webhook_url, fal's
fal_webhook). The view that answers it is generations/webhooks.py."""

from fittingroom.engines import engine_limits
from fittingroom.engines.webhooks import webhook_token


def engine_webhook_url(*, engine: str, generation_id: str, base_url: str) -> str | None:
    """Our callback URL for ``generation_id`` on ``engine``, under ``base_url``; None when the
    engine takes no webhooks."""
    if not engine_limits(engine).webhooks:
        return None
    token = webhook_token(engine, generation_id)
    return f"{base_url}/engines/{engine}/webhook?ref={generation_id}&token={token}"

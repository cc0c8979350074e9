import pytest

from tests.shopify_integration.webhooks.shopify_webhooks import WebhookSender


@pytest.fixture(autouse=True)
def _realistic_client_secret(settings):
    # Session tokens are HS256 with the client secret; PyJWT wants 32 bytes or more.
    settings.SHOPIFY_API_SECRET = "shpss_" + "a1" * 16


@pytest.fixture
def webhooks(client) -> WebhookSender:
    return WebhookSender(client)

import pytest

from tests.shopify_integration.webhooks.shopify_webhooks import WebhookSender


@pytest.fixture
def webhooks(client) -> WebhookSender:
    return WebhookSender(client)

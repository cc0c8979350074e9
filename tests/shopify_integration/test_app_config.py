"""shopify.app.toml and the settings agree on what the app asks Shopify for."""

import tomllib

from django.conf import settings

from shopify_integration.webhooks.services import _HANDLERS
from tests.conftest import ROOT

CONFIG = tomllib.loads((ROOT / "shopify.app.toml").read_text())


def _scopes(text: str) -> set[str]:
    return {scope.strip() for scope in text.split(",") if scope.strip()}


def test_the_declared_scopes_are_the_default_scopes():
    assert _scopes(CONFIG["access_scopes"]["scopes"]) == _scopes(settings.SHOPIFY_SCOPES)


def test_the_app_proxy_comes_with_its_scope():
    """Shopify's app-proxy docs: configuring an app proxy requires write_app_proxy."""
    assert CONFIG["app_proxy"]["subpath"]
    assert "write_app_proxy" in _scopes(CONFIG["access_scopes"]["scopes"])


def test_the_order_topics_and_their_scopes_are_declared():
    scopes = _scopes(CONFIG["access_scopes"]["scopes"])
    topics = {t for sub in CONFIG["webhooks"]["subscriptions"] for t in sub.get("topics", [])}
    assert {"orders/create", "refunds/create"} <= topics
    assert {"read_orders", "write_customers"} <= scopes


def test_every_handled_topic_is_subscribed():
    subscribed = set()
    for subscription in CONFIG["webhooks"]["subscriptions"]:
        subscribed |= set(subscription.get("topics", []))
        subscribed |= set(subscription.get("compliance_topics", []))
    assert set(_HANDLERS) <= subscribed

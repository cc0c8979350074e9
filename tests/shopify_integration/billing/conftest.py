"""Billing fixtures: the conftest shop without a plan, connected to the Admin API emulator."""

import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from django.conf import settings

from shopify_integration.billing.plans import PLANS_BY_KEY
from shopify_integration.billing.services import billing_subscribe, billing_sync
from shopify_integration.models import Shop
from shopify_integration.tokens import IssuedToken, shop_tokens_store

ADMIN_TOKEN = "shpat_billing_emulator_token"


def session_token(domain: str) -> str:
    """An App Bridge session token for a staff member of `domain`, as Shopify signs it."""
    now = int(time.time())
    claims = {
        "iss": f"https://{domain}/admin",
        "dest": f"https://{domain}",
        "aud": settings.SHOPIFY_API_KEY,
        "sub": "42",
        "exp": now + 60,
        "nbf": now,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sid": "session-1",
    }
    return jwt.encode(claims, settings.SHOPIFY_API_SECRET, algorithm="HS256")


@pytest.fixture(autouse=True)
def _client_secret(settings) -> None:
    # Shopify's client secrets are 32 bytes or more (the development default is shorter).
    settings.SHOPIFY_API_SECRET = "billing-tests-client-secret-of-32-bytes+"


@pytest.fixture
def connected_shop(shop, shopify_admin) -> Shop:
    """The shared `shop`, with no plan yet and a static Admin API token the emulator accepts."""
    shop_tokens_store(shop=shop, token=IssuedToken(access_token=ADMIN_TOKEN))
    shopify_admin.tokens[shop.domain] = ADMIN_TOKEN
    shop.plan_name, shop.billing_status = "", Shop.Billing.NONE
    shop.save()
    return shop


@pytest.fixture
def subscribed(connected_shop, shopify_admin) -> Callable[[str], Shop]:
    """Subscribe the shop to a plan, approve it as the merchant would, sync: the shop, fresh."""

    def subscribe(plan_key: str) -> Shop:
        billing_subscribe(shop=connected_shop, plan=PLANS_BY_KEY[plan_key])
        subscription = shopify_admin.subscriptions(connected_shop.domain)[-1]
        shopify_admin.approve_subscription(connected_shop.domain, subscription["id"])
        billing_sync(shop=connected_shop)
        return Shop.objects.select_related("account").get(id=connected_shop.id)

    return subscribe


def mutations(emulator, name: str) -> list[dict]:
    """The variables of each call of the emulator that ran the mutation `name`."""
    return [variables for _, query, variables in emulator.calls if query and name in query]

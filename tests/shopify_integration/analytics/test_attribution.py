"""orders/create and refunds/create: revenue attributed to try-ons, exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fittingroom.analytics.models import AttributedLine
from tests.shopify_integration.analytics.funnel import completed_generation
from tests.shopify_integration.analytics.orders import line, order_payload, refund_payload
from tests.shopify_integration.install.test_merchant_api import bearer

pytestmark = pytest.mark.django_db


def analytics(client, shop, days: int = 30) -> dict:
    response = client.get(f"/shopify/api/analytics?days={days}", **bearer(shop.domain))
    assert response.status_code == 200, response.content
    return response.json()


def test_a_line_with_the_job_property_is_attributed_with_its_revenue(client, webhooks, shop):
    generation = completed_generation(shop.account)
    payload = order_payload(
        lines=[line(1, job=generation.id, quantity=2, discount="5.00"), line(2, product=3003)]
    )

    webhooks.deliver("orders/create", payload, shop=shop.domain)

    attributed = AttributedLine.objects.get()
    assert (attributed.kind, attributed.generation_id, attributed.quantity) == (
        "direct",
        generation.id,
        2,
    )
    body = analytics(client, shop)
    assert body["funnel"]["orders"] == 1
    assert body["revenue"] == [
        {
            "currency": "EUR",
            "direct": "45.00",
            "directRefunded": "0.00",
            "directNet": "45.00",
            "assisted": "0.00",
            "assistedNet": "0.00",
        }
    ]


def test_the_same_order_delivered_twice_counts_once(client, webhooks, shop):
    generation = completed_generation(shop.account)
    payload = order_payload(lines=[line(1, job=generation.id)])

    webhooks.deliver("orders/create", payload, shop=shop.domain)
    webhooks.deliver("orders/create", payload, shop=shop.domain)  # a new webhook id, same order

    assert AttributedLine.objects.count() == 1
    assert analytics(client, shop)["revenue"][0]["direct"] == "25.00"


def test_a_job_id_of_another_shop_is_not_attributed(webhooks, shop, other_shop):
    theirs = completed_generation(other_shop.account)

    webhooks.deliver(
        "orders/create", order_payload(lines=[line(1, job=theirs.id)]), shop=shop.domain
    )

    assert not AttributedLine.objects.exists()


def test_a_refund_reduces_the_revenue_once(client, webhooks, shop):
    generation = completed_generation(shop.account)
    webhooks.deliver(
        "orders/create",
        order_payload(order_id=9, lines=[line(1, job=generation.id, quantity=2)]),
        shop=shop.domain,
    )
    refund = refund_payload(refund_id=500, order_id=9, lines=[(1, 1, "25.00")])

    webhooks.deliver("refunds/create", refund, shop=shop.domain)
    webhooks.deliver("refunds/create", refund, shop=shop.domain)

    revenue = analytics(client, shop)["revenue"][0]
    assert (revenue["direct"], revenue["directRefunded"], revenue["directNet"]) == (
        "50.00",
        "25.00",
        "25.00",
    )


def test_a_shopper_who_tried_on_and_bought_within_7_days_is_an_assisted_order(
    client, webhooks, shop
):
    completed_generation(
        shop.account,
        shopper_key="visitor:visitor-0001",
        created_at=timezone.now() - timedelta(days=3),
    )
    completed_generation(
        shop.account, shopper_key="customer:42", product="gid://shopify/Product/2002"
    )

    webhooks.deliver(
        "orders/create",
        order_payload(order_id=1, lines=[line(1)], visitor="visitor-0001"),
        shop=shop.domain,
    )
    webhooks.deliver(
        "orders/create",
        order_payload(order_id=2, lines=[line(2, product=2002)], customer_id=42),
        shop=shop.domain,
    )

    assert sorted(AttributedLine.objects.values_list("order_id", "kind")) == [
        ("1", "assisted"),
        ("2", "assisted"),
    ]
    body = analytics(client, shop)
    assert (body["funnel"]["orders"], body["assistedOrders"]) == (0, 2)
    assert body["revenue"][0]["assisted"] == "50.00"


def test_a_try_on_older_than_7_days_or_of_another_shopper_assists_nothing(webhooks, shop):
    completed_generation(
        shop.account,
        shopper_key="visitor:visitor-0001",
        created_at=timezone.now() - timedelta(days=8),
    )
    completed_generation(shop.account, shopper_key="visitor:someone-else")

    webhooks.deliver(
        "orders/create", order_payload(lines=[line(1)], visitor="visitor-0001"), shop=shop.domain
    )

    assert not AttributedLine.objects.exists()


def test_a_malformed_order_is_noted_not_crashed_on(webhooks, shop):
    delivery = webhooks.deliver(
        "orders/create", {"id": "x", "line_items": "nope"}, shop=shop.domain
    )
    assert delivery.processed_at is not None and "no order id" in delivery.error
    delivery = webhooks.deliver(
        "orders/create", {"id": 5, "line_items": [7, {"id": 1, "price": "NaN"}]}, shop=shop.domain
    )
    assert delivery.processed_at is not None and not AttributedLine.objects.exists()

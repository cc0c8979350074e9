"""A signed body re-aimed with other headers (another shop, another topic) is refused and logged,
and Shopify's duplicates are recognised by X-Shopify-Event-Id."""

import logging
import uuid

import pytest
from django.core.files.storage import default_storage

from shopify_integration.models import CustomerDataRequest, Shop, WebhookDelivery
from shopify_integration.webhooks.services import _HANDLERS, webhook_handle
from shopify_integration.webhooks.topics import TOPIC_SHAPES, payload_problem
from tests.shopify_integration.webhooks.shopify_webhooks import (
    app_uninstalled_payload,
    customers_redact_payload,
    data_request_payload,
    product_delete_payload,
    product_update_payload,
    shop_redact_payload,
)
from tests.shopify_integration.webhooks.test_topics import stored_files, try_on

pytestmark = pytest.mark.django_db

# Shopify's documented example bodies for the order topics (abridged to the keys we rely on).
ORDER = {"id": 820982911946154508, "line_items": [{"id": 1, "product_id": 2, "quantity": 1}]}
REFUND = {"id": 509562969, "order_id": 450789469, "refund_line_items": []}
DOCUMENTED = {
    "app/uninstalled": app_uninstalled_payload,
    "products/update": lambda shop: product_update_payload(),
    "products/delete": lambda shop: product_delete_payload(),
    "customers/data_request": data_request_payload,
    "customers/redact": customers_redact_payload,
    "shop/redact": shop_redact_payload,
    "orders/create": lambda shop: ORDER,
    "refunds/create": lambda shop: REFUND,
}


def test_an_uninstall_body_resent_with_another_shop_leaves_that_shop_installed(
    webhooks, shop, other_shop, caplog
):
    other_shop.is_installed = True
    other_shop.save()

    with caplog.at_level(logging.WARNING, logger="shopify_integration.webhooks.services"):
        response = webhooks.send(
            "app/uninstalled", app_uninstalled_payload(shop.domain), shop=other_shop.domain
        )

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    other_shop.refresh_from_db()
    assert other_shop.is_installed
    assert not WebhookDelivery.objects.exists()
    assert "myshopify_domain does not match" in caplog.text


def test_a_data_request_resent_as_a_redaction_deletes_no_photo(
    webhooks, shop, proxy, person_jpeg, caplog
):
    generation = try_on(proxy, person_jpeg, "191167")

    with caplog.at_level(logging.WARNING, logger="shopify_integration.webhooks.services"):
        response = webhooks.send(
            "customers/redact", data_request_payload(shop.domain), shop=shop.domain
        )

    assert response.status_code == 400
    assert all(default_storage.exists(name) for name in stored_files(generation))
    assert "no orders_to_redact" in caplog.text


def test_a_redaction_resent_as_a_data_request_is_refused(webhooks, shop):
    response = webhooks.send(
        "customers/data_request", customers_redact_payload(shop.domain), shop=shop.domain
    )

    assert response.status_code == 400
    assert not CustomerDataRequest.objects.exists()


@pytest.mark.parametrize("topic", sorted(DOCUMENTED))
def test_each_topics_documented_body_fits_and_no_other_body_passes_for_it(topic):
    shop, shape = "store.myshopify.com", TOPIC_SHAPES[topic]
    payload = DOCUMENTED[topic](shop)
    assert payload_problem(topic=topic, shop_domain=shop, payload=payload) == ""
    if shape.shop_field is not None:
        assert payload_problem(topic=topic, shop_domain="other.myshopify.com", payload=payload)
    # Product bodies carry little more than an id: re-aimed, they can at worst drop a cached
    # image of a product the shop does not have, so any body with an id may pass as one.
    for other, other_payload in DOCUMENTED.items():
        if other != topic and not topic.startswith("products/"):
            problem = payload_problem(topic=topic, shop_domain=shop, payload=other_payload(shop))
            assert problem, f"a {other} body passes as {topic}"


def test_every_handled_topic_has_a_shape():
    assert set(_HANDLERS) <= set(TOPIC_SHAPES)


def test_a_stored_body_that_does_not_fit_is_not_acted_on(shop):
    """Rows stored before the receive-time check get the same check before a handler runs."""
    delivery = WebhookDelivery.objects.create(
        webhook_id="old",
        topic="shop/redact",
        shop_domain=shop.domain,
        payload=customers_redact_payload(shop.domain),
    )

    assert "ignored" in webhook_handle(delivery=delivery)
    assert Shop.objects.filter(id=shop.id).exists()


# --- duplicates ------------------------------------------------------------------------------
def test_one_event_delivered_under_two_webhook_ids_is_processed_once(
    webhooks, shop, django_capture_on_commit_callbacks
):
    payload, event = data_request_payload(shop.domain), str(uuid.uuid4())
    with django_capture_on_commit_callbacks() as callbacks:
        first = webhooks.send(
            "customers/data_request", payload, shop=shop.domain, HTTP_X_SHOPIFY_EVENT_ID=event
        )
        second = webhooks.send(
            "customers/data_request", payload, shop=shop.domain, HTTP_X_SHOPIFY_EVENT_ID=event
        )

    assert first.json() == {"status": "accepted"}
    assert second.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.get().event_id == event
    assert len(callbacks) == 1


def test_without_an_event_id_the_webhook_id_decides(webhooks, shop):
    payload = data_request_payload(shop.domain)
    sent = [
        webhooks.send(
            "customers/data_request",
            payload,
            shop=shop.domain,
            webhook_id=webhook_id,
            HTTP_X_SHOPIFY_EVENT_ID="",
        ).json()["status"]
        for webhook_id in ("w1", "w1", "w2")
    ]

    assert sent == ["accepted", "duplicate", "accepted"]

"""POST /shopify/webhooks: verify on the raw bytes, store once, answer at once."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from shopify_integration.models import CustomerDataRequest, WebhookDelivery
from shopify_integration.webhooks.tasks import webhook_process
from shopify_integration.webhooks.verification import webhook_signature, webhook_signature_valid
from tests.conftest import ROOT
from tests.shopify_integration.webhooks.shopify_webhooks import (
    URL,
    data_request_payload,
    product_update_payload,
    shopify_hmac,
)

pytestmark = pytest.mark.django_db
UNAUTHORIZED = {
    "code": "UNAUTHORIZED",
    "message": "Authentication failed.",
    "status": 401,
    "details": [],
}


def test_a_signed_webhook_is_stored_and_answered_at_once(
    webhooks, shop, django_capture_on_commit_callbacks
):
    payload = data_request_payload(shop.domain)
    with django_capture_on_commit_callbacks() as callbacks:
        response = webhooks.send(
            "customers/data_request", payload, shop=shop.domain, webhook_id="wh-0001"
        )

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook_id == "wh-0001"
    assert delivery.topic == "customers/data_request"
    assert delivery.shop_domain == shop.domain
    assert delivery.api_version == "2026-10"
    assert delivery.payload == payload
    assert delivery.processed_at is None
    assert len(callbacks) == 1  # the task is enqueued once the row is committed


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"signature": ""}, id="missing"),
        pytest.param({"secret": "not-our-secret"}, id="another-secret"),
        pytest.param({"signature": "bm90IGEgc2lnbmF0dXJl"}, id="wrong-value"),
        pytest.param({"signature": "%%% not base64 %%%"}, id="not-base64"),
        pytest.param({"signature": "é"}, id="not-ascii"),
    ],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    webhooks, shop, tamper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = webhooks.send(
            "shop/redact", {"shop_id": 1, "shop_domain": shop.domain}, shop=shop.domain, **tamper
        )

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []
    shop.refresh_from_db()
    assert shop.account_id is not None


def test_a_body_changed_after_signing_is_refused(webhooks, shop):
    signed = json.dumps(data_request_payload(shop.domain)).encode()
    tampered = signed.replace(b"191167", b"191168")

    response = webhooks.send(
        "customers/data_request",
        tampered,
        shop=shop.domain,
        signature=shopify_hmac(signed, settings.SHOPIFY_API_SECRET),
    )

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_the_signature_is_checked_on_the_raw_bytes_not_on_reserialised_json(webhooks, shop):
    # Same JSON value, different bytes: only the bytes Shopify signed verify.
    raw = b'{ "shop_id" : 954889,\n  "shop_domain":"' + shop.domain.encode() + b'" }'

    response = webhooks.send("shop/redact", raw, shop=shop.domain, webhook_id="raw-1")

    assert response.status_code == 200
    assert WebhookDelivery.objects.get().payload == {"shop_id": 954889, "shop_domain": shop.domain}


def test_the_previous_secret_is_accepted_during_a_rotation(webhooks, shop, settings):
    settings.SHOPIFY_API_SECRET_PREVIOUS = "the-old-secret"

    response = webhooks.send(
        "products/update", product_update_payload(), shop=shop.domain, secret="the-old-secret"
    )

    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 1


def test_a_blank_previous_secret_accepts_nothing(webhooks, shop, settings):
    settings.SHOPIFY_API_SECRET_PREVIOUS = ""

    response = webhooks.send(
        "products/update",
        product_update_payload(),
        shop=shop.domain,
        signature=webhook_signature(json.dumps(product_update_payload()).encode(), ""),
    )

    assert response.status_code == 401


def test_the_verifier_matches_an_independent_computation():
    body = b'{"shop_id":954889,"shop_domain":"{shop}.myshopify.com"}'

    assert webhook_signature(body, "hush") == shopify_hmac(body, "hush")
    assert webhook_signature_valid(
        body=body, header=shopify_hmac(body, "hush"), secrets=["new", "hush"]
    )
    assert not webhook_signature_valid(body=body, header=shopify_hmac(body, "hush"), secrets=[])


def test_a_redelivered_webhook_id_is_answered_200_and_processed_once(
    webhooks, shop, django_capture_on_commit_callbacks
):
    payload = data_request_payload(shop.domain)
    with django_capture_on_commit_callbacks() as callbacks:
        first = webhooks.send("customers/data_request", payload, shop=shop.domain, webhook_id="a")
        second = webhooks.send("customers/data_request", payload, shop=shop.domain, webhook_id="a")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1
    assert len(callbacks) == 1
    delivery = WebhookDelivery.objects.get()
    webhook_process(delivery.id)
    assert CustomerDataRequest.objects.count() == 1


def test_an_unknown_topic_is_stored_and_marked_processed_with_a_note(webhooks, shop):
    delivery = webhooks.deliver("orders/paid", {"id": 820982911946154508}, shop=shop.domain)

    assert delivery.processed_at is not None
    assert "not handled" in delivery.error


def test_a_body_over_one_megabyte_is_refused_before_it_is_read(webhooks, shop):
    big = json.dumps({"shop_domain": shop.domain, "padding": "x" * (1024 * 1024)}).encode()

    response = webhooks.send("shop/redact", big, shop=shop.domain)

    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json", b"\xff\xfe"])
def test_a_signed_body_that_is_not_a_json_object_is_refused(webhooks, shop, body):
    response = webhooks.send("shop/redact", body, shop=shop.domain)

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert not WebhookDelivery.objects.exists()


def test_a_signed_webhook_without_its_routing_headers_is_refused(webhooks, shop):
    response = webhooks.send(
        "",
        data_request_payload(shop.domain),
        shop="evil.example.com",
        HTTP_X_SHOPIFY_WEBHOOK_ID="",
    )

    assert response.status_code == 400
    paths = [detail["path"] for detail in response.json()["details"]]
    assert paths == ["X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Shop-Domain"]
    assert not WebhookDelivery.objects.exists()


def test_other_methods_get_405_and_never_a_redirect(client):
    response = client.get(URL)

    assert response.status_code == 405
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert client.post(URL + "/").status_code == 404


def test_a_worker_registers_the_webhook_task():
    code = (
        "import django; django.setup();"
        "from config.celery import app; app.loader.import_default_modules();"
        "print('shopify_integration.webhooks.tasks.webhook_process' in app.tasks)"
    )
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )

    assert result.stdout.strip().endswith("True"), result.stderr

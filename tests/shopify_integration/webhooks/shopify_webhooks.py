"""Deliver webhooks the way Shopify does: a JSON body, its HMAC in X-Shopify-Hmac-SHA256 and the
routing headers, POSTed to /shopify/webhooks."""

import base64
import hashlib
import hmac
import json
import uuid

from django.conf import settings
from django.test import Client

from shopify_integration.models import WebhookDelivery
from shopify_integration.webhooks.tasks import webhook_process

URL = "/shopify/webhooks"


def shopify_hmac(body: bytes, secret: str) -> str:
    """Written here from Shopify's documentation, independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookSender:
    def __init__(self, client: Client) -> None:
        self.client = client

    def send(
        self,
        topic: str,
        payload: dict | list | bytes,
        *,
        shop: str,
        webhook_id: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        **headers: str,
    ):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if signature is None:
            signature = shopify_hmac(body, secret or settings.SHOPIFY_API_SECRET)
        shopify_headers = {
            "HTTP_X_SHOPIFY_TOPIC": topic,
            "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop,
            "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
            "HTTP_X_SHOPIFY_API_VERSION": "2026-10",
            "HTTP_X_SHOPIFY_TRIGGERED_AT": "2026-10-01T12:00:00.000000Z",
            "HTTP_X_SHOPIFY_EVENT_ID": str(uuid.uuid4()),
        }
        if signature:
            shopify_headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = signature
        return self.client.post(
            URL, body, content_type="application/json", **(shopify_headers | headers)
        )

    def deliver(self, topic: str, payload: dict, *, shop: str, **kwargs) -> WebhookDelivery:
        """Send, expect 200, and run the task body the worker would run."""
        webhook_id = kwargs.pop("webhook_id", None) or str(uuid.uuid4())
        response = self.send(topic, payload, shop=shop, webhook_id=webhook_id, **kwargs)
        assert response.status_code == 200, response.content
        delivery = WebhookDelivery.objects.get(webhook_id=webhook_id)
        webhook_process(delivery.id)
        delivery.refresh_from_db()
        return delivery


# Shopify's documented example payloads, pointed at our test shops.
def data_request_payload(shop: str, customer_id: int = 191167) -> dict:
    return {
        "shop_id": 954889,
        "shop_domain": shop,
        "orders_requested": [299938, 280263, 220458],
        "customer": {"id": customer_id, "email": "john@example.com", "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }


def customers_redact_payload(shop: str, customer_id: int = 191167) -> dict:
    return {
        "shop_id": 954889,
        "shop_domain": shop,
        "customer": {"id": customer_id, "email": "john@example.com", "phone": "555-625-1199"},
        "orders_to_redact": [299938, 280263, 220458],
    }


def shop_redact_payload(shop: str) -> dict:
    return {"shop_id": 954889, "shop_domain": shop}


def app_uninstalled_payload(shop: str) -> dict:
    return {
        "id": 548380009,
        "name": "Super Toys",
        "email": "super@supertoys.com",
        "domain": None,
        "province": "Tennessee",
        "country": "US",
        "address1": "190 MacLaren Street",
        "zip": "37178",
        "city": "Houston",
        "phone": "3213213210",
        "primary_locale": "en",
        "country_code": "US",
        "currency": "USD",
        "customer_email": "super@supertoys.com",
        "shop_owner": "John Smith",
        "plan_display_name": "Shopify Plus",
        "plan_name": "enterprise",
        "myshopify_domain": shop,
    }


def product_update_payload(product_id: int = 788032119674292922) -> dict:
    return {
        "admin_graphql_api_id": f"gid://shopify/Product/{product_id}",
        "body_html": "An example T-Shirt",
        "created_at": None,
        "handle": "example-t-shirt",
        "id": product_id,
        "product_type": "Shirts",
        "published_at": "2021-12-31T19:00:00-05:00",
        "template_suffix": None,
        "title": "Example T-Shirt",
        "updated_at": "2021-12-31T19:00:00-05:00",
        "vendor": "Acme",
        "status": "active",
        "published_scope": "web",
        "tags": "example, mens, t-shirt",
        "variants": [],
        "options": [],
        "images": [],
        "image": None,
        "media": [],
        "variant_gids": [],
    }


def product_delete_payload(product_id: int = 788032119674292922) -> dict:
    return {"id": product_id}

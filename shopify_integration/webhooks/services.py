"""Shopify's webhooks: each delivery is stored once (keyed by X-Shopify-Webhook-Id), then acted
on in a task. Shopify retries anything but a quick 2xx, sends duplicates and keeps no order, so
receiving does nothing but store, and every handler is safe to run twice.

The signature covers the body only: topic and shop domain come from unsigned headers. So the
compliance topics, which delete data, also require the payload's own `shop_domain` to agree.
"""

import logging
import re
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from fittingroom.core.errors import ValidationFailed
from fittingroom.generations.services.shoppers import (
    account_data_delete,
    shopper_data_delete,
    shopper_data_export,
)
from fittingroom.limits.shoppers import CUSTOMER_ID_PATTERN
from shopify_integration.catalog import garment_cache_invalidate
from shopify_integration.models import CustomerDataRequest, Shop, WebhookDelivery
from shopify_integration.tokens import shop_tokens_wipe
from shopify_integration.webhooks.orders import order_created, refund_created

logger = logging.getLogger(__name__)
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
PRODUCT_GID = re.compile(r"^gid://shopify/Product/[0-9]{1,20}$")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
UNKNOWN_SHOP = "no shop with this domain: nothing to do"
REINSTALLED = "the shop was installed again after this webhook arrived: ignored"


def webhook_receive(
    *, webhook_id: str, topic: str, shop_domain: str, api_version: str, payload: dict
) -> bool:
    """Store a verified delivery and enqueue its processing once the transaction commits.
    Returns False, storing and enqueuing nothing, when this webhook id was received before.
    Raises VALIDATION_FAILED when a required header is missing or malformed."""
    _headers_check(webhook_id=webhook_id, topic=topic, shop_domain=shop_domain)
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            webhook_id=webhook_id,
            defaults={
                "topic": topic,
                "shop_domain": shop_domain.lower(),
                "api_version": api_version[:20],
                "payload": payload,
            },
        )
        if created:
            _enqueue_on_commit(delivery.id)
    return created


def _headers_check(*, webhook_id: str, topic: str, shop_domain: str) -> None:
    problems = []
    if not webhook_id or len(webhook_id) > 255:
        problems.append({"path": "X-Shopify-Webhook-Id", "message": "Missing or too long."})
    if not topic or len(topic) > 100:
        problems.append({"path": "X-Shopify-Topic", "message": "Missing or too long."})
    if not SHOP_DOMAIN.match(shop_domain or ""):
        problems.append({"path": "X-Shopify-Shop-Domain", "message": "Not a myshopify.com domain."})
    if problems:
        raise ValidationFailed("Required webhook headers are missing.", details=problems)


def _enqueue_on_commit(delivery_id: int) -> None:
    from shopify_integration.webhooks.tasks import webhook_process

    transaction.on_commit(lambda: webhook_process.delay(delivery_id))


def webhook_handle(*, delivery: WebhookDelivery) -> str:
    """Do what the delivery's topic asks. Returns a note for the record: blank when it acted,
    else why there was nothing to do (unhandled topic, unknown shop, mismatched payload).
    Exceptions are left to the caller, which records them and may retry."""
    handler = _HANDLERS.get(delivery.topic)
    if handler is None:
        return f"topic {delivery.topic} is not handled: stored only"
    if delivery.topic in COMPLIANCE_TOPICS and not _payload_fits(delivery):
        logger.warning("webhook %s: payload does not fit its headers", delivery.webhook_id)
        return "the payload's shop_domain or shape does not match the headers: ignored"
    shop = Shop.objects.select_related("account").filter(domain=delivery.shop_domain).first()
    if shop is None:
        return UNKNOWN_SHOP
    return handler(shop=shop, delivery=delivery)


def _payload_fits(delivery: WebhookDelivery) -> bool:
    payload = delivery.payload
    same_shop = str(payload.get("shop_domain", "")).lower() == delivery.shop_domain
    names_customer = isinstance(payload.get("customer"), dict)
    return same_shop and names_customer == delivery.topic.startswith("customers/")


def webhook_delivery_finish(*, delivery: WebhookDelivery, note: str = "") -> None:
    """Mark the delivery processed, with an optional note (kept in `error`)."""
    WebhookDelivery.objects.filter(id=delivery.id).update(
        processed_at=timezone.now(), error=note[:500]
    )


def webhook_delivery_fail(*, delivery: WebhookDelivery, error: Exception) -> None:
    """Record why processing failed; the delivery stays unprocessed for a retry."""
    WebhookDelivery.objects.filter(id=delivery.id).update(error=repr(error)[:500])


def _app_uninstalled(*, shop: Shop, delivery: WebhookDelivery) -> str:
    if _installed_since(shop=shop, delivery=delivery):
        return REINSTALLED
    now = timezone.now()
    Shop.objects.filter(id=shop.id).update(
        is_installed=False,
        uninstalled_at=now,
        billing_status=Shop.Billing.CANCELLED,
        updated_at=now,
    )
    shop_tokens_wipe(shop=shop)
    return ""


def _product_changed(*, shop: Shop, delivery: WebhookDelivery) -> str:
    payload = delivery.payload
    gid = payload.get("admin_graphql_api_id") or f"gid://shopify/Product/{payload.get('id')}"
    if not PRODUCT_GID.match(str(gid)):
        return "no product id in the payload"
    garment_cache_invalidate(shop_domain=shop.domain, product_gid=gid)
    return ""


def _customer_data_request(*, shop: Shop, delivery: WebhookDelivery) -> str:
    customer_id = _customer_id(delivery)
    if customer_id is None:
        return "no usable customer id in the payload"
    export = shopper_data_export(account=shop.account, shopper_key=f"customer:{customer_id}")
    request = delivery.payload.get("data_request")
    request_id = str(request.get("id", "")) if isinstance(request, dict) else ""
    CustomerDataRequest.objects.update_or_create(
        shop=shop,
        customer_id=customer_id,
        data_request_id=request_id[:30],
        defaults={"export": export},
    )
    _forget_contact_details(delivery)
    return ""


def _customers_redact(*, shop: Shop, delivery: WebhookDelivery) -> str:
    customer_id = _customer_id(delivery)
    if customer_id is None:
        return "no usable customer id in the payload"
    counts = shopper_data_delete(account=shop.account, shopper_key=f"customer:{customer_id}")
    # Earlier exports list this customer's photos and try-ons: they go with them.
    CustomerDataRequest.objects.filter(shop=shop, customer_id=customer_id).delete()
    _forget_contact_details(delivery)
    logger.info("redacted customer of %s: %s", shop.domain, counts)
    return ""


def _shop_redact(*, shop: Shop, delivery: WebhookDelivery) -> str:
    if _installed_since(shop=shop, delivery=delivery):
        return REINSTALLED
    account_data_delete(account=shop.account)
    # Earlier deliveries of this shop hold payloads with customers' e-mails and phones.
    WebhookDelivery.objects.filter(shop_domain=shop.domain).exclude(id=delivery.id).delete()
    logger.info("deleted all data of %s", shop.domain)
    return ""


def _installed_since(*, shop: Shop, delivery: WebhookDelivery) -> bool:
    # Shopify keeps no order: an uninstall or shop/redact received before the shop's latest
    # install is about a previous installation and must not undo the current one.
    return bool(
        shop.is_installed and shop.installed_at and shop.installed_at > delivery.received_at
    )


def _customer_id(delivery: WebhookDelivery) -> str | None:
    customer = delivery.payload.get("customer")
    value = str(customer.get("id", "")) if isinstance(customer, dict) else ""
    return value if CUSTOMER_ID_PATTERN.match(value) else None


def _forget_contact_details(delivery: WebhookDelivery) -> None:
    """Keep only the customer's id in the stored payload: we never needed the e-mail or phone."""
    customer = delivery.payload.get("customer") or {}
    payload = delivery.payload | {"customer": {"id": customer.get("id")}}
    WebhookDelivery.objects.filter(id=delivery.id).update(payload=payload)


_HANDLERS: dict[str, Callable[..., str]] = {
    "app/uninstalled": _app_uninstalled,
    "products/update": _product_changed,
    "products/delete": _product_changed,
    "customers/data_request": _customer_data_request,
    "customers/redact": _customers_redact,
    "shop/redact": _shop_redact,
}
_HANDLERS |= {"orders/create": order_created, "refunds/create": refund_created}  # issue 15

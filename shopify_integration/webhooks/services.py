"""Shopify's webhooks: each event is stored once (keyed by X-Shopify-Event-Id, else by
X-Shopify-Webhook-Id), then acted on in a task. Shopify retries anything but a quick 2xx, sends
duplicates and keeps no order, so receiving does nothing but store, and every handler is safe to
run twice.

The signature covers the body only: topic and shop domain come from unsigned headers. So every
body must fit its headers (topics.py) before it is stored, and again before it is acted on.
"""

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from fittingroom.core.errors import ValidationFailed
from fittingroom.generations.services.shoppers import (
    account_data_delete,
    shopper_data_delete,
    shopper_data_export,
)
from fittingroom.limits.shoppers import CUSTOMER_ID_PATTERN, customer_shopper_key
from shopify_integration.catalog import garment_cache_invalidate
from shopify_integration.identifiers import product_gid, product_gid_valid, shop_domain_valid
from shopify_integration.models import CustomerDataRequest, Shop, WebhookDelivery
from shopify_integration.tokens import shop_tokens_wipe
from shopify_integration.webhooks.orders import order_created, refund_created
from shopify_integration.webhooks.topics import TOPIC_SHAPES, payload_problem

logger = logging.getLogger(__name__)
UNKNOWN_SHOP = "no shop with this domain: nothing to do"
REINSTALLED = "the shop was installed again after this webhook arrived: ignored"


def webhook_receive(
    *,
    webhook_id: str,
    topic: str,
    shop_domain: str,
    api_version: str,
    payload: dict,
    event_id: str = "",
) -> bool:
    """Store a verified delivery and enqueue its processing once the transaction commits.
    Returns False, storing and enqueuing nothing, when this event (X-Shopify-Event-Id, which
    Shopify keeps across retries of one event), or without one this webhook id, was received
    before. Raises VALIDATION_FAILED when a required header is missing or malformed, or when
    the body does not fit its topic and shop (logged: a re-aimed delivery)."""
    _headers_check(webhook_id=webhook_id, topic=topic, shop_domain=shop_domain, event_id=event_id)
    problem = payload_problem(topic=topic, shop_domain=shop_domain, payload=payload)
    if problem:
        logger.warning(
            "webhook %s refused: %s (topic %s, shop %s)", webhook_id, problem, topic, shop_domain
        )
        raise ValidationFailed(
            "The webhook body does not fit its headers.",
            details=[{"path": "", "message": problem}],
        )
    seen = WebhookDelivery.objects.filter(webhook_id=webhook_id)
    if event_id:
        seen = WebhookDelivery.objects.filter(event_id=event_id) | seen
    try:
        with transaction.atomic():
            if seen.exists():
                return False
            delivery = WebhookDelivery.objects.create(
                webhook_id=webhook_id,
                event_id=event_id,
                topic=topic,
                shop_domain=shop_domain.lower(),
                api_version=api_version[:20],
                payload=payload,
            )
            _enqueue_on_commit(delivery.id)
    except IntegrityError:  # the same event or webhook id, received concurrently
        return False
    return True


def _headers_check(*, webhook_id: str, topic: str, shop_domain: str, event_id: str) -> None:
    problems = []
    if not webhook_id or len(webhook_id) > 255:
        problems.append({"path": "X-Shopify-Webhook-Id", "message": "Missing or too long."})
    if len(event_id) > 255:
        problems.append({"path": "X-Shopify-Event-Id", "message": "Too long."})
    if not topic or len(topic) > 100:
        problems.append({"path": "X-Shopify-Topic", "message": "Missing or too long."})
    if not shop_domain_valid(shop_domain or ""):
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
    if delivery.topic not in TOPIC_SHAPES:
        logger.error("webhook topic %s is handled but has no shape in topics.py", delivery.topic)
        return f"topic {delivery.topic} has no shape to check: ignored"
    problem = payload_problem(
        topic=delivery.topic, shop_domain=delivery.shop_domain, payload=delivery.payload
    )
    if problem:
        logger.warning("webhook %s not acted on: %s", delivery.webhook_id, problem)
        return f"{problem}: ignored"
    shop = Shop.objects.select_related("account").filter(domain=delivery.shop_domain).first()
    if shop is None:
        return UNKNOWN_SHOP
    return handler(shop=shop, delivery=delivery)


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
    gid = payload.get("admin_graphql_api_id") or product_gid(payload.get("id", ""))
    if not product_gid_valid(str(gid)):
        return "no product id in the payload"
    garment_cache_invalidate(shop_domain=shop.domain, product_gid=gid)
    return ""


def _customer_data_request(*, shop: Shop, delivery: WebhookDelivery) -> str:
    customer_id = _customer_id(delivery)
    if customer_id is None:
        return "no usable customer id in the payload"
    export = shopper_data_export(
        account=shop.account, shopper_key=customer_shopper_key(customer_id)
    )
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
    counts = shopper_data_delete(
        account=shop.account, shopper_key=customer_shopper_key(customer_id)
    )
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

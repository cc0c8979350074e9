"""`orders/create` and `refunds/create`: revenue the try-ons brought (scope read_orders).

The widget's "Add to cart" sets the line-item property `_fitting_room_job` (the job id) and
the cart attribute `_fitting_room_visitor` (its anonymous visitor id, which the order carries in
`note_attributes`). The core decides what counts (fittingroom/analytics/services/orders.py);
here Shopify's payload is read, defensively: a malformed line is skipped, never a crash.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fittingroom.analytics.services import OrderLine, RefundLine, order_attribute, refund_attribute
from fittingroom.limits.shoppers import CUSTOMER_ID_PATTERN, VISITOR_ID_PATTERN
from shopify_integration.models import Shop, WebhookDelivery

JOB_PROPERTY = "_fitting_room_job"
VISITOR_ATTRIBUTE = "_fitting_room_visitor"
_NUMERIC_ID = CUSTOMER_ID_PATTERN  # Shopify's REST ids: digits


def order_created(*, shop: Shop, delivery: WebhookDelivery) -> str:
    order = delivery.payload
    order_id = str(order.get("id", ""))
    if not _NUMERIC_ID.match(order_id):
        return "no order id in the payload"
    lines = [line for line in map(_order_line, _list(order.get("line_items"))) if line]
    order_attribute(
        account=shop.account,
        order_id=order_id,
        ordered_at=_time(order.get("created_at")),
        currency=str(order.get("currency") or "")[:3].upper(),
        lines=lines,
        shopper_keys=_shopper_keys(order),
    )
    return ""


def refund_created(*, shop: Shop, delivery: WebhookDelivery) -> str:
    refund = delivery.payload
    refund_id, order_id = str(refund.get("id", "")), str(refund.get("order_id", ""))
    if not (_NUMERIC_ID.match(refund_id) and _NUMERIC_ID.match(order_id)):
        return "no refund or order id in the payload"
    lines = [line for line in map(_refund_line, _list(refund.get("refund_line_items"))) if line]
    refund_attribute(
        account=shop.account,
        order_id=order_id,
        refund_id=refund_id,
        refunded_at=_time(refund.get("created_at")),
        lines=lines,
    )
    return ""


def _order_line(line: object) -> OrderLine | None:
    if not isinstance(line, dict):
        return None
    line_id, product_id = str(line.get("id", "")), str(line.get("product_id", ""))
    quantity, price = _int(line.get("quantity")), _decimal(line.get("price"))
    if not (_NUMERIC_ID.match(line_id) and _NUMERIC_ID.match(product_id)) or price is None:
        return None
    discount = _decimal(line.get("total_discount")) or Decimal(0)
    job = next(
        (str(p.get("value", "")) for p in _list(line.get("properties")) if _named(p, JOB_PROPERTY)),
        "",
    )
    return OrderLine(
        line_id=line_id,
        product_id=f"gid://shopify/Product/{product_id}",
        quantity=quantity,
        amount=max(Decimal(0), price * quantity - discount),
        job_id=job[:32],
    )


def _refund_line(line: object) -> RefundLine | None:
    if not isinstance(line, dict):
        return None
    line_id, amount = str(line.get("line_item_id", "")), _decimal(line.get("subtotal"))
    if not _NUMERIC_ID.match(line_id) or amount is None:
        return None
    return RefundLine(line_id=line_id, quantity=_int(line.get("quantity")), amount=amount)


def _shopper_keys(order: dict) -> list[str]:
    """Who bought: the Shopify customer, and the widget's visitor id from the cart attribute."""
    keys = []
    customer = order.get("customer")
    customer_id = str(customer.get("id", "")) if isinstance(customer, dict) else ""
    if CUSTOMER_ID_PATTERN.match(customer_id):
        keys.append(f"customer:{customer_id}")
    for attribute in _list(order.get("note_attributes")):
        value = str(attribute.get("value", "")) if _named(attribute, VISITOR_ATTRIBUTE) else ""
        if VISITOR_ID_PATTERN.match(value):
            keys.append(f"visitor:{value}")
    return keys


def _named(item: object, name: str) -> bool:
    return isinstance(item, dict) and item.get("name") == name


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _int(value: object) -> int:
    try:
        return max(0, min(int(value), 1_000_000))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _decimal(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal(10) ** 11 else None


def _time(value: object) -> datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    return parsed if parsed is not None and parsed.tzinfo else timezone.now()

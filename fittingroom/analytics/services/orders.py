"""Revenue attribution: order lines bought after a try-on, and refunds of them.

Direct: the line carries the widget's job id (a line-item property). Assisted: no job id, but
the same shopper (Shopify customer or the widget's visitor id) had a completed try-on of that
product in the ATTRIBUTION_WINDOW before ordering. Each (order, line) is recorded once and each
(refund, line) once, so redelivered webhooks change nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from fittingroom.accounts.models import Account
from fittingroom.analytics.models import AttributedLine, AttributedRefund
from fittingroom.generations.models import Generation

ATTRIBUTION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    product_id: str  # a product GID
    quantity: int
    amount: Decimal  # what the line cost, discounts taken off
    job_id: str  # the `_fitting_room_job` property, or ""


@dataclass(frozen=True)
class RefundLine:
    line_id: str
    quantity: int
    amount: Decimal


def order_attribute(
    *,
    account: Account,
    order_id: str,
    ordered_at: datetime,
    currency: str,
    lines: list[OrderLine],
    shopper_keys: list[str],
) -> int:
    """Record the order's lines that try-ons sold. A job id counts only when it names a
    generation of this account and that product. Returns how many lines were new."""
    rows = []
    for line in lines:
        generation_id, kind = _direct(account, line), AttributedLine.Kind.DIRECT
        if generation_id is None:
            generation_id = _assisting(account, line, ordered_at, shopper_keys)
            kind = AttributedLine.Kind.ASSISTED
        if generation_id is None:
            continue
        rows.append(
            AttributedLine(
                account=account,
                order_id=order_id,
                line_id=line.line_id,
                kind=kind,
                generation_id=generation_id,
                product_id=line.product_id,
                quantity=line.quantity,
                amount=line.amount,
                currency=currency[:3],
                ordered_at=ordered_at,
            )
        )
    with transaction.atomic():
        before = AttributedLine.objects.filter(account=account, order_id=order_id).count()
        AttributedLine.objects.bulk_create(rows, ignore_conflicts=True)
        after = AttributedLine.objects.filter(account=account, order_id=order_id).count()
    return after - before


def _direct(account: Account, line: OrderLine) -> str | None:
    if not line.job_id:
        return None
    found = Generation.objects.filter(
        account=account, id=line.job_id, product_id=line.product_id
    ).values_list("id", flat=True)
    return next(iter(found), None)


def _assisting(
    account: Account, line: OrderLine, ordered_at: datetime, shopper_keys: list[str]
) -> str | None:
    if not shopper_keys:
        return None
    found = (
        Generation.objects.filter(
            account=account,
            product_id=line.product_id,
            shopper_key__in=shopper_keys,
            status=Generation.Status.COMPLETED,
            created_at__gte=ordered_at - ATTRIBUTION_WINDOW,
            created_at__lte=ordered_at,
        )
        .order_by("-created_at")
        .values_list("id", flat=True)
    )
    return next(iter(found[:1]), None)


def refund_attribute(
    *,
    account: Account,
    order_id: str,
    refund_id: str,
    refunded_at: datetime,
    lines: list[RefundLine],
) -> int:
    """Record refunds of attributed lines (others are none of ours). Returns how many were new."""
    attributed = {
        line.line_id: line
        for line in AttributedLine.objects.filter(
            account=account, order_id=order_id, line_id__in=[line.line_id for line in lines]
        )
    }
    rows = [
        AttributedRefund(
            account=account,
            refund_id=refund_id,
            line=attributed[line.line_id],
            quantity=line.quantity,
            amount=line.amount,
            refunded_at=refunded_at,
        )
        for line in lines
        if line.line_id in attributed
    ]
    with transaction.atomic():
        before = AttributedRefund.objects.filter(account=account, refund_id=refund_id).count()
        AttributedRefund.objects.bulk_create(rows, ignore_conflicts=True)
        return (
            AttributedRefund.objects.filter(account=account, refund_id=refund_id).count() - before
        )

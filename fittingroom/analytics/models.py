"""Funnel events, their daily counters and the orders attributed to try-ons.

A shop is an account here, as everywhere in the core. Raw events are kept for
EVENT_RETENTION_DAYS; the daily counters and the attributed order lines are what the pages read,
and they stay.
"""

from django.db import models
from django.utils import timezone

from fittingroom.accounts.models import Account


class TrackingEvent(models.Model):
    """One widget event, stored once per (account, insert_id). No IP address and no e-mail:
    the shopper is their Shopify customer id or the widget's anonymous visitor id, or nobody."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    insert_id = models.CharField(max_length=64)
    name = models.CharField(max_length=64)
    known = models.BooleanField(help_text="A name of the documented list; others are kept.")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    shopper_key = models.CharField(max_length=100, blank=True)
    session_id = models.CharField(max_length=64, blank=True)
    product_id = models.CharField(max_length=100, blank=True)
    generation_id = models.CharField(max_length=32, blank=True)
    properties = models.JSONField(default=dict)
    context = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "insert_id"], name="analytics_event_once")
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.insert_id}"


class DailyCounter(models.Model):
    """How many events of one name a shop received on one UTC day, per product ('' = none)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    product_id = models.CharField(max_length=100, blank=True)
    event = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "product_id", "event"], name="analytics_counter_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.event} {self.product_id or '-'}: {self.count}"


class AttributedLine(models.Model):
    """An order line bought after a try-on: `direct` when it carried the widget's
    `_fitting_room_job` property, `assisted` when the same shopper tried the product on within
    the attribution window. One row per (account, order, line), whatever the redeliveries."""

    class Kind(models.TextChoices):
        DIRECT = "direct"
        ASSISTED = "assisted"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    order_id = models.CharField(max_length=32)
    line_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    generation_id = models.CharField(max_length=32)
    product_id = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    ordered_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "order_id", "line_id"], name="analytics_line_once"
            )
        ]
        indexes = [models.Index(fields=["account", "ordered_at"])]

    def __str__(self) -> str:
        return f"order {self.order_id} line {self.line_id} ({self.kind})"


class AttributedRefund(models.Model):
    """A refund of an attributed line; reduces its revenue. One row per (refund, line)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    refund_id = models.CharField(max_length=32)
    line = models.ForeignKey(AttributedLine, on_delete=models.CASCADE, related_name="refunds")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    refunded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "refund_id", "line"], name="analytics_refund_once"
            )
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id} of {self.line_id}"


class ShopAnalytics(Account):
    """The operators' view of one account's analytics in the Django admin (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "analytics per shop"
        verbose_name_plural = "analytics per shop"

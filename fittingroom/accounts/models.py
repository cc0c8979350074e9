from django.conf import settings
from django.db import models

from fittingroom.core.ids import new_public_id


def new_account_id() -> str:
    return new_public_id("acc")


class Account(models.Model):
    """One paying tenant: a Shopify shop or an API customer. Everything it owns points here."""

    class Kind(models.TextChoices):
        SHOP = "shop", "Shopify shop"
        API = "api", "API customer"

    id = models.CharField(primary_key=True, max_length=32, default=new_account_id, editable=False)
    name = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SHOP)
    catalog_source = models.CharField(
        max_length=32, default="demo", help_text="Where garment images come from (e.g. demo)."
    )
    engine = models.CharField(
        max_length=32, blank=True, help_text="Try-on engine; blank uses TRYON_ENGINE."
    )
    shopper_weekly_limit = models.PositiveIntegerField(default=settings.SHOPPER_WEEKLY_LIMIT)
    ip_weekly_limit = models.PositiveIntegerField(default=settings.IP_WEEKLY_LIMIT)
    quota_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Generations allowed per period; empty means no quota."
    )
    quota_used = models.PositiveIntegerField(default=0)
    quota_period_end = models.DateTimeField(null=True, blank=True)
    watermark_enabled = models.BooleanField(default=True)
    watermark_logo = models.ImageField(upload_to="logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

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
    credit_balance = models.IntegerField(
        default=0,
        help_text="Public-API credits; one per generation. Change it with the admin "
        "action (so the ledger records it), not by editing.",
    )
    watermark_enabled = models.BooleanField(default=True)
    # An identical try-on (same photo bytes, garment, variant, engine and options) is answered
    # from the earlier result while it is kept, free; off: every try-on is rendered anew.
    result_reuse_enabled = models.BooleanField(default=True)
    watermark_logo = models.ImageField(upload_to="logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class CreditLedgerEntry(models.Model):
    """Every movement of an account's credits: grants, a reservation per generation, refunds.
    The balance on Account is kept in step in the same transaction."""

    class Reason(models.TextChoices):
        GRANT = "grant", "Granted"
        GENERATION = "generation", "Generation"
        REFUND = "refund", "Refund of a failed generation"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="credit_entries")
    delta = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    generation_id = models.CharField(max_length=32, blank=True, db_index=True)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "credit ledger entries"
        constraints = [
            # One reservation and at most one refund per generation, whatever runs twice.
            models.UniqueConstraint(
                fields=["generation_id", "reason"],
                condition=~models.Q(generation_id=""),
                name="one_credit_movement_per_generation_and_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.delta:+d} {self.reason}"


class ApiKey(models.Model):
    """A public-API key. Only a SHA-256 of the secret is stored; the key is shown once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True, help_text="Shown to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account})"

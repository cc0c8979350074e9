from django.db import models

from fittingroom.accounts.models import Account


class ShopQuerySet(models.QuerySet):
    """Queryset writes that send no signal still invalidate the cached rows (shop_cache)."""

    def update(self, **kwargs):
        from shopify_integration.shop_cache import shop_cache_invalidate

        domains = list(self.values_list("domain", flat=True))
        updated = super().update(**kwargs)
        if "domain" in kwargs and isinstance(kwargs["domain"], str):
            domains.append(kwargs["domain"])
        shop_cache_invalidate(domains)
        return updated

    update.alters_data = True


class Shop(models.Model):
    """A Shopify store that installed the app; its tenant is `account`.

    Tokens are stored encrypted (see shopify_integration/tokens.py); never read the *_encrypted
    fields directly.
    """

    class Billing(models.TextChoices):
        ACTIVE = "active", "Active plan"
        NONE = "none", "No plan"
        PENDING = "pending", "Awaiting merchant approval"
        FROZEN = "frozen", "Frozen"
        CANCELLED = "cancelled", "Cancelled"

    domain = models.CharField(max_length=255, unique=True)
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="shop")
    is_installed = models.BooleanField(default=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)

    # Offline access: an expiring token and its refresh token (replaced on every refresh), or a
    # static token (custom apps, `shop_connect`) with no expiry.
    access_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=1000, blank=True)
    needs_reauth = models.BooleanField(
        default=False,
        help_text="The Admin API refused our token; the merchant must reopen the app.",
    )

    # Billing, synced from currentAppInstallation.activeSubscriptions.
    plan_name = models.CharField(max_length=100, blank=True)
    billing_status = models.CharField(max_length=16, choices=Billing.choices, default=Billing.NONE)
    subscription_id = models.CharField(max_length=255, blank=True)
    subscription_test = models.BooleanField(default=False)
    usage_line_item_id = models.CharField(max_length=255, blank=True)
    billing_synced_at = models.DateTimeField(null=True, blank=True)

    # Merchant settings.
    widget_product_tag = models.CharField(
        max_length=255, blank=True, help_text="Show the widget only on products with this tag."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShopQuerySet.as_manager()

    def __str__(self) -> str:
        return self.domain


class WebhookDelivery(models.Model):
    """One webhook received from Shopify; the unique id makes a redelivery a no-op."""

    webhook_id = models.CharField(max_length=255, unique=True)
    # X-Shopify-Event-Id: one event keeps it across retries (blank when Shopify sent none).
    event_id = models.CharField(max_length=255, blank=True, default="")
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255, db_index=True)
    api_version = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], condition=~models.Q(event_id=""), name="webhook_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id}"


class CustomerDataRequest(models.Model):
    """A `customers/data_request`: what we hold for that customer, kept for the merchant."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="data_requests")
    customer_id = models.CharField(max_length=30)
    data_request_id = models.CharField(max_length=30, blank=True)
    export = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.shop} customer {self.customer_id}"


class UsageCharge(models.Model):
    """An overage charge sent with appUsageRecordCreate; keyed by generation (idempotency)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="usage_charges")
    generation_id = models.CharField(max_length=32, unique=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    usage_record_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    charged_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.shop} {self.generation_id}"

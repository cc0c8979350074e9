from django.db import models

from fittingroom.accounts.models import Account


class Shop(models.Model):
    """A Shopify store that installed the app; its tenant is `account`."""

    class Billing(models.TextChoices):
        ACTIVE = "active", "Active plan"
        NONE = "none", "No plan"
        FROZEN = "frozen", "Frozen"
        CANCELLED = "cancelled", "Cancelled"

    domain = models.CharField(max_length=255, unique=True)
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="shop")
    is_installed = models.BooleanField(default=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    plan_name = models.CharField(max_length=100, blank=True)
    billing_status = models.CharField(max_length=16, choices=Billing.choices, default=Billing.NONE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.domain

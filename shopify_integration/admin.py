"""Operators' view of shops: plan, billing state, usage this period, install state. Billing
fields come from Shopify (the sync) and tokens are secrets: both are read-only or hidden here."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from fittingroom.core.admin import ReadOnlyModelAdmin
from shopify_integration.models import Shop, UsageCharge

HIDDEN = ("access_token_encrypted", "refresh_token_encrypted")


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = (
        "domain",
        "is_installed",
        "needs_reauth",
        "plan_name",
        "billing_status",
        "usage",
        "installed_at",
        "uninstalled_at",
    )
    list_filter = (
        "is_installed",
        "needs_reauth",
        "billing_status",
        "plan_name",
        "subscription_test",
    )
    search_fields = ("=domain", "domain", "account__name")
    list_select_related = ("account",)
    exclude = HIDDEN
    readonly_fields = (
        "account",
        "usage",
        "installed_at",
        "uninstalled_at",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "scopes",
        "plan_name",
        "billing_status",
        "subscription_id",
        "subscription_test",
        "usage_line_item_id",
        "billing_synced_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # shops come from installs, or `manage.py shop_connect`

    @admin.display(description="Used this period / quota")
    def usage(self, obj: Shop) -> str:
        account = obj.account
        running = account.quota_period_end is not None and account.quota_period_end > timezone.now()
        used = account.quota_used if running else 0
        if account.quota_limit is None:
            return f"{used} / no quota"
        share = round(100 * used / account.quota_limit) if account.quota_limit else 100
        return f"{used} / {account.quota_limit} ({share} %)"


@admin.register(UsageCharge)
class UsageChargeAdmin(ReadOnlyModelAdmin):
    """Overage charges sent to Shopify: written by the billing task only."""

    list_display = ("created_at", "shop", "generation_id", "price", "charged_at", "error")
    list_filter = (("charged_at", admin.EmptyFieldListFilter),)
    search_fields = ("=generation_id", "shop__domain")
    list_select_related = ("shop",)

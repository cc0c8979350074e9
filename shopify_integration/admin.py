from django.contrib import admin

from shopify_integration.models import Shop


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = (
        "domain",
        "is_installed",
        "plan_name",
        "billing_status",
        "quota",
        "installed_at",
        "uninstalled_at",
    )
    list_filter = ("is_installed", "billing_status", "plan_name")
    search_fields = ("domain",)
    list_select_related = ("account",)

    @admin.display(description="Quota used")
    def quota(self, obj: Shop) -> str:
        account = obj.account
        limit = "∞" if account.quota_limit is None else account.quota_limit
        return f"{account.quota_used} / {limit}"

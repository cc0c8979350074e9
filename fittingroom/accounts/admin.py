from django.contrib import admin

from fittingroom.accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "quota_used", "quota_limit", "quota_period_end", "created_at")
    list_filter = ("kind",)
    search_fields = ("id", "name")
    readonly_fields = ("id", "created_at")

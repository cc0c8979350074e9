"""Operators see each shop's funnel, revenue and conversion as merchants do (the same
selector), and the raw rows behind them, read-only."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from fittingroom.analytics.models import (
    AttributedLine,
    DailyCounter,
    ShopAnalytics,
    TrackingEvent,
)
from fittingroom.analytics.selectors import DAYS_DEFAULT, shop_analytics
from fittingroom.core.admin import ReadOnlyModelAdmin


@admin.register(ShopAnalytics)
class ShopAnalyticsAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "try_ons", "orders")
    search_fields = ("name",)
    fields = ("name", "funnel", "revenue", "conversion", "top_products")
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None  # the list opens; a row shows read-only

    def _analytics(self, obj: ShopAnalytics) -> dict:
        if not hasattr(obj, "_analytics_cache"):
            obj._analytics_cache = shop_analytics(account=obj, days=DAYS_DEFAULT)
        return obj._analytics_cache

    @admin.display(description=f"Try-ons ({DAYS_DEFAULT} days)")
    def try_ons(self, obj: ShopAnalytics) -> int:
        return self._analytics(obj)["funnel"]["generations"]

    @admin.display(description=f"Orders ({DAYS_DEFAULT} days)")
    def orders(self, obj: ShopAnalytics) -> int:
        return self._analytics(obj)["funnel"]["orders"]

    @admin.display(description=f"Funnel ({DAYS_DEFAULT} days)")
    def funnel(self, obj: ShopAnalytics) -> str:
        rows = self._analytics(obj)["funnel"].items()
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description="Revenue")
    def revenue(self, obj: ShopAnalytics) -> str:
        rows = [
            (r["currency"], r["directNet"], r["assisted"]) for r in self._analytics(obj)["revenue"]
        ]
        return format_html_join(mark_safe("<br>"), "{}: {} direct, {} assisted", rows) or "-"

    @admin.display(description="Added to cart: tried on / did not")
    def conversion(self, obj: ShopAnalytics) -> str:
        c = self._analytics(obj)["conversion"]
        return format_html("{} / {}", c["triedOnRate"], c["notTriedOnRate"])

    @admin.display(description="Top products")
    def top_products(self, obj: ShopAnalytics) -> str:
        rows = [
            (p["title"] or p["productId"], p["tryOns"], p["orders"])
            for p in self._analytics(obj)["topProducts"]
        ]
        return format_html_join(mark_safe("<br>"), "{}: {} try-ons, {} orders", rows) or "-"


@admin.register(DailyCounter)
class DailyCounterAdmin(ReadOnlyModelAdmin):
    list_display = ("day", "account", "event", "product_id", "count")
    list_filter = ("event", "day")
    search_fields = ("account__name", "product_id")


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyModelAdmin):
    list_display = ("occurred_at", "account", "name", "known", "product_id")
    list_filter = ("known", "name")
    search_fields = ("account__name", "insert_id")


@admin.register(AttributedLine)
class AttributedLineAdmin(ReadOnlyModelAdmin):
    list_display = ("ordered_at", "account", "order_id", "kind", "amount", "currency")
    list_filter = ("kind", "currency")
    search_fields = ("account__name", "order_id", "generation_id")

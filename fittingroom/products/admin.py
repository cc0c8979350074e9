from django.contrib import admin
from django.utils.html import format_html

from fittingroom.products.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "external_id",
        "thumbnail",
        "account",
        "kind",
        "category",
        "title",
        "last_used_at",
        "expires_at",
    )
    list_filter = ("kind", "category", "account")
    search_fields = ("external_id", "title")
    list_select_related = ("account",)
    readonly_fields = ("created_at", "updated_at", "last_used_at")

    @admin.display(description="Garment")
    def thumbnail(self, obj: Product) -> str:
        if not obj.images:
            return "—"
        # A client's URL: don't tell its host which admin page looked at it.
        return format_html(
            '<img src="{}" referrerpolicy="no-referrer" style="max-height:80px">', obj.images[0]
        )

from django.contrib import admin
from django.utils.html import format_html

from fittingroom.core.storage import signed_file_url
from fittingroom.images.models import PersonImage


@admin.register(PersonImage)
class PersonImageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "thumbnail",
        "account",
        "shopper_key",
        "width",
        "height",
        "size_bytes",
        "created_at",
        "expires_at",
    )
    list_filter = ("account",)
    search_fields = ("id", "shopper_key", "sha256")
    readonly_fields = (
        "id",
        "thumbnail",
        "image",
        "width",
        "height",
        "size_bytes",
        "sha256",
        "created_at",
    )
    list_select_related = ("account",)
    ordering = ("-created_at",)  # newest first

    @admin.display(description="Photo")
    def thumbnail(self, obj: PersonImage) -> str:
        if not obj.image:
            return "—"
        return format_html(
            '<img src="{}" style="max-height:80px">', signed_file_url(obj.image.name)
        )

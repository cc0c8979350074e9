from django.contrib import admin
from django.utils.html import format_html

from fittingroom.catalog import source_named
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.models import Generation

_THUMB = '<img src="{}" style="max-height:{}px;max-width:{}px;background:#eee">'


def _thumb(url: str | None, size: int) -> str:
    return format_html(_THUMB, url, size, size) if url else "—"


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "person_thumb",
        "garment_thumb",
        "result_thumb",
        "account",
        "engine",
        "error_code",
        "created_at",
        "duration",
    )
    list_filter = ("status", "engine", "account", "error_code", "created_at")
    search_fields = ("id", "shopper_key", "product_id", "variant_id")
    date_hierarchy = "created_at"
    list_select_related = ("account", "person_image")
    readonly_fields = [field.name for field in Generation._meta.fields] + [
        "person_thumb_large",
        "garment_thumb_large",
        "result_thumb_large",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Photo")
    def person_thumb(self, obj: Generation, size: int = 80) -> str:
        image = obj.person_image
        return _thumb(signed_file_url(image.image.name) if image and image.image else None, size)

    @admin.display(description="Garment")
    def garment_thumb(self, obj: Generation, size: int = 80) -> str:
        try:
            url = source_named(obj.catalog_source).preview_url(image_ref=obj.garment_image_ref)
        except KeyError:
            url = None
        return _thumb(url, size)

    @admin.display(description="Result")
    def result_thumb(self, obj: Generation, size: int = 80) -> str:
        return _thumb(signed_file_url(obj.result_image.name) if obj.result_image else None, size)

    @admin.display(description="Photo")
    def person_thumb_large(self, obj: Generation) -> str:
        return self.person_thumb(obj, 320)

    @admin.display(description="Garment")
    def garment_thumb_large(self, obj: Generation) -> str:
        return self.garment_thumb(obj, 320)

    @admin.display(description="Result")
    def result_thumb_large(self, obj: Generation) -> str:
        return self.result_thumb(obj, 320)

    @admin.display(description="Time")
    def duration(self, obj: Generation) -> str:
        if obj.finished_at is None:
            return "—"
        return f"{(obj.finished_at - obj.created_at).total_seconds():.1f} s"

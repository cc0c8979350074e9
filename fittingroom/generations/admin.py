"""Operators' view of generations: thumbnails, timings, error codes, and the three actions
(retry, refund, erase a shopper). The rules live in services/operators.py; this only asks and
reports."""

from collections import Counter
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from fittingroom.catalog import source_named
from fittingroom.core.storage import signed_file_url
from fittingroom.generations.admin_engines import engines_view
from fittingroom.generations.models import Generation
from fittingroom.generations.services.operators import (
    REFUNDED,
    RETRIED,
    generation_shoppers,
    generations_refund,
    generations_retry,
    shoppers_data_delete,
    shoppers_data_summary,
)

_THUMB = (
    '<img src="{}" alt="{}" loading="{}" class="fr-thumb" '
    'style="max-height:{}px;max-width:{}px;background:#eee">'
)
_MISSING = '<span class="fr-thumb-missing" title="{}">{}</span>'
SMALL, LARGE = 56, 320


def _thumb(url: str | None, size: int, *, alt: str, missing: str = "—") -> str:
    if not url:
        return format_html(_MISSING, missing, missing)
    # Lazy in the list (50 rows), eager on the change page (three images, all wanted).
    return format_html(_THUMB, url, alt, "lazy" if size == SMALL else "eager", size, size)


def _seconds(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return f"{(end - start).total_seconds():.1f} s"


def _outcome_text(outcomes: Counter[str], done: str, verb: str) -> tuple[str, int]:
    others = ", ".join(f"{n} {code}" for code, n in sorted(outcomes.items()) if code != done)
    text = f"{verb} {outcomes[done]} generation(s)."
    if others:
        text += f" Not {verb.lower()}: {others}."
    return text, messages.SUCCESS if not others else messages.WARNING


class RefundedFilter(admin.SimpleListFilter):
    title, parameter_name = "refunded", "refunded"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Refunded"), ("no", "Not refunded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(refunded_at__isnull=self.value() == "no")
        return queryset


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
        "timings",
    )
    list_filter = (
        "status",
        "engine",
        "account__kind",
        "account",
        "error_code",
        "created_at",
        RefundedFilter,
    )
    # Exact matches on ids and keys, so a search stays an index lookup on a large table.
    search_fields = ("=id", "=shopper_key", "=product_id", "=variant_id", "=account__name")
    search_help_text = "An exact generation id, shopper key (customer:…, visitor:…, ip:…), "
    search_help_text += "product or variant GID, or shop domain."
    date_hierarchy = "created_at"
    list_select_related = ("account", "person_image")
    list_per_page = 50
    ordering = ("-created_at",)  # newest first; Django adds -pk to break ties
    actions = ["retry_failed", "refund", "delete_shopper_data"]
    fieldsets = (
        (None, {"fields": ("person_thumb_large", "garment_thumb_large", "result_thumb_large")}),
        (
            "Status",
            {"fields": ("id", "status", "error_code", "error_message", "engine", "attempts")},
        ),
        (
            "Timings",
            {
                "fields": (
                    "created_at",
                    "started_at",
                    "finished_at",
                    "deadline_at",
                    "wait",
                    "render",
                    "total",
                )
            },
        ),
        ("Shopper", {"fields": ("account", "shopper_key", "client_ip", "person_image")}),
        (
            "Garment",
            {"fields": ("catalog_source", "product_id", "variant_id", "garment_title")},
        ),
        (
            "Charging",
            {
                "fields": (
                    "quota_period_end",
                    "credit_charged",
                    "counts_toward_limit",
                    "refunded_at",
                    "retry_of",
                    "retried_as_link",
                )
            },
        ),
        (
            "Provider and output",
            {"fields": ("provider_job_id", "polls", "watermark", "keep_for_days", "expires_at")},
        ),
    )

    def get_urls(self) -> list:
        engines = self.admin_site.admin_view(lambda request: engines_view(self, request))
        return [
            path("engines/", engines, name="generations_generation_engines"),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Generation | None = None) -> list:
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Rows are what usage and billing are counted from: erase a shopper instead.
        return False

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("generations.delete_generation")

    # --- thumbnails -----------------------------------------------------------------------

    def _person_url(self, obj: Generation, *, check_file: bool) -> tuple[str | None, str]:
        image = obj.person_image
        if image is None:
            return None, "deleted"
        if not image.image or image.expires_at <= timezone.now():
            return None, "expired"
        if check_file and not default_storage.exists(image.image.name):
            return None, "file missing"
        return signed_file_url(image.image.name), ""

    def _result_url(self, obj: Generation, *, check_file: bool) -> tuple[str | None, str]:
        if not obj.result_image:
            expired = obj.status == Generation.Status.COMPLETED
            return None, "expired" if expired else "—"
        if check_file and not default_storage.exists(obj.result_image.name):
            return None, "file missing"
        return signed_file_url(obj.result_image.name), ""

    def _garment_url(self, obj: Generation) -> str | None:
        try:
            return source_named(obj.catalog_source).preview_url(image_ref=obj.garment_image_ref)
        except KeyError:
            return None

    @admin.display(description="Photo")
    def person_thumb(self, obj: Generation, size: int = SMALL) -> str:
        url, missing = self._person_url(obj, check_file=size == LARGE)
        return _thumb(url, size, alt="Shopper's photo", missing=missing)

    @admin.display(description="Garment")
    def garment_thumb(self, obj: Generation, size: int = SMALL) -> str:
        return _thumb(self._garment_url(obj), size, alt="Garment", missing="no preview")

    @admin.display(description="Result")
    def result_thumb(self, obj: Generation, size: int = SMALL) -> str:
        url, missing = self._result_url(obj, check_file=size == LARGE)
        return _thumb(url, size, alt="Try-on result", missing=missing)

    @admin.display(description="Photo")
    def person_thumb_large(self, obj: Generation) -> str:
        return self.person_thumb(obj, LARGE)

    @admin.display(description="Garment")
    def garment_thumb_large(self, obj: Generation) -> str:
        return self.garment_thumb(obj, LARGE)

    @admin.display(description="Result")
    def result_thumb_large(self, obj: Generation) -> str:
        return self.result_thumb(obj, LARGE)

    # --- timings ----------------------------------------------------------------------------

    @admin.display(description="Queued")
    def wait(self, obj: Generation) -> str:
        """From creation to the (last) start of rendering."""
        return _seconds(obj.created_at, obj.started_at)

    @admin.display(description="Render")
    def render(self, obj: Generation) -> str:
        return _seconds(obj.started_at, obj.finished_at)

    @admin.display(description="Total", ordering="finished_at")
    def total(self, obj: Generation) -> str:
        return _seconds(obj.created_at, obj.finished_at)

    @admin.display(description="Queued · render · total", ordering="finished_at")
    def timings(self, obj: Generation) -> str:
        # One column rather than three, so the list fits a 1280 px screen.
        return " · ".join((self.wait(obj), self.render(obj), self.total(obj)))

    @admin.display(description="Retried as")
    def retried_as_link(self, obj: Generation) -> str:
        retry = Generation.objects.filter(retry_of=obj).values_list("id", flat=True).first()
        if retry is None:
            return "—"
        url = reverse("admin:generations_generation_change", args=[retry])
        return format_html('<a href="{}">{}</a>', url, retry)

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="Retry the selected failed generations", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        text, level = _outcome_text(generations_retry(generation_ids=ids), RETRIED, "Retried")
        self.message_user(request, text, level)

    @admin.action(description="Refund the selected generations", permissions=["change"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Generation]) -> None:
        ids = list(queryset.values_list("id", flat=True))
        text, level = _outcome_text(generations_refund(generation_ids=ids), REFUNDED, "Refunded")
        self.message_user(request, text, level)

    @admin.action(
        description="Delete all data of the selected generations' shoppers…",
        permissions=["erase"],
    )
    def delete_shopper_data(
        self, request: HttpRequest, queryset: QuerySet[Generation]
    ) -> TemplateResponse | None:
        ids = list(queryset.values_list("id", flat=True))
        shoppers = generation_shoppers(generation_ids=ids)
        if not shoppers:
            self.message_user(request, "No shopper data left to delete.", messages.WARNING)
            return None
        if request.POST.get("post") == "yes":
            totals = shoppers_data_delete(shoppers=shoppers)
            self.message_user(
                request,
                f"Deleted the data of {totals['shoppers']} shopper(s): "
                f"{totals['person_images']} photo(s), {totals['results']} result image(s); "
                f"{totals['generations']} generation(s) anonymised.",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete all data of these shoppers?",
            "opts": self.model._meta,
            "summary": shoppers_data_summary(shoppers=shoppers),
            "generation_ids": ids,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/generations/generation/delete_shopper_data.html", context
        )

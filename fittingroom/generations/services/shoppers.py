"""What we hold for one shopper, or one account, and how it is exported or erased.

Privacy requests (Shopify's compliance webhooks, or any future platform's) call these. Photos and
rendered results are personal data and go; generation rows stay, anonymised, because they are
what usage, quotas and billing were counted from.
"""

from django.db.models import QuerySet
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.generations.models import Generation
from fittingroom.generations.services.lifecycle import generation_fail
from fittingroom.images.models import PersonImage
from fittingroom.images.services import person_image_delete
from fittingroom.limits.shoppers import REDACTED_SHOPPER_KEY

REDACTED_IP = "0.0.0.0"  # noqa: S104 - a placeholder address, not a bind address
_IMAGE_FIELDS = ("id", "created_at", "expires_at", "width", "height", "sha256")
_GENERATION_FIELDS = ("id", "status", "product_id", "variant_id", "created_at", "error_code")


def shopper_data_export(*, account: Account, shopper_key: str) -> dict:
    """Everything the account holds about one shopper, as JSON-ready data (dates in ISO 8601):
    `{"shopper_key", "person_images": [...], "generations": [...]}`. Metadata only: no image
    bytes and no file names."""
    images = PersonImage.objects.filter(account=account, shopper_key=shopper_key)
    generations = Generation.objects.filter(account=account, shopper_key=shopper_key)
    return {
        "shopper_key": shopper_key,
        "person_images": _rows(images.order_by("created_at"), _IMAGE_FIELDS),
        "generations": _rows(generations.order_by("created_at"), _GENERATION_FIELDS),
    }


def _rows(queryset: QuerySet, fields: tuple[str, ...]) -> list[dict]:
    return [
        {key: _json_value(value) for key, value in row.items()} for row in queryset.values(*fields)
    ]


def _json_value(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def shopper_data_delete(*, account: Account, shopper_key: str) -> dict[str, int]:
    """Erase one shopper: their photos (file and row) and their try-on results (files) are
    deleted; their generation rows are kept for usage counts but anonymised (shopper key, client
    address, result and photo links cleared). Unfinished try-ons are failed (and refunded) first,
    so none of them can store a result afterwards.

    Returns how many photos, results and generations were affected. Idempotent: a second call
    finds nothing left and returns zeros.
    """
    generations = Generation.objects.filter(account=account, shopper_key=shopper_key)
    _fail_unfinished(generations)
    _shared_and_tracked_delete(account=account, shopper_key=shopper_key)
    results = _delete_files(generations, "result_image")
    images = list(PersonImage.objects.filter(account=account, shopper_key=shopper_key))
    for person_image in images:
        person_image_delete(person_image=person_image)
    anonymised = generations.update(
        shopper_key=REDACTED_SHOPPER_KEY,
        client_ip=REDACTED_IP,
        result_image="",
        person_image=None,
        updated_at=timezone.now(),
    )
    return {"person_images": len(images), "results": results, "generations": anonymised}


def _shared_and_tracked_delete(*, account: Account, shopper_key: str) -> int:
    """The shopper's share links (with their image copies) and raw funnel events go too."""
    from fittingroom.analytics.services import shopper_events_delete
    from fittingroom.sharing.services import share_links_delete, share_links_of_generations

    generations = Generation.objects.filter(account=account, shopper_key=shopper_key)
    shopper_events_delete(account=account, shopper_key=shopper_key)
    return share_links_delete(links=share_links_of_generations(generations))


def _fail_unfinished(generations: QuerySet[Generation]) -> None:
    unfinished = generations.filter(
        status__in=[Generation.Status.PENDING, Generation.Status.PROCESSING]
    ).values_list("id", flat=True)
    for generation_id in list(unfinished):
        generation_fail(
            generation_id=generation_id,
            code="SHOPPER_DATA_DELETED",
            message="The shopper's data was deleted before the try-on finished.",
        )


def account_data_delete(*, account: Account) -> None:
    """Delete every file the account stored (photos, results, watermark logo), then the account
    itself, which cascades to everything it owns. Files go first: if this stops half-way, the
    rows that point to the remaining files are still there for a second call to find.
    Idempotent: calling it again for an account already deleted does nothing."""
    _delete_files(PersonImage.objects.filter(account=account), "image")
    _delete_files(_share_links_of(account), "image")
    _delete_files(Generation.objects.filter(account=account), "result_image")
    _delete_files(Account.objects.filter(id=account.id), "watermark_logo")
    Account.objects.filter(id=account.id).delete()


def _share_links_of(account: Account) -> QuerySet:
    from fittingroom.sharing.models import ShareLink

    return ShareLink.objects.filter(account=account)


def _delete_files(queryset: QuerySet, field_name: str) -> int:
    """Delete the stored files that `field_name` of these rows names; returns how many."""
    storage = queryset.model._meta.get_field(field_name).storage
    names = queryset.exclude(**{field_name: ""}).values_list(field_name, flat=True)
    count = 0
    for name in names.iterator():
        storage.delete(name)  # a file already gone is not an error
        count += 1
    return count

"""Result reuse: a try-on identical to one already rendered is answered from its result.

Identical means the same photo bytes (the normalised photo's sha256), the same garment image
and variant, the same engine and the same output options, with the earlier result COMPLETED
and still inside its retention. The new generation is COMPLETED at once with a copy of that
result (its own file, so each keeps its own retention and redaction): no engine call, no
credit, no quota, no weekly-limit slot. Only within one account; an account can turn it off.
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.catalog import Garment
from fittingroom.generations.models import Generation
from fittingroom.generations.services.draft import generation_draft
from fittingroom.images.models import PersonImage
from fittingroom.limits.shoppers import Shopper


def reusable_generation(
    *, account: Account, person_image: PersonImage, garment: Garment, watermark: bool
) -> Generation | None:
    """The newest kept result of an identical try-on, or None (also when reuse is off)."""
    if not account.result_reuse_enabled or not person_image.sha256:
        return None
    return (
        Generation.objects.filter(
            account=account,
            person_image__sha256=person_image.sha256,
            status=Generation.Status.COMPLETED,
            garment_image_ref=garment.image_ref,
            product_id=garment.product_id,
            variant_id=garment.variant_id,
            garment_category=garment.category,
            engine=account.engine or settings.TRYON_ENGINE,
            watermark=watermark,
            expires_at__gt=timezone.now(),
        )
        .exclude(result_image="")
        .only("id", "result_image", "engine")
        .order_by("-created_at")
        .first()
    )


def generation_reuse(
    *,
    source: Generation,
    account: Account,
    shopper: Shopper,
    person_image: PersonImage,
    garment: Garment,
    catalog_source: str,
    watermark: bool,
    keep_for_days: int,
) -> Generation | None:
    """A COMPLETED generation carrying a copy of `source`'s result; None if that result is
    gone meanwhile (expired between the lookup and the copy): then render as usual."""
    try:
        with source.result_image.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError):
        return None
    now = timezone.now()
    generation = generation_draft(
        account=account,
        shopper=shopper,
        person_image=person_image,
        garment=garment,
        catalog_source=catalog_source,
        watermark=watermark,
        keep_for_days=keep_for_days,
        now=now,
        engine=source.engine,
        status=Generation.Status.COMPLETED,
        reused=True,
        counts_toward_limit=False,
        started_at=now,
        finished_at=now,
        deadline_at=now,
    )
    generation.result_image.save("result.jpg", ContentFile(content), save=False)
    generation.save(force_insert=True)
    return generation

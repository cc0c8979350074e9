from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.accounts.services import account_credit_reserve, account_quota_consume
from fittingroom.catalog import Garment
from fittingroom.core.db import insert
from fittingroom.engines.routing import engine_preferred
from fittingroom.generations.dispatch import render_enqueue
from fittingroom.generations.models import Generation
from fittingroom.generations.services.draft import generation_draft
from fittingroom.generations.services.reuse import generation_reuse, reusable_generation
from fittingroom.images.models import PersonImage
from fittingroom.images.services import person_image_usable_check
from fittingroom.limits.services import shopper_limits_check
from fittingroom.limits.shoppers import Shopper

KEEP_FOR_DAYS_CHOICES = (1, 3, 7)
DEFAULT_KEEP_FOR_DAYS = 7


@transaction.atomic
def generation_create(
    *,
    account: Account,
    shopper: Shopper,
    person_image: PersonImage,
    garment: Garment,
    catalog_source: str,
    watermark: bool = True,
    keep_for_days: int = DEFAULT_KEEP_FOR_DAYS,
    photo_path: str = "userImageId",
) -> Generation:
    """Check the photo, the shopper's weekly limits and the account's quota, insert the PENDING
    generation and enqueue its rendering once the transaction commits.

    All or nothing: PHOTO_REJECTED (first, before any limit is looked at), RATE_LIMIT_EXCEEDED,
    QUOTA_EXCEEDED or INSUFFICIENT_CREDITS leave no row and no charge. An identical earlier
    try-on's kept result answers at once, free (services/reuse.py).
    """
    person_image_usable_check(person_image=person_image, path=photo_path)
    source = reusable_generation(
        account=account, person_image=person_image, garment=garment, watermark=watermark
    )
    if source is not None:
        reused = generation_reuse(
            source=source,
            account=account,
            shopper=shopper,
            person_image=person_image,
            garment=garment,
            catalog_source=catalog_source,
            watermark=watermark,
            keep_for_days=keep_for_days,
        )
        if reused is not None:
            return reused
    if account.kind == Account.Kind.SHOP:
        shopper_limits_check(account=account, shopper=shopper)
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
        engine=engine_preferred(account_engine=account.engine),
        deadline_at=now + timedelta(seconds=settings.GENERATION_DEADLINE_SECONDS),
    )
    _charge(account, generation)
    insert(generation)
    _enqueue_on_commit(generation.id)
    return generation


def _enqueue_on_commit(generation_id: str) -> None:
    # Robust: if the broker is down the job is still accepted (its row is committed); the
    # reaper re-enqueues a PENDING job whose message never left.
    transaction.on_commit(lambda: render_enqueue(generation_id), robust=True)


def _charge(account: Account, generation: Generation) -> None:
    """Public-API accounts pay a credit per generation; shops use their period quota."""
    if account.kind == Account.Kind.API:
        account_credit_reserve(account=account, generation_id=generation.id)
        generation.credit_charged = True
    else:
        generation.quota_period_end = account_quota_consume(account=account)

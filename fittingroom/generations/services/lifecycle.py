"""Status moves and refunds. Every step is a compare-and-set on status, so running any of them
twice (a redelivered task, the reaper racing a worker) changes nothing the second time."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fittingroom.accounts.services import account_credit_refund, account_quota_release
from fittingroom.generations.dispatch import poll_enqueue, render_enqueue
from fittingroom.generations.events import generation_changed
from fittingroom.generations.models import Generation

logger = logging.getLogger(__name__)
Status = Generation.Status


def _abandoned(now: datetime) -> Q:
    """A local render whose worker died: PROCESSING, no provider job, lease run out."""
    lease = timedelta(seconds=settings.GENERATION_RENDER_LEASE_SECONDS)
    return Q(status=Status.PROCESSING, provider_job_id="", started_at__lte=now - lease)


def generation_claim(*, generation_id: str) -> Generation | None:
    """PENDING → PROCESSING (or take over an abandoned render). Returns the claimed generation,
    or None when someone else has it, it is finished, or it has used all its attempts."""
    now = timezone.now()
    claimed = (
        Generation.objects.filter(
            id=generation_id, deadline_at__gt=now, attempts__lt=settings.GENERATION_MAX_ATTEMPTS
        )
        .filter(Q(status=Status.PENDING) | _abandoned(now))
        .update(
            status=Status.PROCESSING, started_at=now, updated_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return None
    generation_changed(generation_id=generation_id)
    return Generation.objects.select_related("person_image", "account").get(id=generation_id)


def generation_release(*, generation_id: str) -> bool:
    """PROCESSING → PENDING, so a step that hit a transient provider failure can be retried."""
    return bool(
        Generation.objects.filter(id=generation_id, status=Status.PROCESSING).update(
            status=Status.PENDING, updated_at=timezone.now()
        )
    )


def generation_complete(*, generation: Generation, result_jpeg: bytes) -> bool:
    """Store the result and mark COMPLETED. False (and the file removed) if the generation was
    no longer PROCESSING, e.g. the reaper failed it past its deadline meanwhile."""
    field = generation.result_image
    field.save("result.jpg", ContentFile(result_jpeg), save=False)
    now = timezone.now()
    done = Generation.objects.filter(id=generation.id, status=Status.PROCESSING).update(
        status=Status.COMPLETED, result_image=field.name, finished_at=now, updated_at=now
    )
    if not done:
        field.storage.delete(field.name)
    else:
        generation_changed(generation_id=generation.id)
    return bool(done)


@transaction.atomic
def generation_fail(*, generation_id: str, code: str, message: str) -> bool:
    """Mark an unfinished generation FAILED with a stable code and refund it, exactly once."""
    now = timezone.now()
    failed = Generation.objects.filter(
        id=generation_id, status__in=[Status.PENDING, Status.PROCESSING]
    ).update(
        status=Status.FAILED,
        error_code=code,
        error_message=message[:500],
        finished_at=now,
        updated_at=now,
    )
    if failed:
        generation_refund(generation_id=generation_id)
        generation_changed(generation_id=generation_id)
    return bool(failed)


def generation_refund(*, generation_id: str) -> bool:
    """Give back the quota and the shopper's weekly slot. The refunded_at compare-and-set makes a
    second call a no-op."""
    refunded = Generation.objects.filter(id=generation_id, refunded_at__isnull=True).update(
        refunded_at=timezone.now(), counts_toward_limit=False
    )
    if not refunded:
        return False
    generation = Generation.objects.only("account_id", "quota_period_end", "credit_charged").get(
        id=generation_id
    )
    if generation.credit_charged:
        account_credit_refund(account_id=generation.account_id, generation_id=generation_id)
    if generation.quota_period_end is not None:
        account_quota_release(
            account_id=generation.account_id, period_end=generation.quota_period_end
        )
    return True


def generations_reap() -> dict[str, int]:
    """Periodic: fail what passed its deadline; re-enqueue PENDING jobs and hosted-job polls
    whose message was lost (nothing touched them for GENERATION_REDRIVE_AFTER_SECONDS)."""
    now = timezone.now()
    expired = Generation.objects.filter(
        status__in=[Status.PENDING, Status.PROCESSING], deadline_at__lte=now
    ).values_list("id", flat=True)
    failed = sum(
        generation_fail(
            generation_id=generation_id,
            code="ENGINE_TIMEOUT",
            message="The try-on took too long and was stopped.",
        )
        for generation_id in list(expired[:500])
    )
    stale = now - timedelta(seconds=settings.GENERATION_REDRIVE_AFTER_SECONDS)
    live = Generation.objects.filter(updated_at__lte=stale, deadline_at__gt=now)
    lost = list(live.filter(status=Status.PENDING).values_list("id", flat=True)[:500])
    for generation_id in lost:
        render_enqueue(generation_id)
    abandoned = list(
        Generation.objects.filter(_abandoned(now), deadline_at__gt=now).values_list(
            "id", flat=True
        )[:500]
    )
    for generation_id in abandoned:
        render_enqueue(generation_id)
    lost += abandoned
    unpolled = list(
        live.filter(status=Status.PROCESSING)
        .exclude(provider_job_id="")
        .values_list("id", flat=True)[:500]
    )
    for generation_id in unpolled:
        poll_enqueue(generation_id)
    if failed or lost or unpolled:
        logger.info(
            "reaper: %d failed, %d re-enqueued, %d polls re-driven",
            failed,
            len(lost),
            len(unpolled),
        )
    return {"failed": failed, "redriven": len(lost) + len(unpolled)}

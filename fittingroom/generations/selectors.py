"""Reads of generations."""

import base64
import binascii
import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.core.db import column, columns, fetch_instance, table
from fittingroom.core.errors import ApplicationError, ValidationFailed
from fittingroom.core.ids import looks_like_public_id
from fittingroom.generations.models import Generation


class GenerationNotFound(ApplicationError):
    code, status, message = "GENERATION_NOT_FOUND", 404, "Generation not found."


# What a status answer shows: the widget polls this, and the row has some thirty columns.
STATUS_FIELDS = (
    "id",
    "account_id",
    "status",
    "result_image",
    "error_code",
    "error_message",
    "reused",
    "created_at",
    "updated_at",
)


def generation_get(*, account_id: str, generation_id: str) -> Generation:
    """One indexed read of the status fields; another account's generation is simply not
    found. By account id: the caller need not have read the account.

    The statement is built once and prepared: this is the read every widget polls, and compiling
    the equivalent queryset cost more CPU than the round trip."""
    if not looks_like_public_id(generation_id, "gen"):
        raise GenerationNotFound()
    generation = fetch_instance(
        Generation, STATUS_FIELDS, _status_statement(), [generation_id, account_id]
    )
    if generation is None:
        raise GenerationNotFound()
    return generation


@functools.cache
def _status_statement() -> str:
    """The SELECT of the status fields by id and account."""
    # Names from the model's metadata, quoted; the values are parameters.
    where = f"{column(Generation, 'id', 'g')} = %s AND {column(Generation, 'account', 'g')} = %s"
    selected = columns(Generation, STATUS_FIELDS, "g")
    return f"SELECT {selected} FROM {table(Generation)} g WHERE {where}"  # noqa: S608


class GenerationForbidden(ApplicationError):
    code, status, message = "FORBIDDEN", 403, "This generation belongs to another account."


def generation_get_or_forbidden(*, account: Account, generation_id: str) -> Generation:
    """The account's generation, for the public API. Unlike `generation_get`, another account's
    is FORBIDDEN (403) rather than not found: that is the public API's contract, and ids are
    unguessable. An unknown id is GENERATION_NOT_FOUND (404)."""
    if "\x00" in generation_id:  # no id holds one, and PostgreSQL refuses to compare it
        raise GenerationNotFound()
    generation = Generation.objects.filter(id=generation_id).first()
    if generation is None:
        raise GenerationNotFound()
    if generation.account_id != account.id:
        raise GenerationForbidden()
    return generation


@dataclass(frozen=True)
class GenerationPage:
    generations: list[Generation]
    next_cursor: str | None  # None on the last page


def generations_page(
    *, account: Account, limit: int, cursor: str | None = None, status: str | None = None
) -> GenerationPage:
    """One page of the account's generations, newest first, optionally of one status. `cursor`
    is the `next_cursor` of the previous page; a malformed one raises VALIDATION_FAILED.

    Ordered by `created_at`, then `id`: a total order, so rows created in the same microsecond
    are neither skipped nor repeated."""
    generations = Generation.objects.filter(account=account).order_by("-created_at", "-id")
    if status:
        generations = generations.filter(status=status)
    if cursor:
        created_at, last_id = _cursor_decode(cursor)
        generations = generations.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=last_id)
        )
    rows = list(generations[: limit + 1])
    if len(rows) <= limit:
        return GenerationPage(generations=rows, next_cursor=None)
    return GenerationPage(generations=rows[:limit], next_cursor=_cursor_encode(rows[limit - 1]))


def _cursor_encode(generation: Generation) -> str:
    raw = json.dumps([generation.created_at.isoformat(), generation.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, last_id = json.loads(raw)
        position = datetime.fromisoformat(created_at), last_id
    except (binascii.Error, ValueError, TypeError) as error:
        raise _bad_cursor() from error
    # Only what _cursor_encode writes: an aware time and a generation id (never NUL, which
    # PostgreSQL refuses to compare).
    if position[0].tzinfo is None or not isinstance(last_id, str) or "\x00" in last_id:
        raise _bad_cursor()
    return position


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        details=[{"path": "cursor", "message": "Not a cursor this API returned."}]
    )


TYPICAL_SECONDS_CACHE = 300  # the estimate may lag five minutes; it is read on every page view


def generation_typical_seconds(*, account: Account, sample: int = 20) -> float | None:
    """The median time from request to result of the account's last `sample` completed
    try-ons of the past week, in seconds (what a shopper waits); None before the first one.
    For the widget's progress estimate; cached per account."""

    def compute() -> float:
        recent = Generation.objects.filter(
            account=account, created_at__gt=timezone.now() - timedelta(days=7)
        )
        return _median_seconds(recent, start="created_at", sample=sample)

    key = f"generations:typical-seconds:{account.id}"
    return cache.get_or_set(key, compute, TYPICAL_SECONDS_CACHE) or None


ENGINE_SECONDS_CACHE = 60


def engine_typical_seconds(*, engine: str, sample: int = 50) -> float | None:
    """The median time a hosted engine took, from our start to the stored result, over its last
    `sample` completed try-ons of the past day; None without history. For when to poll."""

    def compute() -> float:
        recent = Generation.objects.filter(
            engine=engine,
            created_at__gt=timezone.now() - timedelta(days=1),
            started_at__isnull=False,
        )
        return _median_seconds(recent, start="started_at", sample=sample)

    key = f"generations:engine-seconds:{engine}"
    seconds = cache.get(key)
    if seconds is None:
        seconds = compute()
        # "No history" is kept briefly, so the first results of a fresh engine count at once.
        cache.set(key, seconds, ENGINE_SECONDS_CACHE if seconds else 5)
    return seconds or None


def _median_seconds(generations: QuerySet[Generation], *, start: str, sample: int) -> float:
    rows = (
        generations.filter(status=Generation.Status.COMPLETED, finished_at__isnull=False)
        .order_by("-created_at")
        .values_list(start, "finished_at")[:sample]
    )
    durations = sorted((finished - started).total_seconds() for started, finished in rows)
    if not durations:
        return 0.0
    middle = len(durations) // 2
    if len(durations) % 2:
        return durations[middle]
    return (durations[middle - 1] + durations[middle]) / 2


@dataclass(frozen=True)
class EngineHour:
    """An engine's generations finished in the last hour: how many, and its median time
    from start to result (None without a completed one)."""

    completed: int
    failed: int
    p50_seconds: float | None


def engine_last_hour(*, engine: str, sample: int = 1000) -> EngineHour:
    """For the operators' engines page: one engine's last hour, from our own records."""
    finished = Generation.objects.filter(
        engine=engine,
        finished_at__gte=timezone.now() - timedelta(hours=1),
        started_at__isnull=False,
    )
    counts = dict(
        finished.filter(status__in=[Generation.Status.COMPLETED, Generation.Status.FAILED])
        .values_list("status")
        .annotate(n=Count("id"))
    )
    median = _median_seconds(finished, start="started_at", sample=sample)
    return EngineHour(
        completed=counts.get(Generation.Status.COMPLETED, 0),
        failed=counts.get(Generation.Status.FAILED, 0),
        p50_seconds=median or None,
    )

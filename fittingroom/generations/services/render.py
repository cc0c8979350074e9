"""Rendering a generation: the bodies of the worker tasks.

Local and synchronous engines render in one step. Hosted job engines are submitted, and then
polled by short tasks scheduled with a countdown, so a worker never sleeps on a provider and one
process carries hundreds of generations in flight. Every step returns what should happen next;
the tasks only schedule it.

The pipeline never names a provider: it asks the engine for its limits (jobs in flight,
submits a minute, status calls, webhooks), routes the job along TRYON_ENGINES by circuit
state, and reacts to the class of what the engine raised:

- ``EngineAtCapacity``: the job waits for a slot, its attempt given back;
- ``EngineUnavailable``: retried with backoff up to GENERATION_MAX_ATTEMPTS (an outage: it
  counts toward the engine's circuit breaker, and a retry may go to the next engine);
- ``EngineJobFailed``: the provider failed the job and says it is worth retrying: a new job
  is submitted with backoff, within the deadline;
- any other ``GenerationFailure``: FAILED with its code, refunded.

A generation is charged once, at creation, whatever engine finishes it; a provider job once
submitted is only ever polled, never submitted again, unless the provider failed it.
"""

import io
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone
from PIL import Image

from fittingroom.core.failures import GenerationFailure
from fittingroom.core.ratebucket import bucket_take, window_done, window_take
from fittingroom.engines import engine_limits, get_engine
from fittingroom.engines.base import (
    EngineAtCapacity,
    EngineError,
    EngineJobFailed,
    EngineUnavailable,
    HostedJobEngine,
)
from fittingroom.engines.breaker import engine_record
from fittingroom.engines.capacity import slot_acquire, slot_release
from fittingroom.engines.routing import engine_route
from fittingroom.generations.models import Generation
from fittingroom.generations.services.garments import garment_image_open, garment_png
from fittingroom.generations.services.hosted import (
    poll_delay,
    result_image,
    submitted_job,
    submitted_key,
    webhook_url,
)
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
    generation_release,
)
from fittingroom.generations.services.watermark import watermark_apply

logger = logging.getLogger(__name__)
Status = Generation.Status
SLOT_WAIT = (0.5, 1.5)  # seconds, at random, before a job that found no slot looks again
# A status call is counted from when its answer came back (the provider saw it before that),
# and in a window a little longer than the provider's, for the clocks' sakes.
POLL_WINDOW_MARGIN = 0.25


class PersonImageGone(GenerationFailure):
    code = "USER_IMAGE_NOT_FOUND"
    message = "The photo was deleted before the try-on ran."


@dataclass(frozen=True)
class Next:
    """What the task should do after a step: nothing, poll the provider, or retry the step."""

    poll_in: float | None = None
    retry_in: float | None = None


DONE = Next()


def generation_render(*, generation_id: str) -> Next:
    """Route, take a provider slot, claim a PENDING generation and render it (sync engines)
    or submit it (hosted job engines). Any failure ends FAILED with a stable code and a
    refund; a transient one puts it back to PENDING and asks for a retry."""
    row = Generation.objects.filter(id=generation_id).values_list("engine", "status").first()
    if row is None or row[1] not in (Status.PENDING, Status.PROCESSING):
        return DONE
    # Only a job that has not started may change engine; a taken-over render keeps its own.
    engine = _route(generation_id, row[0]) if row[1] == Status.PENDING else row[0]
    limits = engine_limits(engine)
    if limits.max_in_flight and not slot_acquire(
        engine=engine,
        job=generation_id,
        cap=limits.max_in_flight,
        lease=settings.GENERATION_DEADLINE_SECONDS,
    ):
        return Next(retry_in=random.uniform(*SLOT_WAIT))
    wait = _submit_wait(engine, limits.submits_per_minute)
    generation = None if wait else generation_claim(generation_id=generation_id)
    if generation is None:
        _slot_free(engine, generation_id)
        return Next(retry_in=wait) if wait else DONE
    return _guarded(generation, lambda: _start(generation))


def generation_poll(*, generation_id: str) -> Next:
    """Ask the provider about a submitted generation; finish it when its result is there."""
    generation = (
        Generation.objects.select_related("account")
        .filter(id=generation_id, status=Status.PROCESSING)
        .exclude(provider_job_id="")
        .first()
    )
    if generation is None:
        return DONE
    polls = engine_limits(generation.engine).polls
    window, token = f"engine:{generation.engine}:status", None
    seconds = polls[1] + POLL_WINDOW_MARGIN if polls else 0.0
    if polls:  # the provider's status limit holds across every worker
        wait, token = window_take(name=window, limit=polls[0], seconds=seconds)
        if wait:
            return Next(poll_in=wait)
    Generation.objects.filter(id=generation.id).update(
        polls=F("polls") + 1, updated_at=timezone.now()
    )

    def answered() -> None:
        if token is not None:
            window_done(name=window, token=token, seconds=seconds)

    return _guarded(generation, lambda: _poll(generation, answered), step_kind="poll")


def _submit_wait(engine: str, per_minute: int | None) -> float:
    """Seconds until the engine's submit budget (shared by every worker) has room; 0 now."""
    return bucket_take(name=f"engine:{engine}", per_minute=per_minute) if per_minute else 0.0


def _route(generation_id: str, preferred: str) -> str:
    """The engine to start on now; a PENDING job moves to it (no provider job exists yet)."""
    engine = engine_route(preferred=preferred)
    if engine != preferred:
        moved = Generation.objects.filter(
            id=generation_id, status=Status.PENDING, provider_job_id="", engine=preferred
        ).update(engine=engine)
        if not moved:
            return preferred
        logger.info("generation %s moves from %s to %s", generation_id, preferred, engine)
    return engine


def _guarded(generation: Generation, step, step_kind: str = "start") -> Next:
    engine = generation.engine
    try:
        following = step()
    except (OperationalError, InterfaceError):
        return _database_lost(generation, step_kind)
    except EngineAtCapacity as error:
        return _hold(generation, error, step_kind)
    except EngineUnavailable as error:
        engine_record(engine, "outage")
        return _transient(generation, error, step_kind)
    except EngineJobFailed as error:
        engine_record(engine, "failed")
        return _resubmit(generation, error)
    except GenerationFailure as error:
        if isinstance(error, EngineError):
            engine_record(engine, "outage" if error.outage else "ok")
        _fail(generation, error.code, error.message)
    except Exception:  # anything unforeseen still ends the job cleanly, with a refund
        logger.exception("generation %s failed unexpectedly", generation.id)
        _fail(generation, GenerationFailure.code, GenerationFailure.message)
    else:
        engine_record(engine, "ok")
        return following
    return DONE


def _fail(generation: Generation, code: str, message: str) -> None:
    generation_fail(generation_id=generation.id, code=code, message=message)
    _slot_free(generation.engine, generation.id)


def _slot_free(engine: str, generation_id: str) -> None:
    if engine_limits(engine).max_in_flight:
        slot_release(engine=engine, job=generation_id)


def _database_lost(generation: Generation, step: str) -> Next:
    """The database connection dropped mid-step (a restart, a failover): not the job's fault.
    Reconnect, hand the job back and retry soon, rather than fail it (the handing back needs
    the database too; if that fails the task errors and the render lease lets it be re-driven)."""
    logger.warning("database connection lost while rendering %s; retrying", generation.id)
    connection.close()
    if step == "poll":
        return Next(poll_in=1.0)
    generation_release(generation_id=generation.id)
    _slot_free(generation.engine, generation.id)
    return Next(retry_in=1.0)


def _hold(generation: Generation, error: EngineAtCapacity, step: str) -> Next:
    """The provider runs as many of our jobs as it allows: wait for a slot, attempt given
    back (it was never the job's fault)."""
    wait = error.retry_after or random.uniform(*SLOT_WAIT)
    if step == "poll":
        return Next(poll_in=wait)
    Generation.objects.filter(id=generation.id, status=Status.PROCESSING).update(
        status=Status.PENDING, attempts=F("attempts") - 1, updated_at=timezone.now()
    )
    _slot_free(generation.engine, generation.id)
    return Next(retry_in=wait)


def _transient(generation: Generation, error: EngineUnavailable, step: str) -> Next:
    delay = error.retry_after or min(2.0**generation.attempts, 30.0)
    if step == "poll":
        return Next(poll_in=delay)
    if generation.attempts >= settings.GENERATION_MAX_ATTEMPTS:
        _fail(generation, error.code, error.message)
        return DONE
    generation_release(generation_id=generation.id)
    _slot_free(generation.engine, generation.id)
    return Next(retry_in=delay)


def _resubmit(generation: Generation, error: EngineJobFailed) -> Next:
    """The provider failed the job and says a new one may succeed: back to PENDING with no
    provider job, and a new submit after the backoff, if attempts and the deadline allow."""
    delay = min(2.0**generation.attempts, 30.0)
    too_late = timezone.now() + timedelta(seconds=delay) >= generation.deadline_at
    if generation.attempts >= settings.GENERATION_MAX_ATTEMPTS or too_late:
        _fail(generation, error.code, error.message)
        return DONE
    logger.info("generation %s: the provider failed its job; submitting a new one", generation.id)
    cache.delete(submitted_key(generation))
    Generation.objects.filter(
        id=generation.id, status=Status.PROCESSING, provider_job_id=generation.provider_job_id
    ).update(status=Status.PENDING, provider_job_id="", polls=0, updated_at=timezone.now())
    _slot_free(generation.engine, generation.id)
    return Next(retry_in=delay)


def _start(generation: Generation) -> Next:
    engine = get_engine(generation.engine)
    size = getattr(engine, "preferred_size", None)
    person = _open_person(generation, size)
    garment_at = {
        "catalog_source": generation.catalog_source,
        "image_ref": generation.garment_image_ref,
        "size": size,
    }
    if isinstance(engine, HostedJobEngine):
        job_id = submitted_job(generation) or engine.submit(
            person_jpeg=_jpeg(person),
            garment_png=garment_png(**garment_at),
            category=generation.garment_category,
            webhook_url=webhook_url(engine.name, generation.id),
        )
        # Noted before the row, so that a retry after a lost row update (a dropped database
        # connection, a killed worker) adopts this job instead of submitting a second one.
        cache.set(submitted_key(generation), job_id, settings.GENERATION_DEADLINE_SECONDS)
        Generation.objects.filter(id=generation.id, status=Status.PROCESSING).update(
            provider_job_id=job_id
        )
        return Next(poll_in=poll_delay(engine.name, 0))
    garment = garment_image_open(**garment_at)
    result = engine.render(person=person, garment=garment, category=generation.garment_category)
    _finish(generation, result)
    return DONE


def _poll(generation: Generation, answered) -> Next:
    engine = get_engine(generation.engine)
    try:
        status = engine.poll(job_id=generation.provider_job_id)
    finally:
        answered()
    if status.state != "completed":
        return Next(poll_in=poll_delay(generation.engine, generation.polls + 1))
    _finish(generation, result_image(status))
    return DONE


def _finish(generation: Generation, result: Image.Image) -> None:
    account = generation.account
    if generation.watermark and account.watermark_enabled and account.watermark_logo:
        with account.watermark_logo.open("rb") as handle, Image.open(handle) as logo:
            result = watermark_apply(image=result, logo=logo)
    generation_complete(generation=generation, result_jpeg=_jpeg(result))
    _slot_free(generation.engine, generation.id)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def _open_person(generation: Generation, size: int | None) -> Image.Image:
    person_image = generation.person_image
    if person_image is None or not person_image.image:
        raise PersonImageGone()
    try:
        with person_image.image.open("rb") as handle, Image.open(handle) as image:
            image = image.convert("RGB")
    except (FileNotFoundError, OSError) as error:
        raise PersonImageGone() from error
    if size:
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image

"""Rendering a generation: the bodies of the worker tasks.

Local and synchronous engines render in one step. Hosted job engines are submitted, and then
polled by short tasks scheduled with a countdown, so a worker never sleeps on a provider and one
process carries hundreds of generations in flight. Every step returns what should happen next;
the tasks only schedule it.
"""

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone
from PIL import Image

from fittingroom.catalog import ProductImageUnavailable
from fittingroom.core.fetch import FetchError, fetch_image
from fittingroom.core.ratebucket import bucket_take
from fittingroom.engines import get_engine
from fittingroom.engines.base import EngineError, EngineUnavailable, HostedJobEngine, JobStatus
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import engine_typical_seconds
from fittingroom.generations.services.garments import garment_image_open, garment_png
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
    generation_release,
)
from fittingroom.generations.services.watermark import watermark_apply
from fittingroom.generations.webhooks import fashn_webhook_url

logger = logging.getLogger(__name__)
Status = Generation.Status


class PersonImageGone(Exception):
    code = "USER_IMAGE_NOT_FOUND"
    message = "The photo was deleted before the try-on ran."


@dataclass(frozen=True)
class Next:
    """What the task should do after a step: nothing, poll the provider, or retry the step."""

    poll_in: float | None = None
    retry_in: float | None = None


DONE = Next()


def generation_render(*, generation_id: str) -> Next:
    """Claim a PENDING generation and render it (sync engines) or submit it (hosted job
    engines). Any failure ends FAILED with a stable code and a refund; a transient engine
    failure puts it back to PENDING and asks for a retry, up to GENERATION_MAX_ATTEMPTS."""
    engine_name = Generation.objects.filter(id=generation_id).values_list("engine", flat=True)
    wait = _rate_wait(next(iter(engine_name), ""))
    if wait:
        return Next(retry_in=wait)
    generation = generation_claim(generation_id=generation_id)
    if generation is None:
        return DONE
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
    Generation.objects.filter(id=generation.id).update(
        polls=F("polls") + 1, updated_at=timezone.now()
    )
    return _guarded(generation, lambda: _poll(generation), transient_step="poll")


def _guarded(generation: Generation, step, transient_step: str = "start") -> Next:
    try:
        return step()
    except (OperationalError, InterfaceError):
        return _database_lost(generation, transient_step)
    except EngineUnavailable as error:
        return _transient(generation, error, transient_step)
    except (EngineError, ProductImageUnavailable, PersonImageGone) as error:
        message = getattr(error, "message", "") or "The garment image could not be loaded."
        generation_fail(generation_id=generation.id, code=error.code, message=message)
    except Exception:  # anything unforeseen still ends the job cleanly, with a refund
        logger.exception("generation %s failed unexpectedly", generation.id)
        generation_fail(
            generation_id=generation.id,
            code="ENGINE_ERROR",
            message="The try-on could not be rendered.",
        )
    return DONE


def _database_lost(generation: Generation, step: str) -> Next:
    """The database connection dropped mid-step (a restart, a failover): not the job's fault.
    Reconnect, hand the job back and retry soon, rather than fail it (the handing back needs
    the database too; if that fails the task errors and the render lease lets it be re-driven)."""
    logger.warning("database connection lost while rendering %s; retrying", generation.id)
    connection.close()
    if step == "poll":
        return Next(poll_in=1.0)
    generation_release(generation_id=generation.id)
    return Next(retry_in=1.0)


def _transient(generation: Generation, error: EngineUnavailable, step: str) -> Next:
    delay = error.retry_after or min(2.0**generation.attempts, 30.0)
    if step == "poll":
        return Next(poll_in=delay)
    if generation.attempts >= settings.GENERATION_MAX_ATTEMPTS:
        generation_fail(generation_id=generation.id, code=error.code, message=error.message)
        return DONE
    generation_release(generation_id=generation.id)
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
        job_id = engine.submit(
            person_jpeg=_jpeg(person),
            garment_png=garment_png(**garment_at),
            category=generation.garment_category,
            webhook_url=_webhook_url(engine.name, generation.id),
        )
        Generation.objects.filter(id=generation.id, status=Status.PROCESSING).update(
            provider_job_id=job_id
        )
        return Next(poll_in=_poll_delay(engine.name, 0))
    garment = garment_image_open(**garment_at)
    result = engine.render(person=person, garment=garment, category=generation.garment_category)
    _finish(generation, result)
    return DONE


def _poll(generation: Generation) -> Next:
    engine = get_engine(generation.engine)
    status = engine.poll(job_id=generation.provider_job_id)
    if status.state != "completed":
        return Next(poll_in=_poll_delay(generation.engine, generation.polls + 1))
    _finish(generation, _result_image(status))
    return DONE


def _webhook_url(engine_name: str, generation_id: str) -> str | None:
    # Only where providers can reach us: an https PUBLIC_BASE_URL. Polling works regardless.
    base = settings.PUBLIC_BASE_URL
    if engine_name != "fashn" or not base.startswith("https://"):
        return None
    return fashn_webhook_url(base_url=base, generation_id=generation_id)


def _poll_delay(engine_name: str, polls: int) -> float:
    """When to look next. With history, first look at 70 % of the engine's typical time, then
    at growing steps of a tenth of it: most jobs are seen within a second or two of finishing,
    after two or three looks. Starting below the typical time matters: the typical time is
    what we observed, so looking only at it would never learn that the engine got faster."""
    typical = engine_typical_seconds(engine=engine_name)
    if typical is None:  # no history yet: look early, then settle at a few seconds
        return min(2.0 + polls, settings.ENGINE_MAX_POLL_INTERVAL)
    if polls == 0:
        return max(0.7 * typical, 1.0)
    return min(max(typical / 10, 1.0) * polls, settings.ENGINE_MAX_POLL_INTERVAL)


def _rate_wait(engine_name: str) -> float:
    per_minute = getattr(settings, f"{engine_name.upper()}_REQUESTS_PER_MINUTE", None)
    if not per_minute:
        return 0.0
    return bucket_take(name=f"engine:{engine_name}", per_minute=int(per_minute))


def _result_image(status: JobStatus) -> Image.Image:
    content = status.result_bytes
    if content is None and status.result_url:
        try:
            content = fetch_image(status.result_url, max_bytes=30 * 1024 * 1024).content
        except FetchError as error:
            raise EngineError("The model's result could not be downloaded.") from error
    if not content:
        raise EngineError("The model answered without a result.")
    with Image.open(io.BytesIO(content)) as image:
        return image.convert("RGB")


def _finish(generation: Generation, result: Image.Image) -> None:
    account = generation.account
    if generation.watermark and account.watermark_enabled and account.watermark_logo:
        with account.watermark_logo.open("rb") as handle, Image.open(handle) as logo:
            result = watermark_apply(image=result, logo=logo)
    generation_complete(generation=generation, result_jpeg=_jpeg(result))


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

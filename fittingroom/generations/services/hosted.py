"""What the pipeline needs around a hosted job: its callback URL, when to look at it next,
its result image, and the note that keeps a cut-short submit from being repeated."""

import io
import logging

from django.conf import settings
from django.core.cache import cache
from PIL import Image

from fittingroom.core.fetch import FetchError, fetch_image
from fittingroom.engines.base import EngineError, JobStatus
from fittingroom.generations.models import Generation
from fittingroom.generations.selectors import engine_typical_seconds
from fittingroom.generations.services.callbacks import engine_webhook_url

logger = logging.getLogger(__name__)


def submitted_key(generation: Generation) -> str:
    return f"generations:{generation.id}:{generation.engine}:provider-job"


def submitted_job(generation: Generation) -> str | None:
    """The provider job already submitted for this generation and engine, if a step that
    submitted it was cut short before recording it on the row."""
    if generation.attempts <= 1:  # a first attempt has submitted nothing yet
        return None
    job_id = cache.get(submitted_key(generation))
    if job_id:
        logger.info("generation %s adopts its provider job %s", generation.id, job_id)
    return job_id


def webhook_url(engine_name: str, generation_id: str) -> str | None:
    # Only where providers can reach us: an https PUBLIC_BASE_URL. Polling works regardless.
    base = settings.PUBLIC_BASE_URL
    if not base.startswith("https://"):
        return None
    return engine_webhook_url(engine=engine_name, generation_id=generation_id, base_url=base)


def poll_delay(engine_name: str, polls: int) -> float:
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


def result_image(status: JobStatus) -> Image.Image:
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

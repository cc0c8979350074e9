"""Rendering one generation: the body of the worker task."""

import io
import logging

from PIL import Image

from fittingroom.catalog import ProductImageUnavailable, source_named
from fittingroom.engines import get_engine
from fittingroom.engines.base import EngineError
from fittingroom.generations.models import Generation
from fittingroom.generations.services.lifecycle import (
    generation_claim,
    generation_complete,
    generation_fail,
)

logger = logging.getLogger(__name__)


class PersonImageGone(Exception):
    code = "USER_IMAGE_NOT_FOUND"
    message = "The photo was deleted before the try-on ran."


def generation_render(*, generation_id: str) -> Generation | None:
    """Claim, render with the generation's engine, store the result and mark it COMPLETED; on any
    failure mark it FAILED with a stable code and refund. Safe to call twice (returns None when
    the generation is not PENDING)."""
    generation = generation_claim(generation_id=generation_id)
    if generation is None:
        return None
    try:
        result = _render(generation)
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
    else:
        generation_complete(generation=generation, result_jpeg=result)
    generation.refresh_from_db()
    return generation


def _render(generation: Generation) -> bytes:
    person = _open_person(generation)
    garment = source_named(generation.catalog_source).load_image(
        image_ref=generation.garment_image_ref
    )
    engine = get_engine(generation.engine)
    rendered = engine.render(person=person, garment=garment, category=generation.garment_category)
    out = io.BytesIO()
    rendered.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def _open_person(generation: Generation) -> Image.Image:
    person_image = generation.person_image
    if person_image is None or not person_image.image:
        raise PersonImageGone()
    try:
        with person_image.image.open("rb") as handle, Image.open(handle) as image:
            return image.convert("RGB")
    except (FileNotFoundError, OSError) as error:
        raise PersonImageGone() from error

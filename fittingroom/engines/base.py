"""The contract every try-on engine fulfils.

Engines are pure image code: they take Pillow images and return a Pillow image, and they
know nothing about Django, storage or jobs. Whatever goes wrong in a way the shopper can
fix (wrong photo, unusable product image) is raised as an ``EngineError`` subclass whose
``code`` is stable, because it is stored on the failed generation and shown by the apps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image

CATEGORIES: tuple[str, ...] = ("tops", "bottoms", "one-pieces")
"""Garment categories, named as FASHN names them."""

DEFAULT_CATEGORY = "tops"


class EngineError(Exception):
    """A try-on failed for a reason that is reported to the shopper by ``code``."""

    code: str = "ENGINE_ERROR"
    message: str = "The try-on could not be rendered."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class NoPersonDetected(EngineError):
    code = "NO_PERSON_DETECTED"
    message = (
        "No person was found in the photo. "
        "Use a front-facing photo showing your head and shoulders."
    )


class GarmentImageInvalid(EngineError):
    code = "PRODUCT_IMAGE_INVALID"
    message = "The product image could not be used for a try-on."


class ContentRejected(EngineError):
    code = "CONTENT_REJECTED"
    message = "The photo or the product image was refused by the model's content policy."


class PersonImageInvalid(EngineError):
    code = "PERSON_IMAGE_INVALID"
    message = "The model could not use this photo. Try a clear, front-facing photo."


class ProductImageFetchFailed(EngineError):
    code = "PRODUCT_IMAGE_FETCH_FAILED"
    message = "The product image could not be loaded."


class EngineUnavailable(EngineError):
    """Transient: throttled, 5xx, network. The pipeline retries with backoff, then fails the
    generation with this code."""

    code = "ENGINE_UNAVAILABLE"
    message = "The try-on service is busy. Please try again in a moment."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineTimeout(EngineError):
    code = "ENGINE_TIMEOUT"
    message = "The try-on took too long and was stopped."


@runtime_checkable
class TryOnEngine(Protocol):
    """Renders a garment onto a person.

    ``person`` is RGB; ``garment`` is RGB or RGBA; ``category`` is one of ``CATEGORIES``
    (unknown values are treated as ``"tops"``). The result is an RGB image of exactly the
    size of ``person``. Raises ``EngineError`` (or a subclass) when it cannot render.
    """

    name: str

    def render(
        self, *, person: Image.Image, garment: Image.Image, category: str
    ) -> Image.Image: ...


def normalise_category(category: str) -> str:
    """Return ``category`` if it is a known one, else the default (``"tops"``)."""
    return category if category in CATEGORIES else DEFAULT_CATEGORY


@dataclass(frozen=True)
class JobStatus:
    """A hosted job's state. `state` is "pending" or "completed"; a failed job raises the
    mapped EngineError from `poll` instead. `result` is set when completed: either the image
    bytes or a URL (provider URLs expire: the pipeline downloads and re-hosts at once)."""

    state: str
    result_bytes: bytes | None = None
    result_url: str | None = None


@runtime_checkable
class HostedJobEngine(Protocol):
    """A provider that renders asynchronously: submit, then poll (or receive its webhook).
    The worker never sleeps on it: the pipeline schedules polls with a countdown.

    `person_jpeg` / `garment_png` are already sized for the model (`preferred_size`).
    """

    name: str
    preferred_size: int

    def submit(
        self, *, person_jpeg: bytes, garment_png: bytes, category: str, webhook_url: str | None
    ) -> str:
        """Start a job; returns the provider's job id. Raises EngineError subclasses."""
        ...

    def poll(self, *, job_id: str) -> JobStatus:
        """The job's state; raises the mapped EngineError when the provider says it failed."""
        ...

"""The contract every try-on engine fulfils.

Engines are pure image code: they take Pillow images and return a Pillow image, and they
know nothing about Django, storage or jobs. Whatever goes wrong in a way the shopper can
fix (wrong photo, unusable product image) is raised as an ``EngineError`` subclass whose
``code`` is stable, because it is stored on the failed generation and shown by the apps.
How the pipeline reacts is decided by the class alone (retry, hold, resubmit, fail fast),
so it never needs to know which provider it is talking to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PIL import Image

from fittingroom.core.failures import GenerationFailure

CATEGORIES: tuple[str, ...] = ("tops", "bottoms", "one-pieces")
"""Garment categories, named as FASHN names them."""

DEFAULT_CATEGORY = "tops"
AUTO_CATEGORY = "auto"
"""A garment whose category we could not guess with confidence (shoes, hats, unknown types):
models that classify garments themselves (FASHN) are told to; others treat it as tops."""


class EngineError(GenerationFailure):
    """A try-on failed for a reason that is reported to the shopper by ``code``.

    ``outage`` marks the failures that say the engine, not the input, is at fault (network,
    5xx, timeouts, refused credentials): those count toward the engine's circuit breaker.
    """

    outage: bool = False


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
    outage = True

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineAtCapacity(EngineUnavailable):
    """The provider runs as many of our jobs as it allows (FASHN's ConcurrencyLimitExceeded).
    Not a failure: the job waits for a slot without spending one of its attempts."""

    outage = False


class EngineMisconfigured(EngineError):
    """The provider refuses our account (bad key, no access): retrying cannot help, the
    operator must act. Fails the generation at once; counts toward the breaker."""

    outage = True


class EngineOutOfCredits(EngineMisconfigured):
    """The provider account has no credits left: fails fast, and alerts the operator."""


class EngineJobFailed(EngineError):
    """The provider accepted the job and then failed it in a way it says is worth retrying
    (FASHN's PipelineError, InternalServerError, ThirdPartyError): the pipeline submits a
    new job with backoff within the generation's deadline, at no extra charge."""


class EngineTimeout(EngineError):
    code = "ENGINE_TIMEOUT"
    message = "The try-on took too long and was stopped."


@dataclass(frozen=True)
class EngineLimits:
    """What an engine declares about its provider, so the pipeline never has to name it.

    ``max_in_flight``: provider jobs at once across every worker (None: no cap).
    ``submits_per_minute``: starts per minute across every worker (None: no cap).
    ``polls``: (calls, seconds) allowed to its status endpoint per key (None: no cap).
    ``webhooks``: the provider can call us back when a job ends.
    """

    max_in_flight: int | None = None
    submits_per_minute: int | None = None
    polls: tuple[int, float] | None = None
    webhooks: bool = False


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
    """Return ``category`` if it is a known one, else the default (``"tops"``; ``"auto"``
    included, for engines that cannot classify a garment themselves)."""
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

    @classmethod
    def limits(cls) -> EngineLimits:
        """The provider's limits, from settings (read at call time)."""
        ...

    def submit(
        self, *, person_jpeg: bytes, garment_png: bytes, category: str, webhook_url: str | None
    ) -> str:
        """Start a job; returns the provider's job id. Raises EngineError subclasses."""
        ...

    def poll(self, *, job_id: str) -> JobStatus:
        """The job's state; raises the mapped EngineError when the provider says it failed."""
        ...

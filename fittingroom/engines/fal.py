"""The ``fal`` engine: try-on models on fal.ai's queue (https://docs.fal.ai, "Queue").

- ``POST {FAL_QUEUE_URL}/{model}`` (``Authorization: Key …``; ``?fal_webhook=`` to be called
  back) answers ``{"request_id", "status_url", "response_url", …}``;
- ``GET …/{app}/requests/{id}/status`` answers ``IN_QUEUE`` (202, with ``queue_position``),
  ``IN_PROGRESS`` (202) or ``COMPLETED`` (200), where ``app`` is the model id's first two
  segments (fal: a subpath is used to submit, "but not when getting request status or
  results");
- ``GET …/{app}/requests/{id}`` answers the model's output, or the error the request ended
  with: a model error (422, ``{"detail": [{"loc", "msg", "type"}]}``) or a request error
  (5xx, ``{"detail": "…", "error_type": "request_timeout" | "runner_…" | …}``).

fal queues what is over an account's concurrency instead of refusing it, retries runner
failures itself (up to 10 times) and does not bill 5xx; a request that still ended in a
request error is resubmitted by the pipeline (``EngineJobFailed``). Models:
``fal-ai/kling/v1-5/kolors-virtual-try-on`` (licensed for commercial use) and
``fal-ai/fashn/tryon/v1.6``. Inputs go as base64 data URIs (fal accepts them wherever it
takes a file URL); Kling's ``sync_mode`` answers the image inline, so no copy is left on
fal's CDN.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fittingroom.engines.base import (
    AUTO_CATEGORY,
    CATEGORIES,
    ContentRejected,
    EngineError,
    EngineJobFailed,
    EngineLimits,
    EngineMisconfigured,
    EngineOutOfCredits,
    EngineUnavailable,
    JobStatus,
    PersonImageInvalid,
    ProductImageFetchFailed,
)
from fittingroom.engines.http import (
    completed_status,
    json_object,
    malformed,
    read_capped,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)

KLING = "fal-ai/kling/v1-5/kolors-virtual-try-on"
FASHN_ON_FAL = "fal-ai/fashn/tryon/v1.6"
MODELS = (KLING, FASHN_ON_FAL)
MAX_BODY_BYTES = 30 * 1024 * 1024
PENDING = frozenset({"IN_QUEUE", "IN_PROGRESS"})
# Model error types (docs "Model Errors") the shopper can act on.
MODEL_ERRORS: dict[str, type[EngineError]] = {
    "content_policy_violation": ContentRejected,
}
# Input fields, per model, naming the person and the garment image.
PERSON_FIELDS = ("human_image_url", "model_image")
GARMENT_FIELDS = ("garment_image_url", "garment_image")


class FalEngine:
    """A fal.ai queue model as a ``HostedJobEngine`` (see the module docstring)."""

    name = "fal"
    preferred_size = 1024

    @classmethod
    def limits(cls) -> EngineLimits:
        """fal holds what is over the account's concurrency in its queue (never a 429 for
        it), so no cap is needed; FAL_MAX_CONCURRENT sets one of our own."""
        return EngineLimits(max_in_flight=settings.FAL_MAX_CONCURRENT or None, webhooks=True)

    def __init__(self) -> None:
        if not settings.FAL_KEY:
            raise ImproperlyConfigured("Set FAL_KEY to use the fal engine.")
        if settings.FAL_MODEL not in MODELS:
            raise ImproperlyConfigured(f"FAL_MODEL must be one of {', '.join(MODELS)}.")
        self.base_url = settings.FAL_QUEUE_URL.rstrip("/")
        self.model = settings.FAL_MODEL
        self.app = "/".join(self.model.split("/")[:2])
        read = float(settings.FAL_TIMEOUT)
        self.timeout = (min(5.0, read), read)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Key {settings.FAL_KEY}"

    def submit(
        self, *, person_jpeg: bytes, garment_png: bytes, category: str, webhook_url: str | None
    ) -> str:
        """Queue a request; returns its request_id. Raises EngineError subclasses."""
        person, garment = _data_uri("image/jpeg", person_jpeg), _data_uri("image/png", garment_png)
        if self.model == KLING:
            body = {"human_image_url": person, "garment_image_url": garment, "sync_mode": True}
        else:
            body = {
                "model_image": person,
                "garment_image": garment,
                "category": category if category in CATEGORIES else AUTO_CATEGORY,
            }
        params = {"fal_webhook": webhook_url} if webhook_url else None
        _, payload = self._call("POST", f"/{self.model}", json=body, params=params)
        request_id = payload.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise _malformed("a queue answer without request_id")
        return request_id

    def poll(self, *, job_id: str) -> JobStatus:
        """The request's state; its result once COMPLETED, or the mapped error."""
        path = f"/{self.app}/requests/{quote(job_id, safe='')}"
        _, status = self._call("GET", f"{path}/status")
        state = status.get("status")
        if state in PENDING:
            return JobStatus("pending")
        if state != "COMPLETED":
            raise _malformed(f"an unknown queue status {str(state)[:40]!r}")
        code, result = self._call("GET", path, errors_are_results=True)
        if code >= 400:
            raise _request_failed(job_id, code, result)
        return _output(job_id, result)

    def _call(
        self, method: str, path: str, *, errors_are_results: bool = False, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        """One queue API call: (status, JSON object). HTTP errors are mapped and raised,
        except a finished request's own error when ``errors_are_results``."""
        try:
            with self.session.request(
                method, self.base_url + path, timeout=self.timeout, stream=True, **kwargs
            ) as response:
                body = read_capped(response, max_bytes=MAX_BODY_BYTES, provider="fal")
        except requests.RequestException as error:
            logger.warning("fal %s %s: %s", method, path, type(error).__name__)
            raise EngineUnavailable() from error
        code = response.status_code
        payload = json_object(body, provider="fal") if body else {}
        if code < 400:
            return code, payload
        if errors_are_results and code not in (401, 403, 429):
            return code, payload
        raise _api_error(code, response.headers, payload)


def _data_uri(mime: str, content: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _api_error(code: int, headers: Any, payload: dict[str, Any]) -> EngineError:
    """An HTTP error of the queue API itself (before or around a request)."""
    detail = _detail_text(payload)
    logger.warning("fal answered HTTP %s: %s", code, detail)
    if code in (401, 403):
        if "balance" in detail.lower() or "locked" in detail.lower():
            logger.critical("fal account is locked or out of balance: top up at fal.ai")
            failure: EngineError = EngineOutOfCredits()
        else:
            failure = EngineMisconfigured()
        failure.add_note(f"fal HTTP {code}: {detail}")
        return failure
    if code == 429 or code >= 500:
        return EngineUnavailable(retry_after=retry_after_seconds(headers.get("Retry-After")))
    failure = EngineError()
    failure.add_note(f"fal HTTP {code}: {detail}")
    return failure


def _request_failed(job_id: str, code: int, payload: dict[str, Any]) -> EngineError:
    """The error a finished request ended with (its result endpoint's answer)."""
    detail = payload.get("detail")
    logger.warning("fal request %s failed: HTTP %s %s", job_id, code, _detail_text(payload))
    if isinstance(detail, list):  # a model error: typed, with the input it is about
        for item in detail:
            if not isinstance(item, dict):
                continue
            kind = str(item.get("type", ""))
            loc = [str(part) for part in item.get("loc") or []]
            if kind in MODEL_ERRORS:
                return MODEL_ERRORS[kind]()
            if any(field in loc for field in PERSON_FIELDS):
                return PersonImageInvalid()
            if any(field in loc for field in GARMENT_FIELDS):
                return ProductImageFetchFailed()
    if code >= 500:  # a request error (timeouts, runners): fal stopped retrying, we may
        failure: EngineError = EngineJobFailed()
    else:
        failure = EngineError()
    failure.add_note(f"fal request {job_id}: HTTP {code} {_detail_text(payload)}")
    return failure


def _output(job_id: str, payload: dict[str, Any]) -> JobStatus:
    """Kling answers ``{"image": {"url"}}``, FASHN on fal ``{"images": [{"url"}]}``; a url
    is https, or a data URI in sync mode."""
    image = payload.get("image")
    if image is None and isinstance(payload.get("images"), list) and payload["images"]:
        image = payload["images"][0]
    status = completed_status(image.get("url") if isinstance(image, dict) else None)
    if status is not None:
        return status
    logger.warning("fal request %s completed without a usable image", job_id)
    raise EngineError("The model answered without a result.")


def _detail_text(payload: dict[str, Any]) -> str:
    detail = payload.get("detail")
    if isinstance(detail, list):
        detail = "; ".join(
            f"{item.get('type')}: {item.get('msg')}" for item in detail if isinstance(item, dict)
        )
    return str(detail or "")[:300]


def _malformed(what: str) -> EngineError:
    return malformed("fal", what)

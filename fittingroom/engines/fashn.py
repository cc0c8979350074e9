"""The ``fashn`` engine: FASHN's hosted virtual try-on API (https://docs.fashn.ai).

This is the one module that talks to FASHN. A try-on is a *prediction*:

- ``POST /v1/run`` with ``{"model_name": "tryon-v1.6", "inputs": {...}}`` (and
  ``?webhook_url=`` to be called back) answers ``{"id": "...", "error": null}``;
- ``GET /v1/status/{id}`` answers ``{"id", "status", "error"}``: ``starting``, ``in_queue`` and
  ``processing`` until ``completed`` (with ``output``: a list of CDN URLs, or of base64 data URIs
  when ``return_base64`` was asked) or ``failed`` (``error``: ``{"name", "message"}``); the
  official SDK also knows ``canceled`` and ``time_out``;
- a webhook is a POST of that same terminal payload. FASHN does not sign it (its docs advise
  "a verification mechanism" of your own), so the caller puts ``webhook_token()`` in the URL.

Errors before a prediction exists are HTTP statuses with ``{"error": "<Name>", "message"}``.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from fittingroom.engines import webhooks
from fittingroom.engines.base import (
    CATEGORIES,
    ContentRejected,
    EngineAtCapacity,
    EngineError,
    EngineJobFailed,
    EngineLimits,
    EngineMisconfigured,
    EngineOutOfCredits,
    EngineTimeout,
    EngineUnavailable,
    GarmentImageInvalid,
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

MAX_BODY_BYTES = 20 * 1024 * 1024  # a base64 result is well under this; more is not FASHN
CONNECT_TIMEOUT = 5.0
MODES = ("performance", "balanced", "quality")
MODERATION_LEVELS = ("conservative", "permissive", "none")
GARMENT_PHOTO_TYPES = ("auto", "flat-lay", "model")
FASHN_CATEGORIES = ("auto", *CATEGORIES)
STATUS_WINDOW_SECONDS = 10.0  # FASHN allows FASHN_STATUS_REQUESTS_PER_10S status calls in it
PENDING = frozenset({"starting", "in_queue", "processing"})
STOPPED = frozenset({"canceled", "time_out"})
# Runtime error names (docs "Error Handling", the SDK's status type) the shopper can act on,
# and those FASHN says are worth retrying (a new prediction, with backoff). Any other name
# is ENGINE_ERROR.
RUNTIME_ERRORS: dict[str, type[EngineError]] = {
    "ContentModerationError": ContentRejected,
    "PoseError": PersonImageInvalid,
    "PhotoTypeError": GarmentImageInvalid,
    "PipelineError": EngineJobFailed,
    "InternalServerError": EngineJobFailed,
    "3rdPartyProviderError": EngineJobFailed,
    "ThirdPartyError": EngineJobFailed,
}
_DATA_URI = re.compile(r"data:[^\s\"',]*,?[A-Za-z0-9+/=]*")


class FashnEngine:
    """FASHN Virtual Try-On as a ``HostedJobEngine`` (see the module docstring).

    Results come back as base64 (``return_base64``) by default: FASHN then keeps no copy of
    the shopper's try-on on its CDN, and the pipeline has nothing to download.
    """

    name = "fashn"
    preferred_size = 1024

    @classmethod
    def limits(cls) -> EngineLimits:
        """FASHN's documented limits per API key: 50 runs a minute, 50 status calls per 10 s,
        and a plan's number of predictions at once (429 ConcurrencyLimitExceeded above)."""
        status_calls = settings.FASHN_STATUS_REQUESTS_PER_10S
        return EngineLimits(
            max_in_flight=settings.FASHN_MAX_CONCURRENT or None,
            submits_per_minute=settings.FASHN_REQUESTS_PER_MINUTE,
            polls=(status_calls, STATUS_WINDOW_SECONDS) if status_calls else None,
            webhooks=True,
        )

    def __init__(self, *, return_base64: bool = True) -> None:
        if not settings.FASHN_API_KEY:
            raise ImproperlyConfigured("Set FASHN_API_KEY to use the fashn engine.")
        for name, allowed in (
            ("FASHN_MODE", MODES),
            ("FASHN_MODERATION_LEVEL", MODERATION_LEVELS),
            ("FASHN_GARMENT_PHOTO_TYPE", GARMENT_PHOTO_TYPES),
        ):
            if getattr(settings, name) not in allowed:
                raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}.")
        self.base_url = settings.FASHN_API_URL.rstrip("/")
        self.model_name = settings.FASHN_MODEL_NAME
        self.mode = settings.FASHN_MODE
        self.moderation_level = settings.FASHN_MODERATION_LEVEL
        self.garment_photo_type = settings.FASHN_GARMENT_PHOTO_TYPE
        self.return_base64 = return_base64
        read = float(settings.FASHN_TIMEOUT)
        self.timeout = (min(CONNECT_TIMEOUT, read), read)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {settings.FASHN_API_KEY}"

    def submit(
        self, *, person_jpeg: bytes, garment_png: bytes, category: str, webhook_url: str | None
    ) -> str:
        """Start a prediction; returns its id. Raises EngineError subclasses."""
        body = {
            "model_name": self.model_name,
            "inputs": {
                "model_image": _data_uri("image/jpeg", person_jpeg),
                "garment_image": _data_uri("image/png", garment_png),
                "category": category if category in FASHN_CATEGORIES else "auto",
                "mode": self.mode,
                "moderation_level": self.moderation_level,
                "garment_photo_type": self.garment_photo_type,
                "num_samples": 1,
                # FASHN's advice for real-time consumer try-on: smaller and faster than PNG.
                "output_format": "jpeg",
                "return_base64": self.return_base64,
            },
        }
        params = {"webhook_url": webhook_url} if webhook_url else None
        payload = self._call("POST", "/v1/run", json=body, params=params)
        job_id, error = payload.get("id"), payload.get("error")
        if error or not isinstance(job_id, str) or not job_id:
            failure = EngineError()
            failure.add_note(f"FASHN /v1/run answered without a prediction: {_clean(error)}")
            raise failure
        return job_id

    def poll(self, *, job_id: str) -> JobStatus:
        """The prediction's state; raises the mapped EngineError if it failed or stopped."""
        payload = self._call("GET", f"/v1/status/{quote(job_id, safe='')}")
        _, outcome = prediction_outcome(payload)
        if isinstance(outcome, EngineError):
            raise outcome
        return outcome

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call: the JSON object of a 2xx answer, else the mapped EngineError."""
        try:
            with self.session.request(
                method, self.base_url + path, timeout=self.timeout, stream=True, **kwargs
            ) as response:
                body = read_capped(response, max_bytes=MAX_BODY_BYTES, provider="FASHN")
        except requests.RequestException as error:  # timeouts and connection failures
            logger.warning("FASHN %s %s: %s", method, path, type(error).__name__)
            raise EngineUnavailable() from error
        if not 200 <= response.status_code < 300:
            raise _api_error(response.status_code, response.headers, body)
        return json_object(body, provider="FASHN")


def prediction_outcome(payload: Any) -> tuple[str, JobStatus | EngineError]:
    """Read a status payload (``/v1/status``, or a webhook body: FASHN sends the same). Raises
    EngineError if it has no
    ``id`` or no known ``status``."""
    job_id = payload.get("id") if isinstance(payload, dict) else None
    status = payload.get("status") if isinstance(payload, dict) else None
    if not isinstance(job_id, str) or not job_id or not isinstance(status, str):
        raise _malformed("a status without id or status")
    if status in PENDING:
        return job_id, JobStatus("pending")
    if status == "completed":
        return job_id, _completed(job_id, payload.get("output"))
    if status == "failed":
        return job_id, _failed(job_id, payload.get("error"))
    if status in STOPPED:
        logger.warning("FASHN prediction %s ended %s", job_id, status)
        return job_id, EngineTimeout()
    raise _malformed(f"an unknown status {status[:40]!r}")


def webhook_token(reference: str) -> str:
    """A token to put in the webhook URL of the job we know as ``reference`` (e.g. the
    generation id): FASHN calls back exactly the URL it was given, unsigned."""
    return webhooks.webhook_token(FashnEngine.name, reference)


def webhook_token_valid(reference: str, token: str) -> bool:
    """Whether ``token`` is ``webhook_token(reference)``, compared in constant time."""
    return webhooks.webhook_token_valid(FashnEngine.name, reference, token)


def _data_uri(mime: str, content: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _completed(job_id: str, output: Any) -> JobStatus | EngineError:
    status = completed_status(output[0] if isinstance(output, list) and output else None)
    if status is not None:
        return status
    logger.warning("FASHN prediction %s completed without a usable output", job_id)
    return EngineError("The model answered without a result.")


def _failed(job_id: str, error: Any) -> EngineError:
    error = error if isinstance(error, dict) else {}
    name = error.get("name") if isinstance(error.get("name"), str) else ""
    message = _clean(error.get("message"))
    logger.warning("FASHN prediction %s failed: %s: %s", job_id, name or "?", message)
    failure = _runtime_error(name, message)
    failure.add_note(f"FASHN {name}: {message}")
    return failure


def _runtime_error(name: str, message: str) -> EngineError:
    if name == "ImageLoadError":
        return _image_load_error(message)
    return RUNTIME_ERRORS.get(name, EngineError)()


def _image_load_error(message: str) -> EngineError:
    """FASHN names the image in the message ("Error loading model image: ...")."""
    lowered = message.lower()
    if "garment" in lowered or "product" in lowered:
        return ProductImageFetchFailed()
    return PersonImageInvalid()


def _api_error(status: int, headers: Mapping[str, str], body: bytes) -> EngineError:
    """The error for an HTTP error answer: retryable (EngineUnavailable) only when waiting
    can fix it; a bad key or an empty account needs the operator, not a retry."""
    name, message = _error_fields(body)
    logger.warning("FASHN answered HTTP %s %s: %s", status, name or "-", message)
    retry_after = retry_after_seconds(headers.get("Retry-After"))
    if status in (401, 403):
        failure = EngineMisconfigured()
        failure.add_note(f"FASHN refused the API key (HTTP {status}): check FASHN_API_KEY.")
        return failure
    if status == 429 and name == "OutOfCredits":
        # The operator must refill: every try-on fails until then.
        logger.critical("FASHN account is out of API credits: refill at app.fashn.ai")
        failure = EngineOutOfCredits()
        failure.add_note("The FASHN account is out of API credits.")
        return failure
    if status == 429 and name == "ConcurrencyLimitExceeded":
        return EngineAtCapacity(retry_after=retry_after)
    if status == 429 or status >= 500:
        return EngineUnavailable(retry_after=retry_after)
    if status in (400, 422) and name in (*RUNTIME_ERRORS, "ImageLoadError"):
        return _runtime_error(name, message)
    failure = EngineError()
    failure.add_note(f"FASHN HTTP {status} {name}: {message}")
    return failure


def _error_fields(body: bytes) -> tuple[str, str]:
    """(name, message) of ``{"error": "Name", "message": "..."}`` (documented) or of a
    runtime-shaped ``{"error": {"name", "message"}}``; empty strings if neither."""
    try:
        payload = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(payload, dict):
        return "", ""
    error = payload.get("error")
    if isinstance(error, dict):
        payload, error = error, error.get("name")
    name = error if isinstance(error, str) else ""
    return name[:60], _clean(payload.get("message"))


def _malformed(what: str) -> EngineError:
    return malformed("FASHN", what)


def _clean(value: Any) -> str:
    """A provider message fit for logs: short, and with any echoed image data cut out."""
    text = value if isinstance(value, str) else ("" if value is None else repr(value))
    return _DATA_URI.sub("data:…", text)[:300]

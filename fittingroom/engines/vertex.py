"""The ``vertex`` engine: the one module that talks to Google's Vertex AI Virtual Try-On.

One ``render`` is one synchronous ``:predict`` call, preceded by a token request only when the
cached access token is missing or in its last five minutes. Tokens come from the service
account's JSON key (VERTEX_CREDENTIALS_FILE) by the OAuth 2.0 JWT bearer grant (RS256).

Failures are mapped onto the engine contract: throttling, 5xx, timeouts and network errors are
``EngineUnavailable`` (the pipeline retries); responsible-AI filtering is ``ContentRejected``;
a 400 about the person or product image is ``PersonImageInvalid`` / ``ProductImageFetchFailed``;
401/403, other 400s and unusable answers are ``EngineError``. Image data, tokens and keys are
never logged.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from PIL import Image

from fittingroom.engines.base import (
    ContentRejected,
    EngineError,
    EngineLimits,
    EngineMisconfigured,
    EngineUnavailable,
    PersonImageInvalid,
    ProductImageFetchFailed,
)
from fittingroom.engines.http import retry_after_seconds

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # Google accepts at most one hour between iat and exp
REFRESH_MARGIN = 300  # renew a token this many seconds before Google says it expires
MAX_ANSWER_BYTES = 30 * 1024 * 1024
MAX_TOKEN_ANSWER_BYTES = 64 * 1024
TRANSIENT_STATUSES = {500, 502, 503, 504}
TRANSIENT_GOOGLE_STATUSES = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED"}
# Phrases that mark a 400 as Google's safety filters refusing an input image (their messages
# end in "Support codes: …" and name Responsible AI, a blocked input or the filter threshold).
RAI_MARKERS = ("support code", "responsible ai", "blocked", "safety filter")
# How a 400 names the input it refuses (the request fields are personImage / productImages).
PERSON_MARKERS = ("personimage", "person image", "person_image", "no person", "detect a person")
PRODUCT_MARKERS = ("productimage", "product image", "product_image")
MAX_RESULT_PIXELS = 50_000_000  # a decompression bomb guard, far above any real answer


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str
    private_key_id: str
    token_uri: str


_token_lock = threading.Lock()
_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}  # key -> (token, monotonic expiry)


def clear_token_cache() -> None:
    """Forget every cached access token (tests; key rotation)."""
    with _token_lock:
        _tokens.clear()


class VertexEngine:
    """Renders with Vertex AI Virtual Try-On (see module docstring). Reads settings per call."""

    name = "vertex"
    preferred_size = 1024

    @classmethod
    def limits(cls) -> EngineLimits:
        """Google's default quota: 50 requests a minute per model and region."""
        return EngineLimits(submits_per_minute=settings.VERTEX_REQUESTS_PER_MINUTE)

    def render(self, *, person: Image.Image, garment: Image.Image, category: str) -> Image.Image:
        """Return ``person`` wearing ``garment``: RGB, same size as ``person``.

        ``category`` is not sent: Virtual Try-On infers the garment type from the product image.
        """
        url, account = _predict_url(), load_service_account()
        body = {
            "instances": [
                {
                    "personImage": {"image": {"bytesBase64Encoded": _jpeg_b64(person)}},
                    "productImages": [{"image": {"bytesBase64Encoded": _png_b64(garment)}}],
                }
            ],
            "parameters": {
                "sampleCount": 1,
                "personGeneration": "allow_adult",
                "outputOptions": {"mimeType": "image/png"},
            },
        }
        token = access_token(account)
        answer = _post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code == 401:
            _forget(account)  # revoked or expired early: the next render fetches a new one
        if answer.status_code != 200:
            raise _predict_error(answer)
        return _result(answer, person.size)


# --- configuration -----------------------------------------------------------------------
def _predict_url() -> str:
    project, location = settings.VERTEX_PROJECT, settings.VERTEX_LOCATION
    if not project:
        raise EngineError("The Vertex AI engine is not configured: set VERTEX_PROJECT.")
    base = (settings.VERTEX_API_URL or _host(location)).format(location=location).rstrip("/")
    return (
        f"{base}/v1/projects/{project}/locations/{location}"
        f"/publishers/google/models/{settings.VERTEX_MODEL}:predict"
    )


def _host(location: str) -> str:
    """Google's endpoint for a location: the global one has no region prefix."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


def load_service_account() -> ServiceAccount:
    """The service account of VERTEX_CREDENTIALS_FILE; EngineError if unset or unusable."""
    path = settings.VERTEX_CREDENTIALS_FILE
    if not path:
        raise EngineError("The Vertex AI engine is not configured: set VERTEX_CREDENTIALS_FILE.")
    try:
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
        fields = ("client_email", "private_key", "private_key_id", "token_uri")
        values = [info[field] for field in fields]
    except (OSError, ValueError, KeyError, TypeError) as error:
        # The message names the problem, never the key material.
        reason = f"missing field {error}" if isinstance(error, KeyError) else type(error).__name__
        raise EngineError(
            f"The Vertex AI credentials file cannot be used ({reason}): "
            "expected a service-account JSON key."
        ) from None
    if not all(isinstance(value, str) and value for value in values):
        raise EngineError("The Vertex AI credentials file has empty fields.")
    return ServiceAccount(*values)


# --- access token ------------------------------------------------------------------------
def access_token(account: ServiceAccount) -> str:
    """A bearer token for ``account``: the cached one, or a new one from its token_uri."""
    key = (account.token_uri, account.client_email, account.private_key_id)
    # Held across the fetch on purpose: concurrent renders wait for one token request
    # instead of each signing and sending their own.
    with _token_lock:
        cached = _tokens.get(key)
        if cached is not None and time.monotonic() < cached[1] - REFRESH_MARGIN:
            return cached[0]
        token, expires_in = _fetch_token(account)
        _tokens[key] = (token, time.monotonic() + expires_in)
        return token


def _forget(account: ServiceAccount) -> None:
    with _token_lock:
        _tokens.pop((account.token_uri, account.client_email, account.private_key_id), None)


def _fetch_token(account: ServiceAccount) -> tuple[str, float]:
    now = int(time.time())
    claims = {
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": account.token_uri,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    try:
        assertion = jwt.encode(
            claims, account.private_key, algorithm="RS256", headers={"kid": account.private_key_id}
        )
    except (ValueError, TypeError, jwt.PyJWTError):
        raise EngineError("The Vertex AI service-account private key is not valid.") from None
    answer = _post(
        account.token_uri,
        data={"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
        max_bytes=MAX_TOKEN_ANSWER_BYTES,
    )
    if answer.status_code != 200:
        logger.warning(
            "Google token endpoint answered %s %s", answer.status_code, _oauth_error(answer)
        )
        if answer.status_code == 429 or answer.status_code >= 500:
            raise EngineUnavailable(retry_after=_retry_after(answer, {}))
        raise EngineError("Google refused the Vertex AI service-account credentials.")
    data = _json(answer)
    token, expires_in = data.get("access_token"), data.get("expires_in", 3600)
    if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
        raise EngineError("Google's token endpoint answered without a usable access token.")
    return token, float(expires_in)


def _oauth_error(answer: _Answer) -> str:
    """The OAuth error code ("invalid_grant", …), and nothing else of the body: an echo of
    the request could hold the signed assertion."""
    try:
        error = json.loads(answer.content).get("error")
    except (ValueError, AttributeError):
        return "(no OAuth error)"
    return error[:100] if isinstance(error, str) else "(no OAuth error)"


# --- HTTP --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Answer:
    status_code: int
    headers: Any
    content: bytes


def _post(url: str, *, max_bytes: int = MAX_ANSWER_BYTES, **kwargs: Any) -> _Answer:
    """POST and read the whole answer within VERTEX_TIMEOUT (total, not per read) and
    ``max_bytes``; network failures and timeouts are EngineUnavailable."""
    timeout = float(settings.VERTEX_TIMEOUT)
    deadline = time.monotonic() + timeout
    try:
        with requests.post(url, timeout=(min(timeout, 10.0), timeout), stream=True, **kwargs) as r:
            declared = r.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise EngineError("The try-on service sent an answer that is too large.")
            chunks, size = [], 0
            for chunk in r.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise EngineError("The try-on service sent an answer that is too large.")
                if time.monotonic() > deadline:
                    raise requests.Timeout("total time exceeded")
                chunks.append(chunk)
            return _Answer(r.status_code, r.headers, b"".join(chunks))
    except requests.RequestException as error:  # connection refused/reset, timeouts, …
        logger.warning("Vertex AI request failed: %s", type(error).__name__)
        raise EngineUnavailable() from None


def _json(answer: _Answer) -> dict[str, Any]:
    try:
        data = json.loads(answer.content)
    except ValueError:
        raise EngineError("The try-on service sent an answer that is not JSON.") from None
    if not isinstance(data, dict):
        raise EngineError("The try-on service sent an unexpected answer.")
    return data


def _predict_error(answer: _Answer) -> EngineError:
    """The EngineError for a non-200 predict answer in Google's {"error": {...}} shape."""
    try:
        error = json.loads(answer.content).get("error") or {}
        status, message = str(error.get("status", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        error, status, message = {}, "", ""
    code = answer.status_code
    logger.warning("Vertex AI predict answered %s %s: %s", code, status, message[:300])
    if code == 429 or code in TRANSIENT_STATUSES or status in TRANSIENT_GOOGLE_STATUSES:
        return EngineUnavailable(retry_after=_retry_after(answer, error))
    if code == 400:
        lowered = message.lower()
        if any(marker in lowered for marker in RAI_MARKERS):
            return ContentRejected()
        if any(marker in lowered for marker in PERSON_MARKERS):
            return PersonImageInvalid()
        if any(marker in lowered for marker in PRODUCT_MARKERS):
            return ProductImageFetchFailed()
    if code in (401, 403):
        failure = EngineMisconfigured()
        failure.add_note("The Vertex AI engine is misconfigured: access was denied.")
        return failure
    return EngineError()


def _retry_after(answer: _Answer, error: Any) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or Google's RetryInfo."""
    from_header = retry_after_seconds(answer.headers.get("Retry-After"))
    if from_header is not None:
        return from_header
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                pass
    return None


# --- images ------------------------------------------------------------------------------
def _bounded(image: Image.Image) -> Image.Image:
    if max(image.size) <= VertexEngine.preferred_size:
        return image
    image = image.copy()
    image.thumbnail((VertexEngine.preferred_size,) * 2, Image.Resampling.LANCZOS)
    return image


def _jpeg_b64(person: Image.Image) -> str:
    buffer = io.BytesIO()
    _bounded(person).convert("RGB").save(buffer, "JPEG", quality=92)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _png_b64(garment: Image.Image) -> str:
    garment = _bounded(garment)
    if garment.mode in ("RGBA", "LA", "P"):
        # A packshot with a transparent backdrop is flattened onto white, as a shop would show it.
        rgba = garment.convert("RGBA")
        garment = Image.new("RGB", rgba.size, "white")
        garment.paste(rgba, mask=rgba.getchannel("A"))
    buffer = io.BytesIO()
    garment.convert("RGB").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _result(answer: _Answer, size: tuple[int, int]) -> Image.Image:
    predictions = _json(answer).get("predictions")
    if predictions is None or predictions == []:
        # Google drops filtered images from the answer; with one sample, nothing is left.
        raise ContentRejected()
    if not isinstance(predictions, list) or not isinstance(predictions[0], dict):
        raise EngineError("The try-on service sent an unexpected answer.")
    first = predictions[0]
    if first.get("raiFilteredReason"):
        logger.info("Vertex AI filtered the result: %s", str(first["raiFilteredReason"])[:300])
        raise ContentRejected()
    encoded = first.get("bytesBase64Encoded")
    if not isinstance(encoded, str) or not encoded:
        raise EngineError("The try-on service answered without an image.")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(encoded, validate=True)))
        if image.width * image.height > MAX_RESULT_PIXELS:
            raise ValueError("too many pixels")
        image.load()
    except (binascii.Error, ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise EngineError("The try-on service sent an image that cannot be read.") from None
    image = image.convert("RGB")
    return image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)

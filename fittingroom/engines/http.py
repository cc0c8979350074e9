"""Small pieces of HTTP that every provider client reads the same way."""

import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from fittingroom.engines.base import EngineError, JobStatus

logger = logging.getLogger(__name__)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is one."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def malformed(provider: str, what: str) -> EngineError:
    """The failure for an answer the provider's documentation does not allow (logged: the
    shopper sees the generic engine error)."""
    logger.warning("%s sent %s", provider, what)
    failure = EngineError()
    failure.add_note(f"{provider} sent {what}")
    return failure


def read_capped(response: requests.Response, *, max_bytes: int, provider: str) -> bytes:
    """The body of a streamed response, refused past `max_bytes` (declared or counted)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise malformed(provider, f"a {declared}-byte body")
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=256 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise malformed(provider, "a body over the size cap")
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(body: bytes, *, provider: str) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise malformed(provider, "a body that is not a JSON object")
    return payload


def completed_status(result: object) -> JobStatus | None:
    """A finished job's status from the result a provider names: a data URI (sync modes) or an
    http(s) URL to fetch; None for anything else (an empty or malformed data URI included)."""
    if isinstance(result, str) and result.startswith("data:"):
        try:
            content = base64.b64decode(result.partition(",")[2], validate=True)
        except (binascii.Error, ValueError):
            content = b""
        return JobStatus("completed", result_bytes=content) if content else None
    if isinstance(result, str) and result.startswith(("https://", "http://")):
        return JobStatus("completed", result_url=result)
    return None

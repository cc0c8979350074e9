"""Safe retries of the public API's POSTs with an `Idempotency-Key` header, as Stripe does it.

The first request with a key runs and its answer is kept for 24 hours; a retry with the same
key and the same request gets that answer again (`Idempotent-Replayed: true`) instead of doing
the work twice. The same key while the first request still runs → 409 IDEMPOTENCY_KEY_IN_USE;
with another request → 422 IDEMPOTENCY_KEY_REUSED. Server errors (5xx) and 429s are not kept:
the key is released so the retry runs for real. Keys are scoped to the API key's account.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from fittingroom.accounts.api_keys import account_for_api_key
from fittingroom.core.cache_atomic import cache_add
from fittingroom.core.errors import ApplicationError, Unauthorized, ValidationFailed, error_body

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEEP_SECONDS = 24 * 60 * 60
# Longer than any request runs: a process that dies mid-request frees its key after this.
IN_FLIGHT_SECONDS = 5 * 60
IN_FLIGHT = "in-flight"
REPLAYED_RESPONSE_HEADERS = ("Content-Type", "Location", "Cache-Control")

View = Callable[..., HttpResponse]


class IdempotencyKeyInUse(ApplicationError):
    code, status = "IDEMPOTENCY_KEY_IN_USE", 409
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotencyKeyReused(ApplicationError):
    code, status = "IDEMPOTENCY_KEY_REUSED", 422
    message = "This Idempotency-Key was already used with a different request."


class PayloadTooLarge(ApplicationError):
    code, status, message = "PAYLOAD_TOO_LARGE", 413, "The request body is too large."


def idempotency_cache_key(*, account_id: str, key: str) -> str:
    return f"idempotency:{account_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def idempotent(view: View) -> View:
    """Wrap a Django view (e.g. `SomeApi.as_view()`) so its POSTs honour `Idempotency-Key`.
    Without the header, or with a missing or invalid API key (the view answers 401), it
    changes nothing."""

    @functools.wraps(view)  # keeps csrf_exempt and `cls`, which drf-spectacular reads
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return view(request, *args, **kwargs)
        try:
            account_id = account_for_api_key(
                raw_key=request.META.get("HTTP_X_API_KEY", "").strip()
            ).id
        except Unauthorized:
            return view(request, *args, **kwargs)
        try:
            return _run_once(view, request, account_id, key, args, kwargs)
        except ApplicationError as error:
            return JsonResponse(error_body(error), status=error.status, headers=error.headers)

    wrapped.idempotent = True  # type: ignore[attr-defined]
    return wrapped


def _run_once(
    view: View, request: HttpRequest, account_id: str, key: str, args: tuple, kwargs: dict
) -> HttpResponse:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            details=[{"path": HEADER, "message": f"1 to {MAX_KEY_LENGTH} characters."}]
        )
    if _declared_length(request) > settings.UPLOAD_MAX_BYTES + 64 * 1024:
        # Larger than any endpoint accepts: every one refuses it before reading the body, and
        # fingerprinting it would mean reading it.
        return view(request, *args, **kwargs)
    fingerprint = _fingerprint(request)
    cache_key = idempotency_cache_key(account_id=account_id, key=key)
    if not cache_add(cache_key, IN_FLIGHT, timeout=IN_FLIGHT_SECONDS):
        return _replay(cache.get(cache_key), fingerprint)
    try:
        response = view(request, *args, **kwargs)
        if callable(getattr(response, "render", None)):
            response = response.render()
    except BaseException:
        cache.delete(cache_key)
        raise
    if response.status_code >= 500 or response.status_code == 429 or response.streaming:
        cache.delete(cache_key)
    else:
        cache.set(cache_key, _record(response, fingerprint), timeout=KEEP_SECONDS)
    return response


def _replay(record: dict | str | None, fingerprint: str) -> HttpResponse:
    # None: the first request just failed and released the key; a retry may go ahead.
    if record is None or record == IN_FLIGHT:
        raise IdempotencyKeyInUse()
    if record["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    response = HttpResponse(record["body"], status=record["status"])
    for name, value in record["headers"]:
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _record(response: HttpResponse, fingerprint: str) -> dict:
    headers = [(name, response[name]) for name in REPLAYED_RESPONSE_HEADERS if name in response]
    return {
        "fingerprint": fingerprint,
        "status": response.status_code,
        "body": response.content,
        "headers": headers,
    }


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _fingerprint(request: HttpRequest) -> str:
    """A hash of what the request asks for: method, path and query, and the body — raw bytes,
    or for multipart the fields and each file's content (the framing's boundary is random)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    try:
        if request.content_type == "multipart/form-data":
            for name in sorted(request.POST):
                digest.update(json.dumps([name, request.POST.getlist(name)]).encode())
            for name in sorted(request.FILES):
                for upload in request.FILES.getlist(name):
                    digest.update(json.dumps([name, upload.name, _file_hash(upload)]).encode())
        else:
            digest.update(request.body)
    except RequestDataTooBig as error:
        raise PayloadTooLarge() from error
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:
        raise ValidationFailed("The request body could not be parsed.") from error
    return digest.hexdigest()


def _file_hash(upload: Any) -> str:
    file_digest = hashlib.sha256()
    for chunk in upload.chunks():
        file_digest.update(chunk)
    upload.seek(0)
    return file_digest.hexdigest()

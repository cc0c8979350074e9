"""One error vocabulary: every failure leaves the API as {code, message, status, details}."""

import logging
from typing import Any

import kombu.exceptions
import redis
from django import db
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain failure with a stable code; services raise these, never HTTP responses."""

    code = "APPLICATION_ERROR"
    status = 400
    message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code, status, message = "VALIDATION_FAILED", 400, "The request failed validation."


class Unauthorized(ApplicationError):
    code, status, message = "UNAUTHORIZED", 401, "Authentication failed."


class NotFound(ApplicationError):
    code, status, message = "NOT_FOUND", 404, "Not found."


class RateLimited(ApplicationError):
    code, status, message = "RATE_LIMITED", 429, "Too many requests. Slow down."


class ServiceUnavailable(ApplicationError):
    code, status = "SERVICE_UNAVAILABLE", 503
    message = "The service is briefly unavailable. Try again in a moment."


# Our own backing services failing (Redis restarting, a database connection dropped): the
# request did nothing it should not repeat, so say "try again" (503), not 500.
BACKING_SERVICE_ERRORS = (
    redis.ConnectionError,
    redis.TimeoutError,
    kombu.exceptions.OperationalError,
    db.OperationalError,
    db.InterfaceError,
)


def error_body(error: ApplicationError) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "status": error.status,
        "details": error.details,
    }


def _details_from_drf(data: Any, path: str = "") -> list[dict[str, str]]:
    if isinstance(data, dict):
        found: list[dict[str, str]] = []
        for key, value in data.items():
            child = key if key != "non_field_errors" else ""
            found += _details_from_drf(value, f"{path}.{child}".strip(".") if child else path)
        return found
    if isinstance(data, list):
        if all(isinstance(item, str) for item in data):
            return [{"path": path, "message": str(item)} for item in data]
        found = []
        for index, item in enumerate(data):
            found += _details_from_drf(item, f"{path}[{index}]")
        return found
    return [{"path": path, "message": str(data)}]


def _from_drf(exc: drf_exceptions.APIException) -> ApplicationError:
    if isinstance(exc, drf_exceptions.ValidationError):
        return ValidationFailed(details=_details_from_drf(exc.detail))
    if isinstance(exc, drf_exceptions.ParseError):
        return ValidationFailed(
            "The request body could not be parsed.",
            details=[{"path": "", "message": str(exc.detail)}],
        )
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        error = ValidationFailed(str(exc.detail))
        error.code, error.status = "UNSUPPORTED_MEDIA_TYPE", 415
        return error
    if isinstance(exc, drf_exceptions.Throttled):
        return RateLimited(headers={"Retry-After": str(exc.wait or 60)})
    error = ApplicationError(str(exc.detail))
    error.code = str(exc.default_code).upper()
    error.status = exc.status_code
    return error


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: renders ApplicationError and DRF's own errors alike.

    A view may carry `error_extra` (e.g. the proxy's `{"jobId": None}`) merged into error bodies,
    and `unexpected_error`, the ApplicationError an unexpected failure is answered with (logged
    in full) instead of a bare 500.
    """
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if isinstance(exc, drf_exceptions.APIException):
        exc = _from_drf(exc)
    elif isinstance(exc, BACKING_SERVICE_ERRORS):
        logger.warning("backing service unavailable: %r", exc)
        exc = ServiceUnavailable(headers={"Retry-After": "2"})
    view = context.get("view")
    if not isinstance(exc, ApplicationError) and getattr(view, "unexpected_error", None):
        logger.error("unexpected failure in %s", type(view).__name__, exc_info=exc)
        exc = view.unexpected_error()
    if not isinstance(exc, ApplicationError):
        return None
    set_rollback()
    body = {**getattr(view, "error_extra", {}), **error_body(exc)}
    return Response(body, status=exc.status, headers=exc.headers)


def ratelimited_view(request: HttpRequest, exception: Exception) -> JsonResponse:
    """django-ratelimit's RATELIMIT_VIEW, in our error shape."""
    error = RateLimited()
    return JsonResponse(error_body(error), status=error.status, headers={"Retry-After": "60"})

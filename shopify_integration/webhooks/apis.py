"""POST /shopify/webhooks: Shopify's one webhook endpoint, for every topic.

A plain Django view, not DRF: the signature must be checked on the raw bytes before anything
parses them, and the caller is a machine that only reads the status. It answers at once (Shopify
waits 5 s at most); the work happens in a task. It never redirects: Shopify treats 3xx as failure.
"""

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from fittingroom.core.errors import ApplicationError, Unauthorized, ValidationFailed, error_body
from shopify_integration.webhooks.services import webhook_receive
from shopify_integration.webhooks.verification import webhook_signature_valid

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024  # Shopify's payloads are a few KB; a product with many variants tens


class PayloadTooLarge(ApplicationError):
    code, status, message = "PAYLOAD_TOO_LARGE", 413, "The webhook body is too large."


class MethodNotAllowed(ApplicationError):
    code, status, message = "METHOD_NOT_ALLOWED", 405, "Webhooks are delivered with POST."


@method_decorator(csrf_exempt, name="dispatch")
class WebhookReceiveApi(View):
    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            body = _read_body(request)
            _verify(request, body)
            created = webhook_receive(
                webhook_id=request.headers.get("X-Shopify-Webhook-Id", ""),
                event_id=request.headers.get("X-Shopify-Event-Id", ""),
                topic=request.headers.get("X-Shopify-Topic", ""),
                shop_domain=request.headers.get("X-Shopify-Shop-Domain", ""),
                api_version=request.headers.get("X-Shopify-API-Version", ""),
                payload=_parse(body),
            )
        except ApplicationError as error:
            return JsonResponse(error_body(error), status=error.status)
        return JsonResponse({"status": "accepted" if created else "duplicate"})

    def http_method_not_allowed(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        error = MethodNotAllowed()
        return JsonResponse(error_body(error), status=error.status, headers={"Allow": "POST"})


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, refused from its declared size before reading when that is too large."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as error:
        raise ValidationFailed("Bad Content-Length.") from error
    if declared > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return body


def _verify(request: HttpRequest, body: bytes) -> None:
    secrets = [settings.SHOPIFY_API_SECRET, settings.SHOPIFY_API_SECRET_PREVIOUS]
    header = request.headers.get("X-Shopify-Hmac-SHA256")
    if not webhook_signature_valid(body=body, header=header, secrets=secrets):
        logger.info(
            "webhook refused: bad signature (shop %s)", request.headers.get("X-Shopify-Shop-Domain")
        )
        raise Unauthorized()


def _parse(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise ValidationFailed("The body is not JSON.") from error
    if not isinstance(payload, dict):
        raise ValidationFailed("The body is not a JSON object.")
    return payload

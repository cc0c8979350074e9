"""Provider webhooks: a hosted job says it is done. We don't take the result from the call:
it only makes the generation's next poll happen now, so a forged, duplicated or out-of-order
delivery can change nothing a poll of the provider would not. One view for every engine that
calls back (FASHN, fal): the URL names the engine and carries our token."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fittingroom.core.errors import Unauthorized, error_body
from fittingroom.engines.webhooks import webhook_token_valid
from fittingroom.generations.dispatch import poll_enqueue
from fittingroom.generations.models import Generation

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def engine_webhook_view(request: HttpRequest, engine: str) -> JsonResponse:
    reference, token = request.GET.get("ref", ""), request.GET.get("token", "")
    if not reference or not webhook_token_valid(engine, reference, token):
        error = Unauthorized("Invalid webhook token.")
        return JsonResponse(error_body(error), status=error.status)
    waiting = Generation.objects.filter(
        id=reference, status=Generation.Status.PROCESSING, engine=engine
    ).exclude(provider_job_id="")
    if not waiting.exists():
        # Finished already, or never ours: answer 2xx so the provider stops retrying.
        return JsonResponse({"received": True, "action": "none"})
    poll_enqueue(reference)
    return JsonResponse({"received": True, "action": "poll"})

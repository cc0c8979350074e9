"""Provider webhooks: a hosted job says it is done. We don't take the result from the call:
it only makes the generation's next poll happen now, so a forged, duplicated or out-of-order
delivery can change nothing a poll of the provider would not."""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fittingroom.core.errors import Unauthorized, error_body
from fittingroom.engines import fashn
from fittingroom.generations.models import Generation

logger = logging.getLogger(__name__)


def fashn_webhook_url(*, base_url: str, generation_id: str) -> str:
    token = fashn.webhook_token(generation_id)
    return f"{base_url}/engines/fashn/webhook?ref={generation_id}&token={token}"


@csrf_exempt
@require_POST
def fashn_webhook_view(request: HttpRequest) -> JsonResponse:
    from fittingroom.generations.tasks import generation_poll_task

    reference, token = request.GET.get("ref", ""), request.GET.get("token", "")
    if not reference or not fashn.webhook_token_valid(reference, token):
        error = Unauthorized("Invalid webhook token.")
        return JsonResponse(error_body(error), status=error.status)
    waiting = Generation.objects.filter(
        id=reference, status=Generation.Status.PROCESSING, engine="fashn"
    ).exclude(provider_job_id="")
    if not waiting.exists():
        # Finished already, or never ours: answer 2xx so the provider stops retrying.
        return JsonResponse({"received": True, "action": "none"})
    generation_poll_task.delay(reference)
    return JsonResponse({"received": True, "action": "poll"})

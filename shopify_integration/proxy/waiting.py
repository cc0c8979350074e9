"""`GET generation/<jobId>?wait=N`: answer as soon as the status changes, or after N seconds.

An async view: while it waits it holds no thread, only a coroutine subscribed to the
generation's change announcements (see fittingroom/generations/events.py). Authentication and
the answer itself are the ordinary status API's, run before and after the wait.
"""

import re

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from fittingroom.core.errors import ValidationFailed, error_body
from fittingroom.generations.events import wait_for_change
from fittingroom.generations.models import Generation
from shopify_integration.proxy.apis import ProxyGenerationStatusApi

MAX_WAIT_SECONDS = 25
FINISHED = {Generation.Status.COMPLETED, Generation.Status.FAILED}
_status_api = ProxyGenerationStatusApi.as_view()


def _wait_seconds(request: HttpRequest) -> int:
    raw = request.GET.get("wait", "0") or "0"
    # ASCII digits, a few: str.isdigit() takes "²" and int() refuses 5,000 digits (500s).
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise ValidationFailed(details=[{"path": "wait", "message": "Seconds, 0 to 25."}])
    return min(int(raw), MAX_WAIT_SECONDS)


def _release_connection() -> None:
    connection.close()  # looked up here, in the request's sync thread, not the event loop's


def _status_of(job_id: str) -> str | None:
    """The status now; a database failure ends the wait (the final answer then says what is
    known). Closes its connection, so a waiting request holds none between looks."""
    try:
        return Generation.objects.filter(id=job_id).values_list("status", flat=True).first()
    except (OperationalError, InterfaceError):
        return None
    finally:
        connection.close()


# Signed by Shopify's proxy, never by a cookie: like the DRF views, no CSRF check (which would
# answer other methods with Django's HTML 403 instead of the API's JSON 405).
@csrf_exempt
async def generation_status_view(request: HttpRequest, job_id: str) -> HttpResponse:
    try:
        wait = _wait_seconds(request)
    except ValidationFailed as error:
        return JsonResponse(error_body(error), status=error.status)
    first = await sync_to_async(_status_api)(request, job_id=job_id)
    if wait == 0 or first.status_code != 200 or first.data["status"] in FINISHED:
        return first
    seen = first.data["status"]
    # Waits are long and connections few: hold none while waiting (a waiter's connection would
    # also go stale if the database dropped it meanwhile).
    await sync_to_async(_release_connection)()

    async def changed() -> bool:
        return await sync_to_async(_status_of)(job_id) != seen

    await wait_for_change(generation_id=job_id, timeout=wait, changed=changed)
    return await sync_to_async(_status_api)(request, job_id=job_id)

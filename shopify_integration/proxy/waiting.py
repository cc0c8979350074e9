"""`GET generation/<jobId>?wait=N`: answer as soon as the status changes, or after N seconds.

Two entry points for one URL. The web process (config/serving.py) hands a request with a wait
to Django's ASGI handler, which resolves it through `config.urls_waiting` to
`generation_wait_view`: a coroutine that holds no thread while it waits, only a subscription to
the generation's change announcements (fittingroom/generations/events.py); its database work
runs on the process's thread pool, on a kept connection. Every other request, and any request
served without that router (tests, a plain WSGI server), reaches `generation_status_view`, a
plain view that answers at once (or waits in its thread when no router is in front).
"""

import contextlib
import json
import re

from asgiref.sync import async_to_sync, sync_to_async
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from config.serving import database_executor
from fittingroom.core.errors import ValidationFailed, error_body
from fittingroom.generations.events import wait_for_change
from fittingroom.generations.models import Generation
from shopify_integration.proxy.apis import ProxyGenerationStatusApi
from shopify_integration.proxy.authentication import proxy_params
from shopify_integration.selectors import installed_shop_generation

MAX_WAIT_SECONDS = 25
FINISHED = {Generation.Status.COMPLETED, Generation.Status.FAILED}
_status_api = ProxyGenerationStatusApi.as_view()


def _wait_seconds(request: HttpRequest) -> int:
    raw = request.GET.get("wait", "0") or "0"
    # ASCII digits, a few: str.isdigit() takes "²" and int() refuses 5,000 digits (500s).
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise ValidationFailed(details=[{"path": "wait", "message": "Seconds, 0 to 25."}])
    return min(int(raw), MAX_WAIT_SECONDS)


def _status_of(job_id: str) -> str | None:
    """The status now; a database failure ends the wait (the final answer then says what is
    known)."""
    try:
        return Generation.objects.filter(id=job_id).values_list("status", flat=True).first()
    except (OperationalError, InterfaceError):
        return None


def _in_pool(function):
    """`function` as a coroutine run on the web's thread pool (a kept connection, bounded by the
    pool's size); without the router, in the request's own thread as Django would."""
    executor = database_executor()
    if executor is None:
        return sync_to_async(function)

    def as_a_request(*args, **kwargs):
        # What Django does around every request of a pool thread (request_started/finished):
        # re-arm the health check of the thread's kept connection, so one PostgreSQL dropped
        # while it sat idle is replaced instead of failing this look.
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(as_a_request, thread_sensitive=False, executor=executor)


# Signed by Shopify's proxy, never by a cookie: like the DRF views, no CSRF check (which would
# answer other methods with Django's HTML 403 instead of the API's JSON 405).
@csrf_exempt
def generation_status_view(request: HttpRequest, job_id: str) -> HttpResponse:
    try:
        wait = _wait_seconds(request)
    except ValidationFailed as error:
        return JsonResponse(error_body(error), status=error.status)
    if wait == 0:
        return _status_now(request, job_id)
    return async_to_sync(generation_wait_view)(request, job_id)


def _status_now(request: HttpRequest, job_id: str) -> HttpResponse:
    """The status API's answer, a successful one in one prepared statement and without DRF's
    dispatch and rendering: the widget polls this, and those were most of its CPU. Anything else
    (a bad signature, an unknown or uninstalled shop, another shop's job, another method) goes
    through the DRF view, which finds out which and renders it; a status read has no effect to
    repeat."""
    if request.method == "GET":
        generation = None
        # Any failure is answered by the DRF view below, which renders it.
        with contextlib.suppress(Exception):
            params = proxy_params(request.META.get("QUERY_STRING", ""))
            generation = installed_shop_generation(domain=params.shop, generation_id=job_id)
        if generation is not None:
            body = ProxyGenerationStatusApi.OutputSerializer(generation).data
            response = HttpResponse(
                json.dumps(body, separators=(",", ":")), content_type="application/json"
            )
            response["Cache-Control"] = "no-store"
            return response
    return _status_api(request, job_id=job_id)


@csrf_exempt
async def generation_wait_view(request: HttpRequest, job_id: str) -> HttpResponse:
    try:
        wait = _wait_seconds(request)
    except ValidationFailed as error:
        return JsonResponse(error_body(error), status=error.status)
    answer = _in_pool(_status_api)
    first = await answer(request, job_id=job_id)
    if wait == 0 or first.status_code != 200 or first.data["status"] in FINISHED:
        return first
    seen = first.data["status"]
    status_of = _in_pool(_status_of)

    async def changed() -> bool:
        return await status_of(job_id) != seen

    await wait_for_change(generation_id=job_id, timeout=wait, changed=changed)
    return await answer(request, job_id=job_id)

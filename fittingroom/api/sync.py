"""`POST /v1/try-on/sync`: a try-on answered when it is finished, in the same request.

The try-on is created exactly as by `POST /v1/try-on` (same body, same checks, same
`Idempotency-Key` handling); then the request waits, holding no thread, only a coroutine
subscribed to the generation's change announcements (as `?wait=` does), until the generation
is COMPLETED or FAILED (200) or TRYON_SYNC_WAIT_SECONDS pass (202: poll its status as usual).
"""

import asyncio
import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from fittingroom.api.apis import GenerationDetailApi
from fittingroom.api.idempotency import idempotent
from fittingroom.api.schema import IDEMPOTENCY_PARAMETERS, error_responses
from fittingroom.api.tryon import TRYON_REQUEST, TryOnCreateApi
from fittingroom.generations.events import wait_for_change
from fittingroom.generations.models import Generation

FINISHED = {Generation.Status.COMPLETED, Generation.Status.FAILED}
_create = idempotent(TryOnCreateApi.as_view())


def _release_connection() -> None:
    connection.close()  # looked up here, in the request's sync thread, not the event loop's


def _status_of(generation_id: str) -> str | None:
    try:
        return Generation.objects.filter(id=generation_id).values_list("status", flat=True).first()
    except (OperationalError, InterfaceError):
        return None
    finally:
        connection.close()  # a waiting request holds no connection between looks


def _answer(generation_id: str) -> JsonResponse:
    try:
        generation = Generation.objects.get(id=generation_id)
        body = GenerationDetailApi.OutputSerializer(generation).data
    finally:
        connection.close()
    status = 200 if generation.status in FINISHED else 202
    headers = {"Location": f"/v1/generations/{generation_id}", "Cache-Control": "no-store"}
    return JsonResponse(body, status=status, headers=headers)


def _created_id(response: HttpResponse) -> str:
    data = getattr(response, "data", None)
    if data is None:  # an idempotent replay: a plain JSON response
        data = json.loads(response.content)
    return data["generationId"]


@csrf_exempt  # API-key authenticated, never by a cookie
async def tryon_sync_view(request: HttpRequest) -> HttpResponse:
    created = await sync_to_async(_create)(request)
    if created.status_code != 201:
        return created
    generation_id = _created_id(created)
    await sync_to_async(_release_connection)()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.TRYON_SYNC_WAIT_SECONDS
    while (status := await sync_to_async(_status_of)(generation_id)) not in FINISHED:
        left = deadline - loop.time()
        if left <= 0 or status is None:
            break

        async def changed(seen: str | None = status) -> bool:
            return await sync_to_async(_status_of)(generation_id) != seen

        await wait_for_change(generation_id=generation_id, timeout=left, changed=changed)
    return await sync_to_async(_answer)(generation_id)


class TryOnSyncApi(TryOnCreateApi):
    """Describes `tryon_sync_view` in the OpenAPI schema; never routed itself."""

    @extend_schema(
        operation_id="try_on_sync",
        summary="Run a try-on and wait for it",
        description="The body of `POST /v1/try-on`. Answers 200 with the finished generation "
        "(COMPLETED with `resultImageUrl`, or FAILED), or 202 with it still running after "
        "90 s; then poll `GET /v1/generations/{id}`. Takes one credit (given back on failure).",
        request=TRYON_REQUEST,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={
            200: GenerationDetailApi.OutputSerializer,
            202: GenerationDetailApi.OutputSerializer,
            **error_responses(400, 402, 404, 409, 413, 415, 422),
        },
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


# What DRF tooling reads of a view function: the OpenAPI schema and the checks that every /v1
# route draws on the account's request budget (it does, through TryOnCreateApi).
tryon_sync_view.cls = TryOnSyncApi  # type: ignore[attr-defined]
tryon_sync_view.initkwargs = {}  # type: ignore[attr-defined]

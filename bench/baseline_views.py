"""Scenario 1's floor: the least a Django view on the same stack can do per request, one INSERT
or one primary-key SELECT with a raw cursor, answered as JSON. Same middleware, same server,
same database; no signature, no ORM, no DRF."""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

TABLE = "bench_bare_row"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)"
)


@csrf_exempt
@require_POST
def bare_insert_view(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (payload, created_at) VALUES (%s, now()) RETURNING id",
            [request.body.decode(errors="replace")[:1000]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id})


@require_GET
def bare_select_view(request: HttpRequest, row_id: int) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, payload, created_at FROM {TABLE} WHERE id = %s", [row_id])
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse({"id": row[0], "payload": row[1], "createdAt": row[2].isoformat()})

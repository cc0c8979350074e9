"""/healthz: 200 when the database, the broker and storage answer, else 503 naming the failures."""

import logging

from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    default_storage.listdir("")


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def healthz_view(request: HttpRequest) -> JsonResponse:
    failing = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # a health check reports every failure, whatever its kind
            logger.warning("health check %s failed", name, exc_info=True)
            failing.append(name)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})

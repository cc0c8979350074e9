"""Storing tracking batches: one multi-row INSERT that skips insert ids already stored, then one
upsert of the daily counters for the rows that were new, in one transaction. A batch sent twice
changes nothing the second time."""

from collections import Counter
from datetime import UTC, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fittingroom.accounts.models import Account
from fittingroom.analytics.events import Batch
from fittingroom.analytics.models import DailyCounter, TrackingEvent

_EVENT_COLUMNS = (
    "account",
    "insert_id",
    "name",
    "known",
    "occurred_at",
    "received_at",
    "shopper_key",
    "session_id",
    "product_id",
    "generation_id",
    "properties",
    "context",
)


def events_ingest(*, account: Account, batch: Batch, shopper_key: str) -> int:
    """Store the batch's events for the account, each (account, insert_id) once, and count the
    new ones into the daily counters. `shopper_key` is `customer:…`, `visitor:…` or blank, never
    an address. Returns how many events were new."""
    now = timezone.now()
    rows = [
        {
            "account": account.id,
            "insert_id": event.insert_id,
            "name": event.name,
            "known": event.known,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "shopper_key": shopper_key,
            "session_id": batch.session_id,
            "product_id": event.product_id,
            "generation_id": event.generation_id,
            "properties": event.properties,
            "context": batch.context,
        }
        for event in batch.events
    ]
    with transaction.atomic():
        inserted = set(_insert_new(rows))
        counts = Counter(
            (event.occurred_at.astimezone(UTC).date(), event.product_id, event.name)
            for event in batch.events
            if event.insert_id in inserted
        )
        _counters_add(account_id=account.id, counts=counts)
    return len(inserted)


def _insert_new(rows: list[dict]) -> list[str]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING insert_id (PostgreSQL and SQLite alike)."""
    meta = TrackingEvent._meta
    fields = [meta.get_field(name) for name in _EVENT_COLUMNS]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = [
        field.get_db_prep_save(row[field.name], connection) for row in rows for field in fields
    ]
    # Only our own table and column names are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {meta.db_table} ({columns}) VALUES "  # noqa: S608
        + ", ".join([placeholders] * len(rows))
        + " ON CONFLICT (account_id, insert_id) DO NOTHING RETURNING insert_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()]


def _counters_add(*, account_id: int, counts: Counter) -> None:
    """Add to the counters in one upsert; rows in key order, so concurrent batches lock the
    same counters in the same order and cannot deadlock."""
    if not counts:
        return
    table = DailyCounter._meta.db_table
    keys = sorted(counts)
    values: list = []
    for day, product_id, event in keys:
        values += [
            account_id,
            connection.ops.adapt_datefield_value(day),
            product_id,
            event,
            counts[(day, product_id, event)],
        ]
    # Our own table name is formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (account_id, day, product_id, event, count) VALUES "  # noqa: S608
        + ", ".join(["(%s, %s, %s, %s, %s)"] * len(keys))
        + " ON CONFLICT (account_id, day, product_id, event)"
        + f" DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def events_expire(*, batch_size: int = 5000, max_batches: int = 200) -> int:
    """Delete raw events received more than EVENT_RETENTION_DAYS ago (the counters stay), in
    batches of `batch_size` so no statement holds locks for long. Returns how many went."""
    cutoff = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
    expired = TrackingEvent.objects.filter(received_at__lt=cutoff)
    deleted = 0
    for _ in range(max_batches):
        ids = list(expired.values_list("id", flat=True)[:batch_size])
        if not ids:
            break
        deleted += TrackingEvent.objects.filter(id__in=ids).delete()[0]
    return deleted


def shopper_events_delete(*, account: Account, shopper_key: str) -> int:
    """Forget one shopper's raw events (privacy requests); counters hold no shopper."""
    return TrackingEvent.objects.filter(account=account, shopper_key=shopper_key).delete()[0]

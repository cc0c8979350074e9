"""15. Event ingest: tracking batches of 50 events (the widget's largest), as the proxy view
hands them to the core: parse and check every event, keep no IP or e-mail, insert skipping
insert ids already stored, count the new ones into the daily per-product counters, in one
transaction per batch. Baseline: a bare multi-row INSERT of the same 50 rows (values prepared
beforehand, no checks, no deduplication, no counters), one transaction per batch, into the same
table. Both take turns, batch by batch, so load from elsewhere hits both alike.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime

from bench.common import Context, Row, django_setup, percentile

REQUIRES = ("postgres",)
SCENARIO = "15 event ingest"
BATCH = 50
TARGET = 0.5  # ours at least half the bare INSERT's events per second
NAMES = (
    "product_page:page_view",
    "widget:button_click",
    "widget:image_upload",
    "widget:generation_start",
    "widget:result_view",
)


def body(batch_index: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "events": [
            {
                "event": NAMES[i % len(NAMES)],
                "properties": {"job_id": "gen_benchmark0000000000001", "position": i},
                "timestamp": now,
                "$insert_id": uuid.uuid4().hex,
            }
            for i in range(BATCH)
        ],
        "context": {
            "$current_url": "https://store.example/products/tee?utm_source=bench",
            "$session_id": f"session-{batch_index % 97}",
            "$pageview_id": f"pageview-{batch_index}",
            "fr_client_id": f"visitor-{batch_index % 997:06d}",
            "fr_product_id": f"gid://shopify/Product/{1000 + batch_index % 50}",
            "fr_lib_version": "1.1.0",
        },
    }


def run(ctx: Context) -> list[Row]:
    django_setup(ctx)
    from django.db import connection, transaction

    from fittingroom.accounts.models import Account
    from fittingroom.analytics.events import batch_parse
    from fittingroom.analytics.models import TrackingEvent
    from fittingroom.analytics.services import events_ingest

    batches = 40 if ctx.quick else 400
    account = Account.objects.create(name=f"bench-events-{uuid.uuid4().hex[:8]}")
    bodies = [body(index) for index in range(batches)]
    baseline_sql, baseline_values = _baseline_statements(account, bodies, connection)

    def ours(index: int) -> None:
        batch = batch_parse(bodies[index])
        events_ingest(account=account, batch=batch, shopper_key=f"visitor:{batch.visitor_id}")

    def bare(index: int) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(baseline_sql, baseline_values[index])

    ours(0), bare(0)  # warm-up: connection, statement shapes
    ours_ms, bare_ms = [], []
    for index in range(1, batches):
        for action, samples in ((ours, ours_ms), (bare, bare_ms)):
            start = time.perf_counter()
            action(index)
            samples.append((time.perf_counter() - start) * 1000)
    replay_ms = []
    for index in range(1, min(batches, 50)):  # the same batches again: all duplicates
        start = time.perf_counter()
        ours(index)
        replay_ms.append((time.perf_counter() - start) * 1000)
    stored = TrackingEvent.objects.filter(account=account).count()
    assert stored == batches * BATCH * 2, stored  # ours + bare rows, replays added nothing
    ours_rate = BATCH * 1000 / statistics.median(ours_ms)
    bare_rate = BATCH * 1000 / statistics.median(bare_ms)
    return [
        Row(
            SCENARIO,
            f"events/s, batches of {BATCH}: check, dedupe, insert, count",
            ours_rate,
            "events/s",
            "bare multi-row INSERT",
            bare_rate,
            higher_is_better=True,
            target=f"≥ {TARGET:.0%} of bare INSERT",
            met=ours_rate >= TARGET * bare_rate,
            p50=percentile(ours_ms, 50),
            p99=percentile(ours_ms, 99),
            note=f"ms per batch in p50/p99; a replayed batch (all duplicates) "
            f"{statistics.median(replay_ms):.1f} ms",
        )
    ]


def _baseline_statements(account, bodies: list[dict], connection) -> tuple[str, list[list]]:
    """One multi-row INSERT per batch, its values adapted ahead of time (not timed)."""
    from fittingroom.analytics.models import TrackingEvent

    names = (
        "account", "insert_id", "name", "known", "occurred_at", "received_at", "shopper_key",
        "session_id", "product_id", "generation_id", "properties", "context",
    )  # fmt: skip
    fields = [TrackingEvent._meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {TrackingEvent._meta.db_table} ({columns}) VALUES " + ", ".join(
        [row] * BATCH
    )
    now = datetime.now(UTC)
    values = []
    for batch in bodies:
        context = batch["context"]
        rows = [
            {
                "account": account.id,
                "insert_id": "base-" + event["$insert_id"],
                "name": event["event"],
                "known": True,
                "occurred_at": now,
                "received_at": now,
                "shopper_key": f"visitor:{context['fr_client_id']}",
                "session_id": context["$session_id"],
                "product_id": context["fr_product_id"],
                "generation_id": event["properties"]["job_id"],
                "properties": event["properties"],
                "context": context,
            }
            for event in batch["events"]
        ]
        values.append(
            [field.get_db_prep_save(r[field.name], connection) for r in rows for field in fields]
        )
    return sql, values

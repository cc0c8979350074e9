"""1. Proxy API throughput: `POST fitting-room` (signature, limits, quota, insert, enqueue) and
`GET generation/<id>` (signature, shop, one read) on gunicorn (2 workers, as `bin/run-local`)
+ PostgreSQL + Redis, against bare Django views on the same stack doing one raw INSERT / one
primary-key SELECT.

The load comes from separate processes on loopback (bench/loadgen.py), closed loop over
keep-alive connections, requests built and signed beforehand: every try-on a distinct shopper
and client address, so no limit refuses. No worker runs: the try-ons' tasks wait in Redis and
are purged afterwards.
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import timedelta

from bench.common import Context, Row, percentile
from bench.loadgen import LoadResult, http_request, run_load
from bench.stack import Stack, django_ready, shopify_secret

SCENARIO = "1 proxy API"
CLIENT_PROCESSES = 1  # one lean client process loads 2 server workers; more only steal CPU
CONNECTIONS = 16
STATUS_ROWS = 3000


def run(ctx: Context) -> list[Row]:
    django_ready(ctx)
    from bench import data
    from bench.baseline_views import CREATE_TABLE, TABLE

    seconds, warmup = (4.0, 1.0) if ctx.quick else (12.0, 2.0)
    shop = data.bench_shop("s1")
    photo = data.bench_photo(shop.account)
    job_ids = _status_rows(shop.account, photo)
    row_ids = _bare_rows(CREATE_TABLE, TABLE, count=STATUS_ROWS)
    secret = shopify_secret()
    try:
        with Stack(ctx) as stack:
            base_url = stack.web(workers=2)
            port = int(base_url.rsplit(":", 1)[1])
            host = f"127.0.0.1:{port}"

            def load(requests: list[bytes]) -> LoadResult:
                return run_load(
                    port=port,
                    requests=requests,
                    seconds=seconds,
                    warmup=warmup,
                    connections=CONNECTIONS,
                    processes=CLIENT_PROCESSES,
                )

            bare_select = load(_bare_select_requests(host, row_ids))
            status = load(_status_requests(host, shop.domain, secret, job_ids))
            bare_insert = load(_bare_insert_requests(host))
            create = load(_create_requests(host, shop.domain, secret, photo.id, count=20_000))
    finally:
        data.purge_queues()
        data.shop_delete(shop)
        _drop(TABLE)
    return [
        _row("generation status GET", status, "bare PK SELECT", bare_select, 0.70),
        _row("fitting-room POST", create, "bare INSERT", bare_insert, 0.40),
    ]


def _row(name: str, ours: LoadResult, base_name: str, base: LoadResult, floor: float) -> Row:
    expected = 201 if "INSERT" in base_name else 200
    bad = sum(n for code, n in ours.statuses.items() if code != 200) + ours.errors
    bad_base = sum(n for code, n in base.statuses.items() if code not in (200, expected))
    ratio = ours.rate / base.rate if base.rate else 0.0
    note = (
        f"{CONNECTIONS} keep-alive connections from {CLIENT_PROCESSES} client process; "
        f"p50/p99 ms ours, baseline p50/p99 {_p(base, 50):.1f}/{_p(base, 99):.1f} ms; "
        f"{ratio:.0%} of the floor"
    )
    if bad or bad_base or base.errors:
        note += f"; non-200 answers ours {dict(ours.statuses)} +{ours.errors} errors, "
        note += f"baseline {dict(base.statuses)} +{base.errors} errors"
    return Row(
        scenario=SCENARIO,
        name=name,
        value=ours.rate,
        unit="req/s",
        baseline_name=base_name,
        baseline_value=base.rate,
        higher_is_better=True,
        target=f"≥ {floor:.0%} of baseline",
        met=ratio >= floor and not bad,
        p50=_p(ours, 50),
        p99=_p(ours, 99),
        note=note,
    )


def _p(result: LoadResult, q: float) -> float:
    return percentile(result.latencies_ms, q) if result.latencies_ms else float("nan")


# --- data -----------------------------------------------------------------------------------
def _status_rows(account, photo) -> list[str]:
    """Generations to read, a third of each status a client polls for (COMPLETED ones carry a
    result whose URL the answer signs)."""
    from django.utils import timezone

    from bench.data import bench_garment
    from fittingroom.generations.models import Generation

    garment, now = bench_garment(account), timezone.now()
    statuses = [
        Generation.Status.PENDING,
        Generation.Status.PROCESSING,
        Generation.Status.COMPLETED,
    ]
    rows = [
        Generation(
            account=account,
            shopper_key=f"visitor:bench-{i:06d}",
            client_ip="10.1.0.1",
            person_image=photo,
            catalog_source="demo",
            product_id=garment.product_id,
            variant_id=garment.variant_id,
            garment_title=garment.title,
            garment_category=garment.category,
            garment_image_ref=garment.image_ref,
            engine="local",
            status=statuses[i % 3],
            result_image="results/bench/result.jpg" if i % 3 == 2 else "",
            deadline_at=now + timedelta(minutes=10),
            expires_at=now + timedelta(days=7),
        )
        for i in range(STATUS_ROWS)
    ]
    Generation.objects.bulk_create(rows, batch_size=1000)
    return [row.id for row in rows]


def _bare_rows(create_table: str, table: str, *, count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(create_table)
        cursor.execute(f"TRUNCATE {table}")
        cursor.execute(
            f"INSERT INTO {table} (payload, created_at) "
            "SELECT md5(g::text), now() FROM generate_series(1, %s) g RETURNING id",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def _drop(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


# --- requests -------------------------------------------------------------------------------
def _ip(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def _status_requests(host: str, shop: str, secret: str, job_ids: list[str]) -> list[bytes]:
    from bench.data import signed_path

    return [
        http_request(
            "GET",
            signed_path(shop, f"generation/{job_id}", secret),
            host=host,
            headers={"X-Forwarded-For": _ip(i)},
        )
        for i, job_id in enumerate(job_ids)
    ]


def _create_requests(
    host: str, shop: str, secret: str, photo_id: str, *, count: int
) -> list[bytes]:
    from bench.data import PRODUCT_ID, VARIANT_ID, signed_path

    requests = []
    for i in range(count):
        body = json.dumps(
            {
                "userImageId": photo_id,
                "productId": PRODUCT_ID,
                "variantId": VARIANT_ID,
                "visitorId": f"bench-{secrets.token_hex(8)}",
            }
        ).encode()
        requests.append(
            http_request(
                "POST",
                signed_path(shop, "fitting-room", secret),
                host=host,
                body=body,
                headers={"Content-Type": "application/json", "X-Forwarded-For": _ip(i)},
            )
        )
    return requests


def _bare_select_requests(host: str, row_ids: list[int]) -> list[bytes]:
    ids = random.sample(row_ids, len(row_ids))
    return [http_request("GET", f"/bench/bare/row/{row_id}", host=host) for row_id in ids]


def _bare_insert_requests(host: str) -> list[bytes]:
    return [
        http_request(
            "POST",
            "/bench/bare/insert",
            host=host,
            body=json.dumps({"visitorId": f"bench-{i:08d}"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        for i in range(5000)
    ]

"""1. Proxy API throughput, our production shape against the floors on the fastest shape.

Ours: `GET generation/<id>` (signature, the shop and the job in one read) and
`POST fitting-room` (signature, limits, quota, insert, enqueue) on the Procfile's `web`
command. The floors: bare Django views doing one primary-key SELECT / one INSERT with a raw
cursor, on gunicorn's threaded WSGI workers with kept connections (the fastest honest Django
shape here), same processes, threads, middleware and database; both with `--reuse-port`, so
the kernel spreads the connections over the processes (on one shared socket one process often
took all 16: bench/RESULTS.md). Both servers run side by side and take turns, round after
round, so load from elsewhere falls on both alike; rates are totals over the rounds.

Try-ons spread over many shops (one shop's row lock serialises its own try-ons; a row of its
own says how far one shop goes). The burst: 200 connections asking `check-credits` at once,
while another shop polls: no 5xx for either, and PostgreSQL never holds more of the web's
connections than WEB_THREADS x processes.

The load comes from separate processes on loopback (bench/loadgen.py), closed loop over
keep-alive connections, requests built and signed beforehand: every try-on a distinct shopper
and client address, so no limit refuses. No worker runs: the try-ons' tasks wait in Redis and
are purged afterwards.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from datetime import timedelta

from bench.common import Context, Row, percentile
from bench.loadgen import LoadResult, http_request, run_load
from bench.stack import Stack, django_ready, shopify_secret

SCENARIO = "1 proxy API"
CLIENT_PROCESSES = 1  # one lean client process loads 2 server workers; more only steal CPU
CONNECTIONS = 16
STATUS_ROWS = 3000
SHOPS = 20  # try-ons spread over this many shops
WORKERS, THREADS = 2, 8  # both shapes: processes x threads (the Procfile's defaults)
BURST = 200
APP_NAME = "fittingroom-bench-web"  # libpq's PGAPPNAME on our web: its connections counted


def run(ctx: Context) -> list[Row]:
    django_ready(ctx)
    from bench import data
    from bench.baseline_views import CREATE_TABLE, TABLE

    rounds, seconds, warmup = (1, 3.0, 1.0) if ctx.quick else (3, 5.0, 1.0)
    shops = [data.bench_shop(f"s1-{i}") for i in range(SHOPS)]
    photos = [data.bench_photo(shop.account) for shop in shops]
    job_ids = _status_rows(shops[0].account, photos[0])
    row_ids = _bare_rows(CREATE_TABLE, TABLE, count=STATUS_ROWS)
    secret = shopify_secret()
    results: dict[str, list[LoadResult]] = {}
    try:
        with Stack(ctx) as stack:
            shape = {"WEB_THREADS": str(THREADS)}
            floor_port = _port(stack.web(workers=WORKERS, shape="wsgi", **shape))
            ours_port = _port(stack.web(workers=WORKERS, PGAPPNAME=APP_NAME, **shape))

            def load(name: str, port: int, build) -> None:
                requests = build(f"127.0.0.1:{port}")  # signed now: timestamps stay fresh
                result = run_load(
                    port=port,
                    requests=requests,
                    seconds=seconds,
                    warmup=warmup,
                    connections=CONNECTIONS,
                    processes=CLIENT_PROCESSES,
                )
                results.setdefault(name, []).append(result)

            for _ in range(rounds):
                load("select", floor_port, lambda host: _bare_select_requests(host, row_ids))
                load(
                    "status",
                    ours_port,
                    lambda host: _status_requests(host, shops[0].domain, secret, job_ids),
                )
                load("insert", floor_port, _bare_insert_requests)
                load(
                    "create",
                    ours_port,
                    lambda host: _create_requests(host, shops, photos, secret, count=6000),
                )
            load(
                "create one shop",
                ours_port,
                lambda host: _create_requests(host, shops[:1], photos[:1], secret, count=3000),
            )
            burst_rows = _burst(ours_port, shops, secret, job_ids, ctx)
    finally:
        data.purge_queues()
        for shop in shops:
            data.shop_delete(shop)
        _drop(TABLE)
    total = {name: _total(parts) for name, parts in results.items()}
    insert = total["insert"]
    return [
        _row("generation status GET", total["status"], "bare PK SELECT", total["select"], 0.50),
        _row(f"fitting-room POST, {SHOPS} shops", total["create"], "bare INSERT", insert, 0.20),
        _row(
            "fitting-room POST, one shop",
            total["create one shop"],
            "bare INSERT",
            insert,
            None,
        ),
        *burst_rows,
    ]


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _total(parts: list[LoadResult]) -> LoadResult:
    total = LoadResult()
    for part in parts:
        total.requests += part.requests
        total.seconds += part.seconds
        total.latencies_ms += part.latencies_ms
        total.statuses.update(part.statuses)
        total.errors += part.errors
    return total


def _row(name: str, ours: LoadResult, base_name: str, base: LoadResult, floor: float | None) -> Row:
    bad = sum(n for code, n in ours.statuses.items() if code != 200) + ours.errors
    bad_base = sum(n for code, n in base.statuses.items() if code != 200) + base.errors
    ratio = ours.rate / base.rate if base.rate else 0.0
    note = (
        f"ours on the Procfile's web, the floor on threaded WSGI, {WORKERS} processes x "
        f"{THREADS} threads each; {CONNECTIONS} keep-alive connections; p50/p99 ms ours, "
        f"floor p50/p99 {_p(base, 50):.1f}/{_p(base, 99):.1f} ms; {ratio:.0%} of the floor"
    )
    if bad or bad_base:
        note += f"; answers ours {dict(ours.statuses)} +{ours.errors} errors, "
        note += f"floor {dict(base.statuses)} +{base.errors} errors"
    return Row(
        scenario=SCENARIO,
        name=name,
        value=ours.rate,
        unit="req/s",
        baseline_name=base_name + ", WSGI",
        baseline_value=base.rate,
        higher_is_better=True,
        target=f"≥ {floor:.0%} of baseline" if floor is not None else None,
        met=(ratio >= floor and not bad) if floor is not None else None,
        p50=_p(ours, 50),
        p99=_p(ours, 99),
        note=note,
    )


def _p(result: LoadResult, q: float) -> float:
    return percentile(result.latencies_ms, q) if result.latencies_ms else float("nan")


# --- the burst ------------------------------------------------------------------------------
def _burst(port: int, shops, secret: str, job_ids: list[str], ctx: Context) -> list[Row]:
    """BURST connections on `check-credits` of one shop (from one address) while another
    shop polls its status; PostgreSQL's connections of our web sampled meanwhile."""
    host = f"127.0.0.1:{port}"
    from bench.data import signed_path

    burst_requests = [
        http_request(
            "GET",
            signed_path(shops[1].domain, "check-credits", secret),
            host=host,
            headers={"X-Forwarded-For": "10.9.9.9"},
        )
    ] * 50
    other_requests = _status_requests(host, shops[0].domain, secret, job_ids[:500])
    seconds = 3.0 if ctx.quick else 6.0
    peak, done = [0], threading.Event()
    other: list[LoadResult] = []

    def sample() -> None:
        import psycopg

        with psycopg.connect(ctx.database_url, autocommit=True) as conn:
            while not done.is_set():
                count = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [APP_NAME],
                ).fetchone()[0]
                peak[0] = max(peak[0], count)
                time.sleep(0.02)

    def poll_other() -> None:
        other.append(
            run_load(
                port=port,
                requests=other_requests,
                seconds=seconds,
                warmup=0.5,
                connections=4,
                processes=1,
            )
        )

    sampler, poller = threading.Thread(target=sample), threading.Thread(target=poll_other)
    sampler.start()
    poller.start()
    try:
        burst = run_load(
            port=port,
            requests=burst_requests,
            seconds=seconds,
            warmup=0.5,
            connections=BURST,
            processes=1,
        )
    finally:
        poller.join()
        done.set()
        sampler.join()
    other_result = other[0] if other else LoadResult()
    errors = sum(n for code, n in burst.statuses.items() if code >= 500) + burst.errors
    other_errors = sum(n for code, n in other_result.statuses.items() if code >= 500)
    other_errors += other_result.errors
    bound = WORKERS * THREADS
    return [
        Row(
            scenario=SCENARIO,
            name=f"burst: {BURST} connections on check-credits, 5xx or failed",
            value=errors + other_errors,
            unit="answers",
            target="0",
            met=errors + other_errors == 0 and burst.requests > 0,
            p50=_p(burst, 50),
            p99=_p(burst, 99),
            note=f"{burst.rate:.0f} req/s, answers {dict(burst.statuses)} +{burst.errors} "
            f"failed; meanwhile another shop's status polls (4 connections): "
            f"{dict(other_result.statuses)} +{other_result.errors} failed, p50/p99 "
            f"{_p(other_result, 50):.1f}/{_p(other_result, 99):.1f} ms",
        ),
        Row(
            scenario=SCENARIO,
            name="burst: PostgreSQL connections of the web at peak",
            value=peak[0],
            unit="conns",
            baseline_name="WEB_THREADS x processes",
            baseline_value=bound,
            target=f"≤ {bound}",
            met=0 < peak[0] <= bound,
            note="sampled every 20 ms from pg_stat_activity (application_name of our web)",
        ),
    ]


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


def _create_requests(host: str, shops, photos, secret: str, *, count: int) -> list[bytes]:
    from bench.data import PRODUCT_ID, VARIANT_ID, signed_path

    requests = []
    for i in range(count):
        shop, photo = shops[i % len(shops)], photos[i % len(shops)]
        body = json.dumps(
            {
                "userImageId": photo.id,
                "productId": PRODUCT_ID,
                "variantId": VARIANT_ID,
                "visitorId": f"bench-{secrets.token_hex(8)}",
            }
        ).encode()
        requests.append(
            http_request(
                "POST",
                signed_path(shop.domain, "fitting-room", secret),
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

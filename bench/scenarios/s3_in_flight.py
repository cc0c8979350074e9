"""3. Generations in flight per worker: ONE Celery worker process of concurrency 2 against the
FASHN emulator (tests/emulators/fashn.py) with a 10 s model latency.

Ours: N try-ons are created in one transaction (so they all arrive when it commits) and the
worker submits them and polls each with short countdown tasks. Measured: completions per
second over the whole run (N / time from the commit to the last COMPLETED) and the most
generations in flight (submitted to the provider, not finished), sampled every 0.2 s.

Baseline: the same worker shape running a task that waits on the provider (bench/
blocking_worker.py); measured briefly, since its throughput is concurrency / latency.
"""

from __future__ import annotations

import base64
import io
import sys
import time

from bench.common import Context, Row
from bench.stack import Stack, django_ready

SCENARIO = "3 in flight"
LATENCY = 10.0
CONCURRENCY = 2
SAMPLE_SECONDS = 0.2
WARM_UP = 10


def run(ctx: Context) -> list[Row]:
    django_ready(ctx)
    from bench import data
    from tests.emulators.fashn import FashnEmulator

    n = 60 if ctx.quick else 200
    blocking_n = 2 if ctx.quick else 4
    emulator = FashnEmulator().start()
    emulator.latency = LATENCY
    shop = data.bench_shop("s3", engine="fashn")
    photo = data.bench_photo(shop.account)
    env = {
        "FASHN_API_URL": emulator.base_url,
        "FASHN_API_KEY": emulator.api_key,
        "FASHN_REQUESTS_PER_MINUTE": "100000",  # the emulator has no rate limit to respect
        "FASHN_MAX_CONCURRENT": "0",  # nor a concurrency limit (FASHN's is per plan)
        "FASHN_STATUS_REQUESTS_PER_10S": "0",  # nor a status-call budget
        "FETCH_ALLOW_PRIVATE_ADDRESSES": "1",  # the emulator is on loopback
    }
    try:
        with Stack(ctx) as stack:
            stack.worker(concurrency=CONCURRENCY, **env)
            # A running service knows how long its engine takes (the poll schedule uses it).
            _ours(shop.account, photo, WARM_UP, prefix="warm")
            ours = _ours(shop.account, photo, n)
            stack.stop()
            blocking = _blocking(ctx, stack, emulator, photo, blocking_n)
    finally:
        emulator.stop()
        data.purge_queues()
        data.shop_delete(shop)
    ideal = n / LATENCY
    ours_rate = ours["completed"] / ours["seconds"]
    note = (
        f"N={n}, latency {LATENCY:.0f} s, 1 worker x concurrency {CONCURRENCY}; "
        f"{ours['completed']} completed, {ours['failed']} failed in {ours['seconds']:.1f} s "
        f"= {ours_rate / ideal:.0%} of N/latency ({ideal:.0f}/s); "
        f"blocking: {blocking['completed']} in {blocking['seconds']:.1f} s, "
        f"most in flight {blocking['most']}; after a warm-up of {WARM_UP}"
    )
    return [
        Row(
            scenario=SCENARIO,
            name="completions per second, one worker",
            value=ours_rate,
            unit="/s",
            baseline_name="blocking worker",
            baseline_value=blocking["completed"] / blocking["seconds"],
            higher_is_better=True,
            target="≥ 80 % of N/latency",
            met=ours_rate >= 0.8 * ideal and ours["failed"] == 0,
            note=note,
        ),
        Row(
            scenario=SCENARIO,
            name="most generations in flight, one worker",
            value=ours["most"],
            unit="",
            baseline_name="blocking worker",
            baseline_value=blocking["most"],
            higher_is_better=True,
            target="≥ 200" if not ctx.quick else f"≥ 200 (quick: N={n})",
            met=ours["most"] >= min(200, n),
        ),
    ]


def _ours(account, photo, n: int, prefix: str = "bench") -> dict:
    from django.db.models import Count, Max

    from bench.data import bench_generations
    from fittingroom.generations.models import Generation

    ids, started = bench_generations(account, photo, n, prefix=prefix, ip="10.3.0.1")
    rows = Generation.objects.filter(id__in=ids)
    in_flight = rows.filter(status=Generation.Status.PROCESSING).exclude(provider_job_id="")
    most, deadline = 0, time.monotonic() + LATENCY * 6 + 30
    while time.monotonic() < deadline:
        most = max(most, in_flight.count())
        counts = dict(rows.values_list("status").annotate(n=Count("id")))
        finished = counts.get("COMPLETED", 0) + counts.get("FAILED", 0)
        if finished == n:
            break
        time.sleep(SAMPLE_SECONDS)
    last = rows.aggregate(last=Max("finished_at"))["last"]
    seconds = (last.timestamp() if last else time.time()) - started
    return {
        "completed": counts.get("COMPLETED", 0),
        "failed": counts.get("FAILED", 0),
        "seconds": seconds,
        "most": most,
    }


def _blocking(ctx: Context, stack: Stack, emulator, photo, n: int) -> dict:
    import redis
    from PIL import Image

    from bench import blocking_worker as blocking
    from bench.stack import server_env
    from fittingroom.catalog import source_named

    client = redis.Redis.from_url(ctx.redis_url)
    client.delete(blocking.BLOCKING_IN_FLIGHT, blocking.BLOCKING_MOST, blocking.BLOCKING_DONE)
    argv = [
        *(sys.executable, "-m", "celery", "-A", "bench.blocking_worker", "worker"),
        f"--concurrency={CONCURRENCY}",
        *("--queues", blocking.QUEUE, "--loglevel=INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    stack.start("blocking-worker", argv, server_env(ctx), ready_text="ready.")
    with photo.image.open("rb") as handle, Image.open(handle) as image:
        person = _data_uri(image, "JPEG")
    garment_ref = bench_garment_ref(photo.account)
    garment = _data_uri(source_named("demo").load_image(image_ref=garment_ref), "PNG")
    started = time.time()
    for _ in range(n):
        blocking.blocking_tryon.apply_async(
            (emulator.base_url, emulator.api_key, person, garment), queue=blocking.QUEUE
        )
    deadline = time.monotonic() + LATENCY * (n / CONCURRENCY + 2) + 30
    while client.llen(blocking.BLOCKING_DONE) < n and time.monotonic() < deadline:
        time.sleep(SAMPLE_SECONDS)
    done = [item.decode().split(":") for item in client.lrange(blocking.BLOCKING_DONE, 0, -1)]
    most = int(client.get(blocking.BLOCKING_MOST) or 0)
    client.delete(blocking.BLOCKING_IN_FLIGHT, blocking.BLOCKING_MOST, blocking.BLOCKING_DONE)
    last = max((float(at) for at, _ in done), default=time.time())
    return {
        "completed": sum(1 for _, status in done if status == "completed"),
        "seconds": last - started,
        "most": most,
    }


def bench_garment_ref(account) -> str:
    from bench.data import bench_garment

    return bench_garment(account).image_ref


def _data_uri(image, fmt: str) -> str:
    out = io.BytesIO()
    (image.convert("RGB") if fmt == "JPEG" else image).save(out, format=fmt)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(out.getvalue()).decode()}"

"""4. Notification delay: from a generation becoming COMPLETED to the client knowing it.

Each of M generations has two clients on gunicorn (2 workers): one polls `generation/<id>`
every 2 s (starting at a random phase), one long-polls with `?wait=25` (answered on the Redis
announcement, fittingroom/generations/events.py). The bench completes the generations itself at
random moments, in-process through `generation_complete` (the worker's own call, which
publishes the change). Delay = when the client read COMPLETED - the row's `finished_at`.
"""

from __future__ import annotations

import io
import random
import threading
import time

import requests

from bench.common import Context, Row, percentile
from bench.stack import Stack, django_ready, shopify_secret

SCENARIO = "4 notification"
POLL_EVERY = 2.0
WAIT = 25


def run(ctx: Context) -> list[Row]:
    django_ready(ctx)
    from bench import data

    count, spread = (10, 8.0) if ctx.quick else (30, 20.0)
    shop = data.bench_shop("s4")
    photo = data.bench_photo(shop.account)
    try:
        ids = _processing(shop.account, photo, count)
        with Stack(ctx) as stack:
            base_url = stack.web(workers=2)
            seen: dict[tuple[str, str], float] = {}
            clients = [
                threading.Thread(
                    target=client, args=(base_url, shop.domain, job_id, seen), daemon=True
                )
                for job_id in ids
                for client in (_waiter, _poller)
            ]
            for thread in clients:
                thread.start()
            time.sleep(1.0)  # every client has asked once
            finished = _complete_at_random(ids, spread)
            for thread in clients:
                thread.join(timeout=WAIT + 10)
    finally:
        data.purge_queues()
        data.shop_delete(shop)
    waited = [
        seen[("wait", job_id)] - finished[job_id] for job_id in ids if ("wait", job_id) in seen
    ]
    polled = [
        seen[("poll", job_id)] - finished[job_id] for job_id in ids if ("poll", job_id) in seen
    ]
    waited_ms, polled_ms = [s * 1000 for s in waited], [s * 1000 for s in polled]
    p50 = percentile(waited_ms, 50) if waited_ms else float("nan")
    return [
        Row(
            scenario=SCENARIO,
            name="COMPLETED → client, ?wait=",
            value=p50,
            unit="ms",
            baseline_name="polling every 2 s",
            baseline_value=percentile(polled_ms, 50) if polled_ms else float("nan"),
            target="p50 ≤ 100 ms",
            met=len(waited_ms) == count and p50 <= 100,
            p50=p50,
            p99=percentile(waited_ms, 99) if waited_ms else None,
            note=(
                f"{count} generations completed at random over {spread:.0f} s, 2 clients each; "
                f"value and p50/p99 are ?wait=; polling p50/p99 "
                f"{_p(polled_ms, 50):.0f}/{_p(polled_ms, 99):.0f} ms; clients that saw "
                f"COMPLETED: wait {len(waited_ms)}/{count}, poll {len(polled_ms)}/{count}"
            ),
        )
    ]


def _delays_ms(seen: dict, finished: dict[str, float], kind: str) -> list[float]:
    return [
        (seen[(kind, job_id)] - at) * 1000
        for job_id, at in finished.items()
        if (kind, job_id) in seen
    ]


def _p(samples: list[float], q: float) -> float:
    return percentile(samples, q) if samples else float("nan")


def _processing(account, photo, count: int) -> list[str]:
    """Generations a worker has claimed (PROCESSING), as clients would be waiting on."""
    from bench.data import bench_generations
    from fittingroom.generations.services import generation_claim

    ids, _ = bench_generations(account, photo, count, prefix="bench", ip="10.4.0.1")
    for job_id in ids:
        generation_claim(generation_id=job_id)
    return ids


def _complete_at_random(ids: list[str], spread: float) -> dict[str, float]:
    """Complete each generation at a random moment within `spread` seconds, as a worker does;
    returns each one's `finished_at` (epoch seconds)."""
    from PIL import Image

    from fittingroom.generations.models import Generation
    from fittingroom.generations.services import generation_complete

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 120, 200)).save(out, format="JPEG")
    result = out.getvalue()
    started = time.monotonic()
    moments = sorted((random.uniform(0, spread), job_id) for job_id in ids)
    for at, job_id in moments:
        time.sleep(max(0.0, started + at - time.monotonic()))
        generation = Generation.objects.select_related("account").get(id=job_id)
        generation_complete(generation=generation, result_jpeg=result)
    rows = Generation.objects.filter(id__in=ids).values_list("id", "finished_at")
    return {job_id: finished_at.timestamp() for job_id, finished_at in rows}


def _get(session: requests.Session, base_url: str, shop: str, job_id: str, **extra: str):
    from bench.data import signed_path

    path = signed_path(shop, f"generation/{job_id}", shopify_secret(), extra=extra)
    return session.get(base_url + path, timeout=WAIT + 10, headers={"X-Forwarded-For": "10.4.0.9"})


def _waiter(base_url: str, shop: str, job_id: str, seen: dict) -> None:
    with requests.Session() as session:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            response = _get(session, base_url, shop, job_id, wait=str(WAIT))
            if response.ok and response.json()["status"] == "COMPLETED":
                seen[("wait", job_id)] = time.time()
                return
            if not response.ok:
                time.sleep(0.5)  # never spin on an error


def _poller(base_url: str, shop: str, job_id: str, seen: dict) -> None:
    with requests.Session() as session:
        time.sleep(random.uniform(0, POLL_EVERY))  # shoppers do not poll in step
        tick, deadline = time.monotonic(), time.monotonic() + 120
        while time.monotonic() < deadline:
            response = _get(session, base_url, shop, job_id)
            if response.ok and response.json()["status"] == "COMPLETED":
                seen[("poll", job_id)] = time.time()
                return
            tick += POLL_EVERY
            time.sleep(max(0.0, tick - time.monotonic()))

"""Scenario 3's baseline: a try-on worker that waits on the provider the simple way. One task
submits to FASHN, then sleeps and polls until the job is done and downloads the result, so a
worker slot is held for the whole model latency (throughput = concurrency / latency).

Run by the bench as `celery -A bench.blocking_worker worker -Q bench-blocking`; it counts
what it holds in Redis (BLOCKING_IN_FLIGHT) and records each finish (BLOCKING_DONE).
"""

import os
import time

import redis
import requests
from celery import Celery

QUEUE = "bench-blocking"
BLOCKING_IN_FLIGHT = "bench:blocking:in-flight"
BLOCKING_MOST = "bench:blocking:most"
BLOCKING_DONE = "bench:blocking:done"
POLL_SECONDS = 0.5

app = Celery("bench-blocking", broker=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
app.conf.update(
    task_default_queue=QUEUE,
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
)


@app.task(name="bench.blocking_tryon")
def blocking_tryon(api_url: str, api_key: str, person_uri: str, garment_uri: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    counter = redis.Redis.from_url(app.conf.broker_url)
    run = requests.post(
        f"{api_url}/v1/run",
        json={
            "model_name": "tryon-v1.6",
            "inputs": {"model_image": person_uri, "garment_image": garment_uri},
        },
        headers=headers,
        timeout=30,
    )
    run.raise_for_status()
    job_id = run.json()["id"]
    held = counter.incr(BLOCKING_IN_FLIGHT)
    counter.eval(
        "if tonumber(redis.call('get', KEYS[1]) or 0) < tonumber(ARGV[1]) then "
        "redis.call('set', KEYS[1], ARGV[1]) end",
        1,
        BLOCKING_MOST,
        held,
    )
    body: dict = {}
    try:
        while True:
            time.sleep(POLL_SECONDS)  # the slot waits here for the whole model latency
            status = requests.get(f"{api_url}/v1/status/{job_id}", headers=headers, timeout=30)
            status.raise_for_status()
            body = status.json()
            if body["status"] in ("completed", "failed"):
                break
        if body["status"] == "completed":
            requests.get(body["output"][0], timeout=30).raise_for_status()
    finally:
        counter.decr(BLOCKING_IN_FLIGHT)
        counter.rpush(BLOCKING_DONE, f"{time.time()}:{body.get('status', 'error')}")

"""`?wait=N` long polling: the answer comes when the status changes, not at the next poll."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import SignedProxyClient, make_shop, render_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job(person_jpeg):
    shop = make_shop("waiting.myshopify.com")
    proxy = SignedProxyClient(Client(), shop=shop.domain)
    image_id = proxy.upload(person_jpeg).json()["fileId"]
    response = proxy.post_json(
        "fitting-room", {"userImageId": image_id, "productId": "gid://shopify/Product/1001"}
    )
    return proxy, response.json()["jobId"]


def render_later(job_id: str, delay: float) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        try:
            render_job(job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_it_answers_as_soon_as_the_generation_finishes(job):
    proxy, job_id = job
    worker = render_later(job_id, 0.5)

    started = time.monotonic()
    body = proxy.get(f"generation/{job_id}", extra={"wait": "10"}).json()
    elapsed = time.monotonic() - started
    worker.join()

    assert body["status"] in ("PROCESSING", "COMPLETED")
    assert 0.4 < elapsed < 5


def test_it_answers_when_the_wait_runs_out(job):
    proxy, job_id = job

    started = time.monotonic()
    body = proxy.get(f"generation/{job_id}", extra={"wait": "1"}).json()

    assert body["status"] == "PENDING"
    assert 0.9 < time.monotonic() - started < 4


def test_a_finished_generation_answers_at_once(job):
    proxy, job_id = job
    render_job(job_id)

    started = time.monotonic()
    body = proxy.get(f"generation/{job_id}", extra={"wait": "25"}).json()

    assert body["status"] == "COMPLETED"
    assert time.monotonic() - started < 1


def test_a_bad_wait_is_a_validation_error_and_another_shops_job_is_not_found(job):
    proxy, job_id = job

    assert proxy.get(f"generation/{job_id}", extra={"wait": "soon"}).status_code == 400
    other = proxy.as_(shop=make_shop("other-waiting.myshopify.com").domain)
    assert other.get(f"generation/{job_id}", extra={"wait": "5"}).status_code == 404


def test_the_wait_is_capped_at_twenty_five_seconds(job, monkeypatch):
    from shopify_integration.proxy import waiting

    seen = {}

    async def fake_wait(*, generation_id, timeout, changed):
        seen["timeout"] = timeout

    monkeypatch.setattr(waiting, "wait_for_change", fake_wait)
    proxy, job_id = job
    proxy.get(f"generation/{job_id}", extra={"wait": "600"})

    assert seen["timeout"] == 25

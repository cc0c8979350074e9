"""One worker process against a hosted model with 10 s latency (FASHN's emulator): it must
carry hundreds of generations at once, and survive being killed mid-run."""

import time

import pytest
from django.db.models import Count

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generations_reap
from fittingroom.limits.shoppers import Shopper
from tests.conftest import make_shop
from tests.fittingroom.generations.worker_loop import create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fashn_account(fashn_api, person_jpeg, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fittingroom.images.services import person_image_upload

    shop = make_shop("load.myshopify.com", quota=10_000)
    account = shop.account
    account.engine = "fashn"
    account.shopper_weekly_limit = account.ip_weekly_limit = 10_000
    account.save()
    image = person_image_upload(
        account=account,
        shopper=Shopper(key="load", ip="127.0.0.1"),
        upload=SimpleUploadedFile("me.jpg", person_jpeg),
    )
    return account, image


def worker_env(fashn_api) -> dict[str, str]:
    return {
        "FASHN_API_URL": fashn_api.base_url,
        "FASHN_API_KEY": fashn_api.api_key,
        "FASHN_REQUESTS_PER_MINUTE": "100000",
        # The emulator takes any number at once and any number of status calls.
        "FASHN_MAX_CONCURRENT": "0",
        "FASHN_STATUS_REQUESTS_PER_10S": "0",
        "FETCH_ALLOW_PRIVATE_ADDRESSES": "1",
    }


def statuses(ids: list[str]) -> dict[str, int]:
    rows = Generation.objects.filter(id__in=ids).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def test_one_worker_carries_two_hundred_generations_against_a_ten_second_model(
    fashn_api, fashn_account, start_worker
):
    fashn_api.latency = 10.0
    account, image = fashn_account
    start_worker(concurrency=2, **worker_env(fashn_api))
    started = time.monotonic()
    ids = create(account, image, 200)

    most_in_flight, counts = 0, {}
    while time.monotonic() - started < 120:
        counts = statuses(ids)
        most_in_flight = max(most_in_flight, counts.get("PROCESSING", 0))
        if counts.get("COMPLETED", 0) + counts.get("FAILED", 0) == 200:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - started

    print(f"200 generations, 10 s model: {elapsed:.1f} s, most in flight {most_in_flight}")
    assert counts == {"COMPLETED": 200}
    assert most_in_flight >= 190
    assert elapsed < 60  # a worker that waited on the model would need 200 x 10 s / 2


def test_killing_the_worker_mid_run_loses_no_job_and_charges_nothing_twice(
    fashn_api, fashn_account, start_worker, settings
):
    fashn_api.latency = 3.0
    settings.GENERATION_REDRIVE_AFTER_SECONDS = 5
    # A job killed between its claim and its submit is taken over once its lease runs out.
    settings.GENERATION_RENDER_LEASE_SECONDS = 10
    account, image = fashn_account
    env = worker_env(fashn_api) | {
        "GENERATION_REDRIVE_AFTER_SECONDS": "5",
        "GENERATION_RENDER_LEASE_SECONDS": "10",
    }
    first = start_worker(concurrency=2, **env)
    ids = create(account, image, 20)
    waiting_since = time.monotonic()
    while statuses(ids).get("PROCESSING", 0) < 5:
        assert time.monotonic() - waiting_since < 30, statuses(ids)
        time.sleep(0.1)

    first.kill()
    start_worker(concurrency=2, **env)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        generations_reap()  # beat's job: re-drive what the dead worker held
        counts = statuses(ids)
        if counts.get("COMPLETED", 0) + counts.get("FAILED", 0) == 20:
            break
        time.sleep(1)

    counts = statuses(ids)
    assert counts.get("COMPLETED", 0) + counts.get("FAILED", 0) == 20, counts
    account.refresh_from_db()
    assert account.quota_used == counts.get("COMPLETED", 0)  # failures refunded, none twice
    assert fashn_api.runs <= 20 + 5  # resubmits only for jobs killed between claim and submit

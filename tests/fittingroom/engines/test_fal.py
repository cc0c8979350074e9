"""The fal engine against the fal queue emulator, over real loopback HTTP: the documented
submit, status and result calls, and how every failure maps to a stable error class."""

import base64
import io
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from fittingroom.engines import get_engine
from fittingroom.engines.base import (
    ContentRejected,
    EngineError,
    EngineJobFailed,
    EngineMisconfigured,
    EngineUnavailable,
    HostedJobEngine,
    JobStatus,
    PersonImageInvalid,
    ProductImageFetchFailed,
)
from fittingroom.engines.fal import FASHN_ON_FAL, KLING, FalEngine

DEMO = Path(__file__).resolve().parents[3] / "fittingroom" / "demo"
PERSON = (DEMO / "person.jpg").read_bytes()
GARMENT = (DEMO / "garments" / "tshirt-red.png").read_bytes()


@pytest.fixture
def engine(fal_api) -> FalEngine:
    return FalEngine()


def submit(engine: FalEngine, **kwargs) -> str:
    arguments = {"category": "tops", "webhook_url": None} | kwargs
    return engine.submit(person_jpeg=PERSON, garment_png=GARMENT, **arguments)


def finished(engine: FalEngine, job_id: str, timeout: float = 3.0) -> JobStatus:
    deadline = time.monotonic() + timeout
    while (status := engine.poll(job_id=job_id)).state == "pending":
        assert time.monotonic() < deadline, "the request never finished"
        time.sleep(0.02)
    return status


def test_it_queues_the_documented_kling_request(engine, fal_api):
    job_id = submit(engine, webhook_url="https://shop.example/engines/fal/webhook?ref=g&token=t")

    sent = fal_api.submit_requests[-1]
    assert sent["path"] == f"/{KLING}"
    assert sent["headers"]["Authorization"] == f"Key {fal_api.key}"
    assert sent["query"] == {
        "fal_webhook": "https://shop.example/engines/fal/webhook?ref=g&token=t"
    }
    body = sent["body"]
    assert body["human_image_url"] == "data:image/jpeg;base64," + base64.b64encode(PERSON).decode()
    assert body["garment_image_url"].startswith("data:image/png;base64,")
    assert body["sync_mode"] is True  # the image comes back inline: no copy left on fal's CDN
    assert job_id in fal_api.requests


def test_status_and_result_go_through_the_app_path_and_the_result_is_read(engine, fal_api):
    job_id = submit(engine)

    assert engine.poll(job_id=job_id).state == "pending"  # IN_QUEUE, 202
    status = finished(engine, job_id)

    assert status.state == "completed"
    with Image.open(io.BytesIO(status.result_bytes)) as image:
        assert image.size == Image.open(io.BytesIO(PERSON)).size
    assert fal_api.status_calls >= 2


def test_fashn_on_fal_gets_its_own_fields_and_auto_for_an_unsure_category(fal_api, settings):
    settings.FAL_MODEL = FASHN_ON_FAL
    engine = FalEngine()
    job_id = submit(engine, category="auto")

    body = fal_api.submit_requests[-1]["body"]
    assert set(body) == {"model_image", "garment_image", "category"}
    assert body["category"] == "auto"
    status = finished(engine, job_id)
    assert status.result_url == f"{fal_api.base_url}/files/{job_id}.png"


@pytest.mark.parametrize(
    ("kind", "loc", "expected"),
    [
        ("content_policy_violation", ["body"], ContentRejected),
        ("image_load_error", ["body", "human_image_url"], PersonImageInvalid),
        ("image_load_error", ["body", "garment_image_url"], ProductImageFetchFailed),
        ("some_new_type", ["body"], EngineError),
        ("request_timeout", ["body"], EngineJobFailed),
        ("runner_disconnected", ["body"], EngineJobFailed),
    ],
)
def test_a_failed_request_maps_by_error_type(engine, fal_api, kind, loc, expected):
    fal_api.fail_next(1, kind, loc=loc)
    job_id = submit(engine)

    with pytest.raises(EngineError) as caught:
        finished(engine, job_id)
    assert type(caught.value) is expected


@pytest.mark.parametrize(
    ("status", "expected"), [(429, EngineUnavailable), (503, EngineUnavailable)]
)
def test_throttling_and_outages_of_the_queue_api_are_unavailable(engine, fal_api, status, expected):
    fal_api.http_error_next(1, status, retry_after="4")

    with pytest.raises(expected) as caught:
        submit(engine)
    assert caught.value.retry_after == 4.0
    assert caught.value.outage


def test_a_wrong_key_is_misconfigured_and_not_retried(fal_api, settings):
    settings.FAL_KEY = "fal-wrong"

    with pytest.raises(EngineMisconfigured) as caught:
        submit(FalEngine())
    assert not isinstance(caught.value, EngineUnavailable)


def test_an_unreachable_queue_is_unavailable(settings):
    settings.FAL_QUEUE_URL = "http://127.0.0.1:9"
    settings.FAL_KEY = "fal-key"

    with pytest.raises(EngineUnavailable):
        submit(FalEngine())


def test_over_the_accounts_concurrency_a_request_waits_in_the_queue(engine, fal_api):
    fal_api.max_concurrent = 1
    first, second = submit(engine), submit(engine)

    while engine.poll(job_id=first).state == "pending":
        assert engine.poll(job_id=second).state == "pending"
        time.sleep(0.02)
    ran_first = fal_api.requests[first]
    first_ended = ran_first.started + ran_first.latency * 2 / 3

    # fal never refuses for concurrency: the second waited, queued, and still completes.
    assert finished(engine, second).state == "completed"
    assert fal_api.requests[second].started >= first_ended - 0.05


def test_it_is_registered_and_declares_webhooks_and_no_cap_by_default(fal_api, settings):
    assert isinstance(get_engine("fal"), HostedJobEngine)
    assert FalEngine.limits().webhooks
    assert FalEngine.limits().max_in_flight is None
    settings.FAL_MAX_CONCURRENT = 8
    assert FalEngine.limits().max_in_flight == 8


def test_it_refuses_to_start_without_a_key_or_with_another_model(settings):
    settings.FAL_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        FalEngine()
    settings.FAL_KEY = "fal-key"
    settings.FAL_MODEL = "fal-ai/flux/dev"
    with pytest.raises(ImproperlyConfigured):
        FalEngine()

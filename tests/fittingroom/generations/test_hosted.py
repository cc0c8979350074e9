"""The pipeline with a hosted job engine (FASHN's loopback emulator): submit, then polls that
the tasks schedule with a countdown; provider failures map to our codes and refund."""

import io
from datetime import timedelta

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_poll, generation_render, generations_reap
from fittingroom.generations.services.callbacks import engine_webhook_url
from fittingroom.generations.services.render import DONE, Next

pytestmark = pytest.mark.django_db


@pytest.fixture
def fashn_shop(shop, fashn_api):
    shop.account.engine = "fashn"
    shop.account.save()
    return shop


def create_job(proxy, image_id):
    response = proxy.post_json(
        "fitting-room",
        {
            "userImageId": image_id,
            "productId": "gid://shopify/Product/1001",
            "variantId": "gid://shopify/ProductVariant/11003",
        },
    )
    return response.json()["jobId"]


def run_to_the_end(job: str, *, step: Next | None = None, max_steps: int = 50) -> Generation:
    """What the worker does, without the countdowns: render/submit, then poll until done."""
    import time

    step = step or generation_render(generation_id=job)
    for _ in range(max_steps):
        if step == DONE:
            break
        time.sleep(0.05)
        step = (
            generation_poll(generation_id=job)
            if step.poll_in is not None
            else generation_render(generation_id=job)
        )
    return Generation.objects.get(id=job)


def test_a_hosted_job_is_submitted_then_polled_to_completion(
    proxy, uploaded_image, fashn_shop, fashn_api
):
    job = create_job(proxy, uploaded_image)

    first = generation_render(generation_id=job)

    assert first.poll_in is not None and first.poll_in <= 5  # the worker does not wait
    generation = Generation.objects.get(id=job)
    assert generation.status == "PROCESSING" and generation.provider_job_id
    sent = fashn_api.run_requests[0]["body"]
    assert sent["model_name"] == "tryon-v1.6"
    assert sent["inputs"]["category"] == "tops"
    assert sent["inputs"]["model_image"].startswith("data:image/jpeg;base64,")

    generation = run_to_the_end(job, step=first)

    assert generation.status == "COMPLETED"
    assert generation.result_image.name.startswith("results/")  # re-hosted in our storage
    assert fashn_api.runs == 1


def test_the_result_carries_the_watermark_bottom_left(proxy, uploaded_image, fashn_shop):
    logo = io.BytesIO()
    Image.new("RGBA", (120, 60), (0, 255, 0, 255)).save(logo, format="PNG")
    fashn_shop.account.watermark_logo.save("logo.png", ContentFile(logo.getvalue()))

    generation = run_to_the_end(create_job(proxy, uploaded_image))

    with generation.result_image.open("rb") as handle:
        image = Image.open(handle).convert("RGB")
    corner = np.asarray(image.crop((20, image.height - 40, 60, image.height - 20)))
    red, green, blue = corner.reshape(-1, 3).mean(axis=0)
    assert green > 200 and red < 60 and blue < 60


def test_a_moderation_refusal_fails_with_content_rejected_and_refunds(
    proxy, uploaded_image, fashn_shop, fashn_api
):
    fashn_api.moderate_next(1)

    generation = run_to_the_end(create_job(proxy, uploaded_image))

    assert (generation.status, generation.error_code) == ("FAILED", "CONTENT_REJECTED")
    fashn_shop.account.refresh_from_db()
    assert fashn_shop.account.quota_used == 0


def test_a_throttled_submit_is_retried_later_then_succeeds(
    proxy, uploaded_image, fashn_shop, fashn_api
):
    fashn_api.http_error_next(1, 429, retry_after="3")
    job = create_job(proxy, uploaded_image)

    step = generation_render(generation_id=job)

    assert step == Next(retry_in=3.0)
    assert Generation.objects.get(id=job).status == "PENDING"
    assert run_to_the_end(job).status == "COMPLETED"


def test_a_provider_that_stays_down_fails_with_engine_unavailable_once(
    proxy, uploaded_image, fashn_shop, fashn_api, settings
):
    settings.GENERATION_MAX_ATTEMPTS = 3
    fashn_api.http_error_next(10, 503)
    job = create_job(proxy, uploaded_image)

    generation = run_to_the_end(job)

    assert (generation.status, generation.error_code) == ("FAILED", "ENGINE_UNAVAILABLE")
    assert generation.attempts == 3
    fashn_shop.account.refresh_from_db()
    assert fashn_shop.account.quota_used == 0


def test_a_job_past_its_deadline_fails_with_engine_timeout(
    proxy, uploaded_image, fashn_shop, fashn_api
):
    fashn_api.latency = 60
    job = create_job(proxy, uploaded_image)
    generation_render(generation_id=job)
    Generation.objects.filter(id=job).update(deadline_at=timezone.now() - timedelta(seconds=1))

    generations_reap()

    generation = Generation.objects.get(id=job)
    assert (generation.status, generation.error_code) == ("FAILED", "ENGINE_TIMEOUT")
    assert generation_poll(generation_id=job) == DONE


def test_the_webhook_only_triggers_a_poll_and_refuses_a_forged_token(
    client, proxy, uploaded_image, fashn_shop, django_capture_on_commit_callbacks
):
    job = create_job(proxy, uploaded_image)
    generation_render(generation_id=job)
    url = engine_webhook_url(engine="fashn", generation_id=job, base_url="")

    forged = client.post(url.replace("token=", "token=0"), b"{}", content_type="application/json")
    accepted = client.post(
        url, b'{"id": "whatever", "status": "completed"}', content_type="application/json"
    )

    assert forged.status_code == 401
    assert accepted.status_code == 200
    assert accepted.json()["action"] == "poll"
    assert Generation.objects.get(id=job).status == "PROCESSING"  # the body decided nothing


def test_a_submit_whose_row_update_was_lost_is_adopted_not_repeated(
    proxy, uploaded_image, fashn_shop, fashn_api
):
    job = create_job(proxy, uploaded_image)
    generation_render(generation_id=job)
    submitted = Generation.objects.get(id=job).provider_job_id
    # As if the worker died right after FASHN answered, before the row said so: the reaper
    # hands the job back and it is rendered again.
    Generation.objects.filter(id=job).update(status="PENDING", provider_job_id="")

    generation = run_to_the_end(job)

    assert generation.status == "COMPLETED"
    assert generation.provider_job_id == submitted
    assert fashn_api.runs == 1  # one prediction at FASHN, never two

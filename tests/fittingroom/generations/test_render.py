from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generation_fail, generation_render, generations_reap
from fittingroom.generations.services.render import DONE
from fittingroom.images.models import PersonImage
from tests.conftest import image_bytes, render_job

pytestmark = pytest.mark.django_db


def create_job(proxy, image_id, product="gid://shopify/Product/1001", variant=None):
    body = {"userImageId": image_id, "productId": product, "visitorId": "visitor-0001"}
    if variant:
        body["variantId"] = variant
    response = proxy.post_json("fitting-room", body)
    assert response.status_code == 200, response.content
    return response.json()["jobId"]


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[float, ...]:
    return tuple(np.asarray(image.crop(box).convert("RGB")).reshape(-1, 3).mean(axis=0))


def test_it_renders_the_variant_onto_the_torso_and_completes(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image, variant="gid://shopify/ProductVariant/11002")

    generation = render_job(job)

    assert generation.status == Generation.Status.COMPLETED
    assert generation.attempts == 1
    assert generation.updated_at >= generation.finished_at > generation.created_at
    with generation.result_image.open("rb") as handle:
        result = Image.open(handle)
        result.load()
    assert result.size == (410, 512)  # the upload's 4:5 crop around the person
    chest = mean_colour(result, (200, 300, 300, 380))  # below the face of the demo photo
    assert chest[2] > chest[0] + 10, chest  # navy: more blue than red, unlike the orange suit


def test_running_the_task_twice_renders_once(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image)

    first = render_job(job)
    second = generation_render(generation_id=job)

    assert first.status == Generation.Status.COMPLETED
    assert second == DONE
    assert Generation.objects.get(id=job).attempts == 1


def test_a_photo_without_a_person_fails_with_its_own_code_and_is_refunded(proxy, shop):
    landscape = proxy.upload(image_bytes("JPEG", size=(600, 400), color=(40, 140, 220)))
    # One the upload's check let through (a miss of the check): the engine's own refusal.
    PersonImage.objects.filter(id=landscape.json()["fileId"]).update(quality_issues=[])
    job = create_job(proxy, landscape.json()["fileId"])

    generation = render_job(job)

    assert generation.status == Generation.Status.FAILED
    assert generation.error_code == "NO_PERSON_DETECTED"
    assert generation.refunded_at is not None
    assert not generation.counts_toward_limit
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 0
    body = proxy.get(f"generation/{job}").json()
    assert (body["status"], body["errorCode"]) == ("FAILED", "NO_PERSON_DETECTED")
    assert body["errorMessage"]


def test_a_deleted_photo_fails_the_job_cleanly(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image)
    Generation.objects.get(id=job).person_image.delete()

    generation = render_job(job)

    assert (generation.status, generation.error_code) == ("FAILED", "USER_IMAGE_NOT_FOUND")


def test_failing_twice_refunds_once(proxy, uploaded_image, shop):
    job = create_job(proxy, uploaded_image)

    assert generation_fail(generation_id=job, code="ENGINE_ERROR", message="x") is True
    assert generation_fail(generation_id=job, code="ENGINE_ERROR", message="x") is False

    shop.account.refresh_from_db()
    assert shop.account.quota_used == 0


def test_a_finished_job_cannot_be_failed_afterwards(proxy, uploaded_image, shop):
    job = create_job(proxy, uploaded_image)
    render_job(job)

    assert generation_fail(generation_id=job, code="ENGINE_TIMEOUT", message="late") is False
    assert Generation.objects.get(id=job).status == Generation.Status.COMPLETED
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 1


def test_the_reaper_fails_jobs_past_their_deadline_and_refunds_them(proxy, uploaded_image, shop):
    stuck = create_job(proxy, uploaded_image)
    Generation.objects.filter(id=stuck).update(
        status=Generation.Status.PROCESSING, deadline_at=timezone.now() - timedelta(seconds=1)
    )

    assert generations_reap() == {"failed": 1, "redriven": 0}
    assert generations_reap() == {"failed": 0, "redriven": 0}

    generation = Generation.objects.get(id=stuck)
    assert (generation.status, generation.error_code) == ("FAILED", "ENGINE_TIMEOUT")
    shop.account.refresh_from_db()
    assert shop.account.quota_used == 0


def test_the_reaper_re_enqueues_pending_jobs_whose_message_was_lost(proxy, uploaded_image):
    lost = create_job(proxy, uploaded_image)
    Generation.objects.filter(id=lost).update(updated_at=timezone.now() - timedelta(minutes=5))

    assert generations_reap()["redriven"] == 1


def test_a_render_abandoned_by_a_dead_worker_is_taken_over_after_its_lease(
    proxy, uploaded_image, settings
):
    job = create_job(proxy, uploaded_image)
    started = timezone.now() - timedelta(seconds=settings.GENERATION_RENDER_LEASE_SECONDS + 1)
    Generation.objects.filter(id=job).update(
        status=Generation.Status.PROCESSING, started_at=started, updated_at=started, attempts=1
    )

    assert generations_reap()["redriven"] == 1
    generation = render_job(job)

    assert generation.status == Generation.Status.COMPLETED
    assert generation.attempts == 2


def test_a_render_still_within_its_lease_is_left_alone(proxy, uploaded_image):
    job = create_job(proxy, uploaded_image)
    Generation.objects.filter(id=job).update(
        status=Generation.Status.PROCESSING, started_at=timezone.now(), attempts=1
    )

    assert render_job(job).status == Generation.Status.PROCESSING

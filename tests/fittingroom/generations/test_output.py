"""What a finished generation keeps: the watermark, and only for as long as it was asked to."""

import io
from datetime import timedelta

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generations_expire
from tests.conftest import render_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def logo_shop(shop):
    logo = io.BytesIO()
    Image.new("RGBA", (200, 100), (255, 0, 255, 255)).save(logo, format="PNG")
    shop.account.watermark_logo.save("logo.png", ContentFile(logo.getvalue()))
    return shop


def create_job(proxy, image_id):
    response = proxy.post_json(
        "fitting-room", {"userImageId": image_id, "productId": "gid://shopify/Product/1001"}
    )
    return response.json()["jobId"]


def bottom_left(generation: Generation) -> np.ndarray:
    with generation.result_image.open("rb") as handle:
        image = Image.open(handle).convert("RGB")
        return np.asarray(image.crop((20, 470, 60, 490))).reshape(-1, 3).mean(axis=0)


def test_the_accounts_logo_is_composited_bottom_left(proxy, uploaded_image, logo_shop):
    generation = render_job(create_job(proxy, uploaded_image))

    red, green, blue = bottom_left(generation)
    assert red > 200 and blue > 200 and green < 60  # magenta logo


def test_no_watermark_when_the_generation_asks_for_none(proxy, uploaded_image, logo_shop):
    job = create_job(proxy, uploaded_image)
    Generation.objects.filter(id=job).update(watermark=False)

    red, green, blue = bottom_left(render_job(job))
    assert not (red > 200 and blue > 200 and green < 60)


def test_no_watermark_when_the_account_turned_it_off(proxy, uploaded_image, logo_shop):
    logo_shop.account.watermark_enabled = False
    logo_shop.account.save()

    red, green, blue = bottom_left(render_job(create_job(proxy, uploaded_image)))
    assert not (red > 200 and blue > 200 and green < 60)


def test_a_generation_expires_after_its_keep_for_days(proxy, uploaded_image):
    generation = render_job(create_job(proxy, uploaded_image))
    assert generation.expires_at - generation.created_at == timedelta(days=7)
    name = generation.result_image.name
    Generation.objects.filter(id=generation.id).update(expires_at=timezone.now())

    assert generations_expire() == 1
    assert generations_expire() == 0

    generation.refresh_from_db()
    assert not generation.result_image
    assert not default_storage.exists(name)
    assert proxy.get(f"generation/{generation.id}").json()["resultImageUrl"] is None

"""The whole path with real processes: HTTP server, a Celery worker process over the configured
broker (Redis when REDIS_URL is set, else the filesystem transport) and the database."""

import io
import time

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import make_shop
from tests.e2e.signing import signed_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_signed_upload_and_try_on_is_rendered_by_a_real_worker(
    live_server, settings, start_worker, person_jpeg
):
    start_worker()
    settings.PUBLIC_BASE_URL = live_server.url
    shop = make_shop("e2e-store.myshopify.com")
    url = lambda path: live_server.url + signed_url(shop.domain, path)  # noqa: E731

    upload = requests.post(
        url("upload-image"),
        files={"file": ("me.jpg", person_jpeg)},
        data={"visitorId": "e2e-visitor"},
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    job = requests.post(
        url("fitting-room"),
        timeout=10,
        json={
            "userImageId": upload.json()["fileId"],
            "productId": "gid://shopify/Product/1001",
            "variantId": "gid://shopify/ProductVariant/11003",
        },
    ).json()["jobId"]

    deadline, status = time.monotonic() + 20, {}
    while time.monotonic() < deadline:
        status = requests.get(url(f"generation/{job}"), timeout=10).json()
        if status["status"] in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.25)

    assert status.get("status") == "COMPLETED", status
    result = requests.get(status["resultImageUrl"], timeout=10)
    assert result.headers["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(result.content)).convert("RGB")
    red, green, blue = np.asarray(image.crop((200, 300, 300, 380))).reshape(-1, 3).mean(axis=0)
    assert red > green + 60 and red > blue + 60  # the red tee is on the chest

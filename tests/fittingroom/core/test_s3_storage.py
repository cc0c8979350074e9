"""Photos and results in an S3-compatible bucket (django-storages against moto's server)."""

import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from fittingroom.generations.models import Generation
from fittingroom.generations.services import generations_expire
from tests.conftest import render_job
from tests.emulators.s3 import BUCKET

pytestmark = pytest.mark.django_db


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_uploads_and_results_live_in_the_bucket_behind_presigned_urls(
    proxy, person_jpeg, s3_storage
):
    upload = proxy.upload(person_jpeg).json()
    job = proxy.post_json(
        "fitting-room", {"userImageId": upload["fileId"], "productId": "gid://shopify/Product/1001"}
    ).json()
    generation = render_job(job["jobId"])

    assert generation.status == Generation.Status.COMPLETED
    assert {generation.result_image.name, generation.person_image.image.name} <= keys(s3_storage)
    url = proxy.get(f"generation/{generation.id}").json()["resultImageUrl"]
    query = parse_qs(urlparse(url).query)
    assert "Signature" in query or "X-Amz-Signature" in query
    if "Expires" in query:  # SigV2 style: an absolute time
        assert 3500 < int(query["Expires"][0]) - time.time() <= 3600
    else:
        assert query["X-Amz-Expires"] == ["3600"]
    downloaded = requests.get(url, timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content[:2] == b"\xff\xd8"


def test_expired_results_are_deleted_from_the_bucket(proxy, person_jpeg, s3_storage):
    from django.utils import timezone

    upload = proxy.upload(person_jpeg).json()
    job = proxy.post_json(
        "fitting-room", {"userImageId": upload["fileId"], "productId": "gid://shopify/Product/1001"}
    ).json()
    generation = render_job(job["jobId"])
    Generation.objects.filter(id=generation.id).update(expires_at=timezone.now())

    assert generations_expire() == 1
    assert generation.result_image.name not in keys(s3_storage)


def test_health_reports_the_bucket(client, s3_storage):
    assert client.get("/healthz").json() == {"status": "ok"}

"""Direct upload: prepare-upload → PUT the raw bytes → upload-complete, on local storage (our
own signed PUT route) and on S3 (a presigned PUT to the bucket, moto's server here)."""

import urllib.request
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from fittingroom.images.direct import direct_uploads_sweep
from fittingroom.images.models import DirectUpload, PersonImage
from tests.conftest import SignedProxyClient
from tests.emulators.s3 import BUCKET

pytestmark = pytest.mark.django_db


def prepare(proxy) -> dict:
    response = proxy.client.post(proxy.url("prepare-upload"), HTTP_X_FORWARDED_FOR=proxy.ip)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"uploadUrl", "uploadKey"}
    return body


def put_local(client, url: str, content: bytes):
    return client.put(
        url.split("localhost:8000")[-1], content, content_type="application/octet-stream"
    )


def complete(proxy, key: str, **extra):
    return proxy.post_json("upload-complete", {"uploadKey": key, **extra})


def test_a_photo_put_to_our_signed_route_is_completed_into_a_checked_file(proxy, person_jpeg):
    prepared = prepare(proxy)
    assert prepared["uploadUrl"].startswith("http://localhost:8000/uploads/")

    assert put_local(proxy.client, prepared["uploadUrl"], person_jpeg).status_code == 200
    response = complete(proxy, prepared["uploadKey"], visitorId="visitor-0001")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"fileId", "fileUrl", "message", "imageWidth", "imageHeight", "faces"}
    assert body["message"] == "Image processed successfully"
    assert (body["imageWidth"], body["imageHeight"]) == (410, 512)
    assert body["quality"]["ok"] is True and len(body["faces"]) == 1
    stored = PersonImage.objects.get(id=body["fileId"])
    assert stored.shopper_key == "visitor:visitor-0001"
    upload = DirectUpload.objects.get(key=prepared["uploadKey"])
    assert not default_storage.exists(upload.object_name)  # the raw bytes are gone
    try_on = proxy.post_json(
        "fitting-room",
        {"userImageId": body["fileId"], "productId": "gid://shopify/Product/1001"},
    )
    assert try_on.status_code == 200, try_on.content


def test_an_upload_key_is_single_use(proxy, person_jpeg):
    prepared = prepare(proxy)
    put_local(proxy.client, prepared["uploadUrl"], person_jpeg)
    assert complete(proxy, prepared["uploadKey"]).status_code == 201

    again = complete(proxy, prepared["uploadKey"])

    assert (again.status_code, again.json()["code"]) == (404, "UPLOAD_NOT_FOUND")
    assert PersonImage.objects.count() == 1


def test_an_upload_key_is_bound_to_its_shop(client, proxy, other_shop, person_jpeg):
    prepared = prepare(proxy)
    put_local(client, prepared["uploadUrl"], person_jpeg)
    other = SignedProxyClient(client, shop=other_shop.domain)

    stolen = complete(other, prepared["uploadKey"])

    assert (stolen.status_code, stolen.json()["code"]) == (404, "UPLOAD_NOT_FOUND")
    assert complete(proxy, prepared["uploadKey"]).status_code == 201  # still the owner's


def test_an_expired_key_is_refused_and_its_object_swept(proxy, person_jpeg):
    prepared = prepare(proxy)
    put_local(proxy.client, prepared["uploadUrl"], person_jpeg)
    upload = DirectUpload.objects.get(key=prepared["uploadKey"])
    assert default_storage.exists(upload.object_name)
    DirectUpload.objects.filter(key=upload.key).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    refused = complete(proxy, prepared["uploadKey"])
    swept = direct_uploads_sweep()

    assert refused.json()["code"] == "UPLOAD_NOT_FOUND"
    assert swept == 1
    assert not default_storage.exists(upload.object_name)
    assert not DirectUpload.objects.exists()


def test_an_unused_key_left_to_expire_is_swept_too(proxy):
    prepared = prepare(proxy)
    DirectUpload.objects.filter(key=prepared["uploadKey"]).update(expires_at=timezone.now())

    assert direct_uploads_sweep() == 1
    assert not DirectUpload.objects.exists()


def test_a_refused_file_is_deleted_and_uses_up_its_key(proxy):
    prepared = prepare(proxy)
    put_local(proxy.client, prepared["uploadUrl"], b"not an image at all" * 10)
    name = DirectUpload.objects.get(key=prepared["uploadKey"]).object_name

    refused = complete(proxy, prepared["uploadKey"])

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_IMAGE")
    assert not default_storage.exists(name)
    assert complete(proxy, prepared["uploadKey"]).json()["code"] == "UPLOAD_NOT_FOUND"


def test_completing_before_the_put_says_so(proxy):
    prepared = prepare(proxy)

    response = complete(proxy, prepared["uploadKey"])

    assert (response.status_code, response.json()["code"]) == (400, "UPLOAD_FILE_MISSING")


def test_the_put_route_refuses_more_than_the_cap_a_second_write_and_a_forged_url(
    proxy, settings, person_jpeg
):
    settings.DIRECT_UPLOAD_MAX_BYTES = 10_000
    prepared = prepare(proxy)
    url = prepared["uploadUrl"]

    too_big = put_local(proxy.client, url, bytes(10_001))
    assert (too_big.status_code, too_big.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert put_local(proxy.client, url, bytes(5_000)).status_code == 200
    assert put_local(proxy.client, url, bytes(5_000)).json()["code"] == "UPLOAD_EXISTS"
    forged = put_local(proxy.client, url[:-3] + "abc", bytes(10))
    assert (forged.status_code, forged.json()["code"]) == (403, "UPLOAD_URL_INVALID")
    assert proxy.client.get(url.split("localhost:8000")[-1]).status_code == 405
    preflight = proxy.client.options(url.split("localhost:8000")[-1])
    assert preflight["Access-Control-Allow-Methods"] == "PUT, OPTIONS"


def test_the_put_url_expires_with_its_key(proxy, settings, person_jpeg):
    prepared = prepare(proxy)
    settings.DIRECT_UPLOAD_TTL_SECONDS = -1  # as if ten minutes had passed

    late = put_local(proxy.client, prepared["uploadUrl"], person_jpeg)

    assert late.json()["code"] == "UPLOAD_URL_INVALID"


def test_with_s3_the_client_puts_straight_to_the_bucket_with_a_presigned_url(
    proxy, s3_storage, person_jpeg
):
    prepared = prepare(proxy)
    assert "Signature=" in prepared["uploadUrl"]  # presigned by the bucket's credentials
    assert not prepared["uploadUrl"].startswith("http://localhost:8000")

    request = urllib.request.Request(
        prepared["uploadUrl"],
        data=person_jpeg,
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
    name = DirectUpload.objects.get(key=prepared["uploadKey"]).object_name
    assert s3_storage.head_object(Bucket=BUCKET, Key=name)["ContentLength"] == len(person_jpeg)

    response = complete(proxy, prepared["uploadKey"])

    assert response.status_code == 201, response.content
    stored = PersonImage.objects.get(id=response.json()["fileId"])
    assert s3_storage.head_object(Bucket=BUCKET, Key=stored.image.name)
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert name not in keys  # the raw upload was deleted


def test_with_s3_an_object_over_the_cap_is_refused_at_completion(
    proxy, s3_storage, settings, person_jpeg
):
    settings.DIRECT_UPLOAD_MAX_BYTES = 1024
    prepared = prepare(proxy)
    name = DirectUpload.objects.get(key=prepared["uploadKey"]).object_name
    s3_storage.put_object(Bucket=BUCKET, Key=name, Body=person_jpeg)

    response = complete(proxy, prepared["uploadKey"])

    assert (response.status_code, response.json()["code"]) == (413, "FILE_TOO_LARGE")
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert name not in keys
    assert not PersonImage.objects.exists()

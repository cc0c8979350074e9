"""The photo check through the proxy: the shopper learns at upload what to fix, and a try-on
with a refused photo answers PHOTO_REJECTED before any limit, quota or credit is touched."""

import io

import numpy as np
import pytest
from PIL import Image

from fittingroom.generations.models import Generation
from tests.fittingroom.images.photo_corpus import person_photo

pytestmark = pytest.mark.django_db
TSHIRT = "gid://shopify/Product/1001"


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def too_dark() -> bytes:
    photo = np.asarray(person_photo((1200, 1500), person_height=0.6)).astype(np.float32)
    return jpeg(Image.fromarray((photo * 0.14).astype(np.uint8)))


def test_a_good_photo_is_cropped_and_answers_its_faces_and_no_issue(proxy, person_jpeg):
    response = proxy.upload(jpeg(person_photo((1600, 1200), person_height=0.7)))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == "Image processed successfully"
    assert (body["imageWidth"], body["imageHeight"]) == (922, 1152)  # 4:5 of 1536 x 1152
    assert body["quality"] == {"ok": True, "issues": []}
    [face] = body["faces"]
    assert set(face) == {"x", "y", "width", "height", "confidence"}
    assert 0 < face["x"] < face["x"] + face["width"] <= body["imageWidth"]


def test_a_too_dark_photo_gets_its_issue_at_upload_and_the_try_on_is_refused_uncharged(proxy, shop):
    upload = proxy.upload(too_dark(), visitorId="visitor-0001")
    assert upload.status_code == 201, upload.content
    quality = upload.json()["quality"]
    assert quality["ok"] is False
    assert [issue["code"] for issue in quality["issues"]] == ["PHOTO_TOO_DARK"]
    assert quality["issues"][0]["message"]
    used_before = shop.account.quota_used

    response = proxy.post_json(
        "fitting-room",
        {"userImageId": upload.json()["fileId"], "productId": TSHIRT, "visitorId": "visitor-0001"},
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], body["jobId"]) == ("PHOTO_REJECTED", None)
    assert [(d["path"], d["code"]) for d in body["details"]] == [("userImageId", "PHOTO_TOO_DARK")]
    assert not Generation.objects.exists()
    shop.account.refresh_from_db()
    assert shop.account.quota_used == used_before


def test_a_refused_photo_does_not_use_the_shoppers_weekly_limit(proxy, settings, uploaded_image):
    settings.SHOPPER_WEEKLY_LIMIT = 1
    dark = proxy.upload(too_dark(), visitorId="visitor-0001").json()["fileId"]
    body = {"productId": TSHIRT, "visitorId": "visitor-0001"}

    refused = proxy.post_json("fitting-room", {**body, "userImageId": dark})
    accepted = proxy.post_json("fitting-room", {**body, "userImageId": uploaded_image})

    assert refused.json()["code"] == "PHOTO_REJECTED"
    assert accepted.status_code == 200, accepted.content

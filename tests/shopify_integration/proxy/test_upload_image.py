import io
import uuid

import pytest
from PIL import Image

from fittingroom.images.models import PersonImage
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def open_stored(person_image: PersonImage) -> Image.Image:
    with person_image.image.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
        return image


def test_it_stores_a_normalised_jpeg_and_answers_with_its_id_url_and_size(proxy, person_jpeg):
    response = proxy.upload(person_jpeg, visitorId="visitor-0001")

    assert response.status_code == 201
    body = response.json()
    assert body["fileId"].startswith("file_")
    assert (body["imageWidth"], body["imageHeight"]) == (410, 512)  # 4:5 around the person
    assert body["message"] == "Image processed successfully"
    assert body["quality"] == {"ok": True, "issues": []} and len(body["faces"]) == 1
    stored = PersonImage.objects.get(id=body["fileId"])
    assert stored.shopper_key == "visitor:visitor-0001"
    assert len(stored.sha256) == 64
    assert "photo" not in stored.image.name  # a random name, not the uploader's
    served = proxy.client.get(body["fileUrl"].split("localhost:8000")[-1])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    # The widget on the shop's own domain may read it (for "Download").
    assert served["Access-Control-Allow-Origin"] == "*"


def test_it_applies_exif_orientation_and_strips_metadata(proxy):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    raw = image_bytes("JPEG", size=(400, 300), exif=exif.tobytes())

    response = proxy.upload(raw)

    assert response.status_code == 201
    assert (response.json()["imageWidth"], response.json()["imageHeight"]) == (300, 400)
    stored = open_stored(PersonImage.objects.get(id=response.json()["fileId"]))
    assert len(stored.getexif()) == 0
    assert "icc_profile" not in stored.info


def test_it_downscales_a_large_photo(proxy, settings):
    settings.UPLOAD_MAX_SIDE = 1024
    response = proxy.upload(image_bytes("JPEG", size=(4000, 3000), quality=80))

    assert response.status_code == 201
    assert (response.json()["imageWidth"], response.json()["imageHeight"]) == (1024, 768)


@pytest.mark.parametrize(
    ("fmt", "name"), [("PNG", "a.png"), ("WEBP", "a.webp"), ("HEIF", "a.heic")]
)
def test_it_accepts_png_webp_and_heic(proxy, fmt, name):
    response = proxy.upload(image_bytes(fmt, size=(300, 400)), name=name)

    assert response.status_code == 201, response.content
    assert response.json()["imageWidth"] == 300


def test_it_flattens_transparency_onto_white(proxy):
    response = proxy.upload(image_bytes("PNG", color=(0, 0, 0, 0), alpha=True), name="a.png")

    stored = open_stored(PersonImage.objects.get(id=response.json()["fileId"]))
    assert min(stored.getpixel((10, 10))) > 240


def test_it_requires_a_file(proxy):
    response = proxy.client.post(proxy.url("upload-image"), {"visitorId": "visitor-0001"})

    assert response.status_code == 400
    assert response.json()["code"] == "FILE_REQUIRED"


def test_it_refuses_a_file_over_the_size_cap_before_decoding_it(proxy, settings):
    settings.UPLOAD_MAX_BYTES = 50_000
    response = proxy.upload(b"\xff\xd8" + b"0" * 200_000)

    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert not PersonImage.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"hello, this is not an image",
        b"",
        image_bytes("JPEG")[:200],  # truncated
        image_bytes("GIF"),  # a real image, but not an accepted format
        image_bytes("BMP"),
        image_bytes("PNG", size=(20, 20)),  # too small to be a photo
    ],
    ids=["text", "empty", "truncated", "gif", "bmp", "tiny"],
)
def test_it_refuses_what_is_not_an_accepted_image(proxy, content):
    response = proxy.upload(content, name="photo.jpg")

    assert response.status_code == 400
    assert response.json()["code"] in ("INVALID_IMAGE", "FILE_REQUIRED")
    assert not PersonImage.objects.exists()


def test_it_refuses_a_decompression_bomb_without_decoding_it(proxy):
    # A 30000 x 30000 PNG that compresses to a few hundred kilobytes.
    bomb = io.BytesIO()
    Image.new("L", (30000, 30000)).save(bomb, format="PNG", optimize=False)

    response = proxy.upload(bomb.getvalue(), name="bomb.png")

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_IMAGE"


def test_it_refuses_a_tampered_signature_with_401_and_stores_nothing(proxy, person_jpeg):
    url = proxy.url("upload-image").replace("timestamp=", "timestamp=1")
    response = proxy.client.post(url, {"file": io.BytesIO(person_jpeg)})

    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
    assert not PersonImage.objects.exists()


def test_it_refuses_a_stale_signature_with_401(proxy, person_jpeg):
    import time

    response = proxy.client.post(
        proxy.url("upload-image", timestamp=int(time.time()) - 600),
        {"file": io.BytesIO(person_jpeg)},
    )

    assert response.status_code == 401


def test_it_answers_an_unknown_shop_with_a_code(proxy, person_jpeg):
    response = proxy.as_(shop="nobody.myshopify.com").upload(person_jpeg)

    assert response.status_code == 404
    assert response.json()["code"] == "SHOP_NOT_FOUND"


def test_it_refuses_an_uninstalled_shop(proxy, shop, person_jpeg):
    shop.is_installed = False
    shop.save()

    response = proxy.upload(person_jpeg)

    assert response.status_code == 403
    assert response.json()["code"] == "SHOP_NOT_INSTALLED"
    assert not PersonImage.objects.exists()


def test_it_limits_uploads_per_address(proxy, settings, person_jpeg):
    settings.UPLOAD_RATE_LIMIT = "2/m"
    # A fresh address each run: the limiter's counters live in the shared cache.
    client = proxy.as_(ip=f"2001:db8::{uuid.uuid4().hex[:4]}")
    codes = [
        client.upload(image_bytes("PNG", size=(100, 100)), name="a.png").status_code
        for _ in range(3)
    ]

    assert codes == [201, 201, 429]

"""A corpus of hostile and awkward files (hostile_corpus.py) sent to both upload endpoints, the
storefront's `upload-image` and the API's `/v1/images/upload`: each gets its exact answer,
quickly, and a refused file leaves nothing behind (no row, no stored file, no temp file)."""

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from fittingroom.accounts.api_keys import api_key_create
from fittingroom.images.models import PersonImage
from tests.conftest import io_file
from tests.fittingroom.api.conftest import make_api_account
from tests.fittingroom.images.hostile_corpus import Hostile, corpus

pytestmark = pytest.mark.django_db

CORPUS = corpus()
# A guard against a hang or a full decode, not a benchmark: every answer here takes < 0.5 s.
MAX_SECONDS = 2.0


@pytest.fixture
def upload_dirs(settings, tmp_path) -> tuple[Path, Path]:
    """Every upload spooled to a temp file of its own directory, so leftovers show."""
    temp = tmp_path / "upload-tmp"
    temp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return Path(settings.MEDIA_ROOT), temp


@pytest.fixture(params=["proxy", "v1"])
def upload(request, proxy, client, settings):
    if request.param == "proxy":
        return lambda hostile: proxy.upload(hostile.content, name=hostile.filename)
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    key = api_key_create(account=make_api_account(), name="hostile")[1]
    return lambda hostile: client.post(
        "/v1/images/upload",
        {"file": io_file(hostile.content, hostile.filename)},
        HTTP_X_API_KEY=key,
    )


def files_under(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []


def stored_image(response) -> Image.Image:
    body = response.json()
    person_image = PersonImage.objects.get(id=body.get("fileId") or body.get("imageId"))
    with person_image.image.open("rb") as handle:
        content = handle.read()
    image = Image.open(io.BytesIO(content))
    image.load()
    return image, content


@pytest.mark.parametrize("hostile", CORPUS, ids=[hostile.name for hostile in CORPUS])
def test_each_hostile_file_gets_its_exact_answer_quickly(hostile: Hostile, upload, upload_dirs):
    media, temp = upload_dirs

    started = time.perf_counter()
    response = upload(hostile)
    elapsed = time.perf_counter() - started

    assert elapsed < MAX_SECONDS, f"{hostile.name} took {elapsed:.2f} s"
    assert files_under(temp) == []
    if hostile.code:
        assert (response.status_code, response.json()["code"]) == (hostile.status, hostile.code)
        assert not PersonImage.objects.exists()
        assert files_under(media) == []
        return
    assert response.status_code == 201, response.content
    image, content = stored_image(response)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", hostile.size)
    assert not image.getexif() and "icc_profile" not in image.info
    assert b"PK\x03\x04" not in content and b"<script" not in content
    if hostile.pixel:
        pixel = image.getpixel((image.width // 4, image.height // 2))
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, hostile.pixel, strict=True)), pixel
    assert len(files_under(media)) == 1


def test_a_file_over_the_byte_cap_is_refused_before_it_is_read(upload, upload_dirs, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    media, temp = upload_dirs
    oversized = Hostile("oversized", b"\xff\xd8\xff" + bytes(300_000), code="FILE_TOO_LARGE")

    response = upload(oversized)

    assert (response.status_code, response.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert not PersonImage.objects.exists()
    assert files_under(media) == files_under(temp) == []


def test_the_corpus_is_the_same_on_every_run():
    assert [hostile.content for hostile in corpus()] == [hostile.content for hostile in CORPUS]

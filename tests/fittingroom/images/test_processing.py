"""Normalising photos: pure image work, compared with what Pillow's own operations give."""

import io

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageOps

from fittingroom.images.processing import normalize_photo


def quadrants(size: tuple[int, int]) -> Image.Image:
    """Four flat colours, so every flip and turn gives a different picture."""
    width, height = size
    image = Image.new("RGB", size, (230, 40, 40))
    image.paste((40, 200, 40), (width // 2, 0, width, height // 2))
    image.paste((40, 40, 220), (0, height // 2, width // 2, height))
    image.paste((240, 240, 60), (width // 2, height // 2, width, height))
    return image


def encoded(image: Image.Image, fmt: str, **save_args) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save_args)
    return out.getvalue()


def with_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def normalised(raw: bytes, max_side: int = 1536) -> Image.Image:
    result = normalize_photo(io.BytesIO(raw), max_side=max_side, max_pixels=50_000_000)
    image = Image.open(io.BytesIO(result.jpeg))
    assert image.size == (result.width, result.height)
    return image.convert("RGB")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_turns_the_photo_as_pillow_does(orientation):
    raw = encoded(quadrants((200, 120)), "PNG", exif=with_orientation(orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert("RGB")

    result = normalised(raw)

    assert mean_difference(result, expected) < 4
    assert len(result.getexif()) == 0


def test_a_12_mp_phone_jpeg_is_shrunk_and_turned_upright():
    raw = encoded(quadrants((4000, 3000)), "JPEG", quality=92, exif=with_orientation(6))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(raw))).convert("RGB")
    expected = expected.resize((1152, 1536), Image.Resampling.LANCZOS)

    result = normalised(raw)

    assert result.size == (1152, 1536)
    assert mean_difference(result, expected) < 4


def test_a_grey_photo_comes_out_rgb():
    raw = encoded(quadrants((300, 200)).convert("L"), "JPEG", exif=with_orientation(8))

    result = normalised(raw, max_side=256)

    assert result.mode == "RGB"
    assert result.size == (171, 256)


def test_a_phone_heic_is_shrunk_from_libheifs_buffer_and_comes_out_upright():
    pillow_heif.register_heif_opener()
    upright = quadrants((300, 400))
    sensor = upright.transpose(Image.Transpose.ROTATE_90)  # as the phone stored it
    sensor.info["exif"] = with_orientation(6).tobytes()  # pillow-heif writes the irot box
    raw = encoded(sensor, "HEIF", quality=90)

    result = normalised(raw, max_side=200)

    assert result.size == (150, 200)
    expected = upright.resize((150, 200), Image.Resampling.LANCZOS)
    assert mean_difference(result, expected) < 6

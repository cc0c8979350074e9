"""Decoding and normalising uploaded photos: pure image work, no Django.

A 12 MP JPEG is never fully decoded: `draft()` lets libjpeg decode at 1/2, 1/4 or 1/8 scale.
"""

import io
import math
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MIN_SIDE = 64
_SRGB = ImageCms.createProfile("sRGB")


# What Pillow raises for bytes that are not a sound image of an accepted format.
DECODE_ERRORS = (
    Image.UnidentifiedImageError,
    Image.DecompressionBombWarning,
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,
)


class ImageRejected(Exception):
    """The bytes are not an image we accept; `reason` is safe to show to the uploader."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class NormalizedImage:
    jpeg: bytes
    width: int
    height: int


def normalize_photo(source: BinaryIO, *, max_side: int, max_pixels: int) -> NormalizedImage:
    """Open, check, orient, convert to sRGB, downscale to `max_side` and re-encode as JPEG
    without metadata. Raises ImageRejected for anything that is not a sound, accepted image."""
    image = _open(source, max_pixels=max_pixels)
    try:
        if image.format == "JPEG":
            scale = min(1.0, max_side / max(image.size))
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ImageRejected("The image is damaged or truncated.") from error
    if min(image.size) < MIN_SIDE:
        raise ImageRejected(f"The image is too small (at least {MIN_SIDE} px a side).")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return NormalizedImage(jpeg=out.getvalue(), width=image.width, height=image.height)


def _open(source: BinaryIO, *, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=ACCEPTED_FORMATS)
    except DECODE_ERRORS as error:
        raise ImageRejected("The file is not a JPEG, PNG, WebP or HEIC image.") from error
    if image.width * image.height > max_pixels:
        raise ImageRejected(f"The image has too many pixels (at most {max_pixels:,}).")
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greyscale: scale into 8 bits before anything else.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if icc:
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source_profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to a plain conversion
    return image.convert("RGB")

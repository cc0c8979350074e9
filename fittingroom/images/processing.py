"""Decoding and normalising uploaded photos: pure image work, no Django.

A 12 MP JPEG is never fully decoded: `draft()` lets libjpeg decode at 1/2, 1/4 or 1/8 scale;
what is left is shrunk before it is rotated and colour-converted. A HEIC (which libheif cannot
decode at a reduced scale) is shrunk straight from libheif's buffer, never copied whole.
"""

import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import cv2
import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageCms

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MIN_SIDE = 64
PNG_BOMB_MIN_PIXELS = 12_000_000  # under this, a full decode takes < 1 s here
_SRGB = ImageCms.createProfile("sRGB")
# EXIF orientation → what shows the pixels upright (the transposes of ImageOps.exif_transpose).
_ORIENTATIONS: dict[object, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda pixels: cv2.flip(pixels, 1),
    3: lambda pixels: cv2.rotate(pixels, cv2.ROTATE_180),
    4: lambda pixels: cv2.flip(pixels, 0),
    5: lambda pixels: cv2.transpose(pixels),
    6: lambda pixels: cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE),
    7: lambda pixels: cv2.flip(cv2.transpose(pixels), -1),
    8: lambda pixels: cv2.rotate(pixels, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


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
        if image.format == "HEIF" and image.mode == "RGB":
            image = _heif_upright(source, max_side)  # (closing `image` would close `source`)
        else:
            image = _upright(image, max_side)
    except (OSError, ValueError, SyntaxError, RuntimeError, Image.DecompressionBombError) as error:
        raise ImageRejected("The image is damaged or truncated.") from error
    if min(image.size) < MIN_SIDE:
        raise ImageRejected(f"The image is too small (at least {MIN_SIDE} px a side).")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return NormalizedImage(jpeg=out.getvalue(), width=image.width, height=image.height)


def _upright(image: Image.Image, max_side: int) -> Image.Image:
    """Decode `image` (a JPEG at a reduced scale), shrink it, turn it by its EXIF orientation
    and convert it to sRGB: RGB, at most `max_side` a side."""
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    icc = image.info.get("icc_profile")
    if image.format == "JPEG":
        scale = min(1.0, max_side / max(image.size))
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    image.load()
    if image.mode not in ("RGB", "L"):  # flatten alpha, 16-bit, CMYK… to RGB first
        image, icc = _to_srgb(image, icc), None
    # Shrunk first, so turning and colour conversion touch fewer pixels.
    return _to_srgb(_shrink_and_turn(np.asarray(image), max_side, orientation), icc)


def _heif_upright(source: BinaryIO, max_side: int) -> Image.Image:
    """An RGB HEIC shrunk straight from libheif's buffer: Pillow's plugin would first copy the
    36 MB of a 12 MP photo (an upload's peak: 73 MB this way, 131 MB through Pillow). libheif
    has turned it upright already (the irot/imir boxes, which HEIF puts above the EXIF tag)."""
    source.seek(0)
    heif = pillow_heif.open_heif(source, convert_hdr_to_8bit=True)
    frame = heif[heif.primary_index]
    icc = frame.info.get("icc_profile")
    return _to_srgb(_shrink_and_turn(np.asarray(frame), max_side, 1), icc)


def _shrink_and_turn(pixels: np.ndarray, max_side: int, orientation: int) -> Image.Image:
    """RGB or grey `pixels` with the longer side at most `max_side`, turned upright.

    OpenCV, several times faster here than Pillow's Lanczos and transpose. Area interpolation
    (averaging) for big shrinks; for less than 2x, all a JPEG has left after `draft()`,
    bilinear: on a 12 MP photo it lands within 1 dB of area's PSNR against Lanczos from the
    full decode (45 dB), for a fifth of the time (bench/scenarios/s2_upload.py)."""
    height, width = pixels.shape[:2]
    scale = max_side / max(width, height)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interpolation = cv2.INTER_LINEAR if scale > 0.5 else cv2.INTER_AREA
        pixels = cv2.resize(pixels, size, interpolation=interpolation)
    if orientation in _ORIENTATIONS:
        pixels = _ORIENTATIONS[orientation](pixels)
    return Image.fromarray(pixels)


def _open(source: BinaryIO, *, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=ACCEPTED_FORMATS)
    except DECODE_ERRORS as error:
        raise ImageRejected("The file is not a JPEG, PNG, WebP or HEIC image.") from error
    if image.width * image.height > max_pixels:
        raise ImageRejected(f"The image has too many pixels (at most {max_pixels:,}).")
    if _png_bomb(image, source):
        raise ImageRejected("The image has too many pixels for its size.")
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    return image


def _png_bomb(image: Image.Image, source: BinaryIO) -> bool:
    """A PNG is decoded in full (there is no reduced-scale decoding as for JPEG), and a photo
    takes more than a bit a pixel. A large PNG under that is a compression bomb: a flat 49 MP
    one of 50 KB took 3 s and 500 MB to decode here."""
    pixels = image.width * image.height
    if image.format != "PNG" or pixels <= PNG_BOMB_MIN_PIXELS:
        return False
    position = source.tell()
    size = source.seek(0, io.SEEK_END)
    source.seek(position)
    return size * 8 < pixels


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB in sRGB: transparency flattened onto white, 16-bit scaled, `icc` applied."""
    if image.mode == "RGB" and not icc:
        return image
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

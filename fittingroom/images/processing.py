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

from fittingroom.images.hdr import hdr_to_sdr, is_hdr
from fittingroom.images.quality import PhotoCheck, photo_check

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


@dataclass(frozen=True)
class ProcessedPhoto:
    jpeg: bytes
    width: int
    height: int
    check: PhotoCheck  # faces in pixels of the stored (cropped) image


CROP_RATIO = 4 / 5  # width / height, Genlook's framing for try-ons


def normalize_photo(source: BinaryIO, *, max_side: int, max_pixels: int) -> NormalizedImage:
    """Open, check, orient, convert to sRGB, downscale to `max_side` and re-encode as JPEG
    without metadata. Raises ImageRejected for anything that is not a sound, accepted image."""
    image = _normalized(source, max_side=max_side, max_pixels=max_pixels)
    return NormalizedImage(jpeg=_jpeg(image), width=image.width, height=image.height)


def process_photo(
    source: BinaryIO, *, max_side: int, max_pixels: int, crop: bool = True
) -> ProcessedPhoto:
    """`normalize_photo`, then the photo check and, with `crop`, a 4:5 crop centred on the
    person (no person found: the framing is kept). Raises ImageRejected."""
    image = _normalized(source, max_side=max_side, max_pixels=max_pixels)
    pixels = np.asarray(image)
    check = photo_check(pixels)
    if crop and check.faces:
        box = crop_box(image.width, image.height, check.faces[0])
        if (box[2] - box[0], box[3] - box[1]) != image.size:
            image = Image.fromarray(pixels[box[1] : box[3], box[0] : box[2]])
            check = PhotoCheck(faces=_faces_within(check, box), issues=check.issues)
    return ProcessedPhoto(jpeg=_jpeg(image), width=image.width, height=image.height, check=check)


def crop_box(width: int, height: int, face) -> tuple[int, int, int, int]:
    """The largest 4:5 box in the image, centred on the face across and with the face in its
    upper third (the body hangs below it), moved inside the image where it would leave it.
    Within 2 % of 4:5 already: the whole image."""
    if abs(width / height - CROP_RATIO) < 0.02 * CROP_RATIO:
        return (0, 0, width, height)
    box_w, box_h = min(width, round(height * CROP_RATIO)), min(height, round(width / CROP_RATIO))
    left = round(face.x + face.width / 2 - box_w / 2)
    top = round(face.y + face.height / 2 - box_h / 3)
    left, top = min(max(0, left), width - box_w), min(max(0, top), height - box_h)
    return (left, top, left + box_w, top + box_h)


def _faces_within(check: PhotoCheck, box: tuple[int, int, int, int]) -> list:
    left, top, right, bottom = box
    moved = []
    for face in check.faces:
        x, y = max(face.x, left), max(face.y, top)
        x2, y2 = min(face.x + face.width, right), min(face.y + face.height, bottom)
        if x2 > x and y2 > y:
            moved.append(type(face)(x - left, y - top, x2 - x, y2 - y, face.confidence))
    return moved


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _normalized(source: BinaryIO, *, max_side: int, max_pixels: int) -> Image.Image:
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
    return image


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
    heif = pillow_heif.open_heif(source, convert_hdr_to_8bit=False)
    frame = heif[heif.primary_index]
    icc, nclx = frame.info.get("icc_profile"), frame.info.get("nclx_profile")
    pixels = np.asarray(frame)
    if pixels.dtype != np.uint8:  # 10 or 12 bits: shrunk first, tone-mapped if HDR
        pixels = _shrink(pixels, max_side)
        if is_hdr(nclx):
            return Image.fromarray(hdr_to_sdr(pixels, nclx))  # sRGB now: its ICC no longer applies
        pixels = (pixels >> 8).astype(np.uint8)
    return _to_srgb(_shrink_and_turn(pixels, max_side, 1), icc)


def _shrink(pixels: np.ndarray, max_side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    scale = max_side / max(width, height)
    if scale >= 1.0:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


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

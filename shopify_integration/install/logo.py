"""The merchant's watermark logo: pure image work, no Django."""

import io
import warnings
from typing import BinaryIO

from PIL import Image, ImageOps

from fittingroom.images.processing import DECODE_ERRORS

LOGO_FORMATS = ("PNG", "WEBP", "JPEG")
LOGO_MAX_SIDE = 512
LOGO_MAX_PIXELS = 40_000_000
LOGO_MIN_SIDE = 16


class LogoRejected(Exception):
    """Not a logo we accept; `reason` is safe to show to the merchant."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def logo_png(source: BinaryIO) -> bytes:
    """Decode a PNG, WebP (transparency kept) or JPEG, orient it, shrink it to fit 512 px and
    re-encode it as an RGBA PNG without metadata. Raises LogoRejected."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=LOGO_FORMATS)
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise LogoRejected("The image has too many pixels.")
            if min(image.size) < LOGO_MIN_SIDE:
                raise LogoRejected(f"The logo is too small (at least {LOGO_MIN_SIDE} px a side).")
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGBA")
            image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE), Image.Resampling.LANCZOS)
    except LogoRejected:
        raise
    except DECODE_ERRORS as error:
        raise LogoRejected("The file is not a PNG, WebP or JPEG image.") from error
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

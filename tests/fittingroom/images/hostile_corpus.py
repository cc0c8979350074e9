"""Hostile and awkward image files, made at test time from a few lines each (deterministic: no
randomness, nothing committed). Each entry says what the upload endpoints must answer."""

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from pillow_heif import register_heif_opener

register_heif_opener()  # HEIF encoding, also when this module is used outside Django
PERSON_PHOTO = Path(__file__).resolve().parents[3] / "fittingroom" / "demo" / "person.jpg"


@dataclass(frozen=True)
class Hostile:
    """`code` None: accepted, stored as an sRGB JPEG of `size` (width, height), first pixel near
    `pixel` when given. Otherwise refused with `code` and HTTP `status`."""

    name: str
    content: bytes
    filename: str = "photo.jpg"
    code: str | None = "INVALID_IMAGE"
    status: int = 400
    size: tuple[int, int] | None = None
    pixel: tuple[int, int, int] | None = None


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, *, depth: int, color_type: int, rows: bytes, extra=b"") -> bytes:
    """A PNG written by hand, so its header may say anything."""
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + extra
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )


def png_bomb(side: int) -> bytes:
    """Declares side x side greyscale pixels; the compressed data holds the first rows only,
    which is all a decoder that trusts the header would need to start allocating."""
    return png(side, side, depth=8, color_type=0, rows=b"\x00" * (side + 1) * 64)


def flat_png(width: int, height: int) -> bytes:
    """A complete, valid greyscale PNG of one colour: it compresses about 1000 to 1."""
    compressor, row = zlib.compressobj(9), b"\x00" + b"\x80" * width
    rows = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", rows)
        + png_chunk(b"IEND", b"")
    )


def png_16bit_rgb(width: int, height: int, rgb16: tuple[int, int, int]) -> bytes:
    row = b"\x00" + struct.pack(">HHH", *rgb16) * width
    return png(width, height, depth=16, color_type=2, rows=row * height)


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header (SOF0) claiming another size."""
    at = jpeg.index(b"\xff\xc0") + 5  # marker, length (2), precision (1): then height, width
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4 :]


def heif_with_size(heif: bytes, width: int, height: int) -> bytes:
    """The same HEIF with every image spatial extent (`ispe`) box claiming another size."""
    out = bytearray(heif)
    at = out.find(b"ispe")
    while at != -1:
        out[at + 8 : at + 16] = struct.pack(">II", width, height)  # after version and flags
        at = out.find(b"ispe", at + 4)
    return bytes(out)


def webp_with_size(webp: bytes, width: int, height: int) -> bytes:
    """A lossy WebP (VP8) whose frame header claims another size (14 bits a side)."""
    at = webp.index(b"VP8 ") + 8 + 6  # chunk header, frame tag (3), start code (3)
    return webp[:at] + struct.pack("<HH", width, height) + webp[at + 4 :]


def exif_jpeg(orientation_tag: bytes) -> bytes:
    """A 300x200 JPEG whose EXIF holds one Orientation entry written as raw bytes."""
    ifd = b"\x01\x00" + orientation_tag + b"\x00\x00\x00\x00"
    tiff = b"II*\x00\x08\x00\x00\x00" + ifd
    return encode(Image.new("RGB", (300, 200), (90, 120, 200)), "JPEG", exif=b"Exif\x00\x00" + tiff)


def orientation(value: int, type_: int = 3, count: int = 1) -> bytes:
    return struct.pack("<HHIHH", 0x0112, type_, count, value, 0)


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        entry = zipfile.ZipInfo("evil.html", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, "<script>alert(1)</script>")
    return out.getvalue()


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (200, 200), color) for color in ((220, 30, 30), (30, 30, 220))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def corpus() -> list[Hostile]:
    person = PERSON_PHOTO.read_bytes()  # 512 x 512
    small = encode(Image.new("RGB", (320, 240), (200, 120, 90)), "JPEG")
    red_png = encode(Image.new("RGB", (320, 240), (230, 20, 20)), "PNG")
    palette = Image.new("P", (200, 100), 0)
    palette.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    palette.paste(1, (100, 0, 200, 100))
    heic = encode(Image.new("RGB", (128, 128), (10, 200, 10)), "HEIF", quality=50)
    webp = encode(Image.new("RGB", (128, 128), (10, 200, 10)), "WEBP", quality=50)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="900" height="900"/>'
    return [
        # Refused: not an image, damaged, or not a format we take.
        Hostile("zero-byte", b""),
        Hostile("truncated-jpeg", person[: len(person) // 2]),
        Hostile("jpeg-headers-only", person[:600]),
        Hostile("truncated-png", red_png[: len(red_png) // 2], "a.png"),
        Hostile("png-signature-only", b"\x89PNG\r\n\x1a\n", "a.png"),
        Hostile("png-bad-crc", red_png[:30] + b"\x00" + red_png[31:], "a.png"),
        Hostile("svg-named-jpg", svg),
        Hostile("html-named-jpg", b"<!doctype html><script>alert(1)</script>" * 20),
        Hostile("zip-named-jpg", zip_bytes()),
        Hostile("animated-gif", animated("GIF"), "a.gif"),  # GIF is not taken, animated or not
        Hostile("bmp", encode(Image.new("RGB", (300, 300)), "BMP"), "a.bmp"),
        Hostile("tiff", encode(Image.new("RGB", (300, 300)), "TIFF"), "a.tif"),
        # Decompression bombs and huge declared sizes: refused from the header, never decoded.
        Hostile("png-50000x50000", png_bomb(50_000), "bomb.png"),
        Hostile("png-8000x8000", png_bomb(8_000), "bomb.png"),  # 64 MP, over the 50 MP cap
        Hostile("png-1x60000000", png(1, 60_000_000, depth=1, color_type=0, rows=b"\0\0" * 64)),
        # Under the pixel cap but a full decode of 49 MP for 50 KB: refused as a bomb.
        Hostile("png-7000x7000-flat", flat_png(7_000, 7_000), "a.png"),
        Hostile("jpeg-65000x65000", jpeg_with_size(small, 65_000, 65_000)),
        Hostile("jpeg-8000x8000", jpeg_with_size(small, 8_000, 8_000)),
        Hostile("webp-16000x16000", webp_with_size(webp, 16_000, 16_000), "a.webp"),
        Hostile("heic-60000x60000", heif_with_size(heic, 60_000, 60_000), "a.heic"),
        # Accepted and normalised: valid photos in awkward shapes.
        # Under the pixel cap, with data for a corner only: libjpeg fills the rest grey, at 1/8
        # scale (0.2 s). Damaged rather than truncated, and cheap: taken as it decodes.
        Hostile(
            "jpeg-7000x7000-short-data",
            jpeg_with_size(small, 7_000, 7_000),
            code=None,
            size=(1536, 1536),
        ),
        Hostile("jpeg-zip-polyglot", person + zip_bytes(), code=None, size=(410, 512)),  # 4:5 crop
        Hostile(
            "jpeg-with-html-comment",
            encode(Image.open(io.BytesIO(person)), "JPEG", comment=b"<script>alert(1)</script>"),
            code=None,
            size=(410, 512),  # cropped to 4:5 around the person
        ),
        Hostile(
            "png-3000x3000-flat",
            flat_png(3_000, 3_000),
            "a.png",
            code=None,
            size=(1536, 1536),
            pixel=(128, 128, 128),
        ),  # small enough to decode: taken
        Hostile("png-named-jpg", red_png, code=None, size=(320, 240), pixel=(230, 20, 20)),
        Hostile("jpeg-named-png", small, "a.png", code=None, size=(320, 240)),
        Hostile(
            "cmyk-jpeg",
            encode(Image.new("CMYK", (320, 240), (0, 255, 255, 0)), "JPEG", quality=95),
            code=None,
            size=(320, 240),
            pixel=(255, 0, 0),
        ),
        Hostile(
            "16-bit-grey-png",
            encode(Image.new("I;16", (300, 200), 0x8080), "PNG"),
            "a.png",
            code=None,
            size=(300, 200),
            pixel=(128, 128, 128),
        ),
        Hostile(
            "16-bit-rgb-png",
            png_16bit_rgb(300, 200, (0xFFFF, 0x8000, 0x0000)),
            "a.png",
            code=None,
            size=(300, 200),
            pixel=(255, 128, 0),
        ),
        Hostile(
            "palette-png-with-transparency",
            encode(palette, "PNG", transparency=0),
            "a.png",
            code=None,
            size=(200, 100),
            pixel=(255, 255, 255),  # the transparent half, flattened onto white
        ),
        Hostile(
            "greyscale-jpeg",
            encode(Image.new("L", (300, 200), 77), "JPEG"),
            code=None,
            size=(300, 200),
            pixel=(77, 77, 77),
        ),
        Hostile(
            "bilevel-png",
            encode(Image.new("1", (300, 200), 1), "PNG"),
            "a.png",
            code=None,
            size=(300, 200),
            pixel=(255, 255, 255),
        ),
        Hostile(
            "grey-alpha-png",
            encode(Image.new("LA", (300, 200), (0, 0)), "PNG"),
            "a.png",
            code=None,
            size=(300, 200),
            pixel=(255, 255, 255),
        ),
        # Animated WebP: the first frame is the photo.
        Hostile(
            "animated-webp",
            animated("WEBP"),
            "a.webp",
            code=None,
            size=(200, 200),
            pixel=(220, 30, 30),
        ),
        # EXIF orientation outside 1..8, of the wrong type, or repeated: ignored, not rotated.
        *[
            Hostile(f"exif-orientation-{label}", exif_jpeg(tag), code=None, size=(300, 200))
            for label, tag in [
                ("0", orientation(0)),
                ("9", orientation(9)),
                ("65535", orientation(65535)),
                ("as-text", orientation(0x3600, type_=2, count=2)),
                ("as-rational", orientation(0, type_=5, count=1)),
                ("count-1000", orientation(0, count=1000)),
            ]
        ],
        Hostile(
            "exif-garbage",
            encode(Image.new("RGB", (300, 200)), "JPEG", exif=b"Exif\x00\x00" + b"\xff" * 64),
            code=None,
            size=(300, 200),
        ),
    ]

"""Draw the demo garment packshots into fittingroom/demo/garments/.

Flat, front-view garments on a plain light-grey backdrop, drawn with Pillow only (no external
assets), so the demo and the tests own every pixel they use. Shapes are drawn at 2x and
downsampled for smooth edges, then stored as small palette PNGs.

    python scripts/make_demo_garments.py
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

OUT_DIR = Path(__file__).resolve().parent.parent / "fittingroom" / "demo" / "garments"
SIZE = (600, 700)
SS = 2  # supersampling factor
# A slightly darker grey than white, so even the white t-shirt stands out from it.
BACKDROP = (233, 233, 230)
COLOURS = 64  # palette size: plenty for flat fabric with soft shading, keeps files small

RGB = tuple[int, int, int]
Point = tuple[float, float]
Decorate = Callable[[ImageDraw.ImageDraw, RGB], None]


@dataclass(frozen=True)
class Piece:
    """A filled outline drawn on top of the garment body (collar, pocket flap...)."""

    outline: Sequence[Point]
    tone: float  # multiplies the garment colour


@dataclass(frozen=True)
class Drawing:
    outline: Sequence[Point]
    decorate: Decorate
    folds: Sequence[Sequence[Point]] = ()
    highlights: Sequence[Sequence[Point]] = ()
    pieces: Sequence[Piece] = field(default=())


# ---------------------------------------------------------------- drawing primitives


def s(points: Sequence[Point]) -> list[Point]:
    """Scale points from the 600x700 design space to the supersampled canvas."""
    return [(x * SS, y * SS) for x, y in points]


def tone(colour: RGB, factor: float) -> RGB:
    """``colour`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    if factor <= 1:
        return tuple(round(c * factor) for c in colour)  # type: ignore[return-value]
    return tuple(round(c + (255 - c) * (factor - 1)) for c in colour)  # type: ignore[return-value]


def edge_colour(colour: RGB) -> RGB:
    """Outline colour: dark enough against the backdrop even for a white garment."""
    return tone(colour, 0.62) if sum(colour) > 600 else tone(colour, 0.55)


def arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, steps: int = 16
) -> list[Point]:
    """Points along an elliptical arc, angles in degrees (0 = right, 90 = down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (start + (end - start) * i / steps for i in range(steps + 1))
    ]


def mirror(points: Sequence[Point]) -> list[Point]:
    """Mirror design-space points across the vertical centre line, in reverse order."""
    return [(SIZE[0] - x, y) for x, y in reversed(points)]


def dashed(
    draw: ImageDraw.ImageDraw,
    points: Sequence[Point],
    colour: RGB,
    dash: float = 7,
    gap: float = 5,
    width: float = 1.5,
) -> None:
    """A stitch line: dashes along the polyline ``points`` (design space)."""
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        pos = 0.0
        while pos < length:
            a, b = pos / length, min(pos + dash, length) / length
            segment = [
                (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
            ]
            draw.line(s(segment), fill=colour, width=round(width * SS))
            pos += dash + gap


def line(
    draw: ImageDraw.ImageDraw, points: Sequence[Point], colour: RGB, width: float = 1.5
) -> None:
    draw.line(s(points), fill=colour, width=round(width * SS), joint="curve")


def button(draw: ImageDraw.ImageDraw, x: float, y: float, r: float, colour: RGB) -> None:
    box = [((x - r) * SS, (y - r) * SS), ((x + r) * SS, (y + r) * SS)]
    draw.ellipse(box, fill=colour, outline=tone(colour, 0.6), width=SS)
    inner = [((x - r / 2) * SS, (y - r / 2) * SS), ((x + r / 2) * SS, (y + r / 2) * SS)]
    draw.ellipse(inner, outline=tone(colour, 1.3), width=SS)


# ---------------------------------------------------------------- rendering


def shading(
    mask: Image.Image, folds: Sequence[Sequence[Point]], highlights: Sequence[Sequence[Point]]
) -> tuple[Image.Image, Image.Image]:
    """A multiply layer (soft darker edges and folds) and a screen layer (highlights)."""
    # Fabric turns away from the light near the edges: darken along the blurred outline.
    soft = mask.filter(ImageFilter.GaussianBlur(22 * SS))
    dark = soft.point(lambda v: 255 - round((255 - v) * 0.3))
    folds_layer = Image.new("L", mask.size, 255)
    fold_draw = ImageDraw.Draw(folds_layer)
    for fold in folds:
        fold_draw.line(s(fold), fill=222, width=14 * SS, joint="curve")
    dark = ImageChops.multiply(dark, folds_layer.filter(ImageFilter.GaussianBlur(12 * SS)))
    light = Image.new("L", mask.size, 0)
    light_draw = ImageDraw.Draw(light)
    for highlight in highlights:
        light_draw.line(s(highlight), fill=30, width=16 * SS, joint="curve")
    return dark, light.filter(ImageFilter.GaussianBlur(14 * SS))


def render(drawing: Drawing, colour: RGB) -> Image.Image:
    """The garment on the backdrop, as a palette image at ``SIZE``."""
    big = (SIZE[0] * SS, SIZE[1] * SS)
    mask = Image.new("L", big, 0)
    ImageDraw.Draw(mask).polygon(s(drawing.outline), fill=255)
    dark, light = shading(mask, drawing.folds, drawing.highlights)
    body = Image.new("RGB", big, colour)
    body = ImageChops.multiply(body, Image.merge("RGB", (dark, dark, dark)))
    body = ImageChops.screen(body, Image.merge("RGB", (light, light, light)))
    drawing.decorate(ImageDraw.Draw(body), colour)
    canvas = Image.new("RGB", big, BACKDROP)
    canvas.paste(body, (0, 0), mask)
    draw = ImageDraw.Draw(canvas)
    outline = s([*drawing.outline, drawing.outline[0]])
    draw.line(outline, fill=edge_colour(colour), width=3 * SS, joint="curve")
    for piece in drawing.pieces:
        draw.polygon(
            s(piece.outline),
            fill=tone(colour, piece.tone),
            outline=edge_colour(colour),
            width=3 * SS,
        )
    small = canvas.resize(SIZE, Image.Resampling.LANCZOS)
    return small.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


# ---------------------------------------------------------------- garments


def tshirt() -> Drawing:
    """A crew-neck, short-sleeve t-shirt laid flat."""
    left = [(150, 112), (55, 225), (112, 268), (165, 240), (165, 600)]
    outline = [*left, *mirror(left), *arc(300, 92, 55, 45, 0, 180)]

    def decorate(draw: ImageDraw.ImageDraw, colour: RGB) -> None:
        stitch = edge_colour(colour)
        line(draw, arc(300, 92, 61, 51, 0, 180), tone(colour, 0.86), width=12)
        line(draw, arc(300, 92, 67, 57, 0, 180), tone(colour, 0.75), width=1.5)
        dashed(draw, arc(300, 92, 72, 62, 0, 180), stitch)
        for side in (left, mirror(left)[::-1]):
            shoulder, cuff_out, cuff_in, underarm = side[0], side[1], side[2], side[3]
            line(draw, [shoulder, underarm], tone(colour, 0.85), width=2)
            dashed(
                draw, [_towards(cuff_out, shoulder, 16), _towards(cuff_in, underarm, 16)], stitch
            )
        dashed(draw, [(165, 584), (435, 584)], stitch)

    folds = [[(200, 300), (235, 420)], [(400, 330), (365, 460)], [(240, 520), (300, 560)]]
    return Drawing(outline, decorate, folds=folds, highlights=[[(260, 200), (290, 380)]])


def dress() -> Drawing:
    """A sleeveless A-line dress with a scoop neck and a waist seam."""
    # The armhole curves in towards the body; the hem dips a little at the centre.
    left = [(250, 60), (205, 60), (212, 110), (205, 160), (185, 195), (192, 330), (105, 655)]
    hem = [(x, 655 + 14 * (1 - ((x - 300) / 195) ** 2)) for x in range(135, 466, 30)]
    outline = [*left, *hem, *mirror(left), *arc(300, 60, 50, 90, 0, 180)]

    def decorate(draw: ImageDraw.ImageDraw, colour: RGB) -> None:
        stitch = edge_colour(colour)
        draw.rectangle(s([(150, 322), (450, 340)]), fill=tone(colour, 0.85))
        line(draw, [(150, 322), (450, 322)], stitch)
        line(draw, [(150, 340), (450, 340)], stitch)
        dashed(draw, arc(300, 60, 58, 98, 0, 180), stitch)
        dashed(draw, [(p[0], p[1] - 14) for p in [(105, 655), *hem, (495, 655)]], stitch)

    folds = [[(250, 350), (215, 640)], [(300, 350), (300, 660)], [(350, 350), (390, 640)]]
    highlights = [[(272, 360), (255, 640)], [(328, 360), (345, 640)], [(240, 110), (245, 300)]]
    return Drawing(outline, decorate, folds=folds, highlights=highlights)


def jacket(closure: str) -> Drawing:
    """A long-sleeve jacket with a pointed collar and a ``"zip"`` or ``"buttons"`` front."""
    left = [(252, 70), (160, 95), (68, 555), (128, 568), (180, 262), (182, 560)]
    outline = [*left, *mirror(left)]
    collar = [(300, 86), (250, 60), (205, 100), (268, 158)]
    pieces = [Piece(collar, 0.9), Piece(mirror(collar), 0.9)]

    def decorate(draw: ImageDraw.ImageDraw, colour: RGB) -> None:
        stitch = (200, 150, 70) if closure == "buttons" else edge_colour(colour)
        draw.rectangle(s([(182, 524), (418, 560)]), fill=tone(colour, 0.9))
        dashed(draw, [(182, 524), (418, 524)], stitch)
        for side in (left, mirror(left)[::-1]):
            cuff = [_towards(side[2], side[1], 34), _towards(side[3], side[4], 34)]
            line(draw, cuff, tone(colour, 0.75), width=2)
            line(draw, [side[1], side[4]], tone(colour, 0.8), width=2)
        (_buttons if closure == "buttons" else _zip)(draw, colour, stitch)

    folds = [
        [(110, 330), (150, 350)],
        [(490, 330), (450, 350)],
        [(230, 400), (245, 500)],
        [(370, 400), (355, 500)],
    ]
    return Drawing(
        outline,
        decorate,
        folds=folds,
        pieces=pieces,
        highlights=[[(215, 200), (225, 380)], [(385, 200), (375, 380)]],
    )


def _buttons(draw: ImageDraw.ImageDraw, colour: RGB, stitch: RGB) -> None:
    """Denim-jacket front: button placket, yoke, flap chest pockets, contrast stitching."""
    line(draw, [(300, 150), (300, 560)], tone(colour, 0.65), width=2)
    dashed(draw, [(312, 150), (312, 524)], stitch)
    dashed(draw, [(182, 205), (418, 205)], stitch)
    for x0 in (205, 335):
        draw.rectangle(s([(x0, 230), (x0 + 60, 300)]), outline=tone(colour, 0.7), width=2 * SS)
        flap = [(x0, 230), (x0 + 60, 230), (x0 + 60, 250), (x0 + 30, 262), (x0, 250)]
        draw.polygon(s(flap), fill=tone(colour, 0.88), outline=tone(colour, 0.65), width=SS * 2)
        button(draw, x0 + 30, 250, 5, (205, 170, 100))
    for y in (180, 265, 350, 435, 542):
        button(draw, 300, y, 7, (205, 170, 100))


def _zip(draw: ImageDraw.ImageDraw, colour: RGB, stitch: RGB) -> None:
    """Zip front: tape, teeth, a pull at the top, and welt pockets."""
    draw.rectangle(s([(295, 150), (305, 560)]), fill=tone(colour, 0.55))
    for y in range(152, 558, 6):
        line(draw, [(296, y), (304, y)], (185, 185, 175), width=1.5)
    draw.rounded_rectangle(
        s([(293, 160), (307, 195)]),
        radius=3 * SS,
        fill=(190, 190, 180),
        outline=(90, 90, 85),
        width=SS,
    )
    dashed(draw, [(288, 150), (288, 524)], stitch)
    dashed(draw, [(312, 150), (312, 524)], stitch)
    for x0, x1 in ((205, 255), (345, 395)):
        line(draw, [(x0, 420), (x1, 380)], tone(colour, 0.6), width=3)


def _towards(a: Point, b: Point, distance: float) -> Point:
    """The point ``distance`` along the segment from ``a`` to ``b``."""
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    t = distance / length
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


GARMENTS: dict[str, tuple[Callable[[], Drawing], RGB]] = {
    "tshirt-white.png": (tshirt, (248, 248, 246)),
    "tshirt-navy.png": (tshirt, (31, 42, 74)),
    "tshirt-red.png": (tshirt, (186, 32, 42)),
    "dress-black.png": (dress, (30, 30, 33)),
    "dress-emerald.png": (dress, (16, 122, 90)),
    "jacket-denim.png": (lambda: jacket("buttons"), (74, 106, 148)),
    "jacket-olive.png": (lambda: jacket("zip"), (91, 99, 53)),
}


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for filename, (make, colour) in GARMENTS.items():
        path = OUT_DIR / filename
        render(make(), colour).save(path, optimize=True)
        print(f"{path.relative_to(OUT_DIR.parent.parent.parent)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()

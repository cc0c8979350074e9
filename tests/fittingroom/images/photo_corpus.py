"""A labelled corpus for the photo check, built from the one real portrait in the repository
(fittingroom/demo/person.jpg, NASA's public-domain photo of Eileen Collins) and drawn scenes.

Each sample says which issues a careful human would raise: an empty set is a photo fit for a
try-on. People photos vary in size, position, framing, background, mirroring and tilt; groups
put two or three people of similar size side by side (one large person with a small one far
behind is still one shopper); objects, garments and landscapes have nobody; the darkened,
blown-out and blurred samples are good photos spoiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps

ROOT = Path(__file__).resolve().parents[3]
PORTRAIT = ROOT / "fittingroom" / "demo" / "person.jpg"
GARMENTS = ROOT / "fittingroom" / "demo" / "garments"


@dataclass(frozen=True)
class Sample:
    name: str
    image: Image.Image
    issues: frozenset[str]

    @property
    def bad(self) -> bool:
        return bool(self.issues)


@cache
def portrait() -> Image.Image:
    return Image.open(PORTRAIT).convert("RGB")


def _background(size: tuple[int, int], kind: str, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    if kind == "plain":
        colour = tuple(int(v) for v in rng.integers(90, 220, 3))
        return Image.new("RGB", size, colour)
    if kind == "gradient":
        top, bottom = rng.integers(60, 230, 3), rng.integers(30, 200, 3)
        ramp = np.linspace(0, 1, height)[:, None, None]
        pixels = top * (1 - ramp) + bottom * ramp
        return Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).astype(np.uint8))
    # A room-like scene: a wall, a floor and a few blocks of furniture, lightly textured.
    image = Image.new("RGB", size, tuple(int(v) for v in rng.integers(150, 210, 3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, int(height * 0.7), width, height), fill=(120, 95, 70))
    for _ in range(4):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = (
            int(rng.integers(width // 10, width // 3)),
            int(rng.integers(height // 10, height // 3)),
        )
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(v) for v in rng.integers(40, 220, 3)))
    noise = rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def person_photo(
    size: tuple[int, int] = (1200, 1500),
    *,
    person_height: float = 0.6,
    centre_x: float = 0.5,
    background: str = "plain",
    seed: int = 0,
    mirror: bool = False,
    tilt: float = 0.0,
    people: int = 1,
    extra: tuple[float, float] | None = None,
) -> Image.Image:
    """`people` portraits side by side, each `person_height` of the frame high, standing at the
    bottom; `extra` = (height, centre_x) adds one more person of another size."""
    canvas = _background(size, background, seed)
    placements = [(person_height, centre_x + (i - (people - 1) / 2) * 0.33) for i in range(people)]
    if extra:
        placements.append(extra)
    for index, (relative, x) in enumerate(placements):
        side = round(size[1] * relative)
        person = portrait().resize((side, side), Image.LANCZOS)
        if mirror ^ (index % 2 == 1):
            person = ImageOps.mirror(person)
        if tilt:
            person = person.rotate(tilt, resample=Image.BICUBIC, expand=False, fillcolor=(0, 0, 0))
        left = round(size[0] * x - side / 2)
        canvas.paste(person, (left, size[1] - side))
    return canvas


def _spoiled(image: Image.Image, how: str) -> Image.Image:
    pixels = np.asarray(image).astype(np.float32)
    if how == "dark":
        return Image.fromarray(np.clip(pixels * 0.14, 0, 255).astype(np.uint8))
    if how == "bright":
        return Image.fromarray(np.clip(pixels * 2.6 + 60, 0, 255).astype(np.uint8))
    if how == "blur":
        return image.filter(ImageFilter.GaussianBlur(radius=max(image.size) / 140))
    if how == "motion":
        kernel = np.zeros((31, 31), np.float32)
        kernel[15, :] = 1 / 31
        return Image.fromarray(cv2.filter2D(np.asarray(image), -1, kernel))
    raise ValueError(how)


def _landscape(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    sky = _background(size, "gradient", seed)
    draw = ImageDraw.Draw(sky)
    horizon = int(height * rng.uniform(0.45, 0.65))
    ridge = [
        (x, horizon - int(60 * np.sin(x / width * 6 + seed))) for x in range(0, width + 50, 50)
    ]
    draw.polygon([*ridge, (width, height), (0, height)], fill=(60, 110, 50))
    draw.ellipse(
        (width * 0.7, height * 0.1, width * 0.8, height * 0.1 + width * 0.1), fill=(250, 240, 200)
    )
    noise = rng.normal(0, 8, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(sky) + noise, 0, 255).astype(np.uint8))


def _objects(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = _background(size, "plain", seed)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.integers(0, size[0] - 200), rng.integers(0, size[1] - 200)
        w, h = rng.integers(80, 300, 2)
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((int(x), int(y), int(x + w), int(y + h)), fill=colour, outline=(20, 20, 20), width=4)
    return image


def _garment(path: Path) -> Image.Image:
    packshot = Image.open(path).convert("RGBA")
    canvas = Image.new("RGBA", packshot.size, (245, 245, 245, 255))
    return Image.alpha_composite(canvas, packshot).convert("RGB")


def corpus() -> list[Sample]:
    samples: list[Sample] = []

    def add(name: str, image: Image.Image, *issues: str) -> None:
        samples.append(Sample(name, image, frozenset(issues)))

    # People fit for a try-on: sizes, positions, backgrounds, mirrored, tilted, framings.
    goods = [
        ("portrait", dict(person_height=1.0, size=(512, 512))),
        ("half-frame", dict(person_height=0.5)),
        ("three-quarter", dict(person_height=0.75, background="gradient", seed=1)),
        ("left", dict(person_height=0.55, centre_x=0.32, background="room", seed=2)),
        ("right", dict(person_height=0.55, centre_x=0.68, background="room", seed=3)),
        ("small", dict(person_height=0.35, background="gradient", seed=4)),
        ("mirrored", dict(person_height=0.6, mirror=True, background="room", seed=5)),
        ("tilt-left", dict(person_height=0.6, tilt=7, seed=6)),
        ("tilt-right", dict(person_height=0.6, tilt=-7, background="gradient", seed=7)),
        ("landscape-frame", dict(size=(1600, 1200), person_height=0.7, background="room", seed=8)),
        ("square", dict(size=(1000, 1000), person_height=0.8, seed=9)),
        ("phone-12mp", dict(size=(3000, 4000), person_height=0.55, background="room", seed=10)),
        ("background-stranger", dict(person_height=0.7, extra=(0.12, 0.85), seed=11)),
        ("tall-frame", dict(size=(900, 1600), person_height=0.45, background="gradient", seed=12)),
    ]
    for name, options in goods:
        add(name, person_photo(**options))
    add("slightly-dim", _spoiled_by(person_photo(person_height=0.6, seed=13), 0.6))
    add("slightly-bright", _spoiled_by(person_photo(person_height=0.6, seed=14), 1.25))

    # Nobody in the picture.
    for index, path in enumerate(sorted(GARMENTS.glob("*.png"))[:4]):
        add(f"garment-{index}", _garment(path), "PHOTO_NO_PERSON")
    for seed in range(3):
        add(f"landscape-{seed}", _landscape((1600, 1200), seed), "PHOTO_NO_PERSON")
    for seed in range(2):
        add(f"objects-{seed}", _objects((1200, 1500), seed), "PHOTO_NO_PERSON")
    add("empty-room", _background((1200, 1500), "room", 20), "PHOTO_NO_PERSON")

    # Several people of similar size.
    add(
        "pair",
        person_photo(size=(1600, 1200), person_height=0.5, people=2),
        "PHOTO_MULTIPLE_PEOPLE",
    )
    add(
        "pair-room",
        person_photo(size=(1600, 1200), person_height=0.45, people=2, background="room", seed=21),
        "PHOTO_MULTIPLE_PEOPLE",
    )
    add(
        "trio",
        person_photo(size=(1800, 1000), person_height=0.55, people=3, seed=22),
        "PHOTO_MULTIPLE_PEOPLE",
    )
    add(
        "trio-gradient",
        person_photo(
            size=(1800, 1200), person_height=0.4, people=3, background="gradient", seed=23
        ),
        "PHOTO_MULTIPLE_PEOPLE",
    )

    # Too far away to show a garment on.
    add(
        "far-away",
        person_photo(size=(1500, 2000), person_height=0.225, seed=24),
        "PHOTO_PERSON_TOO_SMALL",
    )
    add(
        "very-far",
        person_photo(size=(2000, 2000), person_height=0.12, background="gradient", seed=27),
        "PHOTO_PERSON_TOO_SMALL",
    )
    add(
        "far-away-room",
        person_photo(size=(1800, 2400), person_height=0.22, background="room", seed=25),
        "PHOTO_PERSON_TOO_SMALL",
    )

    # Good photos spoiled.
    for seed, options in enumerate(goods[1:4]):
        base = person_photo(**options[1])
        add(f"dark-{seed}", _spoiled(base, "dark"), "PHOTO_TOO_DARK")
        add(f"bright-{seed}", _spoiled(base, "bright"), "PHOTO_TOO_BRIGHT")
        add(f"blurred-{seed}", _spoiled(base, "blur"), "PHOTO_TOO_BLURRY")
    add(
        "motion-blur",
        _spoiled(person_photo(person_height=0.6, seed=26), "motion"),
        "PHOTO_TOO_BLURRY",
    )
    add("thumbnail", portrait().resize((240, 240), Image.LANCZOS), "PHOTO_TOO_SMALL")
    return samples


def _spoiled_by(image: Image.Image, factor: float) -> Image.Image:
    pixels = np.asarray(image).astype(np.float32) * factor
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

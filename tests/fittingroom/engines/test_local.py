"""The local engine: it dresses the demo person in every demo garment, and refuses bad input.

Pure image tests: no Django, no database.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fittingroom.engines import (
    ENGINES,
    GarmentImageInvalid,
    LocalEngine,
    NoPersonDetected,
    TryOnEngine,
    UnknownEngine,
    get_engine,
)
from fittingroom.engines.body import Face, find_face
from fittingroom.engines.garment import cut_out

DEMO = Path(__file__).resolve().parents[3] / "fittingroom" / "demo"
GARMENTS = sorted((DEMO / "garments").glob("*.png"))
CATEGORY = {"tshirt": "tops", "jacket": "tops", "dress": "one-pieces"}


def category_of(path: Path) -> str:
    return CATEGORY[path.stem.split("-")[0]]


@pytest.fixture(scope="module")
def person() -> Image.Image:
    return Image.open(DEMO / "person.jpg").convert("RGB")


@pytest.fixture(scope="module")
def face(person: Image.Image) -> Face:
    return find_face(np.asarray(person))


@pytest.fixture(scope="module")
def engine() -> LocalEngine:
    return LocalEngine()


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(np.float32)


def face_region(face: Face) -> tuple[slice, slice]:
    return np.s_[round(face.y) : round(face.y + face.h), round(face.x) : round(face.x + face.w)]


def chest_region(face: Face) -> tuple[slice, slice]:
    """A patch on the sternum: a face wide, starting a face height below the chin."""
    top, left = face.chin_y + 1.2 * face.h, face.centre_x - 0.5 * face.w
    return np.s_[round(top) : round(top + 0.6 * face.h), round(left) : round(left + face.w)]


def mean_colour(array: np.ndarray) -> np.ndarray:
    return array.reshape(-1, 3).mean(axis=0)


def garment_colour(garment: Image.Image) -> np.ndarray:
    """The garment's average colour in its own packshot, backdrop excluded."""
    cutout = cut_out(garment)
    weights = cutout.alpha[:, :, None]
    return (cutout.rgb * weights).reshape(-1, 3).sum(axis=0) / weights.sum()


def landscape(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A sky gradient, a sun and green hills: an outdoor photo with nobody in it."""
    width, height = size
    sky = np.linspace([90, 150, 230], [200, 225, 250], height // 2).astype(np.uint8)
    image = Image.new("RGB", size, (70, 140, 60))
    image.paste(Image.fromarray(np.repeat(sky[:, None], width, axis=1)), (0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (width * 0.7, height * 0.1, width * 0.8, height * 0.1 + width * 0.1), fill=(255, 230, 120)
    )
    draw.polygon(
        [
            (0, height * 0.6),
            (width * 0.3, height * 0.45),
            (width * 0.6, height * 0.55),
            (width, height * 0.4),
            (width, height),
            (0, height),
        ],
        fill=(50, 120, 50),
    )
    return image


@pytest.mark.parametrize("garment_path", GARMENTS, ids=lambda p: p.stem)
def test_it_places_the_garment_on_the_torso_below_the_face(
    engine: LocalEngine, person: Image.Image, face: Face, garment_path: Path
) -> None:
    garment = Image.open(garment_path)
    before = pixels(person)
    category = category_of(garment_path)
    after = pixels(engine.render(person=person, garment=garment, category=category))

    face_change = np.abs(after[face_region(face)] - before[face_region(face)]).mean()
    assert face_change < 2.0, "the face must stay as it was"

    chest_after = mean_colour(after[chest_region(face)])
    chest_before = mean_colour(before[chest_region(face)])
    distance_to_garment = np.linalg.norm(chest_after - garment_colour(garment))
    assert distance_to_garment < 40, "the chest should now show the garment's colour"
    assert distance_to_garment < np.linalg.norm(chest_after - chest_before) / 2


def test_the_navy_tshirt_turns_the_chest_navy(
    engine: LocalEngine, person: Image.Image, face: Face
) -> None:
    garment = Image.open(DEMO / "garments" / "tshirt-navy.png")
    after = pixels(engine.render(person=person, garment=garment, category="tops"))
    red, green, blue = mean_colour(after[chest_region(face)])
    assert blue > red and blue > green and blue < 120  # dark blue, not the orange suit


def test_it_puts_bottoms_below_the_waist_and_leaves_the_chest_alone(
    engine: LocalEngine, person: Image.Image, face: Face
) -> None:
    garment = Image.open(DEMO / "garments" / "tshirt-red.png")
    before = pixels(person)
    after = pixels(engine.render(person=person, garment=garment, category="bottoms"))
    assert np.abs(after[chest_region(face)] - before[chest_region(face)]).mean() < 2.0
    assert np.abs(after[-20:] - before[-20:]).mean() > 20  # the bottom rows did change


def test_it_is_deterministic(person: Image.Image) -> None:
    garment = Image.open(DEMO / "garments" / "jacket-denim.png")
    first = LocalEngine().render(person=person, garment=garment, category="tops")
    second = LocalEngine().render(person=person.copy(), garment=garment.copy(), category="tops")
    assert np.array_equal(np.asarray(first), np.asarray(second))


def test_it_treats_an_unknown_category_as_tops(engine: LocalEngine, person: Image.Image) -> None:
    garment = Image.open(DEMO / "garments" / "tshirt-red.png")
    as_tops = engine.render(person=person, garment=garment, category="tops")
    as_hats = engine.render(person=person, garment=garment, category="hats")
    assert np.array_equal(np.asarray(as_tops), np.asarray(as_hats))


def test_it_refuses_a_photo_without_a_person(engine: LocalEngine) -> None:
    garment = Image.open(DEMO / "garments" / "tshirt-navy.png")
    with pytest.raises(NoPersonDetected) as refused:
        engine.render(person=landscape(), garment=garment, category="tops")
    assert refused.value.code == "NO_PERSON_DETECTED"
    assert "front-facing photo" in refused.value.message


@pytest.mark.parametrize(
    "blank",
    [Image.new("RGB", (600, 700), (244, 244, 242)), Image.new("RGBA", (600, 700), (0, 0, 0, 0))],
    ids=["uniform", "transparent"],
)
def test_it_refuses_a_garment_image_that_is_blank(
    engine: LocalEngine, person: Image.Image, blank: Image.Image
) -> None:
    with pytest.raises(GarmentImageInvalid) as refused:
        engine.render(person=person, garment=blank, category="tops")
    assert refused.value.code == "PRODUCT_IMAGE_INVALID"


def test_it_refuses_a_garment_image_without_a_plain_backdrop(
    engine: LocalEngine, person: Image.Image
) -> None:
    # Colourful tiles everywhere, border included: a scene or a pattern, not a packshot.
    tiles = np.random.default_rng(7).integers(0, 256, size=(14, 12, 3), dtype=np.uint8)
    busy = Image.fromarray(tiles).resize((600, 700), Image.Resampling.NEAREST)
    with pytest.raises(GarmentImageInvalid):
        engine.render(person=person, garment=busy, category="tops")


def test_it_uses_the_transparency_of_a_cut_out_png(
    engine: LocalEngine, person: Image.Image, face: Face
) -> None:
    # Colour alone cannot separate this one: the RGB is red everywhere, only alpha has a shape.
    garment = Image.new("RGBA", (400, 500), (200, 30, 40, 0))
    ImageDraw.Draw(garment).rectangle((50, 40, 350, 460), fill=(200, 30, 40, 255))
    cutout = cut_out(garment)
    assert (cutout.width, cutout.height) == (301, 421)
    after = pixels(engine.render(person=person, garment=garment, category="tops"))
    assert np.linalg.norm(mean_colour(after[chest_region(face)]) - (200, 30, 40)) < 40


@pytest.mark.parametrize(
    "size", [(512, 512), (1024, 1024), (400, 512), (900, 600)], ids=lambda s: f"{s[0]}x{s[1]}"
)
def test_it_returns_an_image_of_the_person_size(
    engine: LocalEngine, person: Image.Image, size: tuple[int, int]
) -> None:
    photo = framed(person, size)
    garment = Image.open(DEMO / "garments" / "dress-emerald.png")
    result = engine.render(person=photo, garment=garment, category="one-pieces")
    assert result.mode == "RGB"
    assert result.size == size
    assert not np.array_equal(np.asarray(result), np.asarray(photo))


def framed(person: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The person scaled to the frame's height and centred in it (cropped or padded)."""
    width, height = size
    scaled = person.resize((height, height), Image.Resampling.LANCZOS)
    frame = Image.new("RGB", size, (128, 128, 128))
    frame.paste(scaled, ((width - height) // 2, 0))
    return frame


@pytest.mark.parametrize("garment_path", GARMENTS, ids=lambda p: p.stem)
def test_every_demo_garment_segments(garment_path: Path) -> None:
    garment = Image.open(garment_path)
    cutout = cut_out(garment)
    coverage = cutout.alpha.sum() / (garment.width * garment.height)
    assert 0.2 < coverage < 0.6
    assert cutout.width < garment.width and cutout.height < garment.height
    # Solid in the middle (the white t-shirt too), backdrop in the corners of its box.
    assert cutout.alpha[cutout.height // 2, cutout.width // 2] > 0.99
    assert cutout.alpha[0, 0] < 0.01 and cutout.alpha[-1, 0] < 0.01


def test_every_demo_garment_is_a_small_png_of_the_expected_size() -> None:
    assert [p.name for p in GARMENTS] == sorted(
        [
            "tshirt-white.png",
            "tshirt-navy.png",
            "tshirt-red.png",
            "dress-black.png",
            "dress-emerald.png",
            "jacket-denim.png",
            "jacket-olive.png",
        ]
    )
    for path in GARMENTS:
        assert path.stat().st_size < 60_000
        assert Image.open(path).size == (600, 700)


def test_the_registry_builds_engines_by_name() -> None:
    assert isinstance(get_engine("local"), LocalEngine)
    assert isinstance(get_engine("local"), TryOnEngine)
    assert ENGINES["local"] is LocalEngine
    with pytest.raises(UnknownEngine) as unknown:
        get_engine("nonexistent")
    assert isinstance(unknown.value, ValueError)

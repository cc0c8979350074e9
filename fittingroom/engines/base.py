"""The contract every try-on engine fulfils.

Engines are pure image code: they take Pillow images and return a Pillow image, and they
know nothing about Django, storage or jobs. Whatever goes wrong in a way the shopper can
fix (wrong photo, unusable product image) is raised as an ``EngineError`` subclass whose
``code`` is stable, because it is stored on the failed generation and shown by the apps.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PIL import Image

CATEGORIES: tuple[str, ...] = ("tops", "bottoms", "one-pieces")
"""Garment categories, named as FASHN names them."""

DEFAULT_CATEGORY = "tops"


class EngineError(Exception):
    """A try-on failed for a reason that is reported to the shopper by ``code``."""

    code: str = "ENGINE_ERROR"
    message: str = "The try-on could not be rendered."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class NoPersonDetected(EngineError):
    code = "NO_PERSON_DETECTED"
    message = (
        "No person was found in the photo. "
        "Use a front-facing photo showing your head and shoulders."
    )


class GarmentImageInvalid(EngineError):
    code = "PRODUCT_IMAGE_INVALID"
    message = "The product image could not be used for a try-on."


@runtime_checkable
class TryOnEngine(Protocol):
    """Renders a garment onto a person.

    ``person`` is RGB; ``garment`` is RGB or RGBA; ``category`` is one of ``CATEGORIES``
    (unknown values are treated as ``"tops"``). The result is an RGB image of exactly the
    size of ``person``. Raises ``EngineError`` (or a subclass) when it cannot render.
    """

    name: str

    def render(
        self, *, person: Image.Image, garment: Image.Image, category: str
    ) -> Image.Image: ...


def normalise_category(category: str) -> str:
    """Return ``category`` if it is a known one, else the default (``"tops"``)."""
    return category if category in CATEGORIES else DEFAULT_CATEGORY

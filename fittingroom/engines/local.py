"""The ``local`` engine: a fast, offline, deterministic try-on by 2-D placement.

It finds the face, estimates the torso from it, cuts the garment out of its packshot and
composites it over the torso with a little of the person's shading. It is no match for a
diffusion model, but it needs no network, no GPU and no API key, which makes it the engine
for development, tests, demos and as a fallback.

Geometry and shading are computed on a copy bounded to ``WORK_SIDE`` pixels; only the final
blend runs at the photo's own resolution, so large photos keep a sharp face.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from fittingroom.engines.base import EngineError, normalise_category
from fittingroom.engines.body import Body, find_body
from fittingroom.engines.garment import Cutout, cut_out

WORK_SIDE = 1024
SHADING = 0.5  # share of the person's relative luminance multiplied into the garment
SHADING_RANGE = (0.6, 1.3)  # so a dark patch or a highlight cannot black out or bleach it
SHADOW = 0.35  # darkening of the photo right around the garment: a contact shadow
SHADOW_SPREAD = 0.06  # shadow blur, in face widths


@dataclass(frozen=True)
class Fit:
    """How a category hangs on the body, in shoulder widths and face heights below the chin."""

    width: float  # garment width, sleeves included, in shoulder widths
    top: float  # where the garment's top edge sits
    longest: float  # the hem may not fall lower than this; a longer garment is shrunk


FITS: dict[str, Fit] = {
    "tops": Fit(width=1.55, top=0.1, longest=4.4),
    "one-pieces": Fit(width=1.35, top=0.1, longest=6.5),
    "bottoms": Fit(width=1.0, top=2.7, longest=7.5),
}


@dataclass(frozen=True)
class Box:
    """An integer pixel rectangle, ``x1``/``y1`` exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def scaled(self, factor: float) -> Box:
        return Box(*(round(v * factor) for v in (self.x0, self.y0, self.x1, self.y1)))


class LocalEngine:
    """Renders a garment onto a front-facing head-and-shoulders photo (see module docstring)."""

    name = "local"

    def render(self, *, person: Image.Image, garment: Image.Image, category: str) -> Image.Image:
        """Return ``person`` wearing ``garment``: RGB, same size as ``person``.

        Raises ``NoPersonDetected`` if no face is found and ``GarmentImageInvalid`` if the
        garment cannot be separated from its backdrop.
        """
        photo = np.asarray(person.convert("RGB"))
        work, scale = _bounded(photo, WORK_SIDE)
        body = find_body(work)
        cutout = cut_out(garment)
        fit = FITS[normalise_category(category)]
        placed = _place(body, cutout, fit)
        margin = round(3 * SHADOW_SPREAD * body.face.w)  # room for the shadow to fade out
        visible, rgb, alpha = _layer(cutout, placed, margin, work.shape)
        alpha = _uncover_head(alpha, body, visible)
        rgb = _shade(rgb, alpha, work[visible.y0 : visible.y1, visible.x0 : visible.x1], body)
        shadow = _contact_shadow(alpha, body)
        out = _blend(photo, rgb, alpha, shadow, visible.scaled(1 / scale))
        return Image.fromarray(out, "RGB")


def _bounded(photo: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """``photo`` downscaled so its longest side is at most ``side``, and the scale used."""
    height, width = photo.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale == 1.0:
        return photo, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(photo, size, interpolation=cv2.INTER_AREA), scale


def _place(body: Body, cutout: Cutout, fit: Fit) -> Box:
    """Where the whole garment goes: may extend beyond the image."""
    top = body.below_chin(fit.top)
    width = fit.width * body.shoulder_width
    height = width * cutout.height / cutout.width
    longest = body.below_chin(fit.longest) - top
    if height > longest:  # keep the aspect ratio: shrink rather than stretch
        width, height = width * longest / height, longest
    left = body.centre_x - width / 2
    return Box(round(left), round(top), round(left + width), round(top + height))


def _layer(
    cutout: Cutout, placed: Box, margin: int, shape: tuple[int, ...]
) -> tuple[Box, np.ndarray, np.ndarray]:
    """The garment resized to ``placed``, with ``margin`` px of empty border, cropped to the
    image: returns the visible box and its float32 RGB and alpha.
    """
    if placed.width < 2 or placed.height < 2:
        raise EngineError("The photo does not show enough of the body for this garment.")
    padded = Box(placed.x0 - margin, placed.y0 - margin, placed.x1 + margin, placed.y1 + margin)
    visible = Box(
        max(0, padded.x0), max(0, padded.y0), min(shape[1], padded.x1), min(shape[0], padded.y1)
    )
    if visible.width < 2 or visible.height < 2:
        raise EngineError("The photo does not show enough of the body for this garment.")
    size = (placed.width, placed.height)
    interpolation = cv2.INTER_AREA if placed.width < cutout.width else cv2.INTER_LINEAR
    rgb = cv2.resize(cutout.rgb, size, interpolation=interpolation).astype(np.float32)
    alpha = np.clip(cv2.resize(cutout.alpha, size, interpolation=interpolation), 0.0, 1.0)
    pad = ((margin, margin), (margin, margin))
    rgb, alpha = np.pad(rgb, (*pad, (0, 0))), np.pad(alpha, pad)
    crop = np.s_[
        visible.y0 - padded.y0 : visible.y1 - padded.y0,
        visible.x0 - padded.x0 : visible.x1 - padded.x0,
    ]
    return visible, rgb[crop], alpha[crop]


def _uncover_head(alpha: np.ndarray, body: Body, visible: Box) -> np.ndarray:
    """Clear the garment from an ellipse over the face and chin, with a soft edge."""
    face = body.face
    head = np.zeros(alpha.shape, np.float32)
    centre = (round(face.centre_x - visible.x0), round(face.y + 0.5 * face.h - visible.y0))
    axes = (round(0.6 * face.w), round(body.chin_y - face.y - 0.5 * face.h + 0.08 * face.h))
    cv2.ellipse(head, centre, axes, 0, 0, 360, 1.0, thickness=-1)
    head = cv2.GaussianBlur(head, (0, 0), max(1.0, 0.04 * face.h))
    return alpha * (1.0 - head)


def _shade(rgb: np.ndarray, alpha: np.ndarray, under: np.ndarray, body: Body) -> np.ndarray:
    """Multiply the person's broad light and shadow into the garment so it sits in the photo.

    Only low frequencies are used (the blur is a fraction of a face wide): folds and the
    light falloff come through, the print or pattern on the clothes underneath does not.
    """
    luminance = cv2.cvtColor(under, cv2.COLOR_RGB2GRAY).astype(np.float32)
    broad = _wide_blur(luminance, max(1.0, 0.25 * body.face.w))
    weight = float(alpha.sum())
    if weight < 1.0:
        return rgb
    relative = broad / max(1.0, float((broad * alpha).sum()) / weight)
    shade = 1.0 - SHADING + SHADING * np.clip(relative, *SHADING_RANGE)
    return np.clip(rgb * shade[:, :, None], 0.0, 255.0)


def _wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur for a large ``sigma``, run on a downscaled copy: same look, a tenth of
    the cost, since a blur this wide throws the fine detail away anyway.
    """
    factor = max(1.0, sigma / 4.0)
    height, width = image.shape[:2]
    small_size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _contact_shadow(alpha: np.ndarray, body: Body) -> np.ndarray:
    """How much to darken the photo around the garment (0..SHADOW), nudged down as if lit
    from above: a garment that casts no shadow looks cut out of paper and pasted on.
    """
    spread = max(1.0, SHADOW_SPREAD * body.face.w)
    shadow = cv2.GaussianBlur(alpha, (0, 0), spread)
    shift = max(1, round(spread / 2))
    shadow = np.concatenate([np.zeros_like(shadow[:shift]), shadow[:-shift]])
    return SHADOW * shadow


def _blend(
    photo: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, shadow: np.ndarray, box: Box
) -> np.ndarray:
    """Shadow then alpha-blend the layer into a copy of ``photo`` at ``box`` (photo pixels)."""
    out = photo.copy()
    # Rounding when scaling back to photo pixels may overshoot the edge by a pixel.
    box = Box(box.x0, box.y0, min(box.x1, photo.shape[1]), min(box.y1, photo.shape[0]))
    if (box.width, box.height) != alpha.shape[::-1]:
        size = (box.width, box.height)
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        alpha = np.clip(cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
        shadow = cv2.resize(shadow, size, interpolation=cv2.INTER_LINEAR)
    region = out[box.y0 : box.y1, box.x0 : box.x1].astype(np.float32)
    a, darken = alpha[:, :, None], 1.0 - shadow[:, :, None]
    blended = rgb * a + region * darken * (1.0 - a)
    out[box.y0 : box.y1, box.x0 : box.x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out

"""Cutting the garment out of a product packshot.

A packshot is a garment photographed (or drawn) flat on a plain, near-uniform backdrop, so
the backdrop colour can be read off the border and everything clearly different from it is
garment. A PNG that already carries transparency is trusted instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from fittingroom.engines.base import GarmentImageInvalid

WORK_SIDE = 1024  # more detail than any placement needs, and bounded cost
BORDER = 4  # px of border sampled for the backdrop colour
BACKDROP_DISTANCE = 20  # max channel difference from the backdrop still counted as backdrop
MIN_PLAIN_BORDER = 0.6  # below this share of backdrop-coloured border it is not a packshot
COVERAGE_RANGE = (0.02, 0.97)
FEATHER_SIGMA = 0.8  # px at work size: softens the stair-stepped edge without a halo


@dataclass(frozen=True)
class Cutout:
    """The garment cropped to its mask: ``rgb`` is HxWx3 uint8, ``alpha`` HxW float32 0..1."""

    rgb: np.ndarray
    alpha: np.ndarray

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def cut_out(garment: Image.Image) -> Cutout:
    """Separate the garment from its backdrop; raise ``GarmentImageInvalid`` if that fails."""
    rgb, alpha = _to_arrays(garment)
    if min(rgb.shape[:2]) < 16:
        raise GarmentImageInvalid()
    mask = _mask_from_alpha(alpha) if alpha is not None else _mask_from_backdrop(rgb)
    coverage = float(np.count_nonzero(mask)) / mask.size
    if not COVERAGE_RANGE[0] <= coverage <= COVERAGE_RANGE[1]:
        raise GarmentImageInvalid()
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), FEATHER_SIGMA)
    ys, xs = np.nonzero(mask)
    crop = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return Cutout(rgb=np.ascontiguousarray(rgb[crop]), alpha=np.ascontiguousarray(soft[crop]))


def _to_arrays(garment: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB at work size, plus the alpha channel if the image has a meaningful one."""
    has_alpha = garment.mode in ("RGBA", "LA", "PA") or "transparency" in garment.info
    image = garment.convert("RGBA" if has_alpha else "RGB")
    scale = WORK_SIDE / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    array = np.asarray(image)
    if not has_alpha:
        return array, None
    alpha = array[:, :, 3]
    # An opaque alpha channel says nothing: segment by colour like any other packshot.
    if np.count_nonzero(alpha < 128) < 0.01 * alpha.size:
        return np.ascontiguousarray(array[:, :, :3]), None
    return np.ascontiguousarray(array[:, :, :3]), alpha


def _mask_from_alpha(alpha: np.ndarray) -> np.ndarray:
    """Binary mask (uint8 0/255) of the largest opaque region."""
    mask = np.where(alpha >= 128, 255, 0).astype(np.uint8)
    return _fill_holes(_largest_component(mask))


def _mask_from_backdrop(rgb: np.ndarray) -> np.ndarray:
    """Binary mask (uint8 0/255) of the garment: far from the border colour, cleaned up."""
    border = np.concatenate(
        [
            rgb[:BORDER].reshape(-1, 3),
            rgb[-BORDER:].reshape(-1, 3),
            rgb[:, :BORDER].reshape(-1, 3),
            rgb[:, -BORDER:].reshape(-1, 3),
        ]
    )
    backdrop = np.median(border, axis=0).astype(np.int16)
    border_plain = np.abs(border.astype(np.int16) - backdrop).max(axis=1) <= BACKDROP_DISTANCE
    if border_plain.mean() < MIN_PLAIN_BORDER:
        raise GarmentImageInvalid()  # a busy border means a scene, not a packshot
    # Max channel difference: cheap, and it catches a white garment's grey outline.
    distance = np.abs(rgb.astype(np.int16) - backdrop).max(axis=2)
    mask = np.where(distance > BACKDROP_DISTANCE, 255, 0).astype(np.uint8)
    kernel = _kernel(mask.shape)
    # Close and fill first so an outlined light garment becomes solid before opening,
    # which would otherwise eat its thin outline; opening then removes dust and noise.
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = _fill_holes(mask)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return _fill_holes(_largest_component(mask))


def _kernel(shape: tuple[int, ...]) -> np.ndarray:
    """An elliptical structuring element of ~1/150 of the short side (odd, at least 3)."""
    size = max(3, round(min(shape[:2]) / 150) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def _largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep only the largest 8-connected foreground component."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.where(labels == largest, 255, 0).astype(np.uint8)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill background regions that cannot be reached from the image border."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    flood = padded.copy()
    seed_mask = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(flood, seed_mask, (0, 0), 255)
    holes = cv2.bitwise_not(flood)[1:-1, 1:-1]
    return cv2.bitwise_or(mask, holes)

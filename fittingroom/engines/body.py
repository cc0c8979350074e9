"""Where the body is: a face found by OpenCV's Haar cascade, and the torso estimated from it.

The proportions below are rough anthropometric averages expressed in face units (the Haar
box is ~ eyebrows to mouth, a little narrower than the head). They are good enough to hang
a flat garment on a front-facing head-and-shoulders photo, which is all this engine promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from fittingroom.engines.base import EngineError, NoPersonDetected

DETECT_SIDE = 512  # the cascade is the slowest step; faces stay findable at this size
MIN_FACE_FRACTION = 0.06  # smaller "faces" are nearly always texture, not a person
CHIN_BELOW_BOX = 0.12  # the chin sits a little under the bottom of the Haar box
SHOULDER_BELOW_CHIN = 0.55
DEFAULT_SHOULDERS = 2.8  # shoulder width in face widths
SHOULDER_RANGE = (2.4, 3.3)  # how far the silhouette may move the default
BACKGROUND_DISTANCE = 40.0  # max channel difference still counted as "background colour"


@dataclass(frozen=True)
class Face:
    """A face box, in pixels of the image it was found in."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre_x(self) -> float:
        return self.x + self.w / 2

    @property
    def chin_y(self) -> float:
        return self.y + self.h * (1 + CHIN_BELOW_BOX)


@dataclass(frozen=True)
class Body:
    """Landmarks of a front-facing upper body, in pixels of the image it was found in."""

    face: Face
    centre_x: float
    chin_y: float
    shoulder_y: float
    shoulder_width: float

    def below_chin(self, face_heights: float) -> float:
        """The y coordinate ``face_heights`` face heights below the chin."""
        return self.chin_y + face_heights * self.face.h


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    # Loading parses a ~1 MB XML file: do it once per process, and only if an engine runs.
    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise EngineError(f"The face detector could not be loaded from {path}.")
    return cascade


def find_face(rgb: np.ndarray) -> Face:
    """Return the largest face in ``rgb`` (HxWx3 uint8); raise ``NoPersonDetected`` if none."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(height, width))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    # Equalising makes the cascade work on dim or washed-out phone photos.
    gray = cv2.equalizeHist(gray)
    min_side = max(24, round(min(gray.shape) * MIN_FACE_FRACTION))
    faces = _face_cascade().detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
    )
    if len(faces) == 0:
        raise NoPersonDetected()
    # Largest first; ties broken by position so the choice never depends on detector order.
    x, y, w, h = max(
        (tuple(int(v) for v in face) for face in faces), key=lambda f: (f[2] * f[3], -f[1], -f[0])
    )
    return Face(x / scale, y / scale, w / scale, h / scale)


def find_body(rgb: np.ndarray) -> Body:
    """Locate the face in ``rgb`` and estimate the shoulder line and width below it.

    Lower landmarks (neck, hem, hips) are taken as face heights below the chin, by the caller,
    through ``Body.below_chin``.
    """
    face = find_face(rgb)
    shoulder_y = face.chin_y + SHOULDER_BELOW_CHIN * face.h
    width = _shoulder_width(rgb, face, shoulder_y)
    return Body(
        face=face,
        centre_x=face.centre_x,
        chin_y=face.chin_y,
        shoulder_y=shoulder_y,
        shoulder_width=min(width, float(rgb.shape[1])),
    )


def _shoulder_width(rgb: np.ndarray, face: Face, shoulder_y: float) -> float:
    """Shoulder width from the silhouette, within ``SHOULDER_RANGE`` face widths.

    Looks at a band of rows just under the shoulder line and walks outwards from the body
    until the colour matches the background seen at the top corners and at the image edge
    on that band. Anything ambiguous falls back to the average proportion.
    """
    low, high = (face.w * r / 2 for r in SHOULDER_RANGE)
    top = round(shoulder_y + 0.15 * face.h)
    bottom = min(rgb.shape[0], round(shoulder_y + 0.5 * face.h))
    if bottom - top < 2:
        return face.w * DEFAULT_SHOULDERS
    band = np.median(rgb[top:bottom].astype(np.float32), axis=0)  # one colour per column
    reaches = [_silhouette_reach(rgb, band, face, side, low, high) for side in (-1, 1)]
    found = [r for r in reaches if r is not None]
    if not found:
        return face.w * DEFAULT_SHOULDERS
    # The more conservative side wins: an arm or a busy background only ever widens.
    return 2 * min(found)


def _silhouette_reach(
    rgb: np.ndarray, band: np.ndarray, face: Face, side: int, low: float, high: float
) -> float | None:
    """Distance from the face centre to the body's edge on one side, or None if unclear."""
    width = band.shape[0]
    edge = 0 if side < 0 else width - 1
    backgrounds = np.stack([band[edge], _corner_colour(rgb, face, side)])
    start, stop = round(face.centre_x + side * low), round(face.centre_x + side * high)
    columns = np.arange(start, stop + side, side)
    columns = columns[(columns >= 0) & (columns < width)]
    if columns.size == 0:
        return None
    distance = np.abs(band[columns][:, None, :] - backgrounds[None]).max(axis=2).min(axis=1)
    is_background = distance < BACKGROUND_DISTANCE
    if is_background[0] or not is_background.any():
        return None  # already "background" at the narrowest, or never: no usable contrast
    return abs(float(columns[int(np.argmax(is_background))]) - face.centre_x)


def _corner_colour(rgb: np.ndarray, face: Face, side: int) -> np.ndarray:
    """Median colour of the top corner on ``side``: above the head, so almost surely backdrop."""
    rows = max(1, round(face.y / 2))
    cols = max(1, rgb.shape[1] // 12)
    patch = rgb[:rows, :cols] if side < 0 else rgb[:rows, -cols:]
    return np.median(patch.reshape(-1, 3).astype(np.float32), axis=0)

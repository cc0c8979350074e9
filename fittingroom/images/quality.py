"""The photo check: is this a photo a try-on can work with? Pure image work, no Django.

Measured on a small grey copy (`ANALYSIS_SIDE`), so a 12 MP photo costs about what a phone
snapshot does: a person (OpenCV's bundled frontal-face Haar cascade, every face kept with its
confidence), several people of similar size, a face too small for a try-on, exposure (mean
light and clipped shadows or highlights) and sharpness (the variance of the Laplacian on the
face, resampled to a fixed size so that it does not depend on how large the face is).

The thresholds were set on the labelled corpus of tests/fittingroom/images/photo_corpus.py; the
README states the precision and recall measured on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

ANALYSIS_SIDE = 512
MIN_FACE_SIDE = 20  # analysis pixels (4 % of the side): smaller is no face a try-on can use
FACE_WEIGHT = (
    2.0  # the cascade's last-stage weight at confidence 0.5 (the corpus's faces: 2.4 to 10)
)
SIMILAR_FACE_WIDTH = 0.6  # another face at least this wide (relative) is another shopper
MIN_FACE_HEIGHT = 0.045  # of the image height, below which a try-on cannot show the person
MIN_IMAGE_SIDE = 384
DARK_MEAN, DARK_FACE_MEAN = 55.0, 50.0
BRIGHT_MEAN, BRIGHT_CLIPPED = 215.0, 0.35
SHARP_FACE_SIZE = 96
BLURRY_FACE, BLURRY_IMAGE = 110.0, 10.0

PHOTO_NO_PERSON = "PHOTO_NO_PERSON"
PHOTO_MULTIPLE_PEOPLE = "PHOTO_MULTIPLE_PEOPLE"
PHOTO_PERSON_TOO_SMALL = "PHOTO_PERSON_TOO_SMALL"
PHOTO_TOO_DARK = "PHOTO_TOO_DARK"
PHOTO_TOO_BRIGHT = "PHOTO_TOO_BRIGHT"
PHOTO_TOO_BLURRY = "PHOTO_TOO_BLURRY"
PHOTO_TOO_SMALL = "PHOTO_TOO_SMALL"

MESSAGES = {
    PHOTO_NO_PERSON: "No person was found in the photo. Use a photo of yourself, facing the "
    "camera.",
    PHOTO_MULTIPLE_PEOPLE: "Several people are in the photo. Use a photo of you alone.",
    PHOTO_PERSON_TOO_SMALL: "You are too far away in the photo. Step closer or crop it.",
    PHOTO_TOO_DARK: "The photo is too dark. Take it in better light.",
    PHOTO_TOO_BRIGHT: "The photo is too bright (washed out). Avoid strong light behind or on you.",
    PHOTO_TOO_BLURRY: "The photo is blurred. Hold the camera still and make sure it focuses.",
    PHOTO_TOO_SMALL: f"The photo is too small (at least {MIN_IMAGE_SIDE} px a side).",
}


@dataclass(frozen=True)
class FaceBox:
    """A detected face in pixels of the checked image; `confidence` in 0..1."""

    x: int
    y: int
    width: int
    height: int
    confidence: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class PhotoCheck:
    faces: list[FaceBox] = field(default_factory=list)  # largest first
    issues: list[str] = field(default_factory=list)  # codes, in MESSAGES' order

    @property
    def ok(self) -> bool:
        return not self.issues


def issues_payload(codes: list[str]) -> dict:
    """`{ok, issues: [{code, message}]}` as the upload answers carry it."""
    return {"ok": not codes, "issues": [{"code": c, "message": MESSAGES[c]} for c in codes]}


def photo_check(rgb: np.ndarray) -> PhotoCheck:
    """Check an RGB (HxWx3 uint8) photo of any size; faces come back in its own pixels."""
    height, width = rgb.shape[:2]
    scale = min(1.0, ANALYSIS_SIDE / max(height, width))
    small = rgb
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        # Every n-th pixel first, keeping twice the analysis size for the averaging to smooth:
        # averaging all 12 MP of a phone photo costs more than the rest of the check.
        step = max(1, int(1 / (2 * scale)))
        small = cv2.resize(rgb[::step, ::step], size, interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    faces = _faces(gray)
    found: set[str] = set()
    if min(height, width) < MIN_IMAGE_SIDE:
        found.add(PHOTO_TOO_SMALL)
    exposure = _exposure_issues(gray, faces[0] if faces else None)
    found |= exposure
    # In the dark or a glare nobody can be seen, nor sharpness judged: the light is the issue.
    if not faces and not exposure and gray.std() > 15 and _sharpness(gray) < BLURRY_IMAGE:
        found.add(PHOTO_TOO_BLURRY)  # a picture with nothing sharp: nobody can be seen either
    elif faces or not exposure:
        found |= _people_issues(faces, gray.shape[0])
    if faces and not exposure and _blurry(gray, faces[0]):
        found.add(PHOTO_TOO_BLURRY)
    return PhotoCheck(
        faces=[_scaled(face, 1 / scale, width, height) for face in faces],
        issues=[code for code in MESSAGES if code in found],
    )


_per_thread = threading.local()


def _cascade() -> cv2.CascadeClassifier:
    """This thread's face cascade. One per thread, not per process: detectMultiScale sets the
    image on the classifier's own feature evaluator, so two threads sharing one (the web's pool
    threads checking uploads at once) can read each other's image: a load run saw the demo
    portrait answered PHOTO_NO_PERSON once in a few hundred uploads."""
    cascade = getattr(_per_thread, "cascade", None)
    if cascade is None:
        cascade = cv2.CascadeClassifier(
            cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        )
        if cascade.empty():
            raise RuntimeError("OpenCV's frontal-face cascade could not be loaded.")
        _per_thread.cascade = cascade
    return cascade


def _faces(gray: np.ndarray) -> list[FaceBox]:
    """Faces, largest first, with the cascade's last-stage weight mapped to 0..1."""
    # A dim or washed-out photo is equalised first, so its face is still found (and the light
    # reported); a well-lit one is not, as equalising a large flat backdrop loses small faces.
    mean = float(gray.mean())
    boxes, _levels, weights = _cascade().detectMultiScale3(
        gray if 80 <= mean <= 180 else cv2.equalizeHist(gray),
        scaleFactor=1.1,
        minNeighbors=5,
        minSize=(MIN_FACE_SIDE, MIN_FACE_SIDE),
        outputRejectLevels=True,
    )
    faces = [
        FaceBox(
            int(x), int(y), int(w), int(h), round(float(1 / (1 + np.exp(FACE_WEIGHT - weight))), 3)
        )
        for (x, y, w, h), weight in zip(boxes, np.ravel(weights).astype(float), strict=False)
        if weight >= FACE_WEIGHT
    ]
    # A face never holds another: a box around a smaller face is the head-and-shoulders.
    faces = [f for f in faces if not any(_holds(f, other) for other in faces if other is not f)]
    return sorted(faces, key=lambda f: (-f.width * f.height, f.y, f.x))


def _holds(outer: FaceBox, inner: FaceBox) -> bool:
    centre_x, centre_y = inner.x + inner.width / 2, inner.y + inner.height / 2
    inside = (
        outer.x <= centre_x <= outer.x + outer.width
        and outer.y <= centre_y <= outer.y + outer.height
    )
    return inside and inner.width < 0.6 * outer.width


def _people_issues(faces: list[FaceBox], image_height: int) -> set[str]:
    if not faces:
        return {PHOTO_NO_PERSON}
    largest = faces[0]
    issues = set()
    similar = [f for f in faces[1:] if f.width >= SIMILAR_FACE_WIDTH * largest.width]
    if similar:
        issues.add(PHOTO_MULTIPLE_PEOPLE)
    if largest.height < MIN_FACE_HEIGHT * image_height:
        issues.add(PHOTO_PERSON_TOO_SMALL)
    return issues


def _exposure_issues(gray: np.ndarray, face: FaceBox | None) -> set[str]:
    mean = float(gray.mean())
    face_mean = float(_region(gray, face).mean()) if face else mean
    if (mean < DARK_MEAN and face_mean < DARK_FACE_MEAN + 20) or face_mean < DARK_FACE_MEAN:
        return {PHOTO_TOO_DARK}
    clipped = float(np.count_nonzero(gray >= 250)) / gray.size
    if (mean > BRIGHT_MEAN or clipped > BRIGHT_CLIPPED) and face_mean > 180:
        return {PHOTO_TOO_BRIGHT}
    return set()


def _blurry(gray: np.ndarray, face: FaceBox) -> bool:
    patch = cv2.resize(
        _region(gray, face), (SHARP_FACE_SIZE, SHARP_FACE_SIZE), interpolation=cv2.INTER_AREA
    )
    return _sharpness(patch) < BLURRY_FACE


def _sharpness(gray: np.ndarray) -> float:
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def _region(gray: np.ndarray, face: FaceBox) -> np.ndarray:
    return gray[face.y : face.y + face.height, face.x : face.x + face.width]


def _scaled(face: FaceBox, factor: float, width: int, height: int) -> FaceBox:
    x, y = min(width - 1, round(face.x * factor)), min(height - 1, round(face.y * factor))
    return FaceBox(
        x,
        y,
        min(width - x, round(face.width * factor)),
        min(height - y, round(face.height * factor)),
        face.confidence,
    )

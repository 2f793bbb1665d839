"""Live quality feedback for enrolment shots (no Qt here).

A good enrolment shot shows exactly one face, large enough, sharp, well lit and not turned
away (which way it is turned is the enrolment guide's business, see `pose`). Each check is a
plain number compared with a limit, so the dialog can say what to fix ("Come closer", "Hold
still") instead of a bare "bad".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from kiosk.core.base.types import Face
from kiosk.core.vision import pose

# Sharpness is measured on the face resized to this size, so that it does not depend on how
# large the face is in the frame (a big face has more pixels of edge than a small one).
SHARPNESS_PX = 128
TURNED_AWAY = "Look towards the camera"
GOOD = "Good — hold still"


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: int = 80  # shorter side of the face box, in frame pixels
    # Variance of the Laplacian at SHARPNESS_PX. The seed photos upscaled 3x (soft, but
    # usable) score 15-53; the same blurred with a 3 px Gaussian score 5-11.
    min_sharpness: float = 12.0
    min_brightness: float = 50.0  # mean grey level 0..255 of the face
    max_brightness: float = 215.0
    max_turn_deg: float = pose.TURN_MAX_DEG  # |yaw|, nominal degrees (see kiosk.core.vision.pose)


@dataclass(frozen=True)
class QualityReport:
    """The checks of one frame. `problems` lists advice, most important first."""

    face_count: int
    face: Face | None = None
    size_px: int = 0
    sharpness: float = 0.0
    brightness: float = 0.0
    yaw_deg: float = 0.0  # > 0: turned to the person's own left; NaN: landmarks unusable
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.face_count == 1 and not self.problems

    @property
    def usable(self) -> bool:
        """One face, big enough to encode: a manual shot is allowed, with a warning."""
        return self.face_count == 1 and self.face is not None and "Come closer" not in self.problems

    @property
    def score(self) -> float:
        """0..1, the share of the five checks that pass (for a progress bar)."""
        if self.face_count != 1:
            return 0.0
        return 1.0 - len(self.problems) / 5.0

    @property
    def message(self) -> str:
        return self.problems[0] if self.problems else GOOD


def sharpness(face_grey: np.ndarray) -> float:
    """Variance of the Laplacian of a grey uint8 face crop, resized to SHARPNESS_PX."""
    import cv2

    small = cv2.resize(face_grey, (SHARPNESS_PX, SHARPNESS_PX), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def face_grey(image_rgb: np.ndarray, face: Face) -> np.ndarray:
    """The grey uint8 pixels inside the face box, clipped to the image."""
    import cv2

    x, y, w, h = face.box_xywh
    height, width = image_rgb.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    crop = image_rgb[y0:max(y1, y0 + 1), x0:max(x1, x0 + 1)]
    return cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)


def assess(image_rgb: np.ndarray, faces: Sequence[Face],
           limits: QualityLimits = QualityLimits()) -> QualityReport:
    """Check one frame (RGB uint8, (H, W, 3)) and the faces detected in it."""
    if len(faces) != 1:
        advice = "Step in front of the camera" if not faces else "Only one person, please"
        return QualityReport(len(faces), problems=(advice,))
    face = faces[0]
    grey = face_grey(image_rgb, face)
    report = QualityReport(1, face, face.size_px, sharpness(grey), float(grey.mean()),
                           pose.yaw_deg(face.landmarks))
    return QualityReport(**{**report.__dict__, "problems": _problems(report, limits)})


def _problems(r: QualityReport, limits: QualityLimits) -> tuple[str, ...]:
    problems = []
    if r.size_px < limits.min_face_px:
        problems.append("Come closer")
    if r.brightness < limits.min_brightness:
        problems.append("Too dark — more light on the face, please")
    if r.brightness > limits.max_brightness:
        problems.append("Too bright — avoid light behind or straight on the face")
    if not abs(r.yaw_deg) <= limits.max_turn_deg:  # NaN too: nose off the face
        problems.append(TURNED_AWAY)
    if r.sharpness < limits.min_sharpness:
        problems.append("Hold still — the picture is blurred")
    return tuple(problems)

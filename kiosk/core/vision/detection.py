"""What every face detector offers: MTCNN, its LiteRT twin and the colour-card fake.

Input: RGB uint8 arrays of shape (H, W, 3). Output: `Face` values whose boxes and landmarks
are in pixels of that same array, largest box first.
"""
from __future__ import annotations

import math
from typing import Any, Protocol, Sequence

import numpy as np

from kiosk.core.base.types import Face

SMALLEST_SEARCH_PX = 12  # MTCNN's smallest window: the floor of any minimum face size


class Detector(Protocol):
    min_face_px: int  # the shorter side of the smallest box returned, in image pixels

    def detect(self, image_rgb: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB uint8 image, boxes in its pixel coordinates, largest first;
        ``min_face_px`` overrides the detector's minimum for one call."""

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Build every kernel now (a blank frame of ``frame_hw``), not on the first visitor."""


def check_image(image_rgb: Any) -> None:
    """Raise ValueError unless ``image_rgb`` is a non-empty uint8 array of shape (H, W, 3)."""
    if not isinstance(image_rgb, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(image_rgb).__name__}")
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {image_rgb.shape}")
    if image_rgb.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8, got {image_rgb.dtype}")
    if image_rgb.shape[0] == 0 or image_rgb.shape[1] == 0:
        raise ValueError(f"empty image of shape {image_rgb.shape}")


def log_odds(confidence: float) -> float:
    """ln(p / (1 - p)) of a detection score, clipped where float32 scores saturate at 1."""
    p = min(max(confidence, 1e-7), 1.0 - 1e-7)
    return math.log(p / (1.0 - p))


def dominant_face(faces: Sequence[Face], max_area_ratio: float, max_other_score: float,
                  min_log_odds_gap: float) -> Face | None:
    """The largest face, if every other detection is far smaller or far less sure; else None.

    "Far smaller": box area at most ``max_area_ratio`` of the largest one's. "Far less sure":
    a score of at most ``max_other_score`` (where false detections live; real faces seldom
    score so low) and log-odds at least ``min_log_odds_gap`` below the largest face's (4.6 =
    100 times the odds of not being a face). Only the largest face can dominate: on LFW,
    letting a smaller but surer face win took the wrong person (a neighbour in full face
    beside a subject in profile). One face dominates trivially.
    """
    def area(face: Face) -> int:
        return face.box_xywh[2] * face.box_xywh[3]

    largest = max(faces, key=area, default=None)

    def ignorable(other: Face) -> bool:
        gap = log_odds(largest.confidence) - log_odds(other.confidence)
        far_less_sure = other.confidence <= max_other_score and gap >= min_log_odds_gap
        return area(other) <= max_area_ratio * area(largest) or far_less_sure

    if largest is None or not all(ignorable(f) for f in faces if f is not largest):
        return None
    return largest

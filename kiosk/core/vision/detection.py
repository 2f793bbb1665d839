"""What every face detector offers: MTCNN, its LiteRT twin and the colour-card fake.

Input: RGB uint8 arrays of shape (H, W, 3). Output: `Face` values whose boxes and landmarks
are in pixels of that same array, largest box first.
"""
from __future__ import annotations

from typing import Any, Protocol

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

"""What both MTCNN drivers share: the settings, the scale pyramid, the shrink of big frames
and the final rows -> `Face` step. The networks and the box arithmetic between them are the
drivers' own (`mtcnn` on TensorFlow, `mtcnn_litert` on LiteRT).

Input: RGB uint8 arrays of shape (H, W, 3). Output: `Face` values whose boxes and landmarks
are in pixels of that same array, largest box first. ``left_eye`` is the eye on the image's
left (the person's right eye), as MTCNN names it.

Final rows are float64 (n, 15): [x1, y1, x2, y2, score, five landmark x's, five y's].
Nothing heavy is imported here; OpenCV only when a frame is resized.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.types import LANDMARK_NAMES, Face
from kiosk.core.vision.detection import SMALLEST_SEARCH_PX, check_image

PNET_WINDOW_PX = SMALLEST_SEARCH_PX  # PNet looks at 12x12 windows: a face must be 12 px in some level
PYRAMID_FACTOR = 0.709  # each level's side is this fraction of the previous one (MTCNN paper)
RNET_INPUT_PX = 24
ONET_INPUT_PX = 48
# IoU thresholds of mtcnn 1.0.0 (PNet per level, PNet across levels, RNet, ONet).
NMS_PNET_LEVEL = 0.5
NMS_PNET_ALL = 0.7
NMS_RNET = 0.7
NMS_ONET = 0.7  # ONet's NMS divides by the smaller box ("min"), the others by the union
ROW_COLUMNS = 15


def pyramid_scales(short_side_px: int, min_face_px: float,
                   factor: float = PYRAMID_FACTOR) -> list[float]:
    """Resize factors (level side / image side) of the PNet pyramid, largest first.

    The first level maps a ``min_face_px`` face onto PNet's 12 px window; each next one is
    ``factor`` times smaller, down to the last level whose short side is still >= 12 px.
    Empty when the image is too small to hold even one window at the first scale.
    """
    scales = []
    scale = PNET_WINDOW_PX / min_face_px
    while short_side_px * scale >= PNET_WINDOW_PX:
        scales.append(scale)
        scale *= factor
    return scales


def work_scale(shape_hw: Sequence[int], min_face_px: int, max_side_px: int | None) -> float:
    """The factor (<= 1) by which a frame is shrunk before detection.

    Shrinks the long side to ``max_side_px`` but never so far that a ``min_face_px`` face
    drops below PNet's 12 px window, so the minimum face size holds in frame pixels.
    """
    if max_side_px is None:
        return 1.0
    by_side = max_side_px / max(shape_hw[0], shape_hw[1])
    by_face = PNET_WINDOW_PX / min_face_px
    return min(1.0, max(by_side, by_face))


def pyramid(image_rgb: np.ndarray, min_face_px: float) -> list[tuple[np.ndarray, float]]:
    """PNet's pyramid of an (H, W, 3) uint8 image: (level, scale) pairs, largest first.

    Sizes are rounded down and boxes are later divided by the nominal scale, as mtcnn does
    (per-axis exact scales or chained resizing measurably change its boxes). The first level
    is area-resized from the image, the others from the first level: same boxes as resizing
    the image every time (median IoU 0.99 on LFW), at a fraction of the cost.
    """
    import cv2

    height, width = image_rgb.shape[:2]
    levels, source = [], image_rgb
    for scale in pyramid_scales(min(height, width), min_face_px):
        size_wh = (int(width * scale + 1e-6), int(height * scale + 1e-6))
        levels.append((cv2.resize(source, size_wh, interpolation=cv2.INTER_AREA), scale))
        source = levels[0][0]
    return levels


def rows_to_faces(rows: np.ndarray, shape_hw: Sequence[int]) -> list[Face]:
    """Final rows (n, 15) -> Faces, boxes clipped to the (H, W) image and rounded."""
    height, width = shape_hw[0], shape_hw[1]
    faces = []
    for row in rows:
        x1, y1 = max(0.0, row[0]), max(0.0, row[1])
        x2, y2 = min(width - 1.0, row[2]), min(height - 1.0, row[3])
        box = (round(x1), round(y1), round(x2 - x1), round(y2 - y1))
        points = {name: (float(row[5 + i]), float(row[10 + i]))
                  for i, name in enumerate(LANDMARK_NAMES)}
        faces.append(Face(box_xywh=box, confidence=float(row[4]), landmarks=points))
    return faces


def shrunk(image_rgb: np.ndarray, scale: float) -> tuple[np.ndarray, float, float]:
    """(H, W, 3) image area-resized by ``scale`` (<= 1), and the exact x and y factors used."""
    if scale >= 1.0:
        return image_rgb, 1.0, 1.0
    import cv2

    height, width = image_rgb.shape[:2]
    size_wh = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb = cv2.resize(image_rgb, size_wh, interpolation=cv2.INTER_AREA)
    return small_rgb, size_wh[0] / width, size_wh[1] / height


def unshrunk(rows: np.ndarray, scale_x: float, scale_y: float) -> np.ndarray:
    """Final rows found in a shrunk image -> the same rows in pixels of the original."""
    if (scale_x, scale_y) == (1.0, 1.0):
        return rows
    rows = rows.copy()
    rows[:, [0, 2]] /= scale_x
    rows[:, [1, 3]] /= scale_y
    rows[:, 5:10] /= scale_x
    rows[:, 10:15] /= scale_y
    return rows


class PyramidDetector:
    """The public side of an MTCNN driver; subclasses run the three stages (`_detect_rows`).

    ``min_face_px``: faces whose box is smaller than this (shorter side, in pixels of the
    frame passed to `detect`) are neither searched for nor returned.
    ``max_side_px``: frames whose long side is larger are shrunk before detection (only as far
    as ``min_face_px`` allows); None never shrinks.
    ``thresholds``: the score a candidate needs to pass PNet, RNet and ONet.
    """

    def __init__(self, min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                 max_side_px: int | None = 640,
                 thresholds: tuple[float, float, float] = DEFAULT_DETECTOR.thresholds):
        if min_face_px < PNET_WINDOW_PX:
            raise ValueError(f"min_face_px must be >= {PNET_WINDOW_PX}, got {min_face_px}")
        if max_side_px is not None and max_side_px < PNET_WINDOW_PX:
            raise ValueError(f"max_side_px must be >= {PNET_WINDOW_PX}, got {max_side_px}")
        if len(thresholds) != 3 or not all(0.0 <= t < 1.0 for t in thresholds):
            raise ValueError(f"thresholds must be 3 scores in [0, 1), got {thresholds}")
        self.min_face_px = min_face_px
        self.max_side_px = max_side_px
        self.thresholds = tuple(thresholds)

    def detect(self, image_rgb: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB uint8 (H, W, 3) image, largest box first; boxes in its pixels.

        ``min_face_px`` overrides the detector's own minimum for this call (e.g. to tell a
        too-small face from no face at all). Raises ValueError for anything but RGB uint8
        (grayscale, RGBA, float): convert on loading.
        """
        check_image(image_rgb)
        min_px = self.min_face_px if min_face_px is None else max(PNET_WINDOW_PX, min_face_px)
        scale = work_scale(image_rgb.shape, min_px, self.max_side_px)
        small_rgb, scale_x, scale_y = shrunk(np.ascontiguousarray(image_rgb), scale)
        rows = self._detect_rows(small_rgb, min_px * min(scale_x, scale_y))
        faces = rows_to_faces(unshrunk(rows, scale_x, scale_y), image_rgb.shape)
        faces = [f for f in faces if f.size_px >= min_px]  # the shorter side, as everywhere
        return sorted(faces, key=lambda f: f.box_xywh[2] * f.box_xywh[3], reverse=True)

    def _detect_rows(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """The three stages on one contiguous uint8 (H, W, 3) image -> final rows (n, 15)."""
        raise NotImplementedError

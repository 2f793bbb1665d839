"""Face crops for FaceNet: box + margin, optional eye alignment, 160x160 bilinear, standardised.

This follows the preprocessing these weights were trained with (davidsandberg/facenet):
a margin around the MTCNN box, bilinear resize to 160x160, then per-image standardisation
("prewhitening": subtract the crop's mean, divide by its std, floored at 1/sqrt(pixels)).
"""
from __future__ import annotations

import math

import numpy as np

from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.base.types import Face

CROP_PX = DEFAULT_MODEL.input_px  # FaceNet's input side


def margin_box(face: Face, margin_fraction: float, width: int, height: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the box grown by ``margin_fraction`` of its size on every side,
    clipped to the image."""
    x, y, w, h = face.box_xywh
    dx, dy = w * margin_fraction, h * margin_fraction
    x0, y0 = max(0, int(round(x - dx))), max(0, int(round(y - dy)))
    x1, y1 = min(width, int(round(x + w + dx))), min(height, int(round(y + h + dy)))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def standardise(crop: np.ndarray) -> np.ndarray:
    """Per-image standardisation of a float crop, as in FaceNet's ``prewhiten``."""
    crop = crop.astype(np.float32)
    std = max(float(crop.std()), 1.0 / math.sqrt(crop.size))
    return (crop - crop.mean()) / std


def eye_angle_deg(face: Face) -> float:
    """Rotation (degrees, counter-clockwise) that makes the eyes level; 0 without landmarks."""
    if "left_eye" not in face.landmarks or "right_eye" not in face.landmarks:
        return 0.0
    (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    return math.degrees(math.atan2(ry - ly, rx - lx))


def _levelled(image_rgb: np.ndarray, face: Face) -> np.ndarray:
    import cv2

    x, y, w, h = face.box_xywh
    centre = (x + w / 2.0, y + h / 2.0)
    rotation = cv2.getRotationMatrix2D(centre, eye_angle_deg(face), 1.0)
    return cv2.warpAffine(image_rgb, rotation, (image_rgb.shape[1], image_rgb.shape[0]),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def face_crop(image_rgb: np.ndarray, face: Face,
              margin_fraction: float = DEFAULT_MODEL.margin_fraction,
              align: bool = False, size_px: int = CROP_PX) -> np.ndarray:
    """(size_px, size_px, 3) float32 standardised RGB crop of ``face``."""
    import cv2

    source = _levelled(image_rgb, face) if align else image_rgb
    x0, y0, x1, y1 = margin_box(face, margin_fraction, source.shape[1], source.shape[0])
    resized = cv2.resize(source[y0:y1, x0:x1], (size_px, size_px), interpolation=cv2.INTER_LINEAR)
    return standardise(resized)

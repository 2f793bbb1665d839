"""Which way a face is turned, from MTCNN's five landmarks (numpy only).

Landmarks are ``Face.landmarks`` (name -> (x, y)) or an array-like (5, 2) in
`LANDMARK_NAMES` order, in pixels of the camera frame as analysed (not mirrored): x to the
right, y down. ``left_eye`` is the eye on the image's left, the person's own right eye.

The head turn (yaw) is read from how far the nose tip sits off the face's midline (eyes'
middle to mouth's middle), in eye distances (IOD). For an average face the nose tip is
`NOSE_DEPTH_IOD` in front of the eye/mouth plane, so offset = 0.56 * tan(yaw). 0.56 was fitted
against an independent head-pose estimate (MediaPipe Face Mesh) on LFW's DevTrain people;
people spread 0.42-0.75, so the degrees are nominal: a flat-nosed person turns further.

Sign: POSITIVE = the person turned to THEIR OWN LEFT (the nose moved towards +x of the camera
image, towards the left of the mirrored preview). Prompts name the person's own side.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from kiosk.core.base.types import LANDMARK_NAMES

PLANE = [0, 1, 4, 3]  # eyes and mouth corners, in order around the quadrilateral
NOSE = 2
NOSE_DEPTH_IOD = 0.56
MIN_IOD_PX = 4.0  # closer eyes than this mean nothing
MIN_QUAD_AREA_IOD2 = 0.15  # a frontal face's eye/mouth quadrilateral is ~0.8-1.0 IOD^2

STRAIGHT, LEFT, RIGHT = "straight", "left", "right"  # LEFT/RIGHT: the person's own side
STRAIGHT_MAX_DEG = 10.0  # |yaw| of a straight shot
TURN_MIN_DEG = 15.0  # a "little" turn: between these two
TURN_MAX_DEG = 40.0  # beyond this the face is turned away: no good shot, no good match


def as_points(landmarks: Any) -> np.ndarray | None:
    """(5, 2) float64 points in LANDMARK_NAMES order; None if missing or not finite."""
    if landmarks is None:
        return None
    try:
        if isinstance(landmarks, Mapping):
            landmarks = [landmarks[name] for name in LANDMARK_NAMES]
        points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    except (KeyError, TypeError, ValueError):
        return None
    return points if np.all(np.isfinite(points)) else None


def face_axes(points: np.ndarray) -> tuple[float, np.ndarray] | None:
    """(IOD in px, unit normal of the midline pointing to the image-right eye), or None when
    the points are not a face MTCNN would report (eyes together, no eye-mouth distance, a
    quadrilateral that is not convex or too small)."""
    eyes = points[1] - points[0]
    iod = float(np.hypot(*eyes))
    midline = (points[3] + points[4]) / 2 - (points[0] + points[1]) / 2
    normal = np.array([midline[1], -midline[0]])
    length = float(np.hypot(*normal))
    if iod < MIN_IOD_PX or length < 0.2 * iod or not _convex(points[PLANE], iod):
        return None
    return iod, (normal if normal @ eyes > 0 else -normal) / length


def _convex(quad: np.ndarray, iod: float) -> bool:
    """True if the (4, 2) quadrilateral turns the same way at every corner and is big enough."""
    edges = np.roll(quad, -1, axis=0) - quad
    following = np.roll(edges, -1, axis=0)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    area = 0.5 * abs(np.sum(quad[:, 0] * np.roll(quad[:, 1], -1) - np.roll(quad[:, 0], -1) * quad[:, 1]))
    return bool((np.all(turns > 0) or np.all(turns < 0)) and area >= MIN_QUAD_AREA_IOD2 * iod ** 2)


def nose_offset(landmarks: Any) -> float:
    """Signed distance of the nose tip from the midline, in IOD; NaN if unusable."""
    points = as_points(landmarks)
    axes = None if points is None else face_axes(points)
    if axes is None:
        return math.nan
    iod, normal = axes
    return float((points[NOSE] - (points[0] + points[1]) / 2) @ normal / iod)


def yaw_deg(landmarks: Any) -> float:
    """Nominal head turn in degrees: > 0 to the person's own left, < 0 to their right, NaN
    when the landmarks are unusable."""
    return math.degrees(math.atan2(nose_offset(landmarks), NOSE_DEPTH_IOD))


def pose_of(yaw: float) -> str | None:
    """STRAIGHT, LEFT or RIGHT for a yaw in degrees; None in between, beyond, or unknown."""
    if abs(yaw) <= STRAIGHT_MAX_DEG:
        return STRAIGHT
    if TURN_MIN_DEG <= abs(yaw) <= TURN_MAX_DEG:
        return LEFT if yaw > 0 else RIGHT
    return None

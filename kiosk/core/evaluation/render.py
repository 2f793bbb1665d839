"""A flat picture (a print or a phone) held in front of a 640x480 webcam: the attacks and the
re-filmed photos of `kiosk evaluate-challenge` (numpy and OpenCV only).

Units: mm in the scene, pixels in images; images are RGB uint8 (H, W, 3). Camera: a pinhole
with `FOCAL_PX` (~56 deg across 640 px), x right, y down, z away from the camera. The picture
lies in its own plane z = 0, (u, v) mm measured from the face's centre (`Picture.centre_xy`).
Pose: camera point = rotation(yaw, pitch, roll) @ picture point + (tx, ty, tz); yaw > 0 turns
the picture the way a person turns to their own left (its image-right side goes away), the
sign of `kiosk.core.vision.pose`.

A flat picture seen by a pinhole camera is a homography, so each frame is one inverse-mapped
`cv2.remap`, with the rays that meet the picture's plane behind the camera masked out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

FOCAL_PX = 600.0
FRAME_WH = (640, 480)
PAPER_RGB = (245, 245, 240)
BEZEL_RGB = (20, 20, 22)


@dataclass(frozen=True)
class Pose:
    """Where the picture is: degrees of yaw, pitch and roll, then mm in the camera's frame."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    tx: float = 0.0
    ty: float = 0.0
    tz: float = 500.0


@dataclass(frozen=True)
class Picture:
    """A photo as a physical picture: its pixels (border included), the face's centre in
    them (the nose's x, the mean y of eyes and mouth corners) and its print scale."""

    image_rgb: np.ndarray
    centre_xy: tuple[float, float]
    mm_per_px: float


def hold_up(image_rgb: np.ndarray, points: np.ndarray, iod_mm: float, border_px: int = 0,
            border_rgb: tuple[int, int, int] = PAPER_RGB) -> Picture:
    """``image_rgb`` printed (or shown) so that the eyes of its face, ``points`` (5, 2) in
    LANDMARK_NAMES order, are ``iod_mm`` apart, with a border of ``border_px`` pixels."""
    points = np.asarray(points, np.float64)
    iod_px = float(np.hypot(*(points[1] - points[0])))
    centre = (float(points[2, 0]) + border_px, float(points[[0, 1, 3, 4], 1].mean()) + border_px)
    if border_px:
        image_rgb = cv2.copyMakeBorder(image_rgb, border_px, border_px, border_px, border_px,
                                       cv2.BORDER_CONSTANT, value=border_rgb)
    return Picture(image_rgb, centre, iod_mm / iod_px)


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3x3 rotation from degrees: yaw about y (then pitch about x, then roll about z)."""
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def homography(picture: Picture, pose: Pose) -> np.ndarray:
    """3x3 map from picture pixels (x, y, 1) to homogeneous camera pixels whose third
    component is the depth (mm) of that picture point."""
    w, h = FRAME_WH
    camera = np.array([[FOCAL_PX, 0, w / 2], [0, FOCAL_PX, h / 2], [0, 0, 1]])
    r = rotation(pose.yaw, pose.pitch, pose.roll)
    plane = np.column_stack([r[:, 0], r[:, 1], [pose.tx, pose.ty, pose.tz]])
    s, (cx, cy) = picture.mm_per_px, picture.centre_xy
    to_mm = np.array([[s, 0, -cx * s], [0, s, -cy * s], [0, 0, 1]])
    return camera @ plane @ to_mm


def project_points(points_xy: np.ndarray, picture: Picture, pose: Pose) -> np.ndarray:
    """(n, 2) picture pixels -> (n, 2) camera pixels (the forward model, for checks)."""
    points = np.asarray(points_xy, np.float64)
    seen = homography(picture, pose) @ np.column_stack([points, np.ones(len(points))]).T
    return (seen[:2] / seen[2]).T


_PIXELS: list[np.ndarray] = []  # (3, H*W) homogeneous camera pixels, built once


def _camera_pixels() -> np.ndarray:
    if not _PIXELS:
        w, h = FRAME_WH
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        _PIXELS.append(np.stack([xs.ravel(), ys.ravel(), np.ones(w * h)]))
    return _PIXELS[0]


def render(picture: Picture, pose: Pose, background_rgb: np.ndarray) -> np.ndarray:
    """The 640x480 RGB camera frame of ``picture`` at ``pose`` in front of ``background_rgb``."""
    src = np.linalg.inv(homography(picture, pose)) @ _camera_pixels()
    # src = (x, y, 1) / depth: a ray whose picture point has depth <= 0 sees no picture
    in_front = src[2] > 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        maps = np.where(in_front, src[:2] / src[2], -1.0).astype(np.float32)
    w, h = FRAME_WH
    frame = np.array(background_rgb, np.uint8, copy=True)
    cv2.remap(picture.image_rgb, maps[0].reshape(h, w), maps[1].reshape(h, w), cv2.INTER_LINEAR,
              dst=frame, borderMode=cv2.BORDER_TRANSPARENT)
    return frame


def background(rng: np.random.Generator) -> np.ndarray:
    """A smooth random 640x480 RGB background (a wall, a room out of focus)."""
    w, h = FRAME_WH
    small = rng.uniform(40, 220, size=(6, 8, 3)).astype(np.float32)
    base = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = cv2.GaussianBlur(rng.normal(0, 12, size=(h, w, 3)).astype(np.float32), (0, 0), 3)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class CameraEffects:
    """The largest blur sigma (px), noise sigma (grey levels) and lowest JPEG quality of one
    camera; each frame draws its own values up to these."""

    blur_max: float = 1.2
    noise_max: float = 4.0
    jpeg_min: int = 60

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "CameraEffects":
        return cls(rng.uniform(0, 1.2), rng.uniform(0, 4), int(rng.integers(60, 96)))


def camera_effects(frame_rgb: np.ndarray, rng: np.random.Generator,
                   effects: CameraEffects = CameraEffects()) -> np.ndarray:
    """Light gain and offset, defocus blur, sensor noise and JPEG, each random and small."""
    image = frame_rgb.astype(np.float32) * rng.uniform(0.75, 1.1) + rng.uniform(-15, 15)
    sigma = rng.uniform(0, effects.blur_max)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(rng.uniform(0, effects.noise_max))
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    quality = int(rng.integers(effects.jpeg_min, 96))
    # OpenCV's JPEG expects BGR (its colour transform weighs the channels differently)
    ok, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


# --- how an attacker moves a picture --------------------------------------------------------
def swing_trajectory(rng: np.random.Generator, n_frames: int, iod_mm: float) -> list[Pose]:
    """``n_frames`` poses: the picture held facing the camera for 3-7 frames, then swung to one
    side and the other, again and again (each swing to |yaw| 10-45 deg, pitch +-20, roll +-15,
    a new place and distance x0.8-1.25, over 6-20 frames, eased in and out). The face's IOD is
    35-90 px when it faces the camera (a face ~30-190 cm away)."""
    z0 = FOCAL_PX * iod_mm / rng.uniform(35, 90)
    keys = [_key_pose(rng, z0, rng.uniform(-8, 8), rng.uniform(-8, 8), rng.uniform(-6, 6))]
    steps = [int(rng.integers(3, 8))]
    sign = rng.choice([-1.0, 1.0])
    while sum(steps) < n_frames + 20:
        keys.append(_key_pose(rng, z0, sign * rng.uniform(10, 45), rng.uniform(-20, 20),
                              rng.uniform(-15, 15)))
        steps.append(int(rng.integers(6, 21)))
        sign = -sign
    return [Pose(*p) for p in _eased(keys, steps)[:n_frames]]


def _key_pose(rng: np.random.Generator, z0: float, yaw: float, pitch: float, roll: float) -> np.ndarray:
    """(yaw, pitch, roll, tx, ty, tz): the face's centre up to 110 / 60 px off the middle."""
    z = z0 * rng.uniform(0.8, 1.25)
    dx, dy = rng.uniform(-110, 110), rng.uniform(-60, 60)
    return np.array([yaw, pitch, roll, dx * z / FOCAL_PX, dy * z / FOCAL_PX, z])


def _eased(keys: list[np.ndarray], steps: list[int]) -> list[np.ndarray]:
    """Hold the first key ``steps[0]`` frames, then move key to key with a smooth step."""
    poses = [keys[0]] * steps[0]
    for a, b, n in zip(keys[:-1], keys[1:], steps[1:]):
        for i in range(1, n + 1):
            s = i / n
            poses.append(a + (b - a) * (3 * s * s - 2 * s * s * s))
    return poses


def still_poses(rng: np.random.Generator, n_frames: int, iod_mm: float,
                jitter_deg: float = 3.0) -> list[Pose]:
    """``n_frames`` poses of a picture held nearly still facing the camera (each angle within
    +-jitter_deg, place within +-5 px, distance +-3%): a head holding a pose, re-filmed. The
    face's IOD is 40-90 px, its centre up to 110 / 60 px off the middle."""
    z = FOCAL_PX * iod_mm / rng.uniform(40, 90)
    cx, cy = rng.uniform(-110, 110), rng.uniform(-60, 60)

    def one() -> Pose:
        yaw, pitch, roll = rng.uniform(-jitter_deg, jitter_deg, 3)
        return Pose(yaw, pitch, roll, (cx + rng.uniform(-5, 5)) * z / FOCAL_PX,
                    (cy + rng.uniform(-5, 5)) * z / FOCAL_PX, z * rng.uniform(0.97, 1.03))
    return [one() for _ in range(n_frames)]

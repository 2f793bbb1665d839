"""Face detection with MTCNN (the ``mtcnn`` 1.0 package's networks, driven by our own pyramid).

Input: RGB uint8 arrays of shape (H, W, 3). Output: `Face` values whose boxes and landmarks are
in pixels of that same array, largest box first. ``left_eye`` is the eye on the image's left
(the person's right eye), as MTCNN names it.

Why not ``mtcnn.MTCNN.detect_faces``:

* its scale pyramid ignores ``min_face_size`` when counting levels, so with
  ``min_face_size >= 24`` the last level of a 640x480 frame is smaller than PNet's 12 px window,
  TensorFlow raises, and the library swallows the error and returns no faces at all;
* it runs the three networks eagerly (about 100 ms a 640x480 frame on 2 cores).

So we build the pyramid ourselves (first level ``12 / min_face_px``, factor 0.709, stop before
a level gets smaller than 12 px), compile each network once with ``tf.function`` and a
shape-agnostic input signature (no retracing per frame size), and reuse mtcnn's own weights
and box utilities (proposal decoding, NMS, box regression) for everything else: 25-40 ms a
640x480 frame with ``min_face_px=20`` on the same 2 cores, and the same boxes as the library
(median IoU 0.99 on LFW).

TensorFlow, mtcnn and OpenCV are imported when a detector is built, never at import time.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.tf_quiet import import_tensorflow
from kiosk.core.base.types import LANDMARK_NAMES, Face
from kiosk.core.vision.detection import check_image

log = logging.getLogger(__name__)

PNET_WINDOW_PX = 12  # PNet looks at 12x12 windows: a face must be 12 px in some pyramid level
PYRAMID_FACTOR = 0.709  # each level's side is this fraction of the previous one (MTCNN paper)
RNET_INPUT_PX = 24
ONET_INPUT_PX = 48
# RNet and ONet see batches padded to a power of two: oneDNN builds its kernels per input
# shape, which costs ~20 ms each time a new candidate count shows up. warm_up() builds these.
WARMED_BATCHES = tuple(2 ** i for i in range(9))  # 1 .. 256 candidates
# IoU thresholds of mtcnn 1.0.0 (PNet per level, PNet across levels, RNet, ONet).
NMS_PNET_LEVEL = 0.5
NMS_PNET_ALL = 0.7
NMS_RNET = 0.7
NMS_ONET = 0.7  # ONet's NMS divides by the smaller box ("min"), the others by the union


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


def _compile_pnet(model: Any) -> Any:
    """PNet as a tf.function of one uint8 (1, H, W, 3) level, traced once for every H, W.

    Returns (box offsets (1, h, w, 4), face scores (1, h, w, 2)), h, w about H/2 - 5, W/2 - 5.
    """
    tf = import_tensorflow()

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8)])
    def pnet(level_rgb):
        return model(_normalized(tf.cast(level_rgb, tf.float32)), training=False)

    return pnet


def _compile_patch_net(model: Any, side_px: int) -> Any:
    """RNet or ONet as a tf.function of (n, side_px, side_px, 3) float32 patches, 0..255.

    Traced once for every n. The cropping stays outside the graph: Grappler's cost model
    logs an error for CropAndResize with unknown shapes at every trace.
    """
    tf = import_tensorflow()

    @tf.function(input_signature=[tf.TensorSpec([None, side_px, side_px, 3], tf.float32)])
    def patch_net(patches_rgb):
        return model(_normalized(patches_rgb), training=False)

    return patch_net


def _normalized(pixels: Any) -> Any:
    """Pixel values 0..255 -> about -1..1, the networks' training convention."""
    return (pixels - 127.5) / 128.0


def _pyramid(image_rgb: np.ndarray, min_face_px: float) -> list[tuple[np.ndarray, float]]:
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


def _padded(rows: np.ndarray) -> np.ndarray:
    """``rows`` (n >= 1) with its last row repeated up to a power-of-two number of rows."""
    size = 1 << (len(rows) - 1).bit_length()
    return np.concatenate([rows, np.repeat(rows[-1:], size - len(rows), axis=0)])


def _rows_to_faces(rows: np.ndarray, shape_hw: Sequence[int]) -> list[Face]:
    """mtcnn rows [img, x1, y1, x2, y2, score, 5 x's, 5 y's] -> Faces clipped to the image."""
    height, width = shape_hw[0], shape_hw[1]
    faces = []
    for row in rows:
        x1, y1 = max(0.0, row[1]), max(0.0, row[2])
        x2, y2 = min(width - 1.0, row[3]), min(height - 1.0, row[4])
        box = (round(x1), round(y1), round(x2 - x1), round(y2 - y1))
        points = {name: (float(row[6 + i]), float(row[11 + i]))
                  for i, name in enumerate(LANDMARK_NAMES)}
        faces.append(Face(box_xywh=box, confidence=float(row[5]), landmarks=points))
    return faces


class MtcnnDetector:
    """MTCNN with a correct pyramid and compiled networks. Build it on the thread that uses it.

    ``min_face_px``: faces whose box is smaller than this (longer side, in pixels of the
    frame passed to `detect`) are neither searched for nor returned.
    ``max_side_px``: frames whose long side is larger are shrunk before detection (only as far
    as ``min_face_px`` allows); None never shrinks.
    ``thresholds``: the score a candidate needs to pass PNet, RNet and ONet (mtcnn's defaults).
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
        self._pnet, self._rnet, self._onet = self._load_networks()

    @staticmethod
    def _load_networks() -> tuple[Any, Any, Any]:
        """mtcnn's three networks with their bundled weights, each compiled once."""
        try:
            import_tensorflow()
            from mtcnn.stages import StageONet, StagePNet, StageRNet

            stages = StagePNet(), StageRNet(), StageONet()
        except (ImportError, OSError) as exc:
            raise WeightsError(f"cannot load the MTCNN face detector: {exc}") from exc
        pnet = _compile_pnet(stages[0].model)
        rnet = _compile_patch_net(stages[1].model, RNET_INPUT_PX)
        onet = _compile_patch_net(stages[2].model, ONET_INPUT_PX)
        log.info("MTCNN networks loaded")
        return pnet, rnet, onet

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Run every stage on a blank (H, W) = ``frame_hw`` frame so the first real ones are fast.

        RNet and ONet are also run on each usual batch size (a blank frame has no candidates).
        """
        blank_rgb = np.full((*frame_hw, 3), 127, np.uint8)
        self.detect(blank_rgb)
        whole_frame = [0.0, 0.0, 0.0, frame_hw[1] - 1.0, frame_hw[0] - 1.0, 1.0]
        for batch in WARMED_BATCHES:
            rows = np.asarray([whole_frame] * batch)
            self._refine(blank_rgb, rows.copy())
            self._output(blank_rgb, rows.copy())

    def detect(self, image_rgb: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB uint8 (H, W, 3) image, largest box first; boxes in its pixels.

        ``min_face_px`` overrides the detector's own minimum for this call (e.g. to tell a
        too-small face from no face at all). Raises ValueError for anything but RGB uint8
        (grayscale, RGBA, float): convert on loading.
        """
        check_image(image_rgb)
        min_px = self.min_face_px if min_face_px is None else max(PNET_WINDOW_PX, min_face_px)
        scale = work_scale(image_rgb.shape, min_px, self.max_side_px)
        small_rgb, scale_x, scale_y = _shrunk(np.ascontiguousarray(image_rgb), scale)
        rows = self._detect_rows(small_rgb, min_px * min(scale_x, scale_y))
        faces = _rows_to_faces(_unshrunk(rows, scale_x, scale_y), image_rgb.shape)
        faces = [f for f in faces if f.size_px >= min_px]  # the shorter side, as everywhere
        return sorted(faces, key=lambda f: f.box_xywh[2] * f.box_xywh[3], reverse=True)

    def _detect_rows(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """The three stages on one uint8 (H, W, 3) image -> mtcnn rows (n, 16), image pixels."""
        rows = self._propose(image_rgb, min_face_px)
        if len(rows):
            rows = self._refine(image_rgb, rows)
        if len(rows):
            rows = self._output(image_rgb, rows)
        return rows if len(rows) else np.empty((0, 16))

    def _propose(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """PNet over the pyramid -> square candidates [img, x1, y1, x2, y2, score]."""
        from mtcnn.utils.bboxes import (
            generate_bounding_box,
            resize_to_square,
            smart_nms_from_bboxes,
            upscale_bboxes,
        )

        per_level = []
        for level_rgb, scale in _pyramid(image_rgb, min_face_px):
            box_offsets, face_scores = self._pnet(level_rgb[None])
            rows = generate_bounding_box(box_offsets, face_scores, self.thresholds[0])
            rows = upscale_bboxes(rows, np.asarray([scale]))
            per_level.append(smart_nms_from_bboxes(rows, NMS_PNET_LEVEL, initial_sort=False))
        if not per_level:
            return np.empty((0, 6))
        rows = smart_nms_from_bboxes(np.concatenate(per_level), NMS_PNET_ALL, initial_sort=True)
        return resize_to_square(rows)

    def _refine(self, image_rgb: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """RNet on 24x24 crops of the candidates -> fewer, tighter, square candidates."""
        from mtcnn.utils.bboxes import (
            adjust_bboxes,
            pick_matches,
            replace_confidence,
            resize_to_square,
            smart_nms_from_bboxes,
        )
        from mtcnn.utils.images import extract_patches

        patches = extract_patches(image_rgb[None], _padded(rows), (RNET_INPUT_PX,) * 2)
        box_offsets, scores = (output[:len(rows)] for output in self._rnet(patches))
        rows = adjust_bboxes(replace_confidence(rows, scores.numpy()), box_offsets.numpy())
        rows = pick_matches(rows, score_threshold=self.thresholds[1])
        rows = smart_nms_from_bboxes(rows, NMS_RNET, initial_sort=True)
        return resize_to_square(rows)

    def _output(self, image_rgb: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """ONet on 48x48 crops -> final rows [img, x1, y1, x2, y2, score, 5 x's, 5 y's]."""
        from mtcnn.utils.bboxes import (
            adjust_bboxes,
            pick_matches,
            replace_confidence,
            smart_nms_from_bboxes,
        )
        from mtcnn.utils.images import extract_patches
        from mtcnn.utils.landmarks import adjust_landmarks

        patches = extract_patches(image_rgb[None], _padded(rows), (ONET_INPUT_PX,) * 2)
        box_offsets, landmarks, scores = (output[:len(rows)] for output in self._onet(patches))
        landmarks = adjust_landmarks(landmarks, rows)
        rows = adjust_bboxes(replace_confidence(rows, scores.numpy()), box_offsets.numpy())
        rows = pick_matches(np.concatenate([rows, landmarks], axis=-1), scores_column=5,
                            score_threshold=self.thresholds[2])
        return smart_nms_from_bboxes(rows, NMS_ONET, method="min", initial_sort=True)


def _shrunk(image_rgb: np.ndarray, scale: float) -> tuple[np.ndarray, float, float]:
    """(H, W, 3) image area-resized by ``scale`` (<= 1), and the exact x and y factors used."""
    if scale >= 1.0:
        return image_rgb, 1.0, 1.0
    import cv2

    height, width = image_rgb.shape[:2]
    size_wh = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb = cv2.resize(image_rgb, size_wh, interpolation=cv2.INTER_AREA)
    return small_rgb, size_wh[0] / width, size_wh[1] / height


def _unshrunk(rows: np.ndarray, scale_x: float, scale_y: float) -> np.ndarray:
    """mtcnn rows found in a shrunk image -> the same rows in pixels of the original."""
    if (scale_x, scale_y) == (1.0, 1.0):
        return rows
    rows = rows.copy()
    rows[:, [1, 3]] /= scale_x
    rows[:, [2, 4]] /= scale_y
    rows[:, 6:11] /= scale_x
    rows[:, 11:16] /= scale_y
    return rows

"""Face detection with MTCNN (the ``mtcnn`` 1.0 package's networks, driven by our own pyramid).

The TensorFlow path: used by ``--runtime keras`` and as the reference of the LiteRT twin
(`mtcnn_litert`), which the other runtimes use. Inputs, outputs and settings are those of
`mtcnn_common.PyramidDetector`.

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
from typing import Any

import numpy as np

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.tf_quiet import import_tensorflow
from kiosk.core.vision.mtcnn_common import (
    NMS_ONET,
    NMS_PNET_ALL,
    NMS_PNET_LEVEL,
    NMS_RNET,
    ONET_INPUT_PX,
    RNET_INPUT_PX,
    ROW_COLUMNS,
    PyramidDetector,
    pyramid,
)

log = logging.getLogger(__name__)

# RNet and ONet see batches padded to a power of two: oneDNN builds its kernels per input
# shape, which costs ~20 ms each time a new candidate count shows up. warm_up() builds these.
WARMED_BATCHES = tuple(2 ** i for i in range(9))  # 1 .. 256 candidates


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


def _padded(rows: np.ndarray) -> np.ndarray:
    """``rows`` (n >= 1) with its last row repeated up to a power-of-two number of rows."""
    size = 1 << (len(rows) - 1).bit_length()
    return np.concatenate([rows, np.repeat(rows[-1:], size - len(rows), axis=0)])


class MtcnnDetector(PyramidDetector):
    """MTCNN with a correct pyramid and compiled networks. Build it on the thread that uses it.

    The reference the LiteRT twin (`mtcnn_litert.LiteRtMtcnnDetector`) is measured against;
    settings as in `PyramidDetector`.
    """

    def __init__(self, min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                 max_side_px: int | None = 640,
                 thresholds: tuple[float, float, float] = DEFAULT_DETECTOR.thresholds):
        super().__init__(min_face_px, max_side_px, thresholds)
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

    def _detect_rows(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """The three stages on one uint8 (H, W, 3) image -> final rows (n, 15), image pixels
        (mtcnn's rows less their first column, the image's index in the batch)."""
        rows = self._propose(image_rgb, min_face_px)
        if len(rows):
            rows = self._refine(image_rgb, rows)
        if len(rows):
            rows = self._output(image_rgb, rows)
        return rows[:, 1:] if len(rows) else np.empty((0, ROW_COLUMNS))

    def _propose(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """PNet over the pyramid -> square candidates [img, x1, y1, x2, y2, score]."""
        from mtcnn.utils.bboxes import (
            generate_bounding_box,
            resize_to_square,
            smart_nms_from_bboxes,
            upscale_bboxes,
        )

        per_level = []
        for level_rgb, scale in pyramid(image_rgb, min_face_px):
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

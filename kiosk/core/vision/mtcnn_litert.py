"""MTCNN on LiteRT: the ``mtcnn`` package's three networks, exported once (`mtcnn_export`),
run by the LiteRT interpreter, with the pyramid and box arithmetic in numpy and OpenCV.

No TensorFlow and no mtcnn at run time: only ``ai_edge_litert``, numpy and OpenCV, so the
kiosk runs without TensorFlow once the exports exist. Same boxes as the TensorFlow path
(`mtcnn.MtcnnDetector`, the reference) within IoU 0.95 and landmarks within 1.5 px on LFW
and the seed photos (tests/test_mtcnn_litert.py); the box arithmetic is `mtcnn_boxes`.

Input: RGB uint8 (H, W, 3); output: `Face` values in its pixels, largest first (see
`mtcnn_common.PyramidDetector`). Not thread-safe: build it on the thread that uses it.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

from kiosk.core.base.errors import WeightsError
from kiosk.core.base.specs import DEFAULT_DETECTOR, DetectorSpec
from kiosk.core.base.tf_quiet import stderr_filtered
from kiosk.core.models import exports
from kiosk.core.models.litert import interpreter_class
from kiosk.core.vision import mtcnn_boxes as boxes
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
from kiosk.core.vision.mtcnn_export import export_path, output_order

log = logging.getLogger(__name__)

# RNet and ONet run on exactly as many patches as there are candidates: re-planning a
# batch size costs 0.05 ms (RNet) to 0.2 ms (ONet) here, less than padding to a few sizes.
# XNNPACK threads per interpreter: two cores halve PNet's big levels; more threads would mostly
# wait on the small ones.
THREADS = min(2, os.cpu_count() or 1)


class _Network:
    """One LiteRT interpreter, re-planned whenever its input shape changes.

    ``run``: float32 NHWC input, already normalised -> the outputs in the Keras order.
    """

    def __init__(self, path: Path, network: str, threads: int):
        try:
            self._interp = interpreter_class()(model_path=str(path), num_threads=threads)
        except (ValueError, RuntimeError) as exc:
            raise WeightsError(f"cannot load the LiteRT export {path} ({exc});"
                               f" {exports.REBUILD_HINT}") from exc
        self._input = self._interp.get_input_details()[0]["index"]
        self._outputs = output_order(self._interp.get_output_details(), network)
        self._shape: tuple[int, ...] = ()

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        if batch.shape != self._shape:
            self._interp.resize_tensor_input(self._input, list(batch.shape))
            # The first allocation creates the XNNPACK delegate, which announces itself on fd 2.
            with stderr_filtered() if not self._shape else contextlib.nullcontext():
                self._interp.allocate_tensors()
            self._shape = batch.shape
        self._interp.set_tensor(self._input, batch)
        self._interp.invoke()
        return [self._interp.get_tensor(i) for i in self._outputs]


class _PerShape:
    """PNet with one interpreter per pyramid-level shape: a camera's levels never change, so
    each is planned once (re-planning one interpreter for every level of every frame cost
    ~0.8 ms a level here). At most ``limit`` are kept, the least recently used dropped: a
    folder of photos of many sizes must not pile up interpreters and their threads."""

    def __init__(self, make: Callable[[], _Network], limit: int = 24):
        self._make, self._limit = make, limit
        self._nets: dict[tuple[int, ...], _Network] = {}

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        net = self._nets.pop(batch.shape, None) or self._make()
        self._nets[batch.shape] = net  # most recent last
        if len(self._nets) > self._limit:
            del self._nets[next(iter(self._nets))]
        return net.run(batch)


def _normalised(pixels: np.ndarray) -> np.ndarray:
    """Pixel values 0..255 -> float32 about -1..1, the networks' training convention."""
    return (pixels.astype(np.float32) - np.float32(127.5)) * np.float32(1 / 128)


class LiteRtMtcnnDetector(PyramidDetector):
    """MTCNN on LiteRT. Settings as in `PyramidDetector`; ``weights_dir`` holds the checked
    exports (build them with `mtcnn_export.ensure_exports`). Build it on the thread that uses it."""

    def __init__(self, weights_dir: Path, min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                 max_side_px: int | None = 640,
                 thresholds: tuple[float, float, float] = DEFAULT_DETECTOR.thresholds,
                 spec: DetectorSpec = DEFAULT_DETECTOR):
        super().__init__(min_face_px, max_side_px, thresholds)
        paths = {net: exports.checked(export_path(weights_dir, net, spec))
                 for net in ("pnet", "rnet", "onet")}
        self._pnet = _PerShape(lambda: _Network(paths["pnet"], "pnet", THREADS))
        self._rnet = _Network(paths["rnet"], "rnet", THREADS)
        self._onet = _Network(paths["onet"], "onet", THREADS)
        log.info("MTCNN on LiteRT loaded")

    def warm_up(self, frame_hw: tuple[int, int] = (480, 640)) -> None:
        """Plan PNet for each pyramid level of (H, W) = ``frame_hw`` frames and create RNet's
        and ONet's delegates now, so the first real frames are fast."""
        blank_rgb = np.full((*frame_hw, 3), 127, np.uint8)
        self.detect(blank_rgb)  # a blank frame has no candidates: RNet and ONet run below
        whole_frame = np.asarray([[0.0, 0.0, frame_hw[1] - 1.0, frame_hw[0] - 1.0, 1.0]])
        self._refine(blank_rgb, whole_frame)
        self._output(blank_rgb, whole_frame)

    def _detect_rows(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        rows = self._propose(image_rgb, min_face_px)
        if len(rows):
            rows = self._refine(image_rgb, rows)
        if len(rows):
            rows = self._output(image_rgb, rows)
        return rows if len(rows) else np.empty((0, ROW_COLUMNS))

    def _propose(self, image_rgb: np.ndarray, min_face_px: float) -> np.ndarray:
        """PNet over the pyramid -> square candidates (n, 5), image pixels, best first."""
        per_level = []
        for level_rgb, scale in pyramid(image_rgb, min_face_px):
            offsets, scores = self._pnet.run(_normalised(level_rgb[None]))
            rows = boxes.proposals(offsets[0], scores[0, :, :, 1], self.thresholds[0], scale)
            per_level.append(boxes.nms(rows, NMS_PNET_LEVEL))
        if not per_level:
            return np.empty((0, 5))
        rows = boxes.nms(boxes.by_score(np.concatenate(per_level)), NMS_PNET_ALL)
        return boxes.squared(rows)

    def _refine(self, image_rgb: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """RNet on 24x24 patches of the candidates -> fewer, tighter, square candidates."""
        patches = _normalised(boxes.patches(image_rgb, rows, RNET_INPUT_PX))
        offsets, scores = self._rnet.run(patches)
        rows = np.concatenate([rows[:, :4], scores[:, 1:].astype(np.float64)], axis=1)
        rows = boxes.regressed(rows, offsets)
        rows = rows[rows[:, 4] > self.thresholds[1]]
        return boxes.squared(boxes.nms(boxes.by_score(rows), NMS_RNET))

    def _output(self, image_rgb: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """ONet on 48x48 patches -> final rows (n, 15): box, score, five x's, five y's."""
        patches = _normalised(boxes.patches(image_rgb, rows, ONET_INPUT_PX))
        offsets, points, scores = self._onet.run(patches)
        marks = boxes.landmarks(rows, points)
        rows = np.concatenate([rows[:, :4], scores[:, 1:].astype(np.float64)], axis=1)
        rows = np.concatenate([boxes.regressed(rows, offsets), marks], axis=1)
        rows = rows[rows[:, 4] > self.thresholds[2]]
        return boxes.nms(boxes.by_score(rows), NMS_ONET, method="min")


def load_detector(weights_dir: Path, min_face_px: int = DEFAULT_DETECTOR.min_face_px,
                  spec: DetectorSpec = DEFAULT_DETECTOR) -> LiteRtMtcnnDetector:
    """The LiteRT detector on the checked exports, building them once when missing (this
    alone imports TensorFlow, and only then)."""
    from kiosk.core.vision.mtcnn_export import ensure_exports

    ensure_exports(weights_dir, spec)
    return LiteRtMtcnnDetector(weights_dir, min_face_px=min_face_px, thresholds=spec.thresholds,
                               spec=spec)

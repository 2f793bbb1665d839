"""Measurements of face detectors: speed side by side, parity of two detectors, false faces.

Every function returns plain values (dicts, dataclasses); nothing here prints. Images are
RGB uint8 (H, W, 3); boxes (x, y, w, h) in their pixels. Used by ``kiosk benchmark`` (the
TensorFlow path beside the LiteRT one), tests/test_mtcnn_litert.py and the one-off studies
that chose the detector's defaults (`kiosk.core.base.specs`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from kiosk.core.base.types import LANDMARK_NAMES, Face


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes (0 when either is empty)."""
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    inter_w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def landmark_error_px(face_a: Face, face_b: Face) -> float:
    """The largest distance between the two faces' corresponding landmarks, in pixels."""
    return max(float(np.hypot(face_a.landmarks[n][0] - face_b.landmarks[n][0],
                              face_a.landmarks[n][1] - face_b.landmarks[n][1]))
               for n in LANDMARK_NAMES)


# --- speed ---------------------------------------------------------------------------------
def timing(runs: Mapping[str, Callable[[], object]], repeats: int, warm_up_runs: int = 3) -> dict:
    """{name: {"median", "p90", "cpu_median"}} in ms, the callables run in turn, round robin,
    so that other jobs on a shared machine slow each of them alike. ``cpu_median`` is this
    process's CPU time per call (both cores counted), a check on a busy machine."""
    for run in runs.values():
        for _ in range(warm_up_runs):
            run()
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append((time.perf_counter() - start) * 1000.0)
            cpu[name].append((time.process_time() - start_cpu) * 1000.0)
    return {name: {"median": float(np.median(wall[name])), "p90": float(np.percentile(wall[name], 90)),
                   "cpu_median": float(np.median(cpu[name]))} for name in runs}


# --- parity ----------------------------------------------------------------------------------
@dataclass
class Parity:
    """How a candidate detector's faces compare with a reference's, image by image.

    Each reference face is paired with the candidate face of highest IoU; ``ious`` and
    ``landmark_errors_px`` hold one value per pair, ``unpaired`` names the images whose face
    counts differ or whose pairs overlap by less than ``min_iou``.
    """

    images: int = 0
    faces: int = 0
    ious: list[float] = field(default_factory=list)
    landmark_errors_px: list[float] = field(default_factory=list)
    unpaired: list[str] = field(default_factory=list)
    worst: list[tuple[str, float, float]] = field(default_factory=list)  # (image, IoU, landmark px)

    def summary(self) -> dict:
        ious, errors = np.asarray(self.ious or [np.nan]), np.asarray(self.landmark_errors_px or [np.nan])
        return {"images": self.images, "faces": self.faces, "unpaired_images": len(self.unpaired),
                "iou_min": float(ious.min()), "iou_p01": float(np.percentile(ious, 1)),
                "iou_median": float(np.median(ious)),
                "landmark_px_max": float(errors.max()), "landmark_px_p99": float(np.percentile(errors, 99)),
                "landmark_px_median": float(np.median(errors))}


def parity(reference, candidate, images: Iterable[tuple[str, np.ndarray]], min_iou: float = 0.5) -> Parity:
    """Both detectors on every (name, RGB image); see `Parity`."""
    result = Parity()
    for name, image_rgb in images:
        ref_faces, cand_faces = reference.detect(image_rgb), candidate.detect(image_rgb)
        result.images += 1
        result.faces += len(ref_faces)
        if len(ref_faces) != len(cand_faces):
            result.unpaired.append(name)
        for ref in ref_faces:
            best = max(cand_faces, key=lambda c: iou(ref.box_xywh, c.box_xywh), default=None)
            overlap = iou(ref.box_xywh, best.box_xywh) if best else 0.0
            if overlap < min_iou:
                result.unpaired.append(name)
                continue
            error = landmark_error_px(ref, best)
            result.ious.append(overlap)
            result.landmark_errors_px.append(error)
            result.worst.append((name, overlap, error))
    result.worst = sorted(result.worst, key=lambda w: (w[1], -w[2]))[:10]
    return result


# --- false faces --------------------------------------------------------------------------------
def frames_640x480(image_rgb: np.ndarray, frame_hw: tuple[int, int] = (480, 640)) -> list[np.ndarray]:
    """Camera-sized views of a picture: the whole of it resized to cover (H, W) and centre-
    cropped, plus, for pictures over twice that size, the four quadrant tiles so treated
    (finer texture: what a camera sees closer up). RGB uint8 (H, W, 3) each."""
    import cv2

    def covering(part: np.ndarray) -> np.ndarray:
        scale = max(frame_hw[0] / part.shape[0], frame_hw[1] / part.shape[1])
        size_wh = (max(frame_hw[1], round(part.shape[1] * scale)), max(frame_hw[0], round(part.shape[0] * scale)))
        big = cv2.resize(part, size_wh, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        y0, x0 = (big.shape[0] - frame_hw[0]) // 2, (big.shape[1] - frame_hw[1]) // 2
        return np.ascontiguousarray(big[y0:y0 + frame_hw[0], x0:x0 + frame_hw[1]])

    frames = [covering(image_rgb)]
    height, width = image_rgb.shape[:2]
    if height >= 2 * frame_hw[0] and width >= 2 * frame_hw[1]:
        frames += [covering(image_rgb[y:y + height // 2, x:x + width // 2])
                   for y in (0, height // 2) for x in (0, width // 2)]
    return frames


def false_face_table(faces_per_image: Sequence[Sequence[Face]], thresholds: Sequence[float],
                     min_sizes: Sequence[int]) -> list[dict]:
    """Rows {"threshold", "min_face_px", "per_image", "images_with_any"} counting every face
    (all false on a face-free set) at or above each final-stage score and box size.

    ``faces_per_image`` must come from a detector run with a lower ONet threshold and
    ``min_face_px`` than any asked for: a higher score threshold is then exact (ONet's NMS
    keeps a box unless a higher-scored one overlaps it), a larger size nearly so.
    """
    rows = []
    for min_px in min_sizes:
        for threshold in thresholds:
            counts = [sum(f.confidence > threshold and f.size_px >= min_px for f in faces)
                      for faces in faces_per_image]
            rows.append({"threshold": threshold, "min_face_px": min_px,
                         "per_image": float(np.mean(counts)) if counts else 0.0,
                         "images_with_any": int(np.count_nonzero(counts))})
    return rows


def litert_vs_tensorflow_ms(weights_dir, frame_rgb: np.ndarray, min_face_px: int, repeats: int) -> dict:
    """``kiosk benchmark``'s detection line: {"litert": {...}, "tensorflow": {...}}, each
    {"median", "p90", "cpu_median"} ms per ``detect`` of ``frame_rgb`` (RGB uint8), the two
    detectors built alike, warmed up, and timed in turn in this one process."""
    from kiosk.core.vision.loader import load_detector

    detectors = {"litert": load_detector(weights_dir, "litert-int8", min_face_px),
                 "tensorflow": load_detector(weights_dir, "keras", min_face_px)}
    for detector in detectors.values():
        detector.warm_up(frame_rgb.shape[:2])
    return timing({name: (lambda d=d: d.detect(frame_rgb)) for name, d in detectors.items()}, repeats)

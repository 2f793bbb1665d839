"""``kiosk evaluate``: embed the images of an LFW-format pair file and score the pairs.

Each unique image is read, detected and embedded once. In a photo with several faces the
subject is the face that is large and near the centre (LFW images are centred on the named
person), as in FaceNet's own LFW alignment script. Images where no face is found are counted
and their pairs rejected (see ``evaluation.POLICY_NO_FACE``).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import course_pixels, read_image_rgb
from kiosk.core.base.types import Face
from kiosk.core.evaluation import metrics as evaluation
from kiosk.core.vision.crops import face_crop

log = logging.getLogger(__name__)


def subject_face(faces: Sequence[Face], width: int, height: int) -> Face | None:
    """The large face nearest the centre: area minus twice the squared centre offset."""
    def score(face: Face) -> float:
        x, y, w, h = face.box_xywh
        offset_sq = (x + w / 2 - width / 2) ** 2 + (y + h / 2 - height / 2) ** 2
        return w * h - 2.0 * offset_sq
    return max(faces, key=score, default=None)


Progress = Callable[[Sequence[str]], Iterable[str]]  # wraps a list of images (a progress bar)


def detect_subjects(detector, root: Path, rel_paths: Sequence[str], progress: Progress = iter):
    """{rel_path: (image_rgb, Face or None)} for every image (images kept for re-cropping)."""
    found = {}
    for rel in progress(rel_paths):
        image_rgb = read_image_rgb(root / rel)
        faces = detector.detect(image_rgb)
        found[rel] = (image_rgb, subject_face(faces, image_rgb.shape[1], image_rgb.shape[0]))
    return found


def embed_subjects(embedder, found: dict, margin: float, align: bool, batch: int = 16) -> dict:
    """{rel_path: (dim,) unit embedding, or None where no face was found}."""
    keys = [k for k, (_, face) in found.items() if face is not None]
    out: dict = {k: None for k in found}
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        crops = np.stack([face_crop(found[k][0], found[k][1], margin, align) for k in chunk])
        for key, vector in zip(chunk, embedder.embed(crops)):
            out[key] = vector
    return out


def pixel_embeddings(root: Path, rel_paths: Sequence[str]) -> dict:
    """The course's naive verifier: the whole image at 160x160 (nearest), pixels / 255,
    compared directly (made unit length so its distances share the 0..2 scale)."""
    out = {}
    for rel in rel_paths:
        flat = course_pixels(root / rel).astype(np.float32).ravel()
        out[rel] = flat / max(float(np.linalg.norm(flat)), 1e-12)
    return out


def _check_images(root: Path, pairset) -> list[str]:
    if not root.is_dir():
        raise KioskError(f"--images {root}: not a folder")
    rel_paths = pairset.unique_paths()
    missing = [p for p in rel_paths if not (root / p).is_file()]
    if missing:
        raise KioskError(f"{len(missing)} image(s) named in the pairs file are missing under {root}, "
                         f"e.g. {missing[0]}")
    return rel_paths


def _limited(pairset, limit: int | None):
    if not limit:
        return pairset
    kept, counts = [], {True: 0, False: 0}
    for pair in pairset.pairs:
        if counts[pair.same] < limit:
            kept.append(pair)
            counts[pair.same] += 1
    return evaluation.PairSet(tuple(kept), pairset.n_folds)


@dataclass(frozen=True)
class EvaluationRun:
    """`evaluate_pairs`: the report, how the images went, and the optional extras."""

    report: evaluation.EvaluationReport
    images: int
    no_face_images: int
    runtime: str
    margin: float
    align: bool
    baseline_pixel: evaluation.EvaluationReport | None = None
    plot: Path | None = None

    def to_json_dict(self) -> dict:
        out = self.report.to_json_dict() | {
            "runtime": self.runtime, "margin": self.margin, "align": self.align,
            "images": self.images, "no_face_images": self.no_face_images}
        if self.baseline_pixel is not None:
            out["baseline_pixel"] = self.baseline_pixel.to_json_dict()
        if self.plot is not None:
            out["plot"] = str(self.plot)
        return out


def evaluate_pairs(engine, pairs_path: Path, images_root: Path, default_threshold: float, *,
                   runtime: str = "", limit: int | None = None, margin: float | None = None,
                   align: bool = False, baseline_pixel: bool = False, plot: Path | None = None,
                   progress: Progress = iter) -> EvaluationRun:
    """Accuracy of ``engine`` on an LFW-format pair file (each image embedded once)."""
    pairset = _limited(evaluation.read_pairs(Path(pairs_path)), limit)
    rel_paths = _check_images(Path(images_root), pairset)
    margin = engine.margin_fraction if margin is None else margin
    found = detect_subjects(engine.detector, Path(images_root), rel_paths, progress)
    embeddings = embed_subjects(engine.embedder, found, margin, align)
    distances = evaluation.pair_distances(pairset, embeddings)
    k_folds = None if pairset.n_folds > 1 else 10
    report = evaluation.evaluate_distances(pairset, distances, default_threshold, k_folds=k_folds)
    curves, baseline = {}, None
    if baseline_pixel:
        base_d = evaluation.pair_distances(pairset, pixel_embeddings(Path(images_root), rel_paths))
        baseline = evaluation.evaluate_distances(pairset, base_d, default_threshold, k_folds=k_folds)
        curves["course pixel baseline"] = evaluation.roc(base_d, pairset.same)[:2]
    if plot is not None:
        far, tar, _ = evaluation.roc(distances, pairset.same)
        evaluation.plot_roc(far, tar, Path(plot), label=f"FaceNet ({runtime})", extra_curves=curves)
    return EvaluationRun(report, len(rel_paths), sum(v is None for v in embeddings.values()),
                         runtime, margin, align, baseline, plot)


# --- calibration over every pair of images ------------------------------------------------
def all_pair_distances(embeddings: dict, chunk_rows: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) L2 distances over every pair of images with a face; the identity of
    an image is the first component of its path (``Name/Name_0001.jpg``)."""
    from kiosk.core.recognition.matching import l2_distances

    keys = sorted(k for k, v in embeddings.items() if v is not None)
    vectors = np.stack([embeddings[k] for k in keys])
    who = np.array([k.split("/")[0] for k in keys])
    genuine, impostor = [], []
    for start in range(0, len(keys), chunk_rows):
        block = l2_distances(vectors[start:start + chunk_rows], vectors)
        rows, cols = np.nonzero(np.arange(len(keys))[None, :] > np.arange(start, start + len(block))[:, None])
        same = who[start + rows] == who[cols]
        genuine.append(block[rows[same], cols[same]])
        impostor.append(block[rows[~same], cols[~same]])
    return np.concatenate(genuine), np.concatenate(impostor)


def operating_points(genuine: np.ndarray, impostor: np.ndarray, fars: Sequence[float]) -> list[dict]:
    """For each target FAR: the largest threshold whose measured FAR stays at or under it.

    Accepting means ``distance <= threshold``, as the kiosk does, so the threshold lies just
    below the (k+1)-th smallest impostor distance (k = far x pairs): ties there stay out.
    """
    ordered = np.sort(impostor)
    points = []
    for far in fars:
        k = int(far * len(ordered))
        if not len(ordered):
            threshold = float("nan")
        elif k >= len(ordered):
            threshold = float(ordered[-1])
        else:
            threshold = float(np.nextafter(ordered[k], -np.inf))
        points.append({"far_target": far, "threshold": threshold,
                       "far": float(np.mean(impostor <= threshold)), "tar": float(np.mean(genuine <= threshold))})
    return points


@dataclass(frozen=True)
class CalibrationRun:
    """`calibrate_pairs`: thresholds at the asked false-accept rates, from every image pair."""

    images: int
    genuine_pairs: int
    impostor_pairs: int
    runtime: str
    margin: float
    points: list[dict]  # far_target, threshold, far (measured), tar

    def to_json_dict(self) -> dict:
        return asdict(self)


def calibrate_pairs(engine, pairs_path: Path, images_root: Path, fars: Sequence[float], *,
                    runtime: str = "", progress: Progress = iter) -> CalibrationRun:
    """Thresholds at ``fars`` over every pair of the images a pair file names."""
    pairset = evaluation.read_pairs(Path(pairs_path))
    rel_paths = _check_images(Path(images_root), pairset)
    found = detect_subjects(engine.detector, Path(images_root), rel_paths, progress)
    embeddings = embed_subjects(engine.embedder, found, engine.margin_fraction, align=False)
    genuine, impostor = all_pair_distances(embeddings)
    return CalibrationRun(len(embeddings), len(genuine), len(impostor), runtime,
                          engine.margin_fraction, operating_points(genuine, impostor, fars))

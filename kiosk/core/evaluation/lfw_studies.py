"""LFW View 1 studies behind the detector and embedder defaults: 10-fold accuracy with each
detector, with and without horizontal-flip averaging, and by face size.

Each returns plain dicts (accuracies are fractions in [0, 1], times in ms); nothing prints.
``root`` is an LFW folder (``<Name>/<Name>_NNNN.jpg``), ``pairs_path`` a View 1 pair file,
split into 10 interleaved folds, each scored at the best threshold of the other nine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from kiosk.core.evaluation import metrics
from kiosk.core.evaluation.detection import timing
from kiosk.core.evaluation.lfw import detect_subjects, embed_subjects, subject_face
from kiosk.core.vision.crops import face_crop

K_FOLDS = 10


def ten_fold(pairset: metrics.PairSet, embeddings: dict) -> dict:
    """{"accuracy", "std", "no_face_pairs"} of one set of embeddings (None = no face)."""
    distances = metrics.pair_distances(pairset, embeddings)
    mean, std, _ = metrics.kfold_accuracy(distances, pairset.same, metrics.folds_for(distances.size, K_FOLDS))
    return {"accuracy": mean, "std": std, "no_face_pairs": int(np.count_nonzero(np.isinf(distances)))}


def detector_accuracy(detectors: dict, embedder, root: Path, pairs_path: Path, margin: float) -> dict:
    """{detector name: ten_fold(...)} with the same embedder: does the detector change accuracy?"""
    pairset = metrics.read_pairs(Path(pairs_path))
    out = {}
    for name, detector in detectors.items():
        found = detect_subjects(detector, Path(root), pairset.unique_paths())
        out[name] = ten_fold(pairset, embed_subjects(embedder, found, margin, False))
    return out


def flip_accuracy(detector, embedders: dict, root: Path, pairs_path: Path, margin: float) -> dict:
    """{embedder name: ten_fold(...)} from one detection pass (e.g. plain vs flip-averaged)."""
    pairset = metrics.read_pairs(Path(pairs_path))
    found = detect_subjects(detector, Path(root), pairset.unique_paths())
    return {name: ten_fold(pairset, embed_subjects(embedder, found, margin, False))
            for name, embedder in embedders.items()}


def embedding_cost(embedders: dict, crop: np.ndarray, repeats: int = 200) -> dict:
    """{name: {"median", "p90", "cpu_median"}} ms to embed one (1, side, side, 3) crop, the
    embedders timed in turn (a busy machine slows each alike)."""
    return timing({name: (lambda e=e: e.embed(crop)) for name, e in embedders.items()}, repeats)


def accuracy_by_face_size(detector, embedder, root: Path, pairs_path: Path, margin: float,
                          sizes_px: Sequence[int], search_min_px: int = 12) -> list[dict]:
    """Rows {"face_px", "accuracy", "std", "no_face_pairs"}: each image shrunk (area
    resampling) so that its subject's face, found at full size, is ``face_px`` on its shorter
    side; then detected (down to ``search_min_px``) and embedded as the kiosk would. Shows
    from which size a detected face is worth recognising at all."""
    import cv2

    pairset = metrics.read_pairs(Path(pairs_path))
    full = detect_subjects(detector, Path(root), pairset.unique_paths())
    rows = []
    for size in sizes_px:
        embeddings = {}
        for rel, (image_rgb, face) in full.items():
            if face is None:
                embeddings[rel] = None
                continue
            scale = min(1.0, size / face.size_px)
            small = cv2.resize(image_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            faces = detector.detect(small, min_face_px=search_min_px)
            found = subject_face(faces, small.shape[1], small.shape[0])
            embeddings[rel] = None if found is None else embedder.embed(
                face_crop(small, found, margin)[None])[0]
        rows.append({"face_px": size, **ten_fold(pairset, embeddings)})
    return rows

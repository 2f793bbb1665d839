"""``kiosk evaluate``: embed the images of an LFW-format pair file and score the pairs.

Each unique image is read, detected and embedded once. In a photo with several faces the
subject is the face that is large and near the centre (LFW images are centred on the named
person), as in FaceNet's own LFW alignment script. Images where no face is found are counted
and their pairs rejected (see ``evaluation.POLICY_NO_FACE``).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Sequence

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


def detect_subjects(detector, root: Path, rel_paths: Sequence[str], progress: bool = True):
    """{rel_path: (image_rgb, Face or None)} for every image (images kept for re-cropping)."""
    from tqdm import tqdm

    found = {}
    for rel in tqdm(rel_paths, desc="detecting", unit="img", file=sys.stderr, disable=not progress):
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


def run_evaluate(args, settings) -> int:
    from kiosk.core.embedding.loader import load_embedder
    from kiosk.core.vision.mtcnn import MtcnnDetector

    pairset = _limited(evaluation.read_pairs(Path(args.pairs)), args.limit)
    root = Path(args.images)
    rel_paths = _check_images(root, pairset)
    margin = settings.margin_fraction if args.margin is None else args.margin
    found = detect_subjects(MtcnnDetector(min_face_px=settings.min_face_px), root, rel_paths, not args.json)
    embeddings = embed_subjects(load_embedder(settings.weights_path, settings.runtime), found, margin, args.align)
    distances = evaluation.pair_distances(pairset, embeddings)
    k_folds = None if pairset.n_folds > 1 else 10
    report = evaluation.evaluate_distances(pairset, distances, settings.verify_threshold, k_folds=k_folds)
    result = report.to_json_dict() | {"runtime": settings.runtime, "margin": margin, "align": bool(args.align),
                                      "images": len(rel_paths),
                                      "no_face_images": sum(v is None for v in embeddings.values())}
    curves = {}
    if args.baseline == "pixel":
        base_d = evaluation.pair_distances(pairset, pixel_embeddings(root, rel_paths))
        base = evaluation.evaluate_distances(pairset, base_d, settings.verify_threshold, k_folds=k_folds)
        result["baseline_pixel"] = base.to_json_dict()
        curves["course pixel baseline"] = evaluation.roc(base_d, pairset.same)[:2]
    if args.plot:
        far, tar, _ = evaluation.roc(distances, pairset.same)
        evaluation.plot_roc(far, tar, Path(args.plot), label=f"FaceNet ({settings.runtime})", extra_curves=curves)
        result["plot"] = args.plot
    _print_result(args, report, result)
    return 0


def _print_result(args, report, result: dict) -> None:
    import json

    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    print(report.format_text())
    print(f"images: {result['images']}, with no face found: {result['no_face_images']} "
          f"(their pairs are counted as rejections)")
    print(f"runtime {result['runtime']}, margin {result['margin']}, align {result['align']}")
    if "baseline_pixel" in result:
        b = result["baseline_pixel"]
        print(f"course pixel baseline: accuracy {b['accuracy']:.4f}, EER {b['eer']:.4f}")
    if "plot" in result:
        print(f"ROC curve written to {result['plot']}")


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


def run_calibrate(args, settings) -> int:
    import json

    from kiosk.core.embedding.loader import load_embedder
    from kiosk.core.vision.mtcnn import MtcnnDetector

    pairset = evaluation.read_pairs(Path(args.pairs))
    root = Path(args.images)
    found = detect_subjects(MtcnnDetector(min_face_px=settings.min_face_px), root, _check_images(root, pairset),
                            not args.json)
    embeddings = embed_subjects(load_embedder(settings.weights_path, settings.runtime), found,
                                settings.margin_fraction, align=False)
    genuine, impostor = all_pair_distances(embeddings)
    points = operating_points(genuine, impostor, args.far)
    result = {"images": len(embeddings), "genuine_pairs": len(genuine), "impostor_pairs": len(impostor),
              "runtime": settings.runtime, "margin": settings.margin_fraction, "points": points}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['images']} images: {len(genuine)} same-person and {len(impostor)} different-person pairs")
    for p in points:
        print(f"  FAR {p['far_target']:g}: threshold {p['threshold']:.4f} (measured FAR {p['far']:.2e}, TAR {p['tar']:.4f})")
    return 0

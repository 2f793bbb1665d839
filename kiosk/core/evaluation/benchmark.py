"""``kiosk benchmark``: how fast each stage runs on this machine, all in one process so that
speed-ups are ratios measured side by side (medians and p90 in milliseconds, after warm-up).

The test frame is 640x480 with one real face: matplotlib's bundled portrait of Grace Hopper
(matplotlib is a dependency, so the benchmark needs no test data), or ``--image``.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import numpy as np

from kiosk.core.base.imageio import course_pixels, read_image_rgb
from kiosk.core.base.specs import DEFAULT_MODEL

log = logging.getLogger(__name__)

FRAME_HW = (480, 640)


def sample_portrait_path() -> Path:
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def one_face_frame(portrait_rgb: np.ndarray, face_height_px: int = 220) -> np.ndarray:
    """A grey 640x480 RGB frame with the portrait scaled to ``face_height_px`` tall, centred."""
    import cv2

    scale = face_height_px / portrait_rgb.shape[0]
    small = cv2.resize(portrait_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((*FRAME_HW, 3), 110, np.uint8)
    y0, x0 = (FRAME_HW[0] - small.shape[0]) // 2, (FRAME_HW[1] - small.shape[1]) // 2
    frame[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return frame


def timed_ms(fn: Callable[[], object], repeats: int, warm_up_runs: int = 2) -> dict[str, float]:
    for _ in range(warm_up_runs):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return {"median": float(np.median(samples)), "p90": float(np.percentile(samples, 90))}


def _embed_stats(weights_dir: Path, crops: np.ndarray, repeats: int) -> dict:
    from kiosk.core.embedding.loader import load_embedder

    out = {}
    for runtime in ("litert-int8", "litert-fp32", "keras"):
        embedder = load_embedder(weights_dir, runtime)
        batch1 = timed_ms(lambda: embedder.embed(crops[:1]), repeats)
        batch8 = timed_ms(lambda: embedder.embed(crops), max(3, repeats // 4))
        out[runtime] = {"batch1_ms": batch1, "batch8_per_face_ms": {k: v / len(crops) for k, v in batch8.items()}}
    return out


def _identify_stats(repeats: int, dim: int = DEFAULT_MODEL.dim) -> dict:
    from kiosk.core.recognition.matching import Gallery

    rng = np.random.default_rng(0)
    out = {}
    for count in (10_000, 100_000):
        emb = rng.standard_normal((count, dim)).astype(np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        ids = np.arange(count)
        gallery = Gallery.from_arrays(emb, ids, ids // 5, {int(p): f"p{p}" for p in range(count // 5)})
        out[f"identify_{count // 1000}k"] = timed_ms(lambda: gallery.identify(emb[:1], 1.0), repeats)
    return out


def _course_stats(weights_dir: Path, image_path: Path, repeats: int) -> dict:
    """The course's path: whole image, /255, ``model.predict`` on one image."""
    from kiosk.core.embedding.facenet import build_keras_model

    model = build_keras_model(weights_dir)
    pixels = course_pixels(image_path).astype(np.float32)
    return timed_ms(lambda: model.predict(pixels, verbose=0), max(5, repeats // 3))


def measure(settings, image_path: Path, repeats: int) -> dict:
    from kiosk.core.evaluation.detection import litert_vs_tensorflow_ms
    from kiosk.core.recognition.engine import Engine
    from kiosk.core.recognition.matching import Gallery

    frame_rgb = one_face_frame(read_image_rgb(image_path))
    engine = Engine.load(settings)
    faces = engine.detect(frame_rgb)
    if len(faces) != 1:
        log.warning("benchmark frame shows %d faces, expected 1", len(faces))
    crops = np.repeat(_crops(engine, frame_rgb, faces), 8, axis=0)[:8]
    gallery = Gallery.from_arrays(engine.embed(frame_rgb, faces), [1], [1], {1: "sample"})
    detection = litert_vs_tensorflow_ms(settings.weights_path, frame_rgb, engine.live_min_face_px, repeats)
    result = {"faces_in_frame": len(faces), "runtime": settings.runtime, "repeats": repeats,
              "live_min_face_px": engine.live_min_face_px,
              "detect": detection["litert"], "detect_tf": detection["tensorflow"],
              "frame": timed_ms(lambda: engine.analyse(frame_rgb, gallery, settings.identify_threshold,
                                                       live=True), repeats),
              "embed": _embed_stats(settings.weights_path, crops, repeats),
              "pad": _pad_stats(frame_rgb, faces, repeats),
              **_identify_stats(repeats),
              "course_predict": _course_stats(settings.weights_path, image_path, repeats)}
    return summarise(result, settings.runtime)


def _pad_stats(frame_rgb: np.ndarray, faces, repeats: int) -> dict:
    """The passive anti-spoofing check of one face: both crops and both models."""
    from kiosk.core.vision.liveness import load_liveness

    pad = load_liveness("passive")
    box = faces[0].box_xywh if faces else (270, 190, 100, 120)
    return timed_ms(lambda: pad.live_score(frame_rgb, box), max(repeats, 100))


def _crops(engine, frame_rgb, faces) -> np.ndarray:
    from kiosk.core.vision.crops import face_crop

    return np.stack([face_crop(frame_rgb, f, engine.margin_fraction) for f in faces[:1]])


def summarise(result: dict, runtime: str) -> dict:
    embed_ms = result["embed"][runtime]["batch1_ms"]["median"]
    course_ms = result["course_predict"]["median"]
    return {"detect_ms": result["detect"]["median"], "detect_tf_ms": result["detect_tf"]["median"],
            "embed_ms": embed_ms,
            "pad_ms": result["pad"]["median"],
            "frame_ms": result["frame"]["median"], "identify_100k_ms": result["identify_100k"]["median"],
            "identify_10k_ms": result["identify_10k"]["median"], "course_predict_ms": course_ms,
            "speedup_vs_course_per_face": course_ms / embed_ms, **result}


TARGETS = (("detect_ms", 15.0), ("embed_ms", 12.0), ("frame_ms", 80.0), ("identify_100k_ms", 10.0),
           ("pad_ms", 3.0))


FLIP = "litert-int8+flip"  # int8 with each face averaged with its mirror image
FLIP_RULE = (0.1, 2.0)  # the default only when it gains >= 0.1 point at < 2x the embedding cost


def runtime_accuracy(settings, lfw_dir: Path) -> dict:
    """Accuracy of each LiteRT runtime, and of int8 with flip averaging, on LFW DevTest from
    the same detections (the rules: int8 is the default only while it stays within 0.3 points
    of fp32; flip averaging only if it passes FLIP_RULE), with flip averaging's cost."""
    from kiosk.core.embedding.loader import load_embedder
    from kiosk.core.evaluation import metrics as evaluation
    from kiosk.core.evaluation.lfw import detect_subjects, embed_subjects
    from kiosk.core.evaluation.lfw_studies import embedding_cost
    from kiosk.core.vision.loader import load_detector

    pairset = evaluation.read_pairs(lfw_dir / "pairsDevTest.txt")
    detector = load_detector(settings.weights_path, settings.runtime, settings.min_face_px)
    found = detect_subjects(detector, lfw_dir, pairset.unique_paths())
    embedders = {runtime: load_embedder(settings.weights_path, runtime) for runtime in ("litert-fp32", "litert-int8")}
    embedders[FLIP] = load_embedder(settings.weights_path, "litert-int8", flip=True)
    out = {}
    for name, embedder in embedders.items():
        embeddings = embed_subjects(embedder, found, settings.margin_fraction, False)
        report = evaluation.evaluate_distances(pairset, evaluation.pair_distances(pairset, embeddings),
                                               settings.verify_threshold, k_folds=10).to_json_dict()
        out[name] = {k: report[k] for k in ("accuracy", "accuracy_std", "accuracy_at_default")}
    out["int8_minus_fp32_points"] = 100 * (out["litert-int8"]["accuracy"] - out["litert-fp32"]["accuracy"])
    out["flip_minus_int8_points"] = 100 * (out[FLIP]["accuracy"] - out["litert-int8"]["accuracy"])
    crop = np.zeros((1, DEFAULT_MODEL.input_px, DEFAULT_MODEL.input_px, 3), np.float32)
    cost = embedding_cost({name: embedders[name] for name in ("litert-int8", FLIP)}, crop, repeats=100)
    out["flip_cost_ratio"] = cost[FLIP]["median"] / cost["litert-int8"]["median"]
    min_gain, max_cost = FLIP_RULE
    out["flip_earns_default"] = out["flip_minus_int8_points"] >= min_gain and out["flip_cost_ratio"] < max_cost
    return out


def run(settings, image_path: Path | None, repeats: int, lfw_dir: Path | None = None) -> dict:
    """Every measurement of `kiosk benchmark` as one JSON-ready summary."""
    summary = measure(settings, image_path or sample_portrait_path(), repeats)
    if lfw_dir is not None:
        summary["lfw_devtest"] = runtime_accuracy(settings, Path(lfw_dir))
    return summary

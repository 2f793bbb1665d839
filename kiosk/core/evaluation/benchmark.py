"""``kiosk benchmark``: how fast each stage runs on this machine, all in one process so that
speed-ups are ratios measured side by side (medians and p90 in milliseconds, after warm-up).

The test frame is 640x480 with one real face: matplotlib's bundled portrait of Grace Hopper
(matplotlib is a dependency, so the benchmark needs no test data), or ``--image``.
"""
from __future__ import annotations

import json
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
    from kiosk.core.recognition.engine import Engine
    from kiosk.core.recognition.matching import Gallery

    frame_rgb = one_face_frame(read_image_rgb(image_path))
    engine = Engine.load(settings)
    faces = engine.detect(frame_rgb)
    if len(faces) != 1:
        log.warning("benchmark frame shows %d faces, expected 1", len(faces))
    crops = np.repeat(_crops(engine, frame_rgb, faces), 8, axis=0)[:8]
    gallery = Gallery.from_arrays(engine.embed(frame_rgb, faces), [1], [1], {1: "sample"})
    result = {"faces_in_frame": len(faces), "runtime": settings.runtime, "repeats": repeats,
              "detect": timed_ms(lambda: engine.detect(frame_rgb), repeats),
              "frame": timed_ms(lambda: engine.analyse(frame_rgb, gallery, settings.identify_threshold), repeats),
              "embed": _embed_stats(settings.weights_path, crops, repeats),
              **_identify_stats(repeats),
              "course_predict": _course_stats(settings.weights_path, image_path, repeats)}
    return summarise(result, settings.runtime)


def _crops(engine, frame_rgb, faces) -> np.ndarray:
    from kiosk.core.vision.crops import face_crop

    return np.stack([face_crop(frame_rgb, f, engine.margin_fraction) for f in faces[:1]])


def summarise(result: dict, runtime: str) -> dict:
    embed_ms = result["embed"][runtime]["batch1_ms"]["median"]
    course_ms = result["course_predict"]["median"]
    return {"detect_ms": result["detect"]["median"], "embed_ms": embed_ms,
            "frame_ms": result["frame"]["median"], "identify_100k_ms": result["identify_100k"]["median"],
            "identify_10k_ms": result["identify_10k"]["median"], "course_predict_ms": course_ms,
            "speedup_vs_course_per_face": course_ms / embed_ms, **result}


TARGETS = (("detect_ms", 50.0), ("embed_ms", 12.0), ("frame_ms", 80.0), ("identify_100k_ms", 10.0))


def format_text(summary: dict) -> str:
    lines = [f"one 640x480 frame, {summary['faces_in_frame']} face(s); medians (p90) in ms, "
             f"{summary['repeats']} runs after warm-up"]
    for key, stage in (("detect", "detection per frame"), ("frame", "frame end to end (detect+embed+identify)")):
        lines.append(f"  {stage:44} {summary[key]['median']:7.1f} ({summary[key]['p90']:.1f})")
    for runtime, stats in summary["embed"].items():
        b1, b8 = stats["batch1_ms"], stats["batch8_per_face_ms"]
        lines.append(f"  embed per face, {runtime:12} batch 1 {b1['median']:7.1f} ({b1['p90']:.1f})"
                     f"   batch 8 {b8['median']:6.1f} ({b8['p90']:.1f})")
    for key in ("identify_10k", "identify_100k"):
        lines.append(f"  {key.replace('_', ' over ') + ' templates':44} {summary[key]['median']:7.2f} ({summary[key]['p90']:.2f})")
    lines.append(f"  course path (model.predict, one image)       {summary['course_predict_ms']:7.1f}")
    lines.append(f"  speed-up per face vs the course: {summary['speedup_vs_course_per_face']:.1f}x (target >= 10x)")
    for key, target in TARGETS:
        verdict = "ok" if summary[key] <= target else "MISSED"
        lines.append(f"  target {key} <= {target:g}: {summary[key]:.1f} {verdict}")
    return "\n".join(lines)


def runtime_accuracy(settings, lfw_dir: Path) -> dict:
    """Accuracy of each LiteRT runtime on LFW DevTest, from the same detections (the
    rule: int8 is the default only while it stays within 0.3 points of fp32)."""
    from kiosk.core.embedding.loader import load_embedder
    from kiosk.core.evaluation import metrics as evaluation
    from kiosk.core.evaluation.lfw import detect_subjects, embed_subjects
    from kiosk.core.vision.mtcnn import MtcnnDetector

    pairset = evaluation.read_pairs(lfw_dir / "pairsDevTest.txt")
    found = detect_subjects(MtcnnDetector(min_face_px=settings.min_face_px), lfw_dir, pairset.unique_paths(), False)
    out = {}
    for runtime in ("litert-fp32", "litert-int8"):
        embeddings = embed_subjects(load_embedder(settings.weights_path, runtime), found, settings.margin_fraction, False)
        report = evaluation.evaluate_distances(pairset, evaluation.pair_distances(pairset, embeddings),
                                               settings.verify_threshold, k_folds=10).to_json_dict()
        out[runtime] = {k: report[k] for k in ("accuracy", "accuracy_std", "accuracy_at_default")}
    out["int8_minus_fp32_points"] = 100 * (out["litert-int8"]["accuracy"] - out["litert-fp32"]["accuracy"])
    return out


def _format_accuracy(acc: dict) -> str:
    lines = ["LFW DevTest (10-fold accuracy / at the default verify threshold):"]
    for runtime in ("litert-fp32", "litert-int8"):
        lines.append(f"  {runtime:12} {acc[runtime]['accuracy']:.4f} ± {acc[runtime]['accuracy_std']:.4f}"
                     f" / {acc[runtime]['accuracy_at_default']:.4f}")
    verdict = "int8 qualifies" if acc["int8_minus_fp32_points"] >= -0.3 else "int8 does NOT qualify"
    lines.append(f"  int8 - fp32: {acc['int8_minus_fp32_points']:+.2f} points (limit -0.30): {verdict}")
    return "\n".join(lines)


def run_benchmark(args, settings) -> int:
    image_path = Path(args.image) if getattr(args, "image", None) else sample_portrait_path()
    summary = measure(settings, image_path, args.repeats)
    if getattr(args, "lfw", None):
        summary["lfw_devtest"] = runtime_accuracy(settings, Path(args.lfw))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(format_text(summary))
    if "lfw_devtest" in summary:
        print(_format_accuracy(summary["lfw_devtest"]))
    return 0

"""Text for people: how the command handlers print the result objects of kiosk.core.

The core computes and returns; only the command line (and the screen, for its own things)
presents. Each function takes a result and returns the text to print.
"""
from __future__ import annotations

from kiosk.core.evaluation.benchmark import TARGETS


def evaluation_report(r) -> str:
    """An `EvaluationReport` as aligned rows."""
    spread = "" if r.accuracy_std is None else f" ± {r.accuracy_std:.4f}"
    rows = [
        ("pairs", f"{r.pairs} ({r.protocol})"),
        ("accuracy", f"{r.accuracy:.4f}{spread}"),
        ("best threshold", f"{r.threshold:.4f}"),
        ("default threshold", f"{r.default_threshold:.4f} -> accuracy "
                              f"{r.accuracy_at_default:.4f}"),
        ("TAR @ FAR=1e-3", f"{r.tar_at_far_1e3:.4f}"),
        (f"FAR <= {r.far_target:g}", f"threshold {r.threshold_at_far_target:.4f} "
                                        f"(TAR {r.tar_at_far_target:.4f})"),
        ("EER", f"{r.eer:.4f} (threshold {r.eer_threshold:.4f})"),
        ("no face found", f"{r.no_face} pair(s); policy: {r.policy_no_face}"),
    ]
    return "\n".join(f"{name:<19} {value}" for name, value in rows)


def evaluation_run(run) -> str:
    """`kiosk evaluate`'s text: the report, then the images, the settings and the extras."""
    lines = [evaluation_report(run.report),
             f"images: {run.images}, with no face found: {run.no_face_images} "
             "(their pairs are counted as rejections)",
             f"runtime {run.runtime}, margin {run.margin}, align {run.align}"]
    if run.baseline_pixel is not None:
        b = run.baseline_pixel
        lines.append(f"course pixel baseline: accuracy {b.accuracy:.4f}, EER {b.eer:.4f}")
    if run.plot is not None:
        lines.append(f"ROC curve written to {run.plot}")
    return "\n".join(lines)


def calibration_run(run) -> str:
    lines = [f"{run.images} images: {run.genuine_pairs} same-person and {run.impostor_pairs}"
             " different-person pairs"]
    for p in run.points:
        lines.append(f"  FAR {p['far_target']:g}: threshold {p['threshold']:.4f}"
                     f" (measured FAR {p['far']:.2e}, TAR {p['tar']:.4f})")
    return "\n".join(lines)


def benchmark(summary: dict) -> str:
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


def runtime_accuracy(acc: dict) -> str:
    lines = ["LFW DevTest (10-fold accuracy / at the default verify threshold):"]
    for runtime in ("litert-fp32", "litert-int8"):
        lines.append(f"  {runtime:12} {acc[runtime]['accuracy']:.4f} ± {acc[runtime]['accuracy_std']:.4f}"
                     f" / {acc[runtime]['accuracy_at_default']:.4f}")
    verdict = "int8 qualifies" if acc["int8_minus_fp32_points"] >= -0.3 else "int8 does NOT qualify"
    lines.append(f"  int8 - fp32: {acc['int8_minus_fp32_points']:+.2f} points (limit -0.30): {verdict}")
    return "\n".join(lines)

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
    det, tf = summary["detect"], summary["detect_tf"]
    lines.append(f"  detection per frame (faces from {summary['live_min_face_px']} px, live screen):"
                 f" LiteRT {det['median']:.1f} ({det['p90']:.1f}) vs TensorFlow {tf['median']:.1f}"
                 f" ({tf['p90']:.1f}), same run")
    frame = summary["frame"]
    lines.append(f"  {'frame end to end (detect+embed+identify)':44} {frame['median']:7.1f} ({frame['p90']:.1f})")
    for runtime, stats in summary["embed"].items():
        b1, b8 = stats["batch1_ms"], stats["batch8_per_face_ms"]
        lines.append(f"  embed per face, {runtime:12} batch 1 {b1['median']:7.1f} ({b1['p90']:.1f})"
                     f"   batch 8 {b8['median']:6.1f} ({b8['p90']:.1f})")
    for key in ("identify_10k", "identify_100k"):
        lines.append(f"  {key.replace('_', ' over ') + ' templates':44} {summary[key]['median']:7.2f} ({summary[key]['p90']:.2f})")
    pad = summary["pad"]
    lines.append(f"  {'anti-spoofing per face (both models)':44} {pad['median']:7.2f} ({pad['p90']:.2f})")
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
    flip, gain, cost = acc["litert-int8+flip"], acc["flip_minus_int8_points"], acc["flip_cost_ratio"]
    lines.append(f"  {'int8 + flip':12} {flip['accuracy']:.4f} ± {flip['accuracy_std']:.4f}"
                 f" / {flip['accuracy_at_default']:.4f} (each face averaged with its mirror image)")
    lines.append(f"  flip - int8: {gain:+.2f} points at {cost:.2f}x the embedding time (needs >= +0.10 at < 2x):"
                 f" {'it would earn the default' if acc['flip_earns_default'] else 'not the default'}")
    return "\n".join(lines)


def pad_run(run) -> str:
    """`kiosk evaluate-pad`'s text: overall, per folder, and the thresholds for a BPCER."""
    def pct(value):
        return "-" if value is None else f"{value:.1%}"

    def num(value):
        return "-" if value is None else f"{value:.4g}"

    lines = [f"level {run.level}, threshold {run.threshold:g}: APCER {pct(run.apcer)} (attacks"
             f" accepted), BPCER {pct(run.bpcer)} (live people refused); {run.images} images,"
             f" no face in {run.no_face['live']} live and {run.no_face['attack']} attack images"]
    for folder, figures in run.per_folder.items():
        rate = ("APCER", figures.get("apcer")) if "apcer" in figures else ("BPCER", figures.get("bpcer"))
        lines.append(f"  {folder:40} {figures['images']:4} images, no face {figures['no_face']:3},"
                     f" {rate[0]} {pct(rate[1])}")
    lines.append(f"  threshold for BPCER <= 5%: {num(run.threshold_bpcer_5)} (APCER there"
                 f" {pct(run.apcer_at_bpcer_5)}); for BPCER <= 1%: {num(run.threshold_bpcer_1)}"
                 f" (APCER {pct(run.apcer_at_bpcer_1)}) — chosen on these photos: optimistic")
    if run.plot:
        lines.append(f"DET curve written to {run.plot}")
    return "\n".join(lines)


def store_benchmark(r) -> str:
    """`kiosk benchmark-store`'s text: a `StoreBenchmark` as aligned rows."""
    rows = [
        ("kiosks", f"{r.kiosks} for {r.seconds:g} s against {r.server}"),
        ("decisions/s held", f"{r.decisions_per_s:.2f} of {r.kiosks} (slowest kiosk"
                             f" {r.slowest_kiosk_per_s:.2f}/s; {r.decisions} in all)"),
        ("log write, ms", f"p50 {r.log_ms_p50:.1f}, p99 {r.log_ms_p99:.1f}, max {r.log_ms_max:.1f}"),
        ("change reaches all", f"median {r.reach_all_s_p50:.2f} s, max {r.reach_all_s_max:.2f} s"
                               f" over {r.changes} changes ({r.changes_not_reached} not everywhere"
                               " before the end)"),
        ("rows lost", f"{r.rows_lost} of {r.rows_logged} (stored twice: {r.rows_twice})"),
    ]
    if r.errors:
        rows.append(("errors", f"{r.errors}, the first: {r.first_error}"))
    return "\n".join(f"{name:<19} {value}" for name, value in rows)


def challenge_run(run) -> str:
    """`kiosk evaluate-challenge`'s text: flat attacks, genuine turns by band, the target."""
    s = run.settings
    lines = [f"head-turn challenge: turn {s['turn_deg']:g} deg, parallax {s['min_parallax']:g}-"
             f"{s['max_parallax']:g} IOD, confirm {s['confirm_frames']} frames, frontal <= "
             f"{s['frontal_max_deg']:g} deg (or the straightest of {s['settle_frames']} <= "
             f"{s['settle_max_deg']:g}), timeout {s['timeout_s']:g} s; {run.fps:g} fps, seed {run.seed}"]
    lines += _challenge_flat(run.flat)
    lines += _challenge_genuine(run.genuine) if run.genuine else ["genuine turns: not run (no --pairs)"]
    t = run.target
    verdict = "met" if t["met"] else "NOT met"
    lines.append(f"target (0 of >= {t['min_flat_attempts']} flat attempts pass, genuine >= "
                 f"{t['genuine_rate']:.0%}): {verdict}")
    return "\n".join(lines)


def _challenge_flat(f) -> list[str]:
    skipped = f"; {len(f.flat_photos_skipped)} photo(s) skipped (not exactly one face)" \
        if f.flat_photos_skipped else ""
    return [
        f"flat pictures: {f.flat_photos} photos x {f.flat_attempts_per_photo} attempts x "
        f"{f.flat_frames_per_attempt} frames ({f.flat_prints} prints, {f.flat_phones} phones){skipped}",
        f"  PASSED: {f.flat_passed} of {f.flat_attempts} (left first {f.flat_passed_by_order['left_first']},"
        f" right first {f.flat_passed_by_order['right_first']})",
        f"  took a frontal reference: {f.flat_reference_taken}; got past the first turn: "
        f"{f.flat_first_turn_done}; frames without exactly one live face: {f.flat_no_face_frames:.1%}"]


def _challenge_genuine(g) -> list[str]:
    def rate(figures) -> str:
        value = "-" if figures["rate"] is None else f"{figures['rate']:6.1%}"
        return f"{value} ({figures['passed']}/{figures['pairs']})"

    head = {"rate": g.genuine_rate, "passed": g.genuine_passed, "pairs": g.genuine_pairs}
    lines = [f"genuine turns: {g.genuine_same_pairs} same-person pairs ({g.genuine_no_face_pairs} with"
             f" a photo without a face), each photo re-filmed as {g.genuine_renders} frames",
             f"  NOTE: {g.genuine_selection}",
             f"  PASSED, turn {g.genuine_band_deg[0]:g}-{g.genuine_band_deg[1]:g} deg: {rate(head)};"
             f" of the failures, {g.genuine_no_reference} gave the check no frontal reference"]
    lines += [f"    turn {band:>5} deg: {rate(figures)}" for band, figures in g.by_turn.items()]
    return lines


def detector_run(run) -> str:
    """`kiosk evaluate-detector`'s text: false faces per frame, LFW's extra detections, the
    kiosk's defaults marked, then the unreadable files and the highest-scored false faces."""
    def mark(row) -> str:
        label = run.defaults.label(row["threshold"], row["min_face_px"])
        return f"  ({label} default)" if label else ""

    lines = [f"face-free: {run.pictures} pictures, {run.frames} frames of 640x480; false faces per frame"]
    lines += [f"  ONet > {r['threshold']:<5g} from {r['min_face_px']:3d} px: {r['false_faces_per_frame']:.4f}"
              f" ({r['false_faces']} face(s) in {r['frames_with_any']} frame(s)){mark(r)}" for r in run.face_free]
    if run.lfw:
        lines.append(f"LFW: {run.lfw_images} images; detections beside the subject, per image")
        lines += [f"  ONet > {r['threshold']:<5g} from {r['min_face_px']:3d} px: {r['extra_per_image']:.4f}"
                  f" ({r['extra']}); subject not found in {r['no_subject']}{mark(r)}" for r in run.lfw]
    lines += _detector_notes(run)
    return "\n".join(lines)


def _detector_notes(run) -> list[str]:
    lines = [f"unreadable, not counted: {len(run.unreadable)}"] if run.unreadable else []
    lines += [f"  {reason}" for reason in run.unreadable]
    if run.examples:
        lines.append(f"highest-scored false faces (from {run.min_sizes[0]} px; picture#frame, box x y w h, score):")
        lines += [f"  {name}  {' '.join(map(str, box))}  {score:.4f}" for name, box, score in run.examples]
    return lines

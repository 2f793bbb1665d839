"""The window, the self-test, the weights, and the measuring tools."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from kiosk.commands.common import load_settings, plot_path


def cmd_weights(args) -> int:
    """path: where the weights are; verify: every model file this kiosk trusts, by sha256;
    fetch: download the weights and build the exports the runtime needs."""
    from kiosk.core.models import weights

    settings = load_settings(args)
    if args.action == "path":
        print(weights.weights_file(settings.weights_path))
        return 0
    if args.action == "fetch":
        print(f"ok: {weights.fetch(settings.weights_path, force=args.force)} (sha256 matches)")
        _build_exports(settings)
    for line in _verify_model_files(settings):
        print(line)
    return 0


def _build_exports(settings) -> None:
    from kiosk.core.recognition.files import build_exports

    for path in build_exports(settings):
        print(f"ok: {path} (built or already there)")


def _verify_model_files(settings) -> list[str]:
    """One "ok: …" line per trusted file; WeightsError (exit 2) at the first that is not."""
    from kiosk.core.models import exports, weights
    from kiosk.core.recognition.files import required_exports
    from kiosk.core.vision import liveness

    lines = []
    if weights.weights_file(settings.weights_path).exists():  # a slim install ships exports only
        lines.append(f"ok: {weights.verify(settings.weights_path)} (sha256 matches)")
    for path in required_exports(settings):
        lines.append(f"ok: {exports.checked(path)} (sha256 as recorded when it was built)")
    for path in exports.verify_recorded(settings.weights_path):
        line = f"ok: {path} (sha256 as recorded when it was built)"
        if line not in lines:
            lines.append(line)
    return lines + [f"ok: {path} (anti-spoofing model, sha256 as committed)" for path in liveness.verify_files()]




def cmd_gui(args) -> int:
    from kiosk.ui.app import run_gui

    settings = load_settings(args)
    return run_gui(settings, camera=args.camera, mode=args.mode, fullscreen=bool(args.fullscreen),
                   quit_after_ms=args.quit_after_ms, demo=args.demo)


def cmd_benchmark_screen(args) -> int:
    """Run first thing in its process: its times count from the process start."""
    from kiosk.core.base.imageio import read_image_rgb
    from kiosk.selftest import builtin_frame_rgb, headless_defaults, portrait_path

    headless_defaults()
    from kiosk.ui.screen_benchmark import run

    return run(load_settings(args), read_image_rgb(portrait_path()), builtin_frame_rgb(),
               cycles=args.cycles, as_json=args.json, fullscreen=args.fullscreen)


def _progress(args, desc: str = "detecting", unit: str = "img"):
    """A progress bar on stderr for long loops (not with --json, whose output is read by programs)."""
    from tqdm import tqdm

    if getattr(args, "json", False):
        return iter
    return lambda items: tqdm(items, desc=desc, unit=unit, file=sys.stderr)


def cmd_evaluate(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.lfw import evaluate_pairs

    settings = load_settings(args)
    plot = plot_path(args.plot)  # before the long run
    run = evaluate_pairs(args.engine_factory(settings), Path(args.pairs), Path(args.images),
                         settings.verify_threshold, runtime=settings.runtime, limit=args.limit,
                         margin=args.margin, align=args.align,
                         baseline_pixel=args.baseline == "pixel",
                         plot=plot, progress=_progress(args))
    print(json.dumps(run.to_json_dict(), indent=2, default=str) if args.json
          else formatting.evaluation_run(run))
    return 0


def cmd_calibrate(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.lfw import calibrate_pairs

    settings = load_settings(args)
    run = calibrate_pairs(args.engine_factory(settings), Path(args.pairs), Path(args.images),
                          args.far, runtime=settings.runtime, progress=_progress(args))
    print(json.dumps(run.to_json_dict(), indent=2) if args.json else formatting.calibration_run(run))
    return 0


def cmd_evaluate_pad(args) -> int:
    from kiosk import formatting
    from kiosk.core.base.paths import committed_weights_dir
    from kiosk.core.evaluation.pad import evaluate_pad
    from kiosk.core.vision.liveness import PassiveLiveness

    settings = load_settings(args)
    plot = plot_path(args.plot)  # before the long run
    engine = args.engine_factory(settings)
    liveness = engine.liveness or PassiveLiveness(committed_weights_dir())
    run = evaluate_pad(engine, liveness, Path(args.live), Path(args.attack), settings.pad_threshold,
                       args.level or settings.security_level, plot, _progress(args))
    print(json.dumps(run.to_json_dict(), indent=2) if args.json else formatting.pad_run(run))
    return 0


def cmd_evaluate_challenge(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.challenge import evaluate_challenge

    settings = load_settings(args)
    run = evaluate_challenge(args.engine_factory(settings), [Path(p) for p in args.photos],
                             Path(args.pairs) if args.pairs else None,
                             Path(args.images) if args.images else None,
                             attempts_per_photo=args.attempts, frames=args.frames, seed=args.seed,
                             progress=_progress(args, "simulating", "it"))
    print(json.dumps(run.to_json_dict(), indent=2) if args.json else formatting.challenge_run(run))
    return 0


def cmd_evaluate_detector(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation.false_faces import DEFAULT_MIN_SIZES, DEFAULT_THRESHOLDS, evaluate_detector

    thresholds = _number_list(args.thresholds, float, "--thresholds") if args.thresholds else DEFAULT_THRESHOLDS
    min_sizes = _number_list(args.min_sizes, int, "--min-sizes") if args.min_sizes else DEFAULT_MIN_SIZES
    run = evaluate_detector(load_settings(args).weights_path, [Path(p) for p in args.face_free],
                            Path(args.lfw) if args.lfw else None, thresholds, min_sizes,
                            progress=lambda desc: _progress(args, desc))
    print(json.dumps(run.to_json_dict(), indent=2) if args.json else formatting.detector_run(run))
    return 0


def _number_list(text: str, convert, flag: str) -> list:
    """"0.8,0.9" -> [0.8, 0.9]; KioskError (one line, exit 2) for anything else."""
    from kiosk.core.base.errors import KioskError

    try:
        return [convert(part) for part in text.split(",")]
    except ValueError:
        raise KioskError(f"{flag}: expected comma-separated numbers, e.g. 0.8,0.9 or 20,40; got {text!r}") from None


def cmd_benchmark(args) -> int:
    from kiosk import formatting
    from kiosk.core.evaluation import benchmark

    summary = benchmark.run(load_settings(args), Path(args.image) if args.image else None,
                            args.repeats, Path(args.lfw) if args.lfw else None)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(formatting.benchmark(summary))
    if "lfw_devtest" in summary:
        print(formatting.runtime_accuracy(summary["lfw_devtest"]))
    return 0


def cmd_self_test(args) -> int:
    from kiosk.selftest import run_self_test

    return run_self_test(load_settings(args), args.images)

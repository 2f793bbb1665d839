"""``kiosk self-test [IMAGE...]``: does this installation work? Exit 0 only if every check passed.

It runs the same code as the kiosk, from source or frozen (PyInstaller), and prints one line
per check with ``ok`` or ``FAIL``, its time and what it saw:

1. *main window*: opened the way ``kiosk gui`` opens it (offscreen when there is no display),
   fed the built-in frame by a scripted camera; passes once the face model has loaded on the
   analysis thread and found the face, and the window has closed with every thread stopped.
   It runs first so that its two timings are a real cold start of this process.
2. *weights*: the FaceNet file is where the settings say, with the expected sha256; in a slim
   install (no TensorFlow, so no FaceNet file: it ships the LiteRT exports only) every recorded
   export there, with its recorded sha256;
3. *FaceNet embedder*: the LiteRT export (or the Keras model) loads;
4. *MTCNN detector*: its three networks and their bundled weights load;
5. *built-in frame*: matplotlib's portrait of Grace Hopper in a grey 640x480 frame gives exactly
   one face and a unit-norm embedding; the same face moved and smaller matches it (distance
   below the verify threshold); the face cut into shuffled 16 px tiles is no face at all and
   its embedding is far from the real one (a constant or broken embedder fails here);
6. each IMAGE given: at least one face found, every face embedded to a unit vector.

This module sits above both worlds, like the CLI, and imports neither Qt (the window check is
``kiosk.ui.window_check``) nor TensorFlow (only the core modules it calls do).
"""
from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.proctime import process_age_s

log = logging.getLogger(__name__)

PORTRAIT_FILE = "grace_hopper.jpg"
TILE_PX = 16  # the scrambled face: 16x16 px tiles in a fixed random order
WINDOW_TIMEOUT_S = 180.0  # a cold start from a cold disk on a slow PC


class CheckFailed(KioskError):
    """A check ran but what it saw was wrong."""


class CheckSkipped(KioskError):
    """A check that needs something an earlier check could not load."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name:30} {self.seconds:6.2f} s  {self.detail}"


# --- the frames ---------------------------------------------------------------------------
def portrait_path() -> Path:
    """The built-in portrait: a copy bundled with a frozen build, else matplotlib's sample."""
    from kiosk.core.base import paths

    bundle = paths.bundle_dir()
    if bundle is not None and (bundle / "resources" / PORTRAIT_FILE).is_file():
        return bundle / "resources" / PORTRAIT_FILE
    from kiosk.core.evaluation.benchmark import sample_portrait_path

    return sample_portrait_path()


def builtin_frame_rgb(face_height_px: int = 220) -> np.ndarray:
    """(480, 640, 3) uint8 RGB: the portrait, ``face_height_px`` tall, centred on grey."""
    from kiosk.core.base.imageio import read_image_rgb
    from kiosk.core.evaluation.benchmark import one_face_frame

    return one_face_frame(read_image_rgb(portrait_path()), face_height_px)


def moved_frame_rgb() -> np.ndarray:
    """The same portrait smaller (180 px) and moved 70 px right, 20 px down."""
    return np.roll(builtin_frame_rgb(180), (20, 70), axis=(0, 1))


def scrambled_rgb(image_rgb: np.ndarray, box_xywh: Sequence[int], seed: int = 0) -> np.ndarray:
    """A copy with the box's pixels cut into TILE_PX tiles and put back in a random order."""
    x, y, w, h = box_xywh
    rows, cols = h // TILE_PX, w // TILE_PX
    out = image_rgb.copy()
    region = out[y:y + rows * TILE_PX, x:x + cols * TILE_PX]
    tiles = region.reshape(rows, TILE_PX, cols, TILE_PX, 3).swapaxes(1, 2).reshape(-1, TILE_PX, TILE_PX, 3)
    tiles = tiles[np.random.default_rng(seed).permutation(len(tiles))]
    region[:] = tiles.reshape(rows, cols, TILE_PX, TILE_PX, 3).swapaxes(1, 2).reshape(region.shape)
    return out


# --- the window ---------------------------------------------------------------------------
def open_and_close_window(settings, frame_rgb: np.ndarray, timeout_s: float) -> str:
    """Open the front desk on a throw-away store, wait for the model to see the face, close it.

    The window is built exactly as ``kiosk gui`` builds it (real engine factory, model loaded
    on the analysis thread); only the camera is a scripted one playing ``frame_rgb``.
    """
    from kiosk.ui import window_check

    run = window_check.open_and_close_window(settings, frame_rgb, timeout_s,
                                             clock_s=lambda: process_age_s()[0])
    origin = process_age_s()[1]
    if not run.visible:
        raise CheckFailed("the main window did not become visible")
    if run.model_failure:
        raise CheckFailed(f"the window opened, but the face model failed: {run.model_failure}")
    if "first face" not in run.times:
        raise CheckFailed(f"no face seen in the window within {timeout_s:.0f} s ({run.times or 'model not ready'})")
    if not run.threads_stopped:
        raise CheckFailed("the window closed but a kiosk thread is still running")
    return (f"{run.platform} window shown at {run.shown_s:.1f} s, model ready at "
            f"{run.times['model ready']:.1f} s, face seen at {run.times['first face']:.1f} s "
            f"after {origin}; closed, threads stopped")


# --- the checks ---------------------------------------------------------------------------
class SelfTest:
    """The checks in order; later ones reuse what earlier ones loaded."""

    def __init__(self, settings, images: Sequence[str] = ()):
        self.settings = settings
        self.images = list(images)
        self.embedder = None
        self.detector = None
        self.engine = None
        self.reference = None  # (Face, embedding) of the built-in frame

    def checks(self) -> list[tuple[str, Callable[[], str]]]:
        return [("main window", self.check_window), ("weights", self.check_weights),
                ("FaceNet embedder", self.check_embedder), ("MTCNN detector", self.check_detector),
                ("anti-spoofing models", self.check_liveness),
                ("built-in frame: one face", self.check_builtin),
                ("built-in: moved face matches", self.check_moved),
                ("built-in: scrambled face", self.check_scrambled),
                *[(f"image {Path(p).name}", lambda p=p: self.check_image(p)) for p in self.images]]

    def check_window(self) -> str:
        return open_and_close_window(self.settings, builtin_frame_rgb(), WINDOW_TIMEOUT_S)

    def check_weights(self) -> str:
        from kiosk.core.base.specs import DEFAULT_MODEL
        from kiosk.core.models import exports, weights
        from kiosk.core.recognition.files import required_exports

        folder = self.settings.weights_path
        needed = required_exports(self.settings)  # FaceNet's and MTCNN's exports (none for keras)
        if (not weights.weights_file(folder).exists() and needed
                and all(p.name in exports.recorded(folder) for p in needed)):  # a slim install
            checked = exports.verify_recorded(folder)  # raises at the first changed export
            return (f"no {DEFAULT_MODEL.weights_file} (exports only); {len(checked)} exports, "
                    f"sha256 as recorded, in {folder}")
        path = weights.verify(folder)  # raises unless the sha256 matches
        return f"{path.name}, sha256 {DEFAULT_MODEL.weights_sha256[:16]}… as expected, in {path.parent}"

    def check_embedder(self) -> str:
        from kiosk.core.embedding import facenet_litert as litert
        from kiosk.core.embedding.loader import load_embedder
        from kiosk.core.models.litert import interpreter_class

        runtime = self.settings.runtime
        self.embedder = load_embedder(self.settings.weights_path, runtime)
        if runtime not in litert.QUANTISATIONS:
            return f"runtime {runtime}: the Keras model rebuilt from the weights"
        export = litert.export_path(self.settings.weights_path, runtime)
        interpreter = interpreter_class().__module__.split(".")[0]
        return (f"runtime {runtime}: {export.name} ({export.stat().st_size / 1e6:.1f} MB) "
                f"on {interpreter}, {self.embedder.dim}-d output")

    def check_detector(self) -> str:
        """The runtime's detector: the LiteRT exports (sha256-checked) for the LiteRT runtimes,
        MTCNN on TensorFlow for ``keras``."""
        from kiosk.core.vision.loader import load_detector

        s = self.settings
        self.detector = load_detector(s.weights_path, s.runtime, s.min_face_px)
        return f"PNet, RNet, ONet loaded ({type(self.detector).__name__}, min face {self.detector.min_face_px} px)"

    def check_liveness(self) -> str:
        """The models the security level needs, sha256-checked; a missing or changed one is a
        FAIL here and a kiosk that opens no door (never a silent drop to a lower level)."""
        from kiosk.core.vision.liveness import load_liveness

        level = self.settings.security_level
        pad = load_liveness(level)
        if pad is None:
            return f"security level {level}: no anti-spoofing model needed"
        names = " + ".join(m.file for m in pad.spec.models)
        return f"security level {level}: {names} loaded, sha256 as committed"

    def check_builtin(self) -> str:
        face, embedding = self._engine().encode_one(builtin_frame_rgb(), "the built-in frame")
        _check_unit_vector(embedding, self.engine.embedder.dim)
        self.reference = face, embedding
        return (f"1 face at {face.box_xywh} (x, y, w, h), confidence {face.confidence:.3f}; "
                f"{embedding.shape[0]}-d embedding, norm {np.linalg.norm(embedding):.4f}")

    def check_moved(self) -> str:
        _, reference = self._reference()
        face, embedding = self._engine().encode_one(moved_frame_rgb(), "the moved frame")
        distance = float(np.linalg.norm(embedding - reference))
        threshold = self.settings.verify_threshold
        if distance >= threshold:
            raise CheckFailed(f"distance {distance:.3f} >= verify threshold {threshold:.2f}: the same face does not match")
        return f"face at {face.box_xywh}, distance {distance:.3f} < verify threshold {threshold:.2f}"

    def check_scrambled(self) -> str:
        face, reference = self._reference()
        scrambled = scrambled_rgb(builtin_frame_rgb(), face.box_xywh)
        found = self._engine().detect(scrambled)
        distance = float(np.linalg.norm(self.engine.embed(scrambled, [face])[0] - reference))
        threshold = self.settings.verify_threshold
        if found or distance <= threshold:
            raise CheckFailed(f"{len(found)} face(s) found, distance {distance:.3f} (want 0 faces and > {threshold:.2f})")
        return f"no face found; distance {distance:.3f} > verify threshold {threshold:.2f}"

    def check_image(self, path: str) -> str:
        from kiosk.core.base.imageio import read_image_rgb

        image_rgb = read_image_rgb(path)
        faces = self._engine().detect(image_rgb)
        if not faces:
            raise CheckFailed(f"no face found in {path} ({image_rgb.shape[1]}x{image_rgb.shape[0]})")
        for embedding in self.engine.embed(image_rgb, faces):
            _check_unit_vector(embedding, self.engine.embedder.dim)
        boxes = ", ".join(str(f.box_xywh) for f in faces[:4]) + (" …" if len(faces) > 4 else "")
        return f"{len(faces)} face(s) at {boxes}, each a {self.engine.embedder.dim}-d unit embedding"

    def _engine(self):
        if self.engine is None:
            if self.detector is None or self.embedder is None:
                raise CheckSkipped("skipped: the detector or the embedder did not load")
            from kiosk.core.recognition.engine import Engine

            self.engine = Engine(self.detector, self.embedder, self.settings.margin_fraction,
                                 self.settings.min_face_px)
        return self.engine

    def _reference(self):
        if self.reference is None:
            raise CheckSkipped("skipped: the built-in frame gave no reference face")
        return self.reference


def _check_unit_vector(embedding: np.ndarray, dim: int) -> None:
    if embedding.shape != (dim,) or not np.all(np.isfinite(embedding)):
        raise CheckFailed(f"embedding of shape {embedding.shape}, finite: {np.all(np.isfinite(embedding))}")
    if abs(float(np.linalg.norm(embedding)) - 1.0) > 1e-3:
        raise CheckFailed(f"embedding norm {np.linalg.norm(embedding):.4f}, expected 1")


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check; any exception is a FAIL whose detail says what went wrong."""
    start = time.perf_counter()
    try:
        detail, ok = check(), True
    except (CheckFailed, CheckSkipped) as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # a self-test reports every failure and goes on
        log.debug("self-test check %r failed", name, exc_info=True)
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return CheckResult(name, ok, detail, time.perf_counter() - start)


def headless_defaults() -> None:
    """Offscreen Qt when there is no display; TensorFlow's C++ start-up chatter off."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _header(settings) -> str:
    from kiosk import __version__

    build = "frozen build" if getattr(sys, "frozen", False) else "from source"
    return (f"kiosk {__version__} self-test ({build}, Python {sys.version.split()[0]}, {sys.platform}); "
            f"runtime {settings.runtime}, weights in {settings.weights_path}")


def run_self_test(settings, images: Sequence[str] = (), out: Callable[[str], None] = print) -> int:
    """Run every check, print one line each and a summary; 0 if all passed, else 1."""
    headless_defaults()
    started = time.perf_counter()
    out(_header(settings))
    results = []
    for name, check in SelfTest(settings, images).checks():
        results.append(run_check(name, check))
        out(results[-1].line())
    failed = [r.name for r in results if not r.ok]
    elapsed = time.perf_counter() - started
    if failed:
        out(f"self-test FAILED: {len(failed)} of {len(results)} checks ({', '.join(failed)}), {elapsed:.1f} s")
        return 1
    out(f"self-test passed: {len(results)} checks in {elapsed:.1f} s")
    return 0

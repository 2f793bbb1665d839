"""``kiosk benchmark-screen``: the front desk's own speed, as a person at the door sees it.

Run in a fresh process (times are read from the process start, see kiosk.core.base.proctime):
the real window, the real engine built on the analysis thread, and a camera that plays
640x480 frames at 30 fps showing either an empty grey scene or one real face (the same
built-in portrait as ``kiosk benchmark``), so the moment a face "walks in" is known exactly.

1. *window visible*: process start -> the main window is shown;
2. *ready*: process start -> the models are loaded and warmed up on the analysis thread;
3. the portrait (the photo file, not the frame) is enrolled, encoded on the analysis thread; then
   ``cycles`` times: an empty scene for ``gap_s``, then the face until "Welcome, …" is shown
   and ``hold_s`` longer (a person does not vanish when the door opens).
   *decision latency* = the decision reaching the screen - the first camera frame with the
   face; it includes waiting for a free analysis slot and the ``consecutive_frames`` analysed
   frames the kiosk asks for before it welcomes anyone;
4. *preview fps* (frames the view drew per second), *analysis fps* and *camera fps*, sampled
   while the face is in view, i.e. while the model is busy.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from kiosk.core.base.proctime import process_age_s
from kiosk.core.base.vocabulary import DecisionKind, ModelState
from kiosk.ui.window_check import throwaway_window

CAMERA_FPS = 30.0
TARGETS = {"window_visible_s": 2.0, "ready_s": 1.5, "preview_fps": 25.0, "decision_ms": 300.0}


class PresenceCamera:
    """A CameraSource showing an empty scene or the face; notes when the face first went out."""

    description = "benchmark camera"
    pace_fps = CAMERA_FPS

    def __init__(self, empty_bgr: np.ndarray, face_bgr: np.ndarray):
        self._frames = {False: empty_bgr, True: face_bgr}
        self._lock = threading.Lock()
        self._present = False
        self.face_out_at: float | None = None  # perf_counter() of the first face frame read

    def present(self, on: bool) -> None:
        with self._lock:
            self._present, self.face_out_at = on, None

    def open(self) -> None:
        pass

    def read(self) -> np.ndarray:
        with self._lock:
            if self._present and self.face_out_at is None:
                self.face_out_at = time.perf_counter()
            return self._frames[self._present]

    def close(self) -> None:
        pass


@dataclass
class ScreenReport:
    platform: str = ""
    window_size: str = ""  # "1920x1080": the window the preview is painted in
    window_visible_s: float = 0.0
    ready_s: float = 0.0
    decision_ms: list[float] = field(default_factory=list)
    preview_fps: list[float] = field(default_factory=list)
    analysis_fps: list[float] = field(default_factory=list)
    camera_fps: list[float] = field(default_factory=list)
    failure: str = ""

    def summary(self) -> dict:
        def stats(values):
            if not values:
                return None
            return {"median": round(float(np.median(values)), 1),
                    "p90": round(float(np.percentile(values, 90)), 1), "n": len(values)}

        return {"platform": self.platform, "window_size": self.window_size, "window_visible_s": round(self.window_visible_s, 2),
                "ready_s": round(self.ready_s, 2), "decision_ms": stats(self.decision_ms),
                "preview_fps": stats(self.preview_fps), "analysis_fps": stats(self.analysis_fps),
                "camera_fps": stats(self.camera_fps), "targets": TARGETS, "failure": self.failure}


class _Run(QObject):
    """Drives the cycles from the GUI thread's event loop; quits `loop` when done."""

    def __init__(self, window, camera: PresenceCamera, portrait_rgb: np.ndarray, cycles: int,
                 gap_s: float, hold_s: float, timeout_s: float, loop: QEventLoop,
                 report: ScreenReport):
        super().__init__()
        self.window, self.controller, self.camera = window, window.controller, camera
        self.portrait_rgb, self.cycles = portrait_rgb, cycles
        self.gap_ms, self.hold_ms = int(gap_s * 1000), int(hold_s * 1000)
        self.loop, self.report = loop, report
        self.waiting_since: float | None = None  # the face is in view, no welcome yet
        self.face_in_view = False
        self.controller.modelChanged.connect(self.on_model)
        self.controller.decided.connect(self.on_decided)
        self.sampler = QTimer(self, interval=250)
        self.sampler.timeout.connect(self.sample)
        self.deadline = QTimer(self, singleShot=True, interval=int(timeout_s * 1000))
        self.timeout_s = timeout_s
        self.deadline.timeout.connect(self.timed_out)
        self.deadline.start()

    def fail(self, message: str) -> None:
        self.report.failure = self.report.failure or message
        self.loop.quit()

    @Slot(object)
    def on_model(self, model) -> None:
        if model.state == ModelState.FAILED:
            self.fail(f"the face model failed: {model.message}")
        elif model.state == ModelState.READY:
            self.report.ready_s = process_age_s()[0]
            self.enrol()

    def enrol(self) -> None:
        """The portrait becomes an enrolled person, encoded on the analysis thread."""
        handle = self.controller.submit(lambda desk: desk.enrol(
            "Grace", [desk.encode_image(self.portrait_rgb, "portrait")]))
        handle.returned.connect(self.enrolled)
        handle.errored.connect(self.enrol_failed)

    @Slot()
    def timed_out(self) -> None:
        self.fail(f"not finished within {self.timeout_s:.0f} s")

    @Slot(object)
    def enrol_failed(self, exc: Exception) -> None:
        self.fail(f"enrolling the portrait failed: {exc}")

    @Slot(object)
    def enrolled(self, _person) -> None:
        self.sampler.start()
        QTimer.singleShot(self.gap_ms, self.face_in)

    @Slot()
    def face_in(self) -> None:
        self.camera.present(True)
        self.face_in_view = True
        self.waiting_since = time.perf_counter()

    @Slot()
    def face_out(self) -> None:
        self.camera.present(False)
        self.face_in_view = False
        if len(self.report.decision_ms) >= self.cycles:
            self.loop.quit()
        else:
            QTimer.singleShot(self.gap_ms, self.face_in)

    @Slot(object)
    def on_decided(self, decision) -> None:
        if self.waiting_since is None or decision.kind != DecisionKind.WELCOME:
            return
        QApplication.processEvents()  # the panel's repaint is part of "shown"
        shown_at = time.perf_counter()
        face_at = self.camera.face_out_at or self.waiting_since
        self.report.decision_ms.append((shown_at - face_at) * 1000)
        self.waiting_since = None
        QTimer.singleShot(self.hold_ms, self.face_out)

    @Slot()
    def sample(self) -> None:
        if not self.face_in_view:
            return  # only while the face is in view: the model then detects and embeds
        self.report.preview_fps.append(self.window.live_view.fps())
        self.report.analysis_fps.append(self.controller.analysis_fps())
        self.report.camera_fps.append(self.controller.camera_status().fps)


def measure(settings, portrait_rgb: np.ndarray, frame_rgb: np.ndarray, *, cycles: int = 10,
            gap_s: float = 1.5, hold_s: float = 1.0, timeout_s: float = 300.0,
            fullscreen: bool = False) -> ScreenReport:
    """Open the front desk on a throw-away store and measure it (see the module's doc);
    ``fullscreen``: on the whole screen, as a kiosk shows it (the preview paints the most)."""
    empty_bgr = np.full_like(frame_rgb, 110)
    camera = PresenceCamera(empty_bgr, np.ascontiguousarray(frame_rgb[:, :, ::-1]))
    # One welcome per visit: the cooldown outlasts the stay but not the gap to the next one.
    settings = settings.replace(cooldown_s=hold_s + gap_s / 2)
    with throwaway_window(settings, lambda: camera, "kiosk-bench-") as (app, window):
        report = ScreenReport(platform=app.platformName())
        loop = QEventLoop()
        run = _Run(window, camera, portrait_rgb, cycles, gap_s, hold_s, timeout_s, loop, report)
        window.start()
        if fullscreen:
            window.show_full_screen()
        report.window_visible_s = process_age_s()[0]
        if not window.isVisible():
            report.failure = "the main window did not become visible"
        else:
            loop.exec()
        run.sampler.stop()
        run.deadline.stop()
        report.window_size = f"{window.width()}x{window.height()}"
    if window.controller.threads_running():
        report.failure = report.failure or "the window closed but a kiosk thread is still running"
    return report


def format_text(summary: dict) -> str:
    def line(label, key, unit, better):
        value = summary[key]
        target = TARGETS.get(key)
        if isinstance(value, dict):
            text = f"median {value['median']:.1f} {unit}, p90 {value['p90']:.1f} (n={value['n']})"
        elif value is None:
            text = "not measured"
        else:
            text = f"{value:.2f} {unit}"
        goal = f"   target {better} {target:g} {unit}" if target is not None else ""
        return f"  {label:33} {text}{goal}"

    lines = [f"front-desk screen ({summary['platform']} platform, window {summary['window_size']},"
             f" camera {CAMERA_FPS:g} fps, 640x480):",
             line("window visible after launch", "window_visible_s", "s", "<="),
             line("ready to recognise", "ready_s", "s", "<="),
             line("decision after the face appears", "decision_ms", "ms", "<="),
             line("preview, face in view", "preview_fps", "fps", ">="),
             line("analysis, face in view", "analysis_fps", "fps", ""),
             line("camera", "camera_fps", "fps", "")]
    if summary["failure"]:
        lines.append(f"FAILED: {summary['failure']}")
    return "\n".join(lines)


def run(settings, portrait_rgb: np.ndarray, frame_rgb: np.ndarray, *, cycles: int,
        as_json: bool, fullscreen: bool = False) -> int:
    summary = measure(settings, portrait_rgb, frame_rgb, cycles=cycles, fullscreen=fullscreen).summary()
    print(json.dumps(summary, indent=2) if as_json else format_text(summary))
    return 1 if summary["failure"] else 0


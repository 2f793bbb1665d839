"""The front desk opened as ``kiosk gui`` opens it, on a throw-away store, for a check.

``throwaway_window`` is shared by the self-test's window check (``open_and_close_window``,
whose ``WindowRun`` ``kiosk.selftest`` turns into ``ok`` or ``FAIL``) and by
``kiosk benchmark-screen``. Qt lives here so that ``kiosk.selftest`` needs no PySide6 import.
"""
from __future__ import annotations

import contextlib
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from kiosk.core.base.vocabulary import ModelState
from kiosk.core.camera.sources import ScriptedCamera
from kiosk.core.storage.store import open_store
from kiosk.ui.app import build_window
from kiosk.ui.display import check_display


@dataclass
class WindowRun:
    """What happened, with times from ``clock_s`` (seconds, the caller's origin)."""
    platform: str
    visible: bool
    shown_s: float | None = None
    times: dict[str, float] = field(default_factory=dict)  # "model ready", "first face"
    model_failure: str = ""
    threads_stopped: bool = False


class _Watch(QObject):
    """Records when the model got ready and when it first drew a face box; stops the loop."""

    def __init__(self, controller, loop: QEventLoop, clock_s: Callable[[], float], run: WindowRun):
        super().__init__()
        self.loop, self.clock_s, self.run = loop, clock_s, run
        controller.modelChanged.connect(self.on_model)
        controller.marksChanged.connect(self.on_marks)

    @Slot(object)
    def on_model(self, model) -> None:
        if model.state == ModelState.READY:
            self.run.times.setdefault("model ready", self.clock_s())
        elif model.state == ModelState.FAILED:
            self.run.model_failure = model.message
            self.loop.quit()

    @Slot(object)
    def on_marks(self, marks) -> None:
        if marks.marks and "first face" not in self.run.times:
            self.run.times["first face"] = self.clock_s()
            self.loop.quit()


@contextlib.contextmanager
def throwaway_window(settings, camera: Callable, prefix: str = "kiosk-check-") -> Iterator:
    """(app, window): the real window and engine factory on a temporary data dir, not yet
    started; closed (threads stopped) and the data dir deleted on the way out.
    Raises DisplayError first when there is no usable screen (see kiosk.ui.display)."""
    if QApplication.instance() is None:
        check_display()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        settings = settings.replace(data_dir=tmp)
        with open_store(settings) as store:
            window = build_window(settings, store, camera=camera)
            try:
                yield app, window
            finally:
                window.force_close()
                app.processEvents()


def open_and_close_window(settings, frame_rgb: np.ndarray, timeout_s: float,
                          clock_s: Callable[[], float]) -> WindowRun:
    """The real window (real engine factory) on a throw-away store, fed ``frame_rgb``."""
    frame_bgr = np.ascontiguousarray(frame_rgb[:, :, ::-1])
    camera = ScriptedCamera([frame_bgr], fps=10.0, description="self-test frame")
    with throwaway_window(settings, lambda: camera, "kiosk-selftest-") as (app, window):
        run = WindowRun(platform=app.platformName(), visible=False)
        loop = QEventLoop()
        watch = _Watch(window.controller, loop, clock_s, run)
        timeout = QTimer(singleShot=True, interval=int(timeout_s * 1000))
        timeout.timeout.connect(loop.quit)
        timeout.start()
        window.start()
        run.visible = window.isVisible()
        if run.visible:
            run.shown_s = clock_s()
            loop.exec()
        timeout.stop()
        del watch
    run.threads_stopped = not window.controller.threads_running() and not window.isVisible()
    return run

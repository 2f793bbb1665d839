"""Launch the front-desk screen: `run_gui(settings, camera=..., mode=..., fullscreen=...)`.

The command line is `kiosk gui` (kiosk.cli); `python main.py` is the same. `demo=True` needs
neither a webcam nor the face model: colour cards play the people (see kiosk.core.fakes).
SIGINT (Ctrl-C) and SIGTERM close the window cleanly: every thread is stopped and joined.
"""
from __future__ import annotations

import contextlib
import logging
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from kiosk.core.base.errors import KioskError
from kiosk.ui.admin import AdminGate
from kiosk.ui.controller import KioskController
from kiosk.ui.main_window import MainWindow
from kiosk.ui.prompter import DialogPrompter, Prompter
from kiosk.ui.worker import real_engine

log = logging.getLogger(__name__)


class SignalWatcher(QObject):
    """Lets Python run its signal handlers while Qt's event loop is busy in C++."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.received: int | None = None
        self._timer = QTimer(self, interval=200)
        self._timer.timeout.connect(self._wake)
        self._previous = {}

    def install(self) -> "SignalWatcher":
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        self._timer.start()
        return self

    def uninstall(self) -> None:
        self._timer.stop()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum, _frame) -> None:
        log.info("signal %s: closing the kiosk", signal.Signals(signum).name)
        self.received = signum
        QTimer.singleShot(0, self.window.force_close)

    @Slot()
    def _wake(self) -> None:
        pass  # returning to Python is the point: pending signal handlers run now


def build_window(settings, store, *, camera=None, engine_factory: Callable = real_engine,
                 kiosk_mode: bool = False, prompter: Prompter | None = None,
                 chimes=None, liveness_dir: Path | None = None, **controller_options) -> MainWindow:
    """The window, its front desk and its controller, not yet shown nor started.

    ``prompter`` asks the person at the screen (Qt's dialogs over the window by default);
    ``liveness_dir`` holds the anti-spoofing models a security level chosen at run time loads
    (None: the committed weights/)."""
    from kiosk.core.frontdesk.desk import FrontDesk
    from kiosk.core.frontdesk.doors import door_driver
    from kiosk.core.frontdesk.pin import PinGate

    desk = FrontDesk(store, settings, door_output=door_driver(settings), liveness_dir=liveness_dir)
    controller = KioskController(desk, camera=camera, engine_factory=engine_factory,
                                 **controller_options)
    ask = prompter or LatePrompter()
    gate = AdminGate(PinGate(store), ask, nobody_enrolled=lambda: not store.people())
    window = MainWindow(controller, gate, ask, kiosk_mode=kiosk_mode, chimes=chimes)
    if isinstance(ask, LatePrompter):
        ask.parent = window
    return window


class LatePrompter(DialogPrompter):
    """Qt's dialogs over the main window, which exists only after its prompter."""


def run_gui(settings, *, camera: str | None = None, mode: str | None = None,
            fullscreen: bool = False, quit_after_ms: int | None = None,
            demo: bool = False) -> int:
    """Open the front desk and run until the window closes; returns the exit code.

    Raises DisplayError, before anything else starts, when there is no usable screen.
    """
    from kiosk.core.storage.store import open_store
    from kiosk.ui.display import check_display

    if QApplication.instance() is None:
        check_display()

    settings = settings.replace(camera=camera or settings.camera, mode=mode or settings.mode,
                                fullscreen=fullscreen or settings.fullscreen)
    t0 = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Front desk")
    with contextlib.ExitStack() as scratch:
        options = {}
        if demo:
            demo_dir = scratch.enter_context(tempfile.TemporaryDirectory(prefix="kiosk-demo-"))
            options = _demo_options(settings.replace(data_dir=demo_dir))
        settings = options.pop("settings", settings)
        try:
            store = open_store(settings)
        except KioskError as exc:
            return _fail(str(exc), quiet=quit_after_ms is not None)
        try:
            _check_kiosk_mode(settings, store)
            window = build_window(settings, store, kiosk_mode=settings.fullscreen, **options)
        except KioskError as exc:
            store.close()
            return _fail(str(exc), quiet=quit_after_ms is not None)
        try:
            return _run(app, window, quit_after_ms, t0)
        finally:
            store.close()


def _check_kiosk_mode(settings, store) -> None:
    """Full screen is the unattended kiosk: it may not start without an admin PIN."""
    from kiosk.core.base.errors import PinError
    from kiosk.core.frontdesk.pin import PinGate

    if settings.fullscreen and not PinGate(store).is_set():
        raise PinError("the kiosk does not start in full screen without an admin PIN: set one"
                       " with `kiosk admin set-pin` on this computer first")


def _run(app, window, quit_after_ms, t0) -> int:
    watcher = SignalWatcher(window).install()
    window.start()
    log.info("window shown %.0f ms after launch", (time.perf_counter() - t0) * 1000)
    if quit_after_ms is not None:
        QTimer.singleShot(quit_after_ms, window.force_close)
    try:
        code = app.exec()
    finally:
        window.shutdown()
        watcher.uninstall()
    return code  # a signal is a normal way to stop a kiosk: clean exit, code 0


def _demo_options(settings) -> dict:
    """A fake engine, a colour-card camera and two people in the (throw-away) data dir."""
    from kiosk.core import fakes
    from kiosk.core.storage.store import open_store

    with open_store(settings) as store:
        fakes.enrol_demo_people(store)
    camera = fakes.demo_camera()
    return {"settings": settings, "camera": lambda: camera, "engine_factory": fakes.fake_engine}


def _fail(message: str, quiet: bool) -> int:
    log.error("cannot start the kiosk: %s", message)
    if not quiet:
        QMessageBox.critical(None, "Front desk", f"The kiosk cannot start:\n{message}")
    return 2

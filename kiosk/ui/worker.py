"""The analysis thread: builds the models in its own run(), then runs the front desk on the
newest frame.

Signals follow one vocabulary (as superqt's workers): ``started`` and ``finished`` (QThread's
own), ``ready`` once the models are built, ``yielded`` with each immutable `DeskUpdate`,
``returned`` when run() ends normally, ``errored`` with the exception object itself.
Frames are never queued: the loop waits for a frame newer than the last one it analysed.
Every decision and its access-log row are made here, by `FrontDesk`, never on the GUI thread.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import bgr_to_rgb
from kiosk.core.camera.frames import LatestFrame, RateMeter
from kiosk.core.frontdesk.desk import FrontDesk
from kiosk.core.frontdesk.updates import DeskUpdate

log = logging.getLogger(__name__)

EngineFactory = Callable[[Any], Any]  # settings -> Engine (Engine.load or fakes.fake_engine)
Job = Callable[[FrontDesk], Any]  # run on the analysis thread, with the models loaded
FRAME_WAIT_S = 0.1  # also how often the desk's clock is looked at without frames


def real_engine(settings):
    """Engine.load, then warmed up: "ready" on screen means the first face is fast too.
    (Imported here so that `import kiosk.ui` stays instant.)"""
    from kiosk.core.recognition.engine import Engine

    engine = Engine.load(settings)
    engine.warm_up()
    return engine


class JobHandle(QObject):
    """One call run on the analysis thread; its signals arrive on the GUI thread."""

    returned = Signal(object)
    errored = Signal(object)
    finished = Signal()

    def __init__(self, fn: Job):
        super().__init__()
        self.fn = fn

    def run(self, desk: FrontDesk) -> None:
        try:
            self.returned.emit(self.fn(desk))
        except Exception as exc:  # handed to the caller, who shows it
            if not isinstance(exc, KioskError):
                log.exception("a job on the analysis thread failed")
            self.errored.emit(exc)
        finally:
            self.finished.emit()

    def fail(self, exc: Exception) -> None:
        self.errored.emit(exc)
        self.finished.emit()


class AnalysisWorker(QThread):
    ready = Signal(str)  # the model id, once the models are built
    yielded = Signal(object)  # a DeskUpdate: each analysed frame, and whatever time decided
    returned = Signal(int)  # frames analysed, when run() ends normally
    errored = Signal(object)  # the exception object

    def __init__(self, frames: LatestFrame, desk: FrontDesk, *,
                 engine_factory: EngineFactory = real_engine, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("kiosk-analysis")
        self._frames = frames
        self._desk = desk
        self._engine_factory = engine_factory
        self._stop = threading.Event()
        self._jobs: queue.Queue[JobHandle] = queue.Queue()
        self._handles: set[JobHandle] = set()  # alive until their signals are delivered
        self.meter = RateMeter(window=10)
        self.last_ms = 0.0
        # A job put in the queue after run()'s last _fail_jobs but before isFinished() turns
        # true would otherwise wait forever: `finished` reaches the GUI thread after both.
        self.finished.connect(self._fail_late_jobs)

    # --- called from the GUI thread -----------------------------------------------------
    def submit(self, fn: Job) -> JobHandle:
        """Run `fn(desk)` on this thread between two frames, once the models are loaded."""
        handle = JobHandle(fn)
        # The caller may drop the handle at once. Were its last reference then released on
        # the analysis thread, the QObject would be deleted there while its queued signals are
        # still on their way to the GUI thread (a segfault when they go to a lambda); so it
        # is kept here until its `finished` has reached the GUI thread.
        self._handles.add(handle)
        handle.finished.connect(self._release_handle)
        # Queued on the GUI thread's next turn: by then the caller has connected its slots (a
        # signal emitted before a slot is connected reaches nobody, and this thread may run
        # the job at once).
        QTimer.singleShot(0, lambda: self._enqueue(handle))
        return handle

    def _enqueue(self, handle: JobHandle) -> None:
        self._jobs.put(handle)
        if self.isFinished():  # nobody will run it any more
            self._fail_late_jobs()

    def jobs_in_flight(self) -> int:
        """Jobs submitted whose signals have not all reached the GUI thread yet."""
        return len(self._handles)

    def stop(self) -> None:
        """Ask the loop to end (returns at once; then call wait())."""
        self._stop.set()

    # --- the thread ---------------------------------------------------------------------
    def run(self) -> None:
        engine = self._build_engine()
        if engine is None:
            self._fail_jobs(KioskError("the face model is not available"))
            return
        self._desk.use_engine(engine)
        self.ready.emit(engine.model_id)
        count = self._loop()
        self._fail_jobs(KioskError("the kiosk is closing"))
        self.returned.emit(count)

    def _build_engine(self):
        try:
            return self._engine_factory(self._desk.settings)
        except Exception as exc:
            if isinstance(exc, KioskError):  # a missing or damaged file: its one-line reason
                log.error("building the face model failed: %s", exc)
            else:
                log.exception("building the face model failed")
            self.errored.emit(exc)
            return None

    def _loop(self) -> int:
        seq, count = 0, 0
        while not self._stop.is_set():
            self._run_jobs()
            self._emit(self._guarded(self._desk.tick))
            seq, frame_bgr = self._frames.get_newer(seq, timeout_s=FRAME_WAIT_S)
            if frame_bgr is not None and not self._stop.is_set():
                count += self._analyse(seq, frame_bgr)
        return count

    def _run_jobs(self) -> None:
        while not self._stop.is_set():
            try:
                handle = self._jobs.get_nowait()
            except queue.Empty:
                return
            handle.run(self._desk)

    def _analyse(self, seq: int, frame_bgr) -> int:
        frame_rgb = bgr_to_rgb(frame_bgr)  # the one colour conversion of a camera frame
        update = self._guarded(lambda: self._desk.step(frame_rgb, seq))
        if update is None:
            return 0
        self.meter.tick()
        self.last_ms = update.analysis_ms
        self._emit(update)
        return 1

    def _guarded(self, call) -> DeskUpdate | None:
        """``call()``, with any error reported (one bad frame must not end the kiosk)."""
        try:
            return call()
        except KioskError as exc:
            self.errored.emit(exc)
        except Exception as exc:
            log.exception("the front desk failed on a frame")
            self.errored.emit(exc)
        return None

    def _emit(self, update: DeskUpdate | None) -> None:
        if update is not None and not update.empty:
            self.yielded.emit(update)

    @Slot()
    def _release_handle(self) -> None:
        self._handles.discard(self.sender())

    @Slot()
    def _fail_late_jobs(self) -> None:
        self._fail_jobs(KioskError("the face model is not running"))

    def _fail_jobs(self, exc: Exception) -> None:
        while True:
            try:
                handle = self._jobs.get_nowait()
            except queue.Empty:
                return
            handle.fail(exc)

"""The analysis thread: builds the models in its own run(), then analyses the newest frame.

Signals follow one vocabulary (as superqt's workers): ``started`` and ``finished`` (QThread's
own), ``ready`` once the models are built, ``yielded`` with each immutable LiveResult,
``returned`` when run() ends normally, ``errored`` with the exception object itself.
Frames are never queued: the loop waits for a frame newer than the last one it analysed.
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
from kiosk.core.frontdesk.live import Task, analyse_live

log = logging.getLogger(__name__)

EngineFactory = Callable[[Any], Any]  # settings -> Engine (Engine.load or fakes.fake_engine)
Job = Callable[[Any, Any], Any]  # (engine, gallery) -> result, run on the analysis thread


def real_engine(settings):
    """Engine.load, then warmed up: "ready" on screen means the first face is fast too.
    (Imported here so that `import kiosk.ui` stays instant.)"""
    from kiosk.core.recognition.engine import Engine

    engine = Engine.load(settings)
    engine.warm_up()
    return engine


def gallery_from_store(store, engine):
    from kiosk.core.recognition.matching import Gallery

    return Gallery.from_store(store, engine.model_id, engine.embedder.dim)


class JobHandle(QObject):
    """One call run on the analysis thread; its signals arrive on the GUI thread."""

    returned = Signal(object)
    errored = Signal(object)
    finished = Signal()

    def __init__(self, fn: Job):
        super().__init__()
        self.fn = fn

    def run(self, engine, gallery) -> None:
        try:
            self.returned.emit(self.fn(engine, gallery))
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
    yielded = Signal(object)  # one LiveResult per analysed frame
    returned = Signal(int)  # frames analysed, when run() ends normally
    errored = Signal(object)  # the exception object
    galleryLoaded = Signal(int)  # templates in the gallery now in use

    def __init__(self, frames: LatestFrame, store, settings, *,
                 engine_factory: EngineFactory = real_engine,
                 gallery_factory: Callable = gallery_from_store, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("kiosk-analysis")
        self._frames = frames
        self._store = store
        self._settings = settings
        self._engine_factory = engine_factory
        self._gallery_factory = gallery_factory
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._reload.set()
        self._lock = threading.Lock()
        self._task = Task()
        self._jobs: queue.Queue[JobHandle] = queue.Queue()
        self._handles: set[JobHandle] = set()  # alive until their signals are delivered
        self.meter = RateMeter(window=10)
        self.last_ms = 0.0
        # A job put in the queue after run()'s last _fail_jobs but before isFinished() turns
        # true would otherwise wait forever: `finished` reaches the GUI thread after both.
        self.finished.connect(self._fail_late_jobs)

    # --- called from the GUI thread -----------------------------------------------------
    def set_task(self, task: Task) -> None:
        with self._lock:
            self._task = task

    def task(self) -> Task:
        with self._lock:
            return self._task

    def reload_gallery(self) -> None:
        self._reload.set()

    def submit(self, fn: Job) -> JobHandle:
        """Run `fn(engine, gallery)` on this thread between two frames."""
        handle = JobHandle(fn)
        # The caller may drop the handle at once. Were its last reference then released on
        # the analysis thread, the QObject would be deleted there while its queued signals are
        # still on their way to the GUI thread (a segfault when they go to a lambda); so it
        # is kept here until its `finished` has reached the GUI thread.
        self._handles.add(handle)
        handle.finished.connect(self._release_handle)
        self._jobs.put(handle)
        if self.isFinished():  # nobody will run it any more; fail after the caller connects
            QTimer.singleShot(0, self._fail_late_jobs)
        return handle

    def stop(self) -> None:
        """Ask the loop to end (returns at once; then call wait())."""
        self._stop.set()

    # --- the thread ---------------------------------------------------------------------
    def run(self) -> None:
        engine = self._build_engine()
        if engine is None:
            self._fail_jobs(KioskError("the face model is not available"))
            return
        self.ready.emit(engine.model_id)
        count = self._loop(engine)
        self._fail_jobs(KioskError("the kiosk is closing"))
        self.returned.emit(count)

    def _build_engine(self):
        try:
            return self._engine_factory(self._settings)
        except Exception as exc:
            log.exception("building the face model failed")
            self.errored.emit(exc)
            return None

    def _loop(self, engine) -> int:
        seq, count, gallery = 0, 0, None
        while not self._stop.is_set():
            gallery = self._refresh_gallery(engine, gallery)
            self._run_jobs(engine, gallery)
            seq, frame_bgr = self._frames.get_newer(seq, timeout_s=0.1)
            if frame_bgr is not None and not self._stop.is_set():
                count += self._analyse(engine, gallery, seq, frame_bgr)
        return count

    def _refresh_gallery(self, engine, gallery):
        if not self._reload.is_set():
            return gallery
        self._reload.clear()
        try:
            gallery = self._gallery_factory(self._store, engine)
        except Exception as exc:
            log.exception("loading the enrolled faces failed")
            self.errored.emit(exc)
            return gallery
        self.galleryLoaded.emit(len(gallery))
        return gallery

    def _run_jobs(self, engine, gallery) -> None:
        while not self._stop.is_set():
            try:
                handle = self._jobs.get_nowait()
            except queue.Empty:
                return
            handle.run(engine, gallery)

    def _analyse(self, engine, gallery, seq: int, frame_bgr) -> int:
        try:
            frame_rgb = bgr_to_rgb(frame_bgr)  # the one colour conversion of a camera frame
            result = analyse_live(engine, frame_rgb, gallery, self.task(), seq)
        except KioskError as exc:
            self.errored.emit(exc)
            return 0
        except Exception as exc:  # one bad frame must not end the kiosk
            log.exception("analysing a frame failed")
            self.errored.emit(exc)
            return 0
        self.meter.tick()
        self.last_ms = result.total_ms
        self.yielded.emit(result)
        return 1

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

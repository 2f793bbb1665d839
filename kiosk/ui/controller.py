"""The front desk's Qt glue: capture loop + analysis worker in, decisions and marks out.

The decisions themselves are made by `kiosk.core.frontdesk.decisions` (Qt-free, unit-tested); this
object only routes results to the tracker or the verify session, logs each decision, keeps
the door open for its time, and owns the threads so that one `shutdown()` stops them all.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from kiosk.core.base import settings as settings_mod
from kiosk.core.base.errors import KioskError, UnknownPersonError
from kiosk.core.camera.capture import CameraStatus, CaptureLoop
from kiosk.core.camera.frames import LatestFrame
from kiosk.core.frontdesk import decisions
from kiosk.core.frontdesk.decisions import Decision, RecognizeTracker, VerifySession
from kiosk.core.frontdesk.live import ENROL, RECOGNIZE, VERIFY, LiveResult, Task
from kiosk.ui.qt_compat import MainThreadGc
from kiosk.ui.worker import AnalysisWorker, JobHandle, real_engine

log = logging.getLogger(__name__)

STARTING, READY, FAILED = "starting", "ready", "failed"
SWITCH_WAIT_S = 0.5
PENDING, DONE = "pending", "done"


@dataclass(frozen=True)
class ModelState:
    state: str  # STARTING, READY or FAILED
    model_id: str = ""
    message: str = ""


@dataclass(frozen=True)
class Marks:
    """Face boxes of one analysed frame, in that frame's pixels."""

    seq: int
    frame_shape: tuple[int, int]
    marks: tuple[decisions.FaceMark, ...]


class KioskController(QObject):
    decided = Signal(object)  # Decision
    prompted = Signal(str)  # verify prompt ("" when none)
    marksChanged = Signal(object)  # Marks
    doorChanged = Signal(bool)
    modelChanged = Signal(object)  # ModelState
    modeChanged = Signal(str)
    enrolFrame = Signal(object)  # LiveResult of ENROL tasks
    galleryChanged = Signal(int)  # templates in use

    def __init__(self, settings, store, *, camera: str | Callable | None = None,
                 engine_factory: Callable = real_engine, frames: LatestFrame | None = None,
                 camera_backoff_s: tuple[float, float] = (0.5, 8.0),
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.frames = frames or LatestFrame()
        self._camera = camera if camera is not None else settings.camera
        self._backoff_s = camera_backoff_s
        self._clock = clock
        self.model = ModelState(STARTING)
        self.capture = CaptureLoop(self._camera, self.frames, camera_backoff_s)
        self.worker = AnalysisWorker(self.frames, store, settings, engine_factory=engine_factory)
        self.tracker = RecognizeTracker.from_settings(settings, clock)
        self.session: VerifySession | None = None
        self._gallery_refresh: str | None = None
        self._enrolling_for: int | None = None
        self._door = _single_shot(self, self._close_door)
        self._ticker = QTimer(self, interval=200)
        self._ticker.timeout.connect(self._tick)
        self._gc = MainThreadGc(self)
        self._wire_worker()

    def _wire_worker(self) -> None:
        self.worker.ready.connect(self._on_ready)
        self.worker.errored.connect(self._on_error)
        self.worker.yielded.connect(self._on_result)
        self.worker.galleryLoaded.connect(self._on_gallery_loaded)

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._gc.start()  # before any thread: cycles are then collected on this thread only
        self.capture.start()
        self.worker.set_task(self._idle_task())
        self.worker.start()
        self._ticker.start()

    def shutdown(self) -> None:
        """Stop every thread (event flags, then wait/join); safe to call twice."""
        self._ticker.stop()
        self._door.stop()
        self.worker.stop()
        self.capture.stop()
        self.worker.wait()
        self._gc.stop()

    def threads_running(self) -> bool:
        return self.worker.isRunning() or self.capture.is_running()

    # --- state for the status line -----------------------------------------------------
    def camera_status(self) -> CameraStatus:
        return self.capture.status()

    def analysis_fps(self) -> float:
        return self.worker.meter.rate()

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def model_id(self) -> str:
        return self.model.model_id

    # --- commands -----------------------------------------------------------------------
    def set_camera(self, camera: str | Callable) -> None:
        """Switch to another source (a camera string or a CameraSource factory).

        The GUI thread waits at most SWITCH_WAIT_S for the old capture thread: a driver hung
        in a read must not freeze the window (the old thread then ends on its own).
        """
        self.capture.stop(timeout_s=SWITCH_WAIT_S)
        self._camera = camera
        self.capture = CaptureLoop(camera, self.frames, self._backoff_s).start()

    def set_mode(self, mode: str) -> None:
        self.apply_settings(self.settings.replace(mode=mode), persist=False)

    def apply_settings(self, new, persist: bool = True) -> None:
        """Save the changed keys, then use the new settings (camera switched if it changed).

        A save that fails raises SettingsError and changes nothing.
        """
        changed = tuple(k for k in settings_mod.Settings.__dataclass_fields__
                        if getattr(self.settings, k) != getattr(new, k))
        if persist and changed:
            settings_mod.save(new, changed)
        self.settings = new
        if "camera" in changed:
            self.set_camera(new.camera)
        self.tracker = RecognizeTracker.from_settings(new, self._clock)
        self._end_session()
        self.worker.set_task(self._idle_task())
        if "mode" in changed:
            self.modeChanged.emit(new.mode)

    def claim(self, text: str) -> Decision | None:
        """A typed or scanned employee id / name (verify mode). Returns an immediate decision."""
        text = text.strip()
        if not text:
            return None
        try:
            person = self.store.find_person(text)
        except UnknownPersonError:
            return self._announce(decisions.unknown_claim(text))
        if self._templates_of(person) == 0:
            return self._announce(decisions.no_templates(text, person))
        self.session = VerifySession.from_settings(text, person, self.settings, self._clock)
        self._gallery_refresh = None  # None, PENDING or DONE, for this session
        self.worker.set_task(self._task(VERIFY, person.person_id))
        self.prompted.emit(self.session.prompt)
        return None

    def begin_enrolment(self, person_id: int | None = None) -> None:
        """Coach an enrolment: analysed frames go to `enrolFrame`, nobody is announced."""
        self._end_session()
        self._enrolling_for = person_id
        self.worker.set_task(self._task(ENROL, person_id))

    def end_enrolment(self) -> None:
        self._enrolling_for = None
        self.worker.set_task(self._idle_task())

    def reload_gallery(self) -> None:
        self.worker.reload_gallery()

    def submit(self, fn) -> JobHandle:
        return self.worker.submit(fn)

    # --- slots --------------------------------------------------------------------------
    @Slot(str)
    def _on_ready(self, model_id: str) -> None:
        self.model = ModelState(READY, model_id)
        self.modelChanged.emit(self.model)

    @Slot(object)
    def _on_error(self, exc: Exception) -> None:
        if self.model.state == STARTING:
            self.model = ModelState(FAILED, message=str(exc) or type(exc).__name__)
            self.modelChanged.emit(self.model)
        else:
            log.warning("analysis: %s", exc)

    @Slot(object)
    def _on_result(self, result: LiveResult) -> None:
        faces = result.analysis.faces
        show_names = result.task.kind == RECOGNIZE
        self.marksChanged.emit(Marks(result.seq, result.frame_shape,
                                     decisions.marks_for(faces, show_names)))
        if result.task.kind == ENROL:
            self.enrolFrame.emit(result)
        elif result.task.kind == RECOGNIZE and self.settings.mode == RECOGNIZE:
            for decision in self.tracker.update(faces):
                self._announce(decision)
        elif self._for_session(result) and result.claim_without_templates:
            self._claim_not_in_gallery()
        elif self._for_session(result):
            self._finish_session(self.session.update(result.verify_match))

    def _claim_not_in_gallery(self) -> None:
        """claim() found templates in the store, so the worker's gallery may predate them
        (someone enrolled with `kiosk enroll` meanwhile): reload it once; if the claimed
        person is still missing after that, they have no templates for this model."""
        if self._gallery_refresh is None:
            self._gallery_refresh = PENDING
            self.worker.reload_gallery()
        elif self._gallery_refresh == DONE:
            self._finish_session(decisions.no_templates(self.session.claim, self.session.person))

    @Slot(int)
    def _on_gallery_loaded(self, templates: int) -> None:
        # Results queued before this signal were analysed with the old gallery; later ones
        # with the new one (the worker emits both, in order).
        if self._gallery_refresh == PENDING:
            self._gallery_refresh = DONE
        self.galleryChanged.emit(templates)

    @Slot()
    def _tick(self) -> None:
        if self.session is not None:
            self._finish_session(self.session.poll())

    @Slot()
    def _close_door(self) -> None:
        self.doorChanged.emit(False)

    # --- helpers ------------------------------------------------------------------------
    def _task(self, kind: str, person_id: int | None = None) -> Task:
        return Task(kind, person_id, self.settings.identify_threshold,
                    self.settings.verify_threshold)

    def _idle_task(self) -> Task:
        if self._enrolling_for is not None:
            return self._task(ENROL, self._enrolling_for)
        return self._task(RECOGNIZE if self.settings.mode == RECOGNIZE else VERIFY)

    def _templates_of(self, person) -> int:
        if not self.model.model_id:
            return person.template_count
        return next((p.template_count for p in self.store.people(self.model.model_id)
                     if p.person_id == person.person_id), 0)

    def _for_session(self, result: LiveResult) -> bool:
        return (self.session is not None and result.task.kind == VERIFY
                and result.task.person_id == self.session.person.person_id)

    def _finish_session(self, decision: Decision | None) -> None:
        if decision is None:
            return
        self._end_session()
        self.worker.set_task(self._idle_task())
        self._announce(decision)

    def _end_session(self) -> None:
        if self.session is not None:
            self.session = None
            self.prompted.emit("")

    def _announce(self, decision: Decision) -> Decision:
        try:
            decisions.log_decision(self.store, decision)
        except KioskError as exc:  # the decision stands even if the log cannot be written
            log.error("could not write the access log: %s", exc)
        if decision.door_open_s > 0:
            self._door.start(int(decision.door_open_s * 1000))
            self.doorChanged.emit(True)
        self.decided.emit(decision)
        return decision


def _single_shot(parent: QObject, slot) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.timeout.connect(slot)
    return timer

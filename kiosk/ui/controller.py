"""The front desk's Qt glue: it moves work between threads and turns results into signals.

Every rule lives in `kiosk.core.frontdesk.desk.FrontDesk` (Qt-free, tested without Qt),
which runs on the analysis thread: this object starts and stops the capture and analysis
threads, hands commands (a claim, an enrolment, new settings) to that thread as jobs, and
re-emits each `DeskUpdate` as signals the widgets connect to.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from kiosk.core.base import settings as settings_mod
from kiosk.core.base.vocabulary import Mode, ModelState
from kiosk.core.camera.capture import CameraStatus, CaptureLoop
from kiosk.core.camera.frames import LatestFrame
from kiosk.core.frontdesk.desk import FrontDesk
from kiosk.core.frontdesk.updates import DeskUpdate
from kiosk.ui.qt_compat import MainThreadGc
from kiosk.ui.worker import AnalysisWorker, Job, JobHandle, real_engine

log = logging.getLogger(__name__)

SWITCH_WAIT_S = 0.5


@dataclass(frozen=True)
class ModelStatus:
    state: ModelState
    model_id: str = ""
    message: str = ""


class KioskController(QObject):
    decided = Signal(object)  # Decision
    prompted = Signal(str)  # verify prompt ("" when none)
    marksChanged = Signal(object)  # Marks
    doorChanged = Signal(bool)
    modelChanged = Signal(object)  # ModelStatus
    modeChanged = Signal(str)  # Mode
    enrolFrame = Signal(object)  # EnrolCandidate, while enrolling
    galleryChanged = Signal(int)  # templates in use

    def __init__(self, desk: FrontDesk, *, camera: str | Callable | None = None,
                 engine_factory: Callable = real_engine, frames: LatestFrame | None = None,
                 camera_backoff_s: tuple[float, float] = (0.5, 8.0),
                 parent: QObject | None = None):
        super().__init__(parent)
        self.desk = desk
        self.settings = desk.settings  # what the screen shows; the desk's copy decides
        self.frames = frames or LatestFrame()
        self._backoff_s = camera_backoff_s
        self.model = ModelStatus(ModelState.STARTING)
        self.capture = CaptureLoop(camera if camera is not None else self.settings.camera,
                                   self.frames, camera_backoff_s)
        self.worker = AnalysisWorker(self.frames, desk, engine_factory=engine_factory)
        self._gc = MainThreadGc(self)
        self.worker.ready.connect(self._on_ready)
        self.worker.errored.connect(self._on_error)
        self.worker.yielded.connect(self._on_update)

    @property
    def store(self):
        return self.desk.store

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        self._gc.start()  # before any thread: cycles are then collected on this thread only
        self.capture.start()
        self.worker.start()

    def shutdown(self) -> None:
        """Stop every thread (event flags, then wait/join), the door output last (it leaves a
        relay de-energised); safe to call twice."""
        self.worker.stop()
        self.capture.stop()
        self.worker.wait()
        if self.desk.door_output is not None:
            self.desk.door_output.close()
        self._gc.stop()

    def threads_running(self) -> bool:
        return self.worker.isRunning() or self.capture.is_running()

    # --- state for the status line -----------------------------------------------------
    def camera_status(self) -> CameraStatus:
        return self.capture.status()

    def analysis_fps(self) -> float:
        return self.worker.meter.rate()

    def door_health(self):
        """The door output's `DoorHealth` (None without an output)."""
        output = self.desk.door_output
        return None if output is None else output.health()

    @property
    def mode(self) -> Mode:
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
        self.capture = CaptureLoop(camera, self.frames, self._backoff_s).start()

    def set_mode(self, mode: Mode) -> None:
        self.apply_settings(self.settings.replace(mode=mode), persist=False)

    def apply_settings(self, new, persist: bool = True) -> None:
        """Save the changed keys, then use the new settings (camera switched if it changed).

        A save that fails raises SettingsError and changes nothing.
        """
        changed = settings_mod.changed_keys(self.settings, new)
        if persist and changed:
            settings_mod.save(new, changed)
        self.settings = new
        if "camera" in changed:
            self.set_camera(new.camera)
        handle = self.command(lambda desk: desk.apply_settings(new))
        handle.returned.connect(self._on_settings_applied)
        handle.errored.connect(self._on_settings_failed)
        if "mode" in changed:
            self.modeChanged.emit(new.mode)

    def claim(self, text: str) -> None:
        """A typed or scanned employee id / name (verify mode); the answer comes as signals."""
        self.command(lambda desk: desk.claim(text))

    def begin_enrolment(self, person_id: int | None = None) -> None:
        """Coach an enrolment: analysed frames go to `enrolFrame`, nobody is announced."""
        self.command(lambda desk: desk.begin_enrolment(person_id))

    def end_enrolment(self) -> None:
        self.command(lambda desk: desk.end_enrolment())

    def command(self, fn: Callable[[FrontDesk], DeskUpdate]) -> JobHandle:
        """Run a desk command on the analysis thread; its DeskUpdate is shown like any other."""
        handle = self.submit(fn)
        handle.returned.connect(self._on_update)
        return handle

    def submit(self, fn: Job) -> JobHandle:
        return self.worker.submit(fn)

    # --- slots --------------------------------------------------------------------------
    @Slot(str)
    def _on_ready(self, model_id: str) -> None:
        self._set_model(ModelStatus(ModelState.READY, model_id))

    @Slot(object)
    def _on_error(self, exc: Exception) -> None:
        if self.model.state == ModelState.STARTING:
            self._set_model(ModelStatus(ModelState.FAILED, message=_reason(exc)))
        else:
            log.warning("analysis: %s", exc)

    @Slot(object)
    def _on_settings_applied(self, _update: DeskUpdate) -> None:
        """The desk uses the new settings: a security level whose models failed before works now."""
        if self.model.state == ModelState.FAILED and self.model.model_id:
            self._set_model(ModelStatus(ModelState.READY, self.model.model_id))

    @Slot(object)
    def _on_settings_failed(self, exc: Exception) -> None:
        """The desk cannot use the new settings (an anti-spoofing model missing or damaged): it
        keeps them and lets nobody in, so the screen shows the model as failed, with the reason.
        (A job also fails when the model never started, or the kiosk is closing: not this.)"""
        if not (self.model.model_id and self.worker.isRunning()):
            log.warning("the settings could not be applied: %s", exc)
            return
        log.error("the settings could not be applied, nobody is let in: %s", exc)
        self._set_model(ModelStatus(ModelState.FAILED, self.model.model_id, _reason(exc)))
        self.prompted.emit("")  # the desk ended any claim or head turn with them

    def _set_model(self, status: ModelStatus) -> None:
        self.model = status
        self.modelChanged.emit(status)

    @Slot(object)
    def _on_update(self, update: DeskUpdate) -> None:
        if update.gallery_size is not None:
            self.galleryChanged.emit(update.gallery_size)
        if update.marks is not None:
            self.marksChanged.emit(update.marks)
        if update.enrol is not None:
            self.enrolFrame.emit(update.enrol)
        if update.prompt is not None:
            self.prompted.emit(update.prompt)
        for decision in update.decisions:
            self.decided.emit(decision)
        if update.door_open is not None:
            self.doorChanged.emit(update.door_open)


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__

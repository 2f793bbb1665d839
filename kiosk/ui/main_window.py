"""The front-desk window: wires the controller to the widgets and the admin actions.

It computes nothing: decisions come from the front desk through the controller, the drawing
from LiveView; every admin action asks the PIN first (AdminActions, AdminGate), and every
question to the person at the screen goes through the prompter it is given.

Kiosk mode (full screen) is what a visitor sees: no toolbar, no technical status line; the
window stays on top and returns to full screen when minimised or covered; the admin menu
opens with Ctrl+Alt+A or a long press in the top-right corner, after the PIN.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Slot
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QVBoxLayout, QWidget

from kiosk.core.base.errors import KioskError
from kiosk.core.base.vocabulary import CameraState, Mode, ModelState
from kiosk.ui.admin import AdminGate
from kiosk.ui.admin_actions import AdminActions, CornerHotspot
from kiosk.ui.controller import KioskController, ModelStatus
from kiosk.ui.decision_panel import DecisionPanel
from kiosk.ui.enrol_dialog import EnrolDialog
from kiosk.ui.live_view import LiveView
from kiosk.ui.log_dialog import LogDialog
from kiosk.ui.people_dialog import PeopleDialog
from kiosk.ui.prompter import Prompter
from kiosk.ui.report_dialog import ReportDialog
from kiosk.ui.screen_fit import fit_to_screen
from kiosk.ui.settings_dialog import SettingsDialog
from kiosk.ui.sound import Chimes
from kiosk.ui.widgets import (
    IDLE_TEXT,
    NOBODY_ENROLLED,
    VIDEO_FILTER,
    CameraBanner,
    ClaimEntry,
    StatusLine,
)

log = logging.getLogger(__name__)

STARTING_TEXT = "Starting… the face model is loading"
NO_PICTURE = "No picture from the camera"
CAMERA_DOWN_TEXT = "The camera is not working — please see reception"
PLACEHOLDERS = {CameraState.CONNECTING: "Starting the camera…",
                CameraState.LIVE: "Starting the camera…"}
WINDOW_CSS = ("QMainWindow, #central { background: #12151b; }"
              " QToolBar { background: #1b1f27; border: none; }"
              " QToolButton { color: #dfe5ee; background: transparent; border: none;"
              " font-size: 14px; padding: 5px 10px; }"
              " QToolButton:hover { background: #2c3442; border-radius: 4px; }")
GUARD_MS = 2000  # how often kiosk mode makes sure it is in front and full screen


class MainWindow(QMainWindow):
    def __init__(self, controller: KioskController, admin: AdminGate, prompter: Prompter, *,
                 kiosk_mode: bool = False, chimes: Chimes | None = None):
        super().__init__()
        self.controller, self.admin, self.prompter = controller, admin, prompter
        self.chimes = chimes or Chimes()
        self.kiosk_mode = False
        self.shut_down = False
        self._force = False
        self._enrolled: int | None = None
        self._door_open = False
        self._camera_working = True
        self.setWindowTitle("Front desk")
        self.setStyleSheet(WINDOW_CSS)
        self._build()
        self.admin_actions = AdminActions(self, admin, self._handlers())
        self.addToolBar(self.admin_actions.toolbar)
        self.corner = CornerHotspot(self)
        self._wire()
        self._set_kiosk_mode(kiosk_mode)
        self._on_mode(controller.mode)
        self._on_model(controller.model)

    # --- building -----------------------------------------------------------------------
    def _build(self) -> None:
        self.banner = CameraBanner()
        self.live_view = LiveView(self.controller.frames)
        self.panel = DecisionPanel()
        self.claim_entry = ClaimEntry()
        self.status_line = StatusLine()
        central = QWidget(objectName="central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 6, 10, 6)
        for widget, stretch in ((self.banner, 0), (self.live_view, 1), (self.panel, 0),
                                (self.claim_entry, 0), (self.status_line, 0)):
            layout.addWidget(widget, stretch)
        self.setCentralWidget(central)
        self._status_timer = QTimer(self, interval=500)
        self._status_timer.timeout.connect(self.refresh_status)
        self._guard = QTimer(self, interval=GUARD_MS)
        self._guard.timeout.connect(self._keep_in_front)

    def _handlers(self) -> dict:
        return {"enrol": lambda: self.open_enrol(None), "people": self.open_people,
                "log": self.open_log, "report": self.open_report, "settings": self.open_settings,
                "pin": self.admin.change_pin, "mode": self._switch_mode,
                "fullscreen": self.toggle_fullscreen, "quit": self._quit}

    def _wire(self) -> None:
        c = self.controller
        c.marksChanged.connect(self.live_view.set_marks)
        c.marksChanged.connect(self._on_marks)
        c.decided.connect(self.panel.show_decision)
        c.decided.connect(self._chime)
        c.prompted.connect(self.panel.show_prompt)
        c.modelChanged.connect(self._on_model)
        c.modeChanged.connect(self._on_mode)
        c.doorChanged.connect(self._on_door)
        c.doorChanged.connect(self.panel.set_door_open)
        c.galleryChanged.connect(self._on_gallery)
        self.claim_entry.claimed.connect(self._on_claim)
        self.banner.sourceRequested.connect(self._on_source_requested)
        self.corner.longPressed.connect(self.admin_actions.open_menu)

    @property
    def actions_by_name(self) -> dict:
        return self.admin_actions.by_name

    def start(self) -> None:
        """Show the window first, then start the threads (the model loads behind it)."""
        fit_to_screen(self, QSize(1024, 768))
        self.show_full_screen() if self.kiosk_mode else self.show()
        self.controller.start()
        self._status_timer.start()
        self.refresh_status()

    # --- slots from the controller ------------------------------------------------------
    @Slot()
    def refresh_status(self) -> None:
        c = self.controller
        camera = c.camera_status()
        self.banner.show_status(camera)
        self.live_view.set_placeholder(PLACEHOLDERS.get(camera.state, NO_PICTURE))
        self.live_view.set_camera_trouble("" if camera.state in PLACEHOLDERS else CAMERA_DOWN_TEXT)
        self._camera_ok(camera.state in PLACEHOLDERS)
        door = c.door_health()
        self.status_line.show_state(
            camera=camera, preview_fps=self.live_view.fps(), analysis_fps=c.analysis_fps(),
            analysis_ms=c.worker.last_ms, model=c.model.state, mode=c.mode,
            door_open=self._door_open, enrolled=self._enrolled,
            door=door.summary() if door is not None else "", store=self._store_trouble())

    def _store_trouble(self) -> str:
        """The shared store's outage, for the admin ("" when online; never asks the server)."""
        try:
            status = self.controller.store.status()
        except KioskError as exc:
            return f"store: {exc}"
        return "" if status.online else "store " + status.summary

    @Slot(object)
    def _chime(self, decision) -> None:
        if self.controller.settings.sound:
            self.chimes.play(decision.accepted)

    @Slot(object)
    def _on_marks(self, marks) -> None:
        self.panel.set_faces_in_view(bool(marks.marks))

    @Slot(bool)
    def _on_door(self, is_open: bool) -> None:
        self._door_open = is_open
        self.refresh_status()

    @Slot(int)
    def _on_gallery(self, count: int) -> None:
        self._enrolled = count
        self._refresh_idle()

    @Slot(object)
    def _on_model(self, model: ModelStatus) -> None:
        self.banner.model_message = (f"The face model could not be loaded: {model.message}"
                                     if model.state == ModelState.FAILED else "")
        self._refresh_idle()
        self.refresh_status()

    def _camera_ok(self, ok: bool) -> None:
        if ok != self._camera_working:
            self._camera_working = ok
            if not ok:
                self.panel.set_faces_in_view(False)  # nobody can be seen any more
            self._refresh_idle()

    def _refresh_idle(self) -> None:
        """The panel's resting text: it depends on the model's state, the camera, the mode
        and whether anyone is enrolled yet (it never invites people to a dead camera)."""
        state = self.controller.model.state
        idle = IDLE_TEXT[self.controller.mode] if state == ModelState.READY else STARTING_TEXT
        if state == ModelState.FAILED:
            idle = "Face recognition is unavailable — please see reception"
        elif not self._camera_working:
            idle = CAMERA_DOWN_TEXT
        first_run = state == ModelState.READY and self._enrolled == 0
        self.panel.set_idle_text(idle, NOBODY_ENROLLED if first_run else "")

    @Slot(str)
    def _on_mode(self, mode: str) -> None:
        verify = mode == Mode.VERIFY
        self.claim_entry.setVisible(verify)
        if verify:
            self.claim_entry.edit.setFocus()
        self._refresh_idle()
        self.refresh_status()

    @Slot(str)
    def _on_claim(self, text: str) -> None:
        self.controller.claim(text)

    @Slot(str)
    def _on_source_requested(self, kind: str) -> None:
        """The banner's "play a video / a folder": the PIN first, then the file dialog."""
        if not self.admin.unlock("Change the camera"):
            return
        path = (self.prompter.open_file("Play a video file", VIDEO_FILTER) if kind == "video"
                else self.prompter.open_folder("Play a folder of photos"))
        if path:  # for this session only: not saved
            self.controller.apply_settings(self.controller.settings.replace(camera=path),
                                           persist=False)

    # --- what the admin actions do (after the PIN) ----------------------------------------
    def open_enrol(self, person) -> QDialog:
        dialog = EnrolDialog(self.controller, self.prompter, person, self)
        self.prompter.run(dialog)
        return dialog

    def open_people(self) -> None:
        self.prompter.run(PeopleDialog(self.controller, self.prompter, self.open_enrol, self))

    def open_log(self) -> None:
        self.prompter.run(LogDialog(self.controller.store, self.prompter, self))

    def open_report(self) -> None:
        self.prompter.run(ReportDialog(self.controller.store, self.prompter, self))

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.controller.settings, self.prompter, self, self.controller.frames)
        self.prompter.run(dialog)
        if dialog.result_settings is not None:
            try:
                self.controller.apply_settings(dialog.result_settings)
            except KioskError as exc:  # not saved, so not applied either
                self.admin.inform(f"The settings were not changed: {exc}")

    def _switch_mode(self) -> None:
        other = Mode.VERIFY if self.controller.mode == Mode.RECOGNIZE else Mode.RECOGNIZE
        self.controller.set_mode(other)

    def toggle_fullscreen(self) -> None:
        """Entering kiosk mode needs no PIN; leaving it does."""
        if not self.kiosk_mode:
            self._set_kiosk_mode(True)
            self.show_full_screen()
        elif self.admin.unlock("Leave full screen"):
            self._set_kiosk_mode(False)
            self.showNormal()

    def show_full_screen(self) -> None:
        """Full screen, also in a bare X session with no window manager to do it (a kiosk
        session often has none): the window takes the whole screen itself first."""
        screen = self.screen() or QApplication.primaryScreen()
        self.setGeometry(screen.geometry())
        self.showFullScreen()

    def _quit(self) -> None:
        self._force = True  # the PIN was given for "Quit"
        self.close()

    # --- kiosk mode ---------------------------------------------------------------------
    def _set_kiosk_mode(self, on: bool) -> None:
        """A visitor's screen (on) or an admin's window (off)."""
        self.kiosk_mode = on
        self.admin_actions.toolbar.setVisible(not on)
        self.corner.setVisible(on)  # in a window it would cover the toolbar's right end
        self.status_line.setVisible(not on)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        self._guard.start() if on else self._guard.stop()

    @Slot()
    def _keep_in_front(self) -> None:
        """Minimised or covered by another window: back to full screen, in front — unless an
        admin dialog of ours is open."""
        if not self.kiosk_mode or QApplication.activeModalWidget() is not None:
            return
        if not self.isFullScreen() or self.isMinimized():
            self.show_full_screen()
        if not self.isActiveWindow():
            self.raise_()
            self.activateWindow()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self.panel.set_scale(self.width(), self.height())
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if (event.type() == QEvent.Type.WindowStateChange and self.kiosk_mode
                and self.isMinimized()):
            QTimer.singleShot(0, self._keep_in_front)
        super().changeEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Escape and self.kiosk_mode:
            self.toggle_fullscreen()
        elif self.claim_entry.isVisible() and event.text().isprintable() and event.text():
            self.claim_entry.edit.setFocus()  # a badge reader typing while focus is elsewhere
            self.claim_entry.edit.insert(event.text())
        else:
            super().keyPressEvent(event)

    # --- closing ------------------------------------------------------------------------
    @Slot()
    def force_close(self) -> None:
        """Close without the PIN (SIGTERM / Ctrl-C / self-test)."""
        self._force = True
        self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Closing asks the PIN in every mode (the window manager's close button too)."""
        if not self._force and not self.admin.unlock("Close the kiosk"):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and every thread; safe to call twice."""
        if self.shut_down:
            return
        self.shut_down = True
        self._status_timer.stop()
        self._guard.stop()
        self.live_view.stop()
        self.chimes.close()
        self.hide()  # the window goes at once even if the model is still loading
        self.controller.shutdown()

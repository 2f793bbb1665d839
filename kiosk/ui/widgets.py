"""Small widgets of the front-desk screen: decision panel, camera banner, claim entry, status."""
from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.vocabulary import CameraState, DecisionKind, Mode
from kiosk.core.camera.capture import CameraStatus
from kiosk.core.frontdesk.decisions import Decision

IDLE_TEXT = {Mode.RECOGNIZE: "Welcome! Please look at the camera",
             Mode.VERIFY: "Scan your badge or type your employee ID"}
NOBODY_ENROLLED = "Nobody is enrolled yet — an admin can add people with “Enrol a person…”"
STYLE_BY_KIND = {
    DecisionKind.WELCOME: "good", DecisionKind.VERIFIED: "good",
    DecisionKind.STRANGER: "bad", DecisionKind.REFUSED: "bad", DecisionKind.NOT_LOGGED: "bad",
    DecisionKind.TIMED_OUT: "info", DecisionKind.UNKNOWN_CLAIM: "info",
    DecisionKind.NO_TEMPLATES: "info",
}
PANEL_COLOURS = {  # (background, text)
    "idle": ("#1f2430", "#e8ecf3"), "prompt": ("#1d4f91", "white"),
    "good": ("#1e8e4e", "white"), "bad": ("#b2412e", "white"), "info": ("#6b5a1e", "white"),
}
MIN_SHOW_S = 4.0  # a decision stays on screen at least this long
TOGETHER_S = 1.0  # decisions this close together are shown together (several faces)


def plain_label(text: str = "", **options) -> QLabel:
    """A QLabel that shows its text as text: a typed "<b>welcome in!</b>" stays those
    characters (Qt would otherwise guess rich text)."""
    label = QLabel(text, **options)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class DecisionPanel(QFrame):
    """The large text under the preview: idle invitation, verify prompt, or a decision."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("decisionPanel")
        self.title = plain_label(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.detail = plain_label(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.title.setStyleSheet("font-size: 40px; font-weight: 700; background: transparent;")
        self.detail.setStyleSheet("font-size: 20px; background: transparent;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        self.setMinimumHeight(140)
        self.style_name = "idle"
        self._shown: list[Decision] = []
        self._shown_at = 0.0
        self._idle, self._idle_detail = IDLE_TEXT[Mode.RECOGNIZE], ""
        self._clear = QTimer(self, singleShot=True)
        self._clear.timeout.connect(self.show_idle)
        self.show_idle()

    def set_idle_text(self, text: str, detail: str = "") -> None:
        self._idle, self._idle_detail = text, detail
        if self.style_name == "idle":
            self.show_idle()

    @Slot()
    def show_idle(self) -> None:
        self._set("idle", self._idle, self._idle_detail)

    @Slot(str)
    def show_prompt(self, text: str) -> None:
        if text:
            self._clear.stop()
            self._set("prompt", text, "")
        elif self.style_name == "prompt":
            self.show_idle()

    @Slot(object)
    def show_decision(self, decision: Decision) -> None:
        """Show a decision; several within TOGETHER_S (several faces) share the panel."""
        now = time.monotonic()
        together = self.style_name in ("good", "bad", "info") and now - self._shown_at < TOGETHER_S
        # Someone announced again within TOGETHER_S (a short cooldown) replaces their own
        # line: each headline is shown once.
        earlier = [x for x in self._shown if x.message != decision.message] if together else []
        self._shown = earlier + [decision]
        self._shown_at = now
        style = STYLE_BY_KIND.get(decision.kind, "info")
        if together and STYLE_BY_KIND.get(self._shown[0].kind) != style:
            style = "info"
        door = any(d.door_open_s > 0 for d in self._shown)
        self._set(style, "\n".join(d.message for d in self._shown[-3:]),
                  "Door open — please come in" if door else "")
        self._clear.start(int(max(MIN_SHOW_S, decision.door_open_s) * 1000))

    def _set(self, style: str, title: str, detail: str) -> None:
        self.style_name = style
        background, colour = PANEL_COLOURS[style]
        self.setStyleSheet(f"#decisionPanel {{ background:{background}; border-radius:10px; }}"
                           f" QLabel {{ color:{colour}; }}")
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))


class CameraBanner(QFrame):
    """A calm banner for camera or model trouble; offers a video file or folder instead
    (`sourceRequested` "video" or "folder": the window asks for the PIN, then the file)."""

    sourceRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cameraBanner")
        self.setStyleSheet("#cameraBanner { background:#f6e7b0; border-radius:8px; }"
                           " QLabel { color:#3d3410; font-size:16px; }")
        self.label = plain_label(wordWrap=True)
        self.file_button = QPushButton("Play a video file…")
        self.folder_button = QPushButton("Play a folder of photos…")
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.file_button)
        layout.addWidget(self.folder_button)
        self.file_button.clicked.connect(self._request_video)
        self.folder_button.clicked.connect(self._request_folder)
        self.model_message = ""
        self.hide()

    def show_status(self, status: CameraStatus, now: float | None = None) -> None:
        text = camera_text(status, time.monotonic() if now is None else now)
        text = "\n".join(t for t in (text, self.model_message) if t)
        self.label.setText(text)
        offer = not status.ever_live and status.state not in (CameraState.LIVE, CameraState.CONNECTING)
        self.file_button.setVisible(offer)
        self.folder_button.setVisible(offer)
        self.setVisible(bool(text))

    @Slot()
    def _request_video(self) -> None:
        self.sourceRequested.emit("video")

    @Slot()
    def _request_folder(self) -> None:
        self.sourceRequested.emit("folder")


VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All files (*)"


def camera_text(status: CameraStatus, now: float) -> str:
    """The banner's words for a camera status ("" when all is well)."""
    if status.state in (CameraState.LIVE, CameraState.CONNECTING):
        return ""
    if status.state == CameraState.ENDED:
        return f"The {status.description} has ended."
    retry = " Trying again…"
    if status.retry_at is not None and status.retry_at - now >= 1:
        retry = f" Trying again in {math.ceil(status.retry_at - now)} s…"
    if not status.ever_live:
        return f"{status.message}.{retry} Meanwhile you can play a video or a folder of photos."
    return f"The camera dropped out ({status.message}).{retry}"


class ClaimEntry(QWidget):
    """Verify mode input: a badge reader types like a keyboard and presses Enter."""

    claimed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit(placeholderText="Employee ID or name, then Enter")
        self.edit.setStyleSheet("font-size: 24px; padding: 8px;")
        self.edit.setClearButtonEnabled(True)
        label = plain_label("Your ID:")
        label.setStyleSheet("font-size: 22px; color: #e8ecf3;")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addWidget(self.edit, 1)
        self.edit.returnPressed.connect(self._submit)

    @Slot()
    def _submit(self) -> None:
        text = self.edit.text().strip()
        self.edit.clear()
        if text:
            self.claimed.emit(text)


class StatusLine(QLabel):
    """One line for the admin: camera state and fps, preview fps, analysis fps, model state,
    mode, door (and the door output's health)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet("font-size: 14px; color:#c9d1dc; padding: 2px 6px;")

    def show_state(self, *, camera: CameraStatus, preview_fps: float, analysis_fps: float,
                   analysis_ms: float, model: str, mode: str, door_open: bool,
                   enrolled: int | None, door: str = "") -> None:
        cam = f"{camera.description} {camera.state}"
        if camera.state == CameraState.LIVE:
            cam += f" {camera.fps:.0f} fps"
        parts = [cam, f"preview {preview_fps:.0f} fps",
                 f"analysis {analysis_fps:.1f} fps ({analysis_ms:.0f} ms)", f"model {model}",
                 f"mode {mode}", "door OPEN" if door_open else "door closed"]
        if enrolled is not None:
            parts.insert(4, f"{enrolled} templates")
        if door:
            parts.append(door)
        self.setText("  ·  ".join(parts))

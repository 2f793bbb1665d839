"""Small widgets of the front-desk screen: camera banner, claim entry, status, a picture."""
from __future__ import annotations

import math
import time

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from kiosk.core.base.vocabulary import CameraState, Mode
from kiosk.core.camera.capture import CameraStatus

IDLE_TEXT = {Mode.RECOGNIZE: "Welcome! Please look at the camera",
             Mode.VERIFY: "Scan your badge or type your employee ID"}
NOBODY_ENROLLED = "Nobody is enrolled yet — an admin can add people with “Enrol a person…”"


EVERY_KIOSK = "Every kiosk"


def kiosk_choice(store, recent: int = 5000) -> QComboBox:
    """"Every kiosk", then the kiosks named in the recent access log (several entrances)."""
    box = QComboBox()
    box.addItem(EVERY_KIOSK, None)
    for name in sorted({e.kiosk for e in store.events(limit=recent) if e.kiosk}):
        box.addItem(name, name)
    return box


def plain_label(text: str = "", **options) -> QLabel:
    """A QLabel that shows its text as text: a typed "<b>welcome in!</b>" stays those
    characters (Qt would otherwise guess rich text)."""
    label = QLabel(text, **options)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


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
    mode, door (and the door output's health), and a shared store's outage."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)  # a long line wraps: it never makes the window wider
        self.setStyleSheet("font-size: 14px; color:#c9d1dc; padding: 2px 6px;")

    def show_state(self, *, camera: CameraStatus, preview_fps: float, analysis_fps: float,
                   analysis_ms: float, model: str, mode: str, door_open: bool,
                   enrolled: int | None, door: str = "", store: str = "") -> None:
        cam = f"{camera.description} {camera.state}"
        if camera.state == CameraState.LIVE:
            cam += f" {camera.fps:.0f} fps"
        parts = [cam, f"preview {preview_fps:.0f} fps",
                 f"analysis {analysis_fps:.1f} fps ({analysis_ms:.0f} ms)", f"model {model}",
                 f"mode {mode}", "door OPEN" if door_open else "door closed"]
        if enrolled is not None:
            parts.insert(4, f"{enrolled} templates")
        parts += [text for text in (door, store) if text]
        self.setText("  ·  ".join(parts))

"""Settings the office admin may change on screen; the caller applies and saves them.

The form scrolls (it fits an 800x480 panel); Save and Cancel stay in view below it. Every
choice is explained in plain words next to it; the threshold ranges are the model's safe
ones (settings.validated refuses anything else).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import SettingsError
from kiosk.core.base.settings import LIVE_FACE_RANGE
from kiosk.core.base.specs import DEFAULT_MODEL
from kiosk.core.base.vocabulary import GroupPolicy, Mode, SecurityLevel
from kiosk.ui.live_view import LiveView
from kiosk.ui.prompter import Prompter
from kiosk.ui.widgets import VIDEO_FILTER, plain_label

THRESHOLD_HELP = (
    "Thresholds are the largest face distance still taken as the same person (0 = identical,"
    " 2 = opposite). A higher threshold lets more strangers in by mistake; a lower one turns"
    " more staff away (they try again or use reception). The defaults were measured for the"
    " face model in use; change them in small steps (0.05).")
SECURITY_HELP = {
    SecurityLevel.OFF: "The face alone decides. A good photo or a phone showing the face of"
                       " someone enrolled may open the door.",
    SecurityLevel.PASSIVE: "A second model looks at every face that would open the door for signs"
                           " of a printed photo or a screen; staff notice nothing. It stops"
                           " printed photos; a phone held close to the camera often gets through.",
    SecurityLevel.CHALLENGE: "Also asks each person to turn their head a little to one side, then"
                             " the other (about 3 s). A photo or a screen showing one picture"
                             " cannot do that, however it is moved; a folded print, photos swapped"
                             " by hand, a video of the right head turns or a mask can.",
}
RANGE_HELP = (
    "Faces smaller than this (in the camera's pixels, the dashed square) are ignored, so people"
    " across the room are not tagged. Below 40 px faces are recognised less reliably.")
GROUP_CHOICES = {GroupPolicy.ONE_AT_A_TIME: "Keep the door shut, ask them to come one at a time",
                 GroupPolicy.WELCOME_KNOWN: "Welcome the staff, send the others to reception"}


def _spin(value: float, lo: float, hi: float, step: float, decimals: int = 2,
          suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox(minimum=lo, maximum=hi, singleStep=step, decimals=decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


def _choice(values: dict, current) -> QComboBox:
    box = QComboBox()
    for value, text in values.items():
        box.addItem(text, str(value))
    box.setCurrentIndex(max(0, box.findData(str(current))))
    return box


class SettingsDialog(QDialog):
    """``frames`` (the camera's LatestFrame), when given, shows the range setting on the
    camera's picture."""

    def __init__(self, settings, prompter: Prompter, parent: QWidget | None = None, frames=None):
        super().__init__(parent)
        self.frames = frames
        self.settings = settings
        self.prompter = prompter.within(self)
        self.result_settings = None
        self.setWindowTitle("Settings")
        self._make_fields(settings)
        self._lay_out()

    def _make_fields(self, s) -> None:
        self.camera_edit = QLineEdit(s.camera)
        self.mode_box = _choice({m: m.value for m in Mode}, s.mode)
        self.security_box = _choice({level: level.value for level in SecurityLevel}, s.security_level)
        self.security_help = plain_label(SECURITY_HELP[s.security_level], wordWrap=True)
        self.security_box.currentIndexChanged.connect(self._explain_security)
        self.group_box = _choice(GROUP_CHOICES, s.group_policy)
        self.identify_spin = _spin(s.identify_threshold, *DEFAULT_MODEL.identify_range, 0.05)
        self.verify_spin = _spin(s.verify_threshold, *DEFAULT_MODEL.verify_range, 0.05)
        self.range_spin = QSpinBox(minimum=LIVE_FACE_RANGE[0], maximum=LIVE_FACE_RANGE[1],
                                   value=s.live_min_face_px, suffix=" px")
        self.range_help = plain_label(RANGE_HELP, wordWrap=True)
        self.door_spin = _spin(s.door_open_s, 1, 60, 1, 0, " s")
        self.frames_spin = QSpinBox(minimum=1, maximum=30, value=s.consecutive_frames)
        self.cooldown_spin = _spin(s.cooldown_s, 0, 600, 1, 0, " s")
        self.timeout_spin = _spin(s.verify_timeout_s, 2, 60, 1, 0, " s")
        self.retention_spin = QSpinBox(minimum=0, maximum=3650, value=s.log_retention_days,
                                       suffix=" days")
        self.sound_box = QCheckBox("A short chime on a welcome, another on a refusal")
        self.sound_box.setChecked(s.sound)

    def range_row(self) -> QWidget:
        """The range spin box, and the camera's picture with the smallest face as a square."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.range_spin, 0, Qt.AlignmentFlag.AlignTop)
        if self.frames is not None:
            self.range_preview = LiveView(self.frames, fps=10.0)
            self.range_preview.setFixedSize(240, 180)
            self.range_preview.set_guide(self.range_spin.value())
            self.range_spin.valueChanged.connect(self.range_preview.set_guide)
            layout.addWidget(self.range_preview)
        return row

    def _camera_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.camera_edit, 1)
        for text, slot in (("Video…", self._pick_video), ("Folder…", self._pick_folder)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        return row

    def _form(self) -> QWidget:
        body = QWidget()
        form = QFormLayout(body)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        help_label = plain_label(THRESHOLD_HELP, wordWrap=True)
        help_label.setStyleSheet("color: #555;")
        for label, field in (
                ("Camera (index, video or folder)", self._camera_row()), ("Mode", self.mode_box),
                ("Photos and screens", self.security_box), (None, self.security_help),
                ("Staff and a stranger together", self.group_box),
                ("Recognize threshold (no card)", self.identify_spin),
                ("Verify threshold (with card)", self.verify_spin), (None, help_label),
                ("How far from the camera: smallest face", self.range_row()), (None, self.range_help),
                ("Door stays open", self.door_spin),
                ("Frames in a row before deciding", self.frames_spin),
                ("Do not greet the same person again for", self.cooldown_spin),
                ("Verify gives up after", self.timeout_spin),
                ("Keep the access log", self.retention_spin), ("Sound", self.sound_box)):
            form.addRow(field) if label is None else form.addRow(label, field)
        return body

    def _lay_out(self) -> None:
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self._form())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)

    def values(self) -> dict:
        return dict(camera=self.camera_edit.text().strip() or "0",
                    mode=self.mode_box.currentData(),
                    security_level=self.security_box.currentData(),
                    group_policy=self.group_box.currentData(),
                    identify_threshold=self.identify_spin.value(),
                    verify_threshold=self.verify_spin.value(),
                    live_min_face_px=self.range_spin.value(),
                    door_open_s=self.door_spin.value(),
                    consecutive_frames=self.frames_spin.value(),
                    cooldown_s=self.cooldown_spin.value(),
                    verify_timeout_s=self.timeout_spin.value(),
                    log_retention_days=self.retention_spin.value(),
                    sound=self.sound_box.isChecked())

    @Slot(int)
    def _explain_security(self, _index: int) -> None:
        self.security_help.setText(SECURITY_HELP[SecurityLevel(self.security_box.currentData())])

    @Slot()
    def _accept(self) -> None:
        try:
            self.result_settings = self.settings.replace(**self.values())
        except SettingsError as exc:
            self.prompter.inform(str(exc))
            return
        self.accept()

    @Slot()
    def _pick_video(self) -> None:
        if path := self.prompter.open_file("Play a video file", VIDEO_FILTER):
            self.camera_edit.setText(path)

    @Slot()
    def _pick_folder(self) -> None:
        if path := self.prompter.open_folder("Play a folder of photos"):
            self.camera_edit.setText(path)

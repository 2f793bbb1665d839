"""Settings the office admin may change on screen; the caller applies and saves them."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from kiosk.core.base.errors import SettingsError
from kiosk.core.base.vocabulary import Mode
from kiosk.ui.prompter import Prompter
from kiosk.ui.widgets import VIDEO_FILTER, plain_label

THRESHOLD_HELP = (
    "Thresholds are the largest face distance still taken as the same person (0 = identical,"
    " 2 = opposite). A higher threshold lets more strangers in by mistake; a lower one turns"
    " more staff away (they try again or use reception). The defaults were measured for the"
    " face model in use; change them in small steps (0.05).")


def _spin(value: float, lo: float, hi: float, step: float, decimals: int = 2,
          suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox(minimum=lo, maximum=hi, singleStep=step, decimals=decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings, prompter: Prompter, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.prompter = prompter.within(self)
        self.result_settings = None
        self.setWindowTitle("Settings")
        self.camera_edit = QLineEdit(settings.camera)
        self.mode_box = QComboBox()
        self.mode_box.addItems(list(Mode))
        self.mode_box.setCurrentText(settings.mode)
        self.identify_spin = _spin(settings.identify_threshold, 0.1, 1.9, 0.05)
        self.verify_spin = _spin(settings.verify_threshold, 0.1, 1.9, 0.05)
        self.door_spin = _spin(settings.door_open_s, 1, 60, 1, 0, " s")
        self.frames_spin = QSpinBox(minimum=1, maximum=30, value=settings.consecutive_frames)
        self.cooldown_spin = _spin(settings.cooldown_s, 0, 600, 1, 0, " s")
        self.timeout_spin = _spin(settings.verify_timeout_s, 2, 60, 1, 0, " s")
        self._lay_out()

    def _camera_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.camera_edit, 1)
        for text, slot in (("Video…", self._pick_video), ("Folder…", self._pick_folder)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        return row

    def _lay_out(self) -> None:
        help_label = plain_label(THRESHOLD_HELP, wordWrap=True)
        help_label.setStyleSheet("color: #555;")
        self.buttons = buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                                  | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Camera (index, video or folder)", self._camera_row())
        form.addRow("Mode", self.mode_box)
        form.addRow("Recognize threshold (no card)", self.identify_spin)
        form.addRow("Verify threshold (with card)", self.verify_spin)
        form.addRow(help_label)
        form.addRow("Door stays open", self.door_spin)
        form.addRow("Frames in a row before deciding", self.frames_spin)
        form.addRow("Do not greet the same person again for", self.cooldown_spin)
        form.addRow("Verify gives up after", self.timeout_spin)
        form.addRow(buttons)

    def values(self) -> dict:
        return dict(camera=self.camera_edit.text().strip() or "0",
                    mode=self.mode_box.currentText(),
                    identify_threshold=self.identify_spin.value(),
                    verify_threshold=self.verify_spin.value(),
                    door_open_s=self.door_spin.value(),
                    consecutive_frames=self.frames_spin.value(),
                    cooldown_s=self.cooldown_spin.value(),
                    verify_timeout_s=self.timeout_spin.value())

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

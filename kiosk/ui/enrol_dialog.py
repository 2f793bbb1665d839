"""Enrolment: name + employee id, live preview with quality coaching, several shots, one save.

Shots come from the live camera (a button, or automatically when the quality is good) or
from photo files, encoded on the analysis thread. Nothing is written until Save, and then
all shots at once through `FrontDesk.enrol` (one transaction): all or nothing.
"""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QSize, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import KioskError, UnknownPersonError
from kiosk.core.base.imageio import IMAGE_SUFFIXES
from kiosk.core.base.types import Match, Person
from kiosk.core.frontdesk.enrolment import EnrolCandidate, FileShots, Shot
from kiosk.ui.live_view import LiveView, rgb_qimage
from kiosk.ui.prompter import Prompter
from kiosk.ui.qt_compat import disconnect
from kiosk.ui.widgets import plain_label

log = logging.getLogger(__name__)

TARGET_SHOTS = 5
AUTO_INTERVAL_S = 0.8  # between two automatic shots, so that they differ a little
PHOTO_FILTER = f"Images ({' '.join('*' + s for s in IMAGE_SUFFIXES)})"


class EnrolDialog(QDialog):
    """Enrol a new person, or add shots to `person` when given."""

    def __init__(self, controller, prompter: Prompter, person: Person | None = None,
                 parent: QWidget | None = None, auto_interval_s: float = AUTO_INTERVAL_S):
        super().__init__(parent)
        self.controller, self.desk, self.person = controller, controller.desk, person
        self.prompter = prompter.within(self)
        self.auto_interval_s = auto_interval_s
        self.shots: list[Shot] = []
        self.candidate: EnrolCandidate | None = None
        self.saved: Person | None = None
        self._last_shot_at = 0.0
        self.setWindowTitle("Add photos of " + person.name if person else "Enrol a person")
        self._build()
        self._wire()
        controller.begin_enrolment(person.person_id if person else None)

    # --- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.name_edit = QLineEdit(self.person.name if self.person else "")
        self.employee_edit = QLineEdit((self.person.employee_id or "") if self.person else "")
        for edit in (self.name_edit, self.employee_edit):
            edit.setReadOnly(self.person is not None)
        self.preview = LiveView(self.controller.frames)
        self.preview.setMinimumSize(480, 360)
        self.quality_label = plain_label("Waiting for the camera…")
        self.quality_label.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.quality_bar = QProgressBar(maximum=100, textVisible=False)
        self.warning_label = plain_label(wordWrap=True)
        self.warning_label.setStyleSheet("color: #b2412e; font-weight: 600;")
        self.shot_button = QPushButton("Take photo")
        self.auto_box = QCheckBox("Take photos automatically when the picture is good")
        self.auto_box.setChecked(True)
        self.files_button = QPushButton("Add photos from files…")
        self.thumbs = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.thumbs.setIconSize(QSize(72, 72))
        self.thumbs.setFixedHeight(104)
        self.remove_button = QPushButton("Remove selected photo")
        self.count_label = plain_label()
        self.save_button = QPushButton("Save")
        self.cancel_button = QPushButton("Cancel")
        self._lay_out()
        self._update_buttons()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Employee ID", self.employee_edit)
        shots_row = QHBoxLayout()
        for w in (self.shot_button, self.files_button, self.remove_button):
            shots_row.addWidget(w)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (self.preview, self.quality_label, self.quality_bar, self.warning_label,
                  self.auto_box):
            layout.addWidget(w)
        layout.addLayout(shots_row)
        layout.addWidget(self.thumbs)
        layout.addLayout(bottom)

    def _wire(self) -> None:
        self.controller.enrolFrame.connect(self.on_frame)
        self.controller.marksChanged.connect(self.preview.set_marks)
        self.shot_button.clicked.connect(self.take_shot)
        self.files_button.clicked.connect(self._choose_files)
        self.remove_button.clicked.connect(self._remove_selected)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.finished.connect(self._on_finished)

    # --- live coaching ------------------------------------------------------------------
    @Slot(object)
    def on_frame(self, candidate: EnrolCandidate) -> None:
        self.candidate = candidate
        report = candidate.quality
        self.quality_label.setText(report.message)
        self.quality_bar.setValue(int(report.score * 100))
        self.warning_label.setText(_duplicate_text(candidate.shot.duplicate if candidate.shot else None))
        self._update_buttons()
        if self._auto_ready(candidate):
            self.take_shot()

    def _auto_ready(self, candidate: EnrolCandidate) -> bool:
        return (self.auto_box.isChecked() and candidate.quality.ok
                and len(self.shots) < TARGET_SHOTS
                and time.monotonic() - self._last_shot_at >= self.auto_interval_s)

    @Slot()
    def take_shot(self) -> None:
        c = self.candidate
        if c is None or c.shot is None or not c.quality.usable:
            return
        self._last_shot_at = time.monotonic()
        self.candidate = None  # one frame, one shot
        self.add_shot(c.shot)

    def add_shot(self, shot: Shot) -> None:
        self.shots.append(shot)
        item = QListWidgetItem(shot.source)
        if shot.thumb_rgb is not None:
            item.setIcon(QIcon(QPixmap.fromImage(rgb_qimage(shot.thumb_rgb))))
        self.thumbs.addItem(item)
        self._update_buttons()

    @Slot()
    def _remove_selected(self) -> None:
        row = self.thumbs.currentRow()
        if 0 <= row < len(self.shots):
            del self.shots[row]
            self.thumbs.takeItem(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = bool(self.controller.model_id)
        usable = self.candidate is not None and self.candidate.quality.usable
        self.shot_button.setEnabled(ready and usable)
        self.files_button.setEnabled(ready)
        self.remove_button.setEnabled(bool(self.shots))
        self.save_button.setEnabled(ready and bool(self.shots))
        hint = "" if len(self.shots) >= 3 else " (3 or more recommended)"
        self.count_label.setText(f"{len(self.shots)} photo(s){hint}")

    # --- photo files --------------------------------------------------------------------
    @Slot()
    def _choose_files(self) -> None:
        paths = self.prompter.open_files("Photos of this person", PHOTO_FILTER)
        if paths:
            self.add_files(paths)

    def add_files(self, paths: list[str]):
        """Encode photo files on the analysis thread; shots are added when they are done."""
        person_id = self.person.person_id if self.person else None
        handle = self.controller.submit(lambda desk: desk.encode_files(paths, person_id))
        handle.returned.connect(self._files_encoded)
        handle.errored.connect(self._files_failed)
        self.files_button.setEnabled(False)
        return handle

    @Slot(object)
    def _files_encoded(self, files: FileShots) -> None:
        for shot in files.shots:
            self.add_shot(shot)
        self.files_button.setEnabled(True)
        if files.errors:
            self.prompter.inform("Some photos could not be used:\n" + "\n".join(files.errors))

    @Slot(object)
    def _files_failed(self, exc: Exception) -> None:
        self.files_button.setEnabled(True)
        self.prompter.inform(f"The photos could not be read: {exc}")

    # --- saving -------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.prompter.inform("Please type the person's name.")
            return
        if not self.shots or not self._confirm_save(name):
            return
        try:
            self.saved = self.desk.enrol(name, self.shots,
                                         self.employee_edit.text().strip() or None)
        except KioskError as exc:
            self.prompter.inform(f"Nothing was saved: {exc}")
            return
        self.accept()

    def _confirm_save(self, name: str) -> bool:
        if self.person is None and self._exists(name):
            if not self.prompter.confirm(f"{name} is already enrolled. Add these photos to {name}?"):
                return False
        twins = {s.duplicate.name for s in self.shots if s.duplicate is not None}
        if twins:
            return self.prompter.confirm(f"These photos look like {', '.join(sorted(twins))}, who is "
                                         "already enrolled. Save them anyway?")
        return True

    def _exists(self, name: str) -> bool:
        try:
            self.desk.store.find_person(name)
            return True
        except UnknownPersonError:
            return False

    @Slot(int)
    def _on_finished(self, _code: int) -> None:
        self.preview.stop()
        disconnect(self.controller.enrolFrame, self.on_frame)
        disconnect(self.controller.marksChanged, self.preview.set_marks)
        self.controller.end_enrolment()


def _duplicate_text(match: Match | None) -> str:
    if match is None:
        return ""
    return f"Careful: this face already matches {match.name} (distance {match.distance:.2f})."

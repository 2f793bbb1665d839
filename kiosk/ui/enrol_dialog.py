"""Enrolment: name and employee id first, then guided live shots (or photo files), one save.

Nothing is captured until the admin presses Start (so the dialog does not grab whoever is in
view); then the guide (`PoseGuide`) asks for a few poses — straight, a little left, a little
right — and takes a shot when the picture is good and the pose is right. Photo files can be
added at any time next to the live shots. Nothing is written until Save, and then all shots
at once through `FrontDesk.enrol` (one transaction): all or nothing.

The body scrolls and the buttons stay at the bottom, so the dialog fits an 800x480 panel.
"""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import KioskError
from kiosk.core.base.imageio import IMAGE_SUFFIXES
from kiosk.core.base.text import MAX_CHARS
from kiosk.core.base.types import Match, Person
from kiosk.core.frontdesk.enrolment import MIN_SHOTS, EnrolCandidate, FileShots, PoseGuide, Shot
from kiosk.core.vision import pose
from kiosk.ui.live_view import LiveView, rgb_qimage
from kiosk.ui.prompter import Prompter
from kiosk.ui.qt_compat import disconnect
from kiosk.ui.widgets import plain_label

log = logging.getLogger(__name__)

AUTO_INTERVAL_S = 0.8  # between two automatic shots, so that they differ a little
PHOTO_FILTER = f"Images ({' '.join('*' + s for s in IMAGE_SUFFIXES)})"
BEFORE_START = "Type the name, then press Start when the person is in front of the camera"
PAUSED = "Paused — press Start to go on"
FILES_NOTE = ("Photos from files are not checked for being a photo of a photo: use only "
              "photos you trust.")
POSE_WORDS = {pose.STRAIGHT: "straight", pose.LEFT: "a little left", pose.RIGHT: "a little right"}
WARNING_STYLE = "color: #b2412e; font-weight: 600;"


class EnrolDialog(QDialog):
    """Enrol a new person, or add shots to `person` when given."""

    def __init__(self, controller, prompter: Prompter, person: Person | None = None,
                 parent: QWidget | None = None, auto_interval_s: float | None = None,
                 guide: PoseGuide = PoseGuide()):
        super().__init__(parent)
        self.controller, self.desk, self.person, self.guide = controller, controller.desk, person, guide
        self.prompter = prompter.within(self)
        self.auto_interval_s = AUTO_INTERVAL_S if auto_interval_s is None else auto_interval_s
        self.shots: list[Shot] = []
        self.candidate: EnrolCandidate | None = None
        self.capturing = False
        self.saved: Person | None = None
        self._agreed_to_add_to: str | None = None  # an enrolled name the admin agreed to add to
        self._target_id = person.person_id if person else None  # who the shots are of, if enrolled
        self._last_shot_at = 0.0
        self.setWindowTitle("Add photos of " + person.name if person else "Enrol a person")
        self._build()
        self._wire()
        controller.begin_enrolment(person.person_id if person else None)

    # --- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self._build_details()
        self._build_capture()
        self._build_shots()
        self.count_label = plain_label()
        self.save_button = QPushButton("Save")
        self.cancel_button = QPushButton("Cancel")
        self._lay_out()
        self._update_buttons()

    def _build_details(self) -> None:
        self.name_edit = QLineEdit(self.person.name if self.person else "")
        self.employee_edit = QLineEdit((self.person.employee_id or "") if self.person else "")
        for edit in (self.name_edit, self.employee_edit):
            edit.setReadOnly(self.person is not None)
            edit.setMaxLength(MAX_CHARS)

    def _build_capture(self) -> None:
        self.preview = LiveView(self.controller.frames)
        self.preview.setMinimumSize(240, 180)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.quality_label = plain_label(BEFORE_START, wordWrap=True)
        self.quality_label.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.quality_bar = QProgressBar(maximum=100, format="Picture quality: %p%")
        self.pose_bar = QProgressBar(maximum=self.guide.progress([])[1], format="Poses: %v of %m")
        self.pose_steps = plain_label(wordWrap=True)
        self.warning_label = plain_label(wordWrap=True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.shot_button = QPushButton("Take photo")
        self.auto_box = QCheckBox("Take photos automatically when the picture and pose are good")
        self.auto_box.setChecked(True)

    def _build_shots(self) -> None:
        self.files_button = QPushButton("Add photos from files…")
        self.files_note = plain_label(FILES_NOTE, wordWrap=True)
        self.thumbs = QListWidget(viewMode=QListWidget.ViewMode.IconMode)
        self.thumbs.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.thumbs.setIconSize(QSize(72, 72))
        self.thumbs.setFixedHeight(104)
        self.remove_button = QPushButton("Remove selected photos")

    def _lay_out(self) -> None:
        """The details, picture and shots scroll; what to do next (the advice, the capture
        buttons, Save) stays at the bottom, in view on any screen."""
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Employee ID", self.employee_edit)
        body = QWidget()
        column = QVBoxLayout(body)
        column.addLayout(form)
        column.addWidget(self.preview, 1)
        for w in (self.quality_bar, self.pose_bar, self.pose_steps, self.warning_label, self.auto_box,
                  self.files_note, self.thumbs):
            column.addWidget(w)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.quality_label)
        layout.addLayout(_row(self.start_button, self.shot_button, self.files_button, self.remove_button))
        layout.addLayout(_row(self.count_label, self.cancel_button, self.save_button, stretch_first=True))
        self.resize(760, 900)

    def _wire(self) -> None:
        self.controller.enrolFrame.connect(self.on_frame)
        self.controller.marksChanged.connect(self.preview.set_marks)
        self.name_edit.textChanged.connect(self._update_buttons)
        self.start_button.clicked.connect(self.start)
        self.shot_button.clicked.connect(self.take_shot)
        self.files_button.clicked.connect(self._choose_files)
        self.remove_button.clicked.connect(self.remove_selected)
        self.thumbs.itemSelectionChanged.connect(self._update_buttons)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.finished.connect(self._on_finished)

    # --- starting -----------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Start (or pause) taking live shots; the name and id are checked first."""
        if self.capturing:
            self.capturing = False
        elif self._checked_target():
            self.capturing = True
        self.start_button.setText("Pause" if self.capturing else "Start")
        self.quality_label.setText("Waiting for the camera…" if self.capturing else PAUSED)
        self._update_buttons()

    def _checked_target(self) -> bool:
        """The name is typed, the employee id is nobody else's, and adding to someone already
        enrolled is what the admin wants (asked once)."""
        name = self.name_edit.text().strip()
        if not name:
            self.prompter.inform("Please type the person's name first.")
            return False
        try:
            existing = self.desk.enrolment_target(name, self.employee_edit.text().strip() or None)
        except KioskError as exc:
            self.prompter.inform(f"{exc}.")
            return False
        self._target_id = existing.person_id if existing else None
        return existing is None or self._may_add_to(existing)

    def _may_add_to(self, existing: Person) -> bool:
        if self.person is not None or self._agreed_to_add_to == existing.name:
            return True
        if self.prompter.confirm(f"{existing.name} is already enrolled. Add these photos to {existing.name}?"):
            self._agreed_to_add_to = existing.name
            return True
        return False

    # --- live coaching ------------------------------------------------------------------
    @Slot(object)
    def on_frame(self, candidate: EnrolCandidate) -> None:
        self.candidate = candidate
        self.quality_bar.setValue(int(candidate.quality.score * 100))
        if self.capturing:
            self.quality_label.setText(self.guide.advice(candidate, self.shots))
        self.warning_label.setText(_duplicate_text(self._look_alike(candidate.shot)))
        self._update_buttons()
        if self._auto_ready(candidate):
            self.take_shot()

    def _auto_ready(self, candidate: EnrolCandidate) -> bool:
        return (self.capturing and self.auto_box.isChecked()
                and self.guide.ready(candidate, self.shots)
                and time.monotonic() - self._last_shot_at >= self.auto_interval_s)

    @Slot()
    def take_shot(self) -> None:
        c = self.candidate
        if not self.capturing or c is None or c.shot is None or not c.quality.usable:
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
    def remove_selected(self) -> None:
        """Remove every selected shot at once."""
        for row in sorted((self.thumbs.row(i) for i in self.thumbs.selectedItems()), reverse=True):
            del self.shots[row]
            self.thumbs.takeItem(row)
        self._update_buttons()

    @Slot()
    def _update_buttons(self) -> None:
        ready = bool(self.controller.model_id)
        usable = (self.candidate is not None and self.candidate.shot is not None
                  and self.candidate.quality.usable)
        self.start_button.setEnabled(ready and bool(self.name_edit.text().strip()))
        self.shot_button.setEnabled(ready and self.capturing and usable)
        self.files_button.setEnabled(ready)
        self.remove_button.setEnabled(bool(self.thumbs.selectedItems()))
        self.save_button.setEnabled(ready and bool(self.shots))
        self._show_progress()

    def _show_progress(self) -> None:
        done, _total = self.guide.progress(self.shots)
        self.pose_bar.setValue(done)
        wanted = self.guide.wanted(self.shots)
        self.pose_steps.setText("Next pose: " + POSE_WORDS[wanted] if wanted else "All poses taken")
        few = len(self.shots) < MIN_SHOTS
        self.count_label.setText(f"{len(self.shots)} photo(s)"
                                 + (f" — {MIN_SHOTS} or more recommended" if few else ""))
        self.count_label.setStyleSheet(WARNING_STYLE if few and self.shots else "")

    # --- photo files --------------------------------------------------------------------
    @Slot()
    def _choose_files(self) -> None:
        paths = self.prompter.open_files("Photos of this person", PHOTO_FILTER)
        if paths:
            self.add_files(paths)

    def add_files(self, paths: list[str]):
        """Encode photo files on the analysis thread; shots are added (next to the live ones)
        when they are done."""
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
        notes = [f"Could not be used: {e}" for e in files.errors]
        notes += [took for shot in files.shots if (took := shot.took_text())]
        if notes:
            self.prompter.inform("\n".join(notes))

    @Slot(object)
    def _files_failed(self, exc: Exception) -> None:
        self.files_button.setEnabled(True)
        self.prompter.inform(f"The photos could not be read: {exc}")

    # --- saving -------------------------------------------------------------------------
    @Slot()
    def save(self) -> None:
        """Check in this order — the name and id, enough photos, look-alikes — then save all."""
        if not self.shots or not self._checked_target():
            return
        if not (self._enough_shots() and self._no_look_alikes()):
            return
        try:
            self.saved = self.desk.enrol(self.name_edit.text().strip(), self.shots,
                                         self.employee_edit.text().strip() or None)
        except KioskError as exc:
            self.prompter.inform(f"Nothing was saved: {exc}")
            return
        self.accept()

    def _enough_shots(self) -> bool:
        if len(self.shots) >= MIN_SHOTS:
            return True
        return self.prompter.confirm(
            f"Only {len(self.shots)} photo(s). {MIN_SHOTS} or more, in several poses, recognise"
            " a person more reliably. Save anyway?")

    def _no_look_alikes(self) -> bool:
        twins = {match.name for s in self.shots if (match := self._look_alike(s)) is not None}
        if not twins:
            return True
        return self.prompter.confirm(f"These photos look like {', '.join(sorted(twins))}, who is "
                                     "already enrolled. Save them anyway?")

    def _look_alike(self, shot: Shot | None) -> Match | None:
        """The enrolled person, other than the one being enrolled, this shot already matches."""
        match = shot.duplicate if shot is not None else None
        return None if match is None or match.person_id == self._target_id else match

    @Slot(int)
    def _on_finished(self, _code: int) -> None:
        self.preview.stop()
        disconnect(self.controller.enrolFrame, self.on_frame)
        disconnect(self.controller.marksChanged, self.preview.set_marks)
        self.controller.end_enrolment()


def _row(*widgets: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    for i, w in enumerate(widgets):
        row.addWidget(w, 1 if stretch_first and i == 0 else 0)
    return row


def _duplicate_text(match: Match | None) -> str:
    if match is None:
        return ""
    return f"Careful: this face already matches {match.name} (distance {match.distance:.2f})."

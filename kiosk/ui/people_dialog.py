"""People: who is enrolled, searchable; add photos, edit (name, employee id, allowed in,
valid dates), disable or enable at once, remove."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import KioskError
from kiosk.core.base.text import MAX_CHARS
from kiosk.core.base.types import Person, PersonChange
from kiosk.ui.prompter import Prompter
from kiosk.ui.widgets import plain_label

COLUMNS = ("Name", "Employee ID", "Photos", "Status", "Enrolled on")


def status_text(person: Person, today: date) -> str:
    """"allowed in", "disabled", "valid until …", with the dates when there are any."""
    why = person.refusal(today)
    dates = ""
    if person.valid_from or person.valid_until:
        dates = f" ({person.valid_from or '…'} to {person.valid_until or '…'})"
    return (why or "allowed in") + dates


def matches(person: Person, text: str) -> bool:
    """Does the search ``text`` (any case, any part) appear in the name or employee id?"""
    needle = text.strip().casefold()
    return not needle or needle in person.name.casefold() or needle in (person.employee_id or "").casefold()


class PeopleDialog(QDialog):
    """`open_enrol(person | None)` opens the enrolment dialog (modal) and returns when done."""

    def __init__(self, controller, prompter: Prompter,
                 open_enrol: Callable[[Person | None], object], parent: QWidget | None = None,
                 today: Callable[[], date] = date.today):
        super().__init__(parent)
        self.controller, self.store, self.open_enrol = controller, controller.store, open_enrol
        self.today = today
        self.setWindowTitle("People")
        self.resize(820, 520)
        self.prompter = prompter.within(self)
        self.people: list[Person] = []  # the rows shown (the search applied)
        self.search_edit = QLineEdit(placeholderText="Search by name or employee id", clearButtonEnabled=True)
        self.search_edit.setMaxLength(MAX_CHARS)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._build_buttons()
        self.search_edit.textChanged.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit)
        self.refresh()

    def _build_buttons(self) -> None:
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        actions = (("new", "New person…", self.new_person), ("photos", "Add photos…", self.add_photos),
                   ("edit", "Edit…", self.edit), ("toggle", "Disable", self.toggle_enabled),
                   ("remove", "Remove…", self.remove), ("close", "Close", self.accept))
        for key, text, slot in actions:
            self.buttons[key] = button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    @Slot()
    def refresh(self) -> None:
        """Re-read the people (filtered by the search), keeping the selected one selected."""
        chosen = self.selected()
        everyone = self.store.people(self.controller.model_id or None)
        self.people = [p for p in everyone if matches(p, self.search_edit.text())]
        self.table.setRowCount(len(self.people))
        for row, p in enumerate(self.people):
            self._fill_row(row, p)
        if chosen is not None:
            self.select(chosen.person_id)
        self._update_buttons()

    def _fill_row(self, row: int, p: Person) -> None:
        when = p.created_at.astimezone().strftime("%Y-%m-%d") if p.created_at else ""
        cells = (p.name, p.employee_id or "", str(p.template_count), status_text(p, self.today()), when)
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)  # items show text as text: no markup
            if col == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, col, item)

    def selected(self) -> Person | None:
        row = self.table.currentRow()
        rows = {i.row() for i in self.table.selectedItems()}
        return self.people[row] if row in rows and 0 <= row < len(self.people) else None

    def select(self, who: int | str) -> None:
        """Select the row of a person id or name."""
        for row, p in enumerate(self.people):
            if who in (p.person_id, p.name):
                self.table.selectRow(row)

    @Slot()
    def _update_buttons(self) -> None:
        person = self.selected()
        for key in ("photos", "edit", "toggle", "remove"):
            self.buttons[key].setEnabled(person is not None)
        self.buttons["toggle"].setText("Enable" if person is not None and not person.enabled else "Disable")

    @Slot()
    def new_person(self) -> None:
        self.open_enrol(None)
        self.refresh()

    @Slot()
    def add_photos(self) -> None:
        person = self.selected()
        if person is not None:
            self.open_enrol(person)
            self.refresh()

    @Slot()
    def edit(self) -> None:
        person = self.selected()
        if person is not None:
            self.prompter.run(PersonEditDialog(self.store, person, self.prompter, self))
            self.refresh()

    @Slot()
    def toggle_enabled(self) -> None:
        """Disable (a leaver, a lost badge) or enable the selected person, at once."""
        person = self.selected()
        if person is not None:
            self._change(lambda: self.store.update_person(person.name, PersonChange(enabled=not person.enabled)))

    @Slot()
    def remove(self) -> None:
        person = self.selected()
        if person is None:
            return
        try:  # remove() deletes the templates of every model: count them all
            every_model = self.store.find_person(person.name).template_count
        except KioskError as exc:  # renamed or removed meanwhile (e.g. from the command line)
            self.prompter.inform(str(exc))
            self.refresh()
            return
        if self.prompter.confirm(f"Remove {person.name} and their {every_model} photo(s)? "
                                 "Their access-log lines are kept."):
            self._change(lambda: self.store.remove(person.name))

    def _change(self, change: Callable[[], object]) -> None:
        """A change to the store; the front desk picks it up by itself (GalleryWatch)."""
        try:
            change()
        except KioskError as exc:
            self.prompter.inform(str(exc))
        self.refresh()


class PersonEditDialog(QDialog):
    """Name, employee id, allowed in or not, and the dates between which the person may come
    in; saved in one change (`Store.update_person`), or not at all."""

    def __init__(self, store, person: Person, prompter: Prompter, parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.person, self.prompter = store, person, prompter.within(self)
        self.saved: Person | None = None
        self.setWindowTitle("Edit " + person.name)
        self.name_edit = QLineEdit(person.name, maxLength=MAX_CHARS)
        self.employee_edit = QLineEdit(person.employee_id or "", maxLength=MAX_CHARS)
        self.enabled_box = QCheckBox("Allowed in (untick for a leaver or a lost badge)", checked=person.enabled)
        self.from_box, self.from_edit = _date_row("From", person.valid_from)
        self.until_box, self.until_edit = _date_row("Until", person.valid_until)
        self.message = plain_label(wordWrap=True)
        self._lay_out()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Employee ID", self.employee_edit)
        form.addRow("", self.enabled_box)
        form.addRow(self.from_box, self.from_edit)
        form.addRow(self.until_box, self.until_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(plain_label("Dates are inclusive; without a date there is no limit.", wordWrap=True))
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def change(self) -> PersonChange:
        """What the form says, as one change (unchanged fields included: the store keeps them)."""
        return PersonChange(
            name=self.name_edit.text().strip(), employee_id=self.employee_edit.text().strip() or None,
            enabled=self.enabled_box.isChecked(),
            valid_from=self.from_edit.date().toPython() if self.from_box.isChecked() else None,
            valid_until=self.until_edit.date().toPython() if self.until_box.isChecked() else None)

    @Slot()
    def save(self) -> None:
        try:
            self.saved = self.store.update_person(self.person.name, self.change())
        except KioskError as exc:
            self.message.setText(f"Not saved: {exc}")
            return
        self.accept()


def _date_row(label: str, day: date | None) -> tuple[QCheckBox, QDateEdit]:
    """A check box (is there a date?) and the date, greyed out without one."""
    box = QCheckBox(label, checked=day is not None)
    edit = QDateEdit(QDate(day or date.today()), calendarPopup=True, displayFormat="yyyy-MM-dd")
    edit.setEnabled(day is not None)
    box.toggled.connect(edit.setEnabled)
    return box, edit

"""People: who is enrolled, with template counts; add photos, rename, remove."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import KioskError
from kiosk.core.base.types import Person
from kiosk.ui.prompter import Prompter

COLUMNS = ("Name", "Employee ID", "Photos", "Enrolled on")


class PeopleDialog(QDialog):
    """`open_enrol(person | None)` opens the enrolment dialog (modal) and returns when done."""

    def __init__(self, controller, prompter: Prompter,
                 open_enrol: Callable[[Person | None], object], parent: QWidget | None = None):
        super().__init__(parent)
        self.controller, self.store, self.open_enrol = controller, controller.store, open_enrol
        self.setWindowTitle("People")
        self.resize(720, 460)
        self.prompter = prompter.within(self)
        self.people: list[Person] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._build_buttons()
        self.refresh()

    def _build_buttons(self) -> None:
        buttons = QHBoxLayout()
        actions = (("New person…", self.new_person), ("Add photos…", self.add_photos),
                   ("Rename…", self.rename), ("Remove…", self.remove), ("Close", self.accept))
        for text, slot in actions:
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        model_id = self.controller.model_id or None
        self.people = self.store.people(model_id)
        self.table.setRowCount(len(self.people))
        for row, p in enumerate(self.people):
            when = p.created_at.astimezone().strftime("%Y-%m-%d") if p.created_at else ""
            for col, text in enumerate((p.name, p.employee_id or "", str(p.template_count), when)):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)

    def selected(self) -> Person | None:
        row = self.table.currentRow()
        return self.people[row] if 0 <= row < len(self.people) else None

    def select(self, name: str) -> None:
        for row, p in enumerate(self.people):
            if p.name == name:
                self.table.selectRow(row)

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
    def rename(self) -> None:
        person = self.selected()
        if person is None:
            return
        new_name = self.prompter.ask_text(f"New name for {person.name}:", person.name)
        if new_name and new_name.strip() != person.name:
            self._change(lambda: self.store.rename(person.name, new_name.strip()))

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

"""The access log: newest first, filtered by person, result, date and kiosk, exported as CSV."""
from __future__ import annotations

from datetime import datetime
from datetime import time as dtime

from PySide6.QtCore import QDate, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.types import AccessEvent
from kiosk.core.frontdesk.log_export import export_csv
from kiosk.ui.prompter import Prompter
from kiosk.ui.widgets import kiosk_choice, plain_label

COLUMNS = ("Time", "Kiosk", "Mode", "Claimed", "Name", "Result", "Distance", "Reason")
RESULTS = {"All results": None, "Let in": True, "Refused": False}
MAX_ROWS = 5000


def event_row(e: AccessEvent) -> tuple[str, ...]:
    """One log line as text cells, in COLUMNS order (local time)."""
    return (e.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.kiosk, e.mode, e.claimed or "",
            e.identity or "", "let in" if e.accepted else "refused",
            "" if e.distance is None else f"{e.distance:.3f}", e.detail)


class LogDialog(QDialog):
    def __init__(self, store, prompter: Prompter, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.prompter = prompter.within(self)
        self.events: list[AccessEvent] = []
        self.setWindowTitle("Access log")
        self.resize(900, 520)
        self.person_edit = QLineEdit(placeholderText="name or employee id")
        self.result_box = QComboBox()
        self.result_box.addItems(list(RESULTS))
        self.kiosk_box = kiosk_choice(store)
        self.since_check = QCheckBox("From")
        self.since_edit = QDateEdit(QDate.currentDate(), calendarPopup=True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.count_label = plain_label()
        self.export_button = QPushButton("Export CSV…")
        self._lay_out()
        self.refresh()

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(plain_label("Person"))
        filters.addWidget(self.person_edit, 1)
        for w in (self.result_box, self.kiosk_box, self.since_check, self.since_edit):
            filters.addWidget(w)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.export_button)
        close = QPushButton("Close")
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.person_edit.textChanged.connect(self.refresh)
        self.result_box.currentIndexChanged.connect(self.refresh)
        self.kiosk_box.currentIndexChanged.connect(self.refresh)
        self.since_check.toggled.connect(self.refresh)
        self.since_edit.dateChanged.connect(self.refresh)
        self.export_button.clicked.connect(self._export)
        close.clicked.connect(self.accept)

    def _since(self) -> datetime | None:
        if not self.since_check.isChecked():
            return None
        day = self.since_edit.date().toPython()
        return datetime.combine(day, dtime.min)  # naive = local time, as the store expects

    @Slot()
    def refresh(self) -> None:
        person = self.person_edit.text().strip() or None
        accepted = RESULTS[self.result_box.currentText()]
        self.events = self.store.events(since=self._since(), person=person, accepted=accepted,
                                        kiosk=self.kiosk_box.currentData(), limit=MAX_ROWS)
        self.table.setRowCount(len(self.events))
        for row, event in enumerate(self.events):
            for col, text in enumerate(event_row(event)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.count_label.setText(f"{len(self.events)} line(s), newest first")

    @Slot()
    def _export(self) -> None:
        path = self.prompter.save_file("Export the access log", "access-log.csv", "CSV (*.csv)")
        if not path:
            return
        try:
            target, count = export_csv(self.events, path)
        except OSError as exc:
            self.prompter.inform(f"Could not write {path}: {exc}")
            return
        self.prompter.inform(f"{count} line(s) written to {target}.")

"""Attendance: who came in on which days (first and last entry), and a chart of arrivals."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.core.base.errors import KioskError
from kiosk.core.frontdesk import attendance as att
from kiosk.ui.bar_chart import BarChart
from kiosk.ui.prompter import Prompter
from kiosk.ui.widgets import kiosk_choice, plain_label

COLUMNS = ("Day", "Name", "Employee ID", "First in", "Last in", "Entries")


class ReportDialog(QDialog):
    def __init__(self, store, prompter: Prompter, parent: QWidget | None = None,
                 today: date | None = None):
        super().__init__(parent)
        self.store = store
        self.prompter = prompter.within(self)
        self.report: att.AttendanceReport | None = None
        self.setWindowTitle("Attendance")
        today = today or date.today()
        self.start_edit = QDateEdit(QDate(today - timedelta(days=13)), calendarPopup=True)
        self.end_edit = QDateEdit(QDate(today), calendarPopup=True)
        self.kiosk_box = kiosk_choice(store)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.summary = plain_label(wordWrap=True)
        self.chart = BarChart(empty_text=att.NO_ARRIVALS)
        self.export_button = QPushButton("Export CSV…")
        self._lay_out()
        self.refresh()

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for widget in (plain_label("From"), self.start_edit, plain_label("to"), self.end_edit,
                       self.kiosk_box):
            filters.addWidget(widget)
        filters.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.export_button)
        close = QPushButton("Close")
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        for edit in (self.start_edit, self.end_edit):
            edit.dateChanged.connect(self.refresh)
        self.kiosk_box.currentIndexChanged.connect(self.refresh)
        self.export_button.clicked.connect(self._export)
        close.clicked.connect(self.accept)

    @Slot()
    def refresh(self) -> None:
        kiosk = self.kiosk_box.currentData()
        try:
            self.report = att.attendance(self.store, self.start_edit.date().toPython(),
                                         self.end_edit.date().toPython(), kiosk)
        except KioskError as exc:
            self.summary.setText(str(exc))
            return
        self._fill_table(self.report)
        present = self.report.days_present()
        self.summary.setText("Days present: " + (", ".join(f"{n} {d}" for n, d in present.items())
                                                 or "nobody came in"))
        self._draw_chart(self.report)

    def _fill_table(self, report: att.AttendanceReport) -> None:
        self.table.setRowCount(len(report.rows))
        for row, r in enumerate(report.rows):
            cells = (r.day.isoformat(), r.name, r.employee_id or "", r.first.strftime("%H:%M"),
                     r.last.strftime("%H:%M"), str(r.entries))
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _draw_chart(self, report: att.AttendanceReport) -> None:
        """Painted by Qt: matplotlib is left out of the installed kiosk."""
        per_day = report.arrivals_per_day()
        self.chart.set_bars([day.strftime("%m-%d") for day in per_day], list(per_day.values()),
                            report.chart_title())

    @Slot()
    def _export(self) -> None:
        import csv

        from kiosk.core.frontdesk.log_export import csv_path

        path = self.prompter.save_file("Export attendance", "attendance.csv", "CSV (*.csv)")
        if not path or self.report is None:
            return
        target = csv_path(path)
        try:
            with open(target, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(att.CSV_FIELDS)
                writer.writerows(att.csv_rows(self.report))
        except OSError as exc:
            self.prompter.inform(f"Could not write {target}: {exc}")
            return
        self.prompter.inform(f"{len(self.report.rows)} line(s) written to {target}.")

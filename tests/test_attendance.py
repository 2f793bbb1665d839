"""Attendance from the access log (a real SQLite store; times in local time)."""
import csv
import io
import json
import sys
from datetime import date, datetime

import pytest

from kiosk import cli
from kiosk.core.base.errors import InvalidTextError
from kiosk.core.frontdesk.attendance import attendance
from kiosk.core.storage.sqlite import SqliteStore


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute).astimezone()  # local time, made aware


@pytest.fixture
def store(tmp_path):
    with SqliteStore.open(tmp_path / "kiosk.sqlite3") as opened:
        def entry(name, when, accepted=True, kiosk="main door", employee_id=None):
            opened.log_event("recognize", claimed=None, identity=name if accepted else None,
                             accepted=accepted, distance=0.5, time=when, kiosk=kiosk,
                             employee_id=employee_id, kind="welcome" if accepted else "stranger")
        entry("Ann", at(2, 8, 55), employee_id="E1")
        entry("Ann", at(2, 13, 5), kiosk="car park")
        entry("Ann", at(2, 17, 40))
        entry("Bob", at(2, 9, 30))
        entry("Ann", at(4, 9, 0))
        entry(None, at(3, 10, 0), accepted=False)  # a refusal is no attendance
        entry("Bob", at(9, 9, 0))  # outside the range below
        yield opened


def test_first_and_last_entry_per_person_per_day(store):
    report = attendance(store, date(2026, 11, 1), date(2026, 11, 5))
    rows = [(r.day.day, r.name, r.first.strftime("%H:%M"), r.last.strftime("%H:%M"), r.entries)
            for r in report.rows]
    assert rows == [(2, "Ann", "08:55", "17:40", 3), (2, "Bob", "09:30", "09:30", 1),
                    (4, "Ann", "09:00", "09:00", 1)]
    assert report.days_present() == {"Ann": 2, "Bob": 1}
    per_day = report.arrivals_per_day()
    assert len(per_day) == 5 and per_day[date(2026, 11, 2)] == 2 and per_day[date(2026, 11, 3)] == 0


def test_one_kiosk_or_every_kiosk(store):
    car_park = attendance(store, date(2026, 11, 1), date(2026, 11, 5), kiosk="car park")
    assert [(r.name, r.entries) for r in car_park.rows] == [("Ann", 1)]


def test_bad_ranges_are_refused(store):
    with pytest.raises(InvalidTextError, match="before it starts"):
        attendance(store, date(2026, 11, 5), date(2026, 11, 1))
    with pytest.raises(InvalidTextError, match="at most 366 days"):
        attendance(store, date(2025, 1, 1), date(2026, 11, 1))


def test_the_command_prints_csv_json_and_a_chart(store, tmp_path, capsys):
    argv = ["--data-dir", str(tmp_path), "report", "attendance", "--from", "2026-11-01",
            "--to", "2026-11-05"]
    assert cli.main([*argv, "--csv", "--plot", str(tmp_path / "arrivals.png")]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["day", "name", "employee_id", "first", "last", "entries"]
    assert rows[1] == ["2026-11-02", "Ann", "E1", "08:55:00", "17:40:00", "3"]
    assert (tmp_path / "arrivals.png").read_bytes()[:4] == b"\x89PNG"
    assert cli.main([*argv, "--json", "--kiosk", "main door"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["days_present"] == {"Ann": 2, "Bob": 1} and report["kiosk"] == "main door"
    assert cli.main([*argv[:4], "--from", "Nov 1", "--to", "2026-11-05"]) == 2


# --- without matplotlib, as in the installed kiosk (packaging/kiosk.spec leaves it out) ------
def hide_matplotlib(monkeypatch) -> None:
    """Every `import matplotlib…` fails from here on, as in the PyInstaller bundle."""
    loaded = [n for n in sys.modules if n.split(".")[0] in ("matplotlib", "mpl_toolkits")]
    for name in {"matplotlib", "matplotlib.figure", *loaded}:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        from matplotlib.figure import Figure  # noqa: F401


def bar_heights(chart) -> list[int]:
    """The height in pixels of each green bar painted by ``chart``, left to right."""
    import numpy as np
    from PySide6.QtGui import QImage

    image = chart.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    rgb = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())[:, :w * 3]
    green = (rgb.reshape(h, w, 3) == (0x1E, 0x8E, 0x4E)).all(axis=2).sum(axis=0)
    heights, run = [], []
    for column in [*green, 0]:
        if column:
            run.append(column)
        elif run:
            heights, run = [*heights, max(run)], []
    return heights


def test_the_attendance_window_draws_its_chart_without_matplotlib(store, qtbot, monkeypatch):
    from PySide6.QtCore import QDate

    from kiosk.ui.report_dialog import ReportDialog
    from tests.ui_helpers import ScriptedPrompter

    hide_matplotlib(monkeypatch)
    dialog = ReportDialog(store, ScriptedPrompter(), today=date(2026, 11, 5))
    qtbot.addWidget(dialog)
    dialog.start_edit.setDate(QDate(2026, 11, 1))
    chart = dialog.chart
    assert chart.bars == (("11-01", 0), ("11-02", 2), ("11-03", 0), ("11-04", 1), ("11-05", 0))
    assert chart.message == "" and chart.title == "Arrivals per day, 2026-11-01 to 2026-11-05"
    chart.resize(400, 200)
    tall, short = bar_heights(chart)  # two days with arrivals: two bars, Ann and Bob vs Ann
    assert short > 20 and abs(tall - 2 * short) <= 1
    chart.resize(800, 400)  # the bars grow with the widget
    big_tall, big_short = bar_heights(chart)
    assert big_tall > 1.5 * tall and abs(big_tall - 2 * big_short) <= 1
    dialog.start_edit.setDate(QDate(2026, 11, 5))
    dialog.end_edit.setDate(QDate(2026, 11, 8))
    assert [v for _, v in chart.bars] == [0, 0, 0, 0] and chart.message == "no arrivals in this range"
    assert bar_heights(chart) == []


def test_a_long_range_keeps_every_day_as_a_bar(store, qtbot):
    from kiosk.ui.bar_chart import BarChart, label_step, whole_ticks

    report = attendance(store, date(2026, 10, 1), date(2026, 11, 30))
    per_day = report.arrivals_per_day()
    chart = BarChart()
    qtbot.addWidget(chart)
    chart.set_bars([d.strftime("%m-%d") for d in per_day], list(per_day.values()))
    chart.resize(600, 200)
    assert len(chart.bars) == 61 and len(bar_heights(chart)) == 3  # Nov 2, 4 and 9
    assert label_step(61, 10) == 7 and whole_ticks(0) == [0, 1] and whole_ticks(2) == [0, 1, 2]
    assert whole_ticks(23) == [0, 5, 10, 15, 20, 25]


def test_the_chart_file_is_readable_over_long_and_empty_ranges(store):
    from matplotlib.figure import Figure

    from kiosk.core.frontdesk.attendance import _draw_arrivals

    for start, end, top in ((date(2026, 10, 1), date(2026, 11, 30), 3), (date(2026, 11, 5), date(2026, 11, 8), 1)):
        ax = Figure().add_subplot()
        _draw_arrivals(ax, attendance(store, start, end).arrivals_per_day())
        assert len(ax.get_xticklabels()) <= 10 and ax.get_ylim() == (0, top)
        assert all(float(t).is_integer() for t in ax.get_yticks())


def test_plot_without_matplotlib_is_one_line_and_exit_2(store, tmp_path, capsys, monkeypatch):
    hide_matplotlib(monkeypatch)
    png = tmp_path / "arrivals.png"
    assert cli.main(["--data-dir", str(tmp_path), "report", "attendance", "--from", "2026-11-01",
                     "--to", "2026-11-05", "--csv", "--plot", str(png)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and not png.exists()
    assert err.splitlines() == ["error: --plot needs matplotlib, which this installation leaves out; "
                                "use --csv or the admin's Attendance view"]

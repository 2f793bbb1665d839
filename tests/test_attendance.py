"""Attendance from the access log (a real SQLite store; times in local time)."""
import csv
import io
import json
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

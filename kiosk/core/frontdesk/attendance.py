"""Attendance from the access log: who came in on which days, first and last entry.

Only rows that let someone in count (a welcome or a verified badge). Days are local calendar
days; ``start`` and ``end`` are inclusive. A removed person appears under their pseudonym.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from kiosk.core.base.errors import InvalidTextError
from kiosk.core.storage.store import Store

MAX_DAYS = 366
MAX_DAY_LABELS = 10  # more dates than this under a chart overlap
NO_ARRIVALS = "no arrivals in this range"


@dataclass(frozen=True)
class PersonDay:
    """One person on one day: their first and last accepted entry (local times)."""

    name: str
    employee_id: str | None
    day: date
    first: datetime
    last: datetime
    entries: int


@dataclass
class AttendanceReport:
    start: date
    end: date
    kiosk: str | None
    rows: list[PersonDay] = field(default_factory=list)  # by day, then name

    def days_present(self) -> dict[str, int]:
        """{name: days with at least one entry}, by name."""
        return dict(sorted(Counter(row.name for row in self.rows).items()))

    def arrivals_per_day(self) -> dict[date, int]:
        """{day: people who came in}, every day of the range (0 on empty days)."""
        counts = Counter(row.day for row in self.rows)
        span = (self.end - self.start).days + 1
        days = (self.start + timedelta(days=i) for i in range(span))
        return {day: counts.get(day, 0) for day in days}

    def chart_title(self) -> str:
        """"Arrivals per day, <start> to <end>", and the kiosk when there is one."""
        return (f"Arrivals per day, {self.start} to {self.end}"
                + (f" ({self.kiosk})" if self.kiosk else ""))

    def to_json_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "kiosk": self.kiosk,
                "days": [_row_dict(r) for r in self.rows], "days_present": self.days_present(),
                "arrivals_per_day": {d.isoformat(): n for d, n in self.arrivals_per_day().items()}}


def attendance(store: Store, start: date, end: date, kiosk: str | None = None) -> AttendanceReport:
    """First and last accepted entry per person per local day, ``start`` to ``end``."""
    if end < start:
        raise InvalidTextError(f"the report ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_DAYS:
        raise InvalidTextError(f"a report covers at most {MAX_DAYS} days")
    since = datetime.combine(start, time.min)  # naive = local time, as the store reads it
    until = datetime.combine(end + timedelta(days=1), time.min)
    events = [e for e in store.events(since=since, until=until, accepted=True, kiosk=kiosk)
              if e.identity]
    report = AttendanceReport(start, end, kiosk)
    report.rows = _person_days(events)
    return report


def _person_days(events) -> list[PersonDay]:
    groups: dict[tuple[str, date], list] = {}
    for e in events:
        local = e.time.astimezone()
        groups.setdefault((e.identity, local.date()), []).append((local, e.employee_id))
    rows = [PersonDay(name, min(g)[1], day, min(g)[0], max(g)[0], len(g))
            for (name, day), g in groups.items()]
    return sorted(rows, key=lambda r: (r.day, r.name.casefold()))


def _row_dict(r: PersonDay) -> dict:
    return {"name": r.name, "employee_id": r.employee_id, "day": r.day.isoformat(),
            "first": r.first.isoformat(timespec="seconds"),
            "last": r.last.isoformat(timespec="seconds"), "entries": r.entries}


CSV_FIELDS = ("day", "name", "employee_id", "first", "last", "entries")


def csv_rows(report: AttendanceReport) -> list[tuple]:
    """One row per person per day, in CSV_FIELDS order, every cell spreadsheet-safe."""
    from kiosk.core.base.text import spreadsheet_safe

    return [tuple(spreadsheet_safe(c) for c in (r.day.isoformat(), r.name, r.employee_id or "",
                                                r.first.strftime("%H:%M:%S"),
                                                r.last.strftime("%H:%M:%S"), r.entries))
            for r in report.rows]


def plot_arrivals(report: AttendanceReport, path: Path) -> Path:
    """A bar chart of the people who came in each day, as a PNG (needs matplotlib, which the
    installed kiosk leaves out: `kiosk report --plot` checks first)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 3.2), dpi=100)
    ax = fig.add_subplot()
    _draw_arrivals(ax, report.arrivals_per_day())
    ax.set_title(report.chart_title())
    fig.tight_layout()
    fig.savefig(path, format="png")
    return Path(path)


def _draw_arrivals(ax, per_day: dict[date, int]) -> None:
    """Bars on ``ax``: y from 0 with whole-number ticks, at most MAX_DAY_LABELS dates."""
    from matplotlib.ticker import MaxNLocator

    days, counts = list(per_day), list(per_day.values())
    ax.bar(range(len(days)), counts, color="#1e8e4e")
    step = max(1, math.ceil(len(days) / MAX_DAY_LABELS))
    ax.set_xticks(range(0, len(days), step), [d.isoformat() for d in days[::step]],
                  rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, max(counts, default=0) + 1)  # an empty range: 0 to 1, not -0.04 to 0.04
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("people in")
    if not any(counts):
        ax.text(0.5, 0.5, NO_ARRIVALS, transform=ax.transAxes, ha="center", va="center")

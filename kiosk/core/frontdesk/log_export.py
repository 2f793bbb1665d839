"""The access log as CSV: one documented format for `kiosk events --csv` and the screen's export.

Columns (UTF-8, a header row, newest first): time (local, ISO 8601 with offset), kiosk, source
(screen or cli), mode (recognize or verify), decision (a DecisionKind), result (let in or
refused), name (who was let in), employee_id, claimed (what was typed), distance (L2, lower
is closer), reason. Every cell is data: one that a spreadsheet would run as a formula
(starting with =, +, -, @, tab or CR) gets a leading apostrophe.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Iterable, Sequence

from kiosk.core.base.text import spreadsheet_safe
from kiosk.core.base.types import AccessEvent

CSV_FIELDS = ("time", "kiosk", "source", "mode", "decision", "result", "name", "employee_id",
              "claimed", "distance", "reason")


def csv_row(e: AccessEvent) -> tuple[str, ...]:
    """One log row as CSV cells, in CSV_FIELDS order."""
    cells = (e.time.astimezone().isoformat(timespec="seconds"), e.kiosk, e.source, e.mode,
             e.kind, "let in" if e.accepted else "refused", e.identity or "",
             e.employee_id or "", e.claimed or "",
             "" if e.distance is None else f"{e.distance:.4f}", e.detail)
    return tuple(spreadsheet_safe(cell) for cell in cells)


def write_csv(events: Iterable[AccessEvent], out: IO[str]) -> int:
    """Write the header and one row per event to an open text stream; the row count."""
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    count = 0
    for event in events:
        writer.writerow(csv_row(event))
        count += 1
    return count


def csv_path(path: str | Path) -> Path:
    """The export's file name, with the .csv suffix it must have."""
    path = Path(path)
    return path if path.suffix.lower() == ".csv" else path.with_name(path.name + ".csv")


def export_csv(events: Sequence[AccessEvent], path: str | Path) -> tuple[Path, int]:
    """Write the events to a .csv file (suffix added if missing); (the path, rows written)."""
    target = csv_path(path)
    with open(target, "w", newline="", encoding="utf-8") as fh:
        return target, write_csv(events, fh)

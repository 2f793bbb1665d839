"""`kiosk store repair`: save what can be read of a damaged store into a fresh one.

The damaged file is moved aside (never deleted) as ``<name>.damaged-<time>``; a fresh store is
created in its place and every row that can still be read is copied into it, table by table,
in chunks, so that one bad page loses only the rows on it. The report says what was saved and
what was lost; the admin decides whether that is good enough or a backup is better.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiosk.core.base.errors import StoreError
from kiosk.core.storage.schema import open_connection, transaction

TABLES = ("people", "templates", "events", "settings")  # parents before children
CHUNK_ROWS = 200


@dataclass
class RepairReport:
    store: Path
    damaged_copy: Path
    saved: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    lost: list[str] = field(default_factory=list)  # what could not be read

    def summary(self) -> str:
        saved = ", ".join(f"{n} {t}" for t, n in self.saved.items()) or "nothing"
        lines = [f"repaired {self.store}: saved {saved}",
                 f"the damaged file is kept as {self.damaged_copy}"]
        lines += [f"  lost: {what}" for what in self.lost]
        return "\n".join(lines)


def repair(path: Path, now: datetime | None = None) -> RepairReport:
    """Move the store at ``path`` aside and rebuild it from its readable rows."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"there is no store at {path} to repair")
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(damaged.with_name(damaged.name + suffix))
    report = RepairReport(path, damaged)
    source = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    target = open_connection(path, timeout_s=2.0)
    try:
        for table in TABLES:
            _copy_table(source, target, table, report)
    finally:
        source.close()
        target.close()
    return report


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        return []


def _copy_table(source, target, table: str, report: RepairReport) -> None:
    """Copy the rows of ``table`` that can be read, in rowid chunks; note the rest."""
    columns = [c for c in _columns(source, table) if c in _columns(target, table)]
    if not columns:
        report.lost.append(f"the whole {table} table (unreadable)")
        return
    names = ", ".join(columns)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    copied, orphans, start, last = 0, 0, 0, _last_rowid(source, table)
    select = f"SELECT {names} FROM {table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid"
    while start <= last:
        rows = _readable_rows(source, select, start, start + CHUNK_ROWS, table, report)
        with transaction(target):
            for row in rows:
                try:
                    copied += target.execute(insert, row).rowcount
                except sqlite3.IntegrityError:  # e.g. a template whose person was lost
                    orphans += 1
        start += CHUNK_ROWS
    report.saved[table] = copied
    if orphans:
        report.lost.append(f"{orphans} {table} row(s) that belonged to lost rows")


def _readable_rows(source, select: str, start: int, end: int, table: str,
                   report: RepairReport) -> list[tuple]:
    """Rows with start < rowid <= end: the chunk at once, or row by row when it is damaged."""
    try:
        return source.execute(select, (start, end)).fetchall()
    except sqlite3.DatabaseError:
        pass
    rows, lost = [], 0
    for rowid in range(start + 1, end + 1):
        try:
            rows += source.execute(select, (rowid - 1, rowid)).fetchall()
        except sqlite3.DatabaseError:
            lost += 1
    report.lost.append(f"up to {lost} {table} row(s) between {start + 1} and {end} (unreadable)")
    return rows


def _last_rowid(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0)
    except sqlite3.DatabaseError:
        return 10_000_000  # unknown: walk on until the chunks come back empty

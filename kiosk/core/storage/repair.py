"""`kiosk store repair`: save what can be read of a damaged store into a fresh one.

The rows that can still be read are copied, table by table, in chunks, into a new file beside
the store (``<name>.repairing-<time>``), so that one bad page loses only the rows on it. Only
when that is done is the damaged file moved aside (never deleted) as ``<name>.damaged-<time>``
and the new one put in its place: a repair that fails, is interrupted, or can read nothing
leaves the store exactly as it was. The report says what was saved and what was lost; the
admin decides whether that is good enough or a backup is better.
"""
from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiosk.core.base.errors import DamagedStoreError, StoreError
from kiosk.core.storage.schema import open_connection, sqlite_errors, transaction

TABLES = ("people", "templates", "events", "settings")  # parents before children
CHUNK_ROWS = 200
MAX_ROWID = 2**63 - 1
MIN_CELL_BYTES = 6  # a table row takes at least 4 bytes on its page plus a 2-byte pointer
PARTS = ("", "-wal", "-shm")  # the store file and the journal files that go with it


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
    """Rebuild the store at ``path`` from its readable rows; keep the damaged file beside it.

    Nothing at ``path`` changes until the new store is complete; on any failure (or Ctrl+C)
    the half-built new file is removed and the error raised."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"there is no store at {path} to repair")
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    damaged = path.with_name(f"{path.name}.damaged-{stamp}")
    fresh = path.with_name(f"{path.name}.repairing-{stamp}")
    for taken in (damaged, fresh):
        if any(_part(taken, suffix).exists() for suffix in PARTS):
            raise StoreError(f"{taken} is in the way of the repair: move it away and try again")
    report, journal = RepairReport(path, damaged), [s for s in PARTS if _part(path, s).exists()]
    try:
        _rebuild(path, fresh, report)
        _swap(path, fresh, damaged)
    except BaseException:
        _remove(fresh, PARTS)
        if not _part(path, "-wal").exists() or not _part(path, "-wal").stat().st_size:
            _remove(path, [s for s in PARTS[1:] if s not in journal])  # made by reading it
        raise
    return report


def _remove(path: Path, suffixes) -> None:
    for suffix in suffixes:
        with contextlib.suppress(OSError):
            _part(path, suffix).unlink(missing_ok=True)


def _rebuild(path: Path, fresh: Path, report: RepairReport) -> None:
    """Copy every readable row of the store at ``path`` (opened read-only) into ``fresh``."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        limits = _limits(source, path)
        target = open_connection(fresh, timeout_s=2.0)
        try:
            with sqlite_errors(fresh):
                for table in TABLES:
                    _copy_table(source, target, table, report, limits)
        finally:
            target.close()
    finally:
        source.close()
    if report.lost and not any(report.saved.values()):
        raise DamagedStoreError(f"no row of {path} could be read, so it is left as it was:"
                                " restore a backup")


def _limits(source: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """How many rows the whole file, and one page of it, could hold at most: bounds on any
    walk through a table, however damaged."""
    try:
        page_size = source.execute("PRAGMA page_size").fetchone()[0]
        page_count = source.execute("PRAGMA page_count").fetchone()[0]
        source.execute("SELECT name FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        raise DamagedStoreError(f"{path} is too damaged to repair ({exc}), so it is left as it"
                                " was: restore a backup") from exc
    return page_count * (page_size // MIN_CELL_BYTES), page_size // MIN_CELL_BYTES


def _swap(path: Path, fresh: Path, damaged: Path) -> None:
    """Move the damaged store aside and the new one into its place (back again on failure)."""
    try:
        _move(path, damaged)
    except OSError as exc:
        raise StoreError(f"cannot move {path} aside to {damaged}: {exc}") from exc
    try:
        _move(fresh, path)
    except OSError as exc:
        _move(damaged, path)
        raise StoreError(f"cannot put the repaired store in place of {path}: {exc}") from exc


def _move(source: Path, target: Path) -> None:
    for suffix in PARTS:
        if _part(source, suffix).exists():
            _part(source, suffix).rename(_part(target, suffix))


def _part(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    except sqlite3.DatabaseError:
        return []


def _copy_table(source, target, table: str, report: RepairReport, limits: tuple[int, int]) -> None:
    """Copy the rows of ``table`` that can be read, in rowid chunks; note the rest."""
    columns = [c for c in _columns(source, table) if c in _columns(target, table)]
    if not columns:
        report.lost.append(f"the whole {table} table (unreadable)")
        return
    names = ", ".join(columns)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    walk = _Walk(source, table, names, limits)
    copied, orphans = 0, 0
    for rows in walk.chunks():
        with transaction(target):
            for row in rows:
                try:
                    copied += target.execute(insert, row[1:]).rowcount
                except sqlite3.IntegrityError:  # e.g. a template whose person was lost
                    orphans += 1
    report.saved[table] = copied
    report.lost += walk.lost
    if orphans:
        report.lost.append(f"{orphans} {table} row(s) that belonged to lost rows")


class _Walk:
    """The readable rows of one table in rowid order, stepping over damaged pages.

    A chunk that cannot be read is retried row by row, for as many rowids as one page could
    hold; past that the walk leaps ahead, twice as far each time, until reading works again
    (then looks back for the first place it does) or the largest rowid is passed. Every step
    moves forward and no more rows are read than the file could hold, so a damaged root page
    (whose rowids are junk or unreadable) ends the walk quickly instead of never."""

    def __init__(self, source: sqlite3.Connection, table: str, names: str, limits: tuple[int, int]):
        self.source, self.table = source, table
        self.budget, rows_per_page = limits
        self.probe_chunks = -(-rows_per_page // CHUNK_ROWS)
        self.after_sql = f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT {CHUNK_ROWS}"
        self.range_sql = f"SELECT rowid, {names} FROM {table} WHERE rowid > ? AND rowid <= ?"
        self.gaps: list[list[int]] = []  # [first rowid, last rowid, rowids not read]

    def chunks(self) -> Iterator[list[tuple]]:
        """Lists of (rowid, *columns) rows, in rowid order."""
        after, misses = 0, 0
        while self.budget > 0 and after < MAX_ROWID:
            rows = self._read_after(after)
            if rows == []:
                return
            if rows is not None:
                misses, end = 0, rows[-1][0]
            elif misses < self.probe_chunks:
                end = min(after + CHUNK_ROWS, MAX_ROWID)
                misses, rows = misses + 1, self._row_by_row(after, end)
                self._note_gap(after, end, len(rows))
            else:
                misses, rows = 0, self._leap(after)
                end = rows[-1][0] if rows else MAX_ROWID
                self._note_gap(after, rows[0][0] - 1 if rows else MAX_ROWID, 0)
            self.budget -= len(rows)
            if rows:
                yield rows
            after = end
        if self.budget <= 0:
            self._note_gap(after, MAX_ROWID, 0)

    def _read_after(self, after: int) -> list[tuple] | None:
        """The next chunk of rows past rowid ``after``; None when that part of the table is damaged."""
        try:
            return self.source.execute(self.after_sql, (after,)).fetchall()
        except sqlite3.DatabaseError:
            return None

    def _row_by_row(self, start: int, end: int) -> list[tuple]:
        """The rows with start < rowid <= end that can be read, one rowid at a time."""
        rows = []
        for rowid in range(start + 1, end + 1):
            self.budget -= 1
            with contextlib.suppress(sqlite3.DatabaseError):
                rows += self.source.execute(self.range_sql, (rowid - 1, rowid)).fetchall()
        return rows

    def _leap(self, failed: int) -> list[tuple]:
        """The first readable rows past rowid ``failed``; [] when there are none."""
        step, good, rows = CHUNK_ROWS, failed, None
        while rows is None and failed < MAX_ROWID:
            good = min(failed + step, MAX_ROWID)
            rows = self._read_after(good)
            if rows is None:
                failed, step = good, step * 2
        while rows and good - failed > 1:  # halve the leap back to where reading starts to work
            middle = (failed + good) // 2
            earlier = self._read_after(middle)
            if earlier is None:
                failed = middle
            else:
                good, rows = middle, earlier
        return rows or []

    def _note_gap(self, start: int, end: int, found: int) -> None:
        """Rowids start < rowid <= end were not all read; joined to a gap just before it."""
        if end - start - found <= 0:
            return
        if self.gaps and self.gaps[-1][1] == start:
            self.gaps[-1][1:] = [end, self.gaps[-1][2] + end - start - found]
        else:
            self.gaps.append([start + 1, end, end - start - found])

    @property
    def lost(self) -> list[str]:
        """The gaps in words."""
        return [f"the {self.table} rows from rowid {first} on (unreadable)" if last == MAX_ROWID
                else f"up to {missing} {self.table} row(s) with rowid {first} to {last} (unreadable)"
                for first, last, missing in self.gaps]

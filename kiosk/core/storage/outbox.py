"""The outbox: access-log rows waiting for the server, in a small SQLite file of their own.

A kiosk that cannot reach its server still logs every decision, here (``outbox.sqlite3`` in
the data folder, 0600, committed to disk before the door opens), and sends the rows in the
order they were decided when the server is back (`ResilientStore`). Each row keeps the uid
made when it was decided: the server stores a uid once, so a row sent twice (a crash between
"sent" and "deleted here", two processes flushing at once) is still stored once.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from kiosk.core.base.types import AccessEvent
from kiosk.core.storage.codec import to_text
from kiosk.core.storage.schema import restrict_file, sqlite_errors, transaction

FIELDS = ("time", "mode", "claimed", "identity", "accepted", "distance", "detail", "person_id",
          "template_id", "kind", "source", "kiosk", "employee_id", "uid")
SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL, uid TEXT NOT NULL UNIQUE, row TEXT NOT NULL)"""


class Outbox:
    """The rows queued for each server (by URL) in the SQLite file at ``path``, created on
    the first `put`; safe to share between threads and processes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def put(self, server: str, event: AccessEvent) -> None:
        """Queue ``event`` (once per uid), durably."""
        row = json.dumps({name: _plain(getattr(event, name)) for name in FIELDS})
        with self._tx(create=True) as conn:
            conn.execute("INSERT OR IGNORE INTO outbox (server, uid, row) VALUES (?, ?, ?)",
                         (server, event.uid, row))

    def peek(self, server: str, limit: int = 200) -> list[tuple[int, AccessEvent]]:
        """The oldest ``limit`` rows queued for ``server``: (seq, event), in order."""
        with self._tx() as conn:
            if conn is None:
                return []
            rows = conn.execute("SELECT seq, row FROM outbox WHERE server = ? ORDER BY seq"
                                " LIMIT ?", (server, int(limit))).fetchall()
        return [(seq, _event(json.loads(row))) for seq, row in rows]

    def delete(self, seqs: list[int]) -> None:
        with self._tx() as conn:
            if conn is not None:
                conn.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])

    def count(self, server: str | None = None) -> int:
        """Rows queued for ``server`` (None: for every server)."""
        sql, params = ("SELECT COUNT(*) FROM outbox", ()) if server is None else \
            ("SELECT COUNT(*) FROM outbox WHERE server = ?", (server,))
        with self._tx() as conn:
            return 0 if conn is None else int(conn.execute(sql, params).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextlib.contextmanager
    def _tx(self, create: bool = False) -> Iterator[sqlite3.Connection | None]:
        """One transaction on the file (None when there is no file yet and not ``create``)."""
        with self._lock, sqlite_errors(self.path):
            conn = self._open(create)
            if conn is None:
                yield None
                return
            with transaction(conn):
                yield conn

    def _open(self, create: bool) -> sqlite3.Connection | None:
        if self._conn is None and (create or self.path.exists()):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # private from birth
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # the door opened on this row's promise
            conn.execute(SCHEMA)
            restrict_file(self.path)
            self._conn = conn
        return self._conn


def _plain(value):
    return to_text(value) if isinstance(value, datetime) else value


def _event(values: dict) -> AccessEvent:
    values = dict(values, time=datetime.fromisoformat(values["time"]))
    return AccessEvent(event_id=0, **values)

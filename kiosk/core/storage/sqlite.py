"""SQLite store: people, their face templates, the access log and key/value settings.

One file, stdlib ``sqlite3``, WAL journal, foreign keys on. Every write runs in a single
``BEGIN IMMEDIATE`` transaction, so a crash in the middle of an enrolment leaves the file as
it was. The operations themselves are shared with the PostgreSQL store
(:mod:`kiosk.core.storage.sql_store`, over :mod:`kiosk.core.storage.queries`); this module
adds the file: opening, the revision, erasure, backup. The schema and its migrations live in
:mod:`kiosk.core.storage.schema`; how embeddings and times are encoded, in
:mod:`kiosk.core.storage.codec`. Times are returned as aware datetimes; a naive datetime
passed in is taken as local time.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from kiosk.core.base.errors import StoreError
from kiosk.core.base.vocabulary import StoreKind
from kiosk.core.storage.schema import open_connection, open_read_only, restrict_file, sqlite_errors, transaction
from kiosk.core.storage.sql_store import SqlStore
from kiosk.core.storage.store import StoreStatus


class SqliteStore(SqlStore):
    """The `Store` in one SQLite file. Build it with :meth:`open`; safe to share between
    threads (one connection behind a lock)."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        super().__init__()
        self.path = path
        self._conn: sqlite3.Connection | None = connection
        # One connection shared by the GUI and worker threads; re-entrant so a public
        # method may call another while holding it.
        self._lock = threading.RLock()

    # --- opening and closing -----------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, timeout_s: float = 2.0, read_only: bool = False) -> "SqliteStore":
        """Open (creating folders and file if missing) and migrate the database at ``path``;
        ``read_only`` opens an existing file without writing to it or its folder, and a
        missing one is an error (a mistyped data folder is not an empty store)."""
        path = Path(path)
        if not read_only:
            return cls(open_connection(path, timeout_s), path)
        if not path.exists():
            raise StoreError(f"no store at {path}: nobody has been enrolled and nothing logged with"
                             " this data folder (is --data-dir right?)")
        return cls(open_read_only(path, timeout_s), path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "SqliteStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def status(self) -> StoreStatus:
        """Always online: the file is here."""
        return StoreStatus(StoreKind.SQLITE, str(self.path))

    def revision(self) -> int:
        """Bumped by triggers on every change to people or templates (any connection)."""
        with self._read() as conn:
            return int(conn.execute("SELECT n FROM gallery_revision").fetchone()[0])

    # --- the file -----------------------------------------------------------------------
    def backup(self, target: Path) -> Path:
        """A consistent copy of the store at ``target`` (0600), made while the kiosk runs.

        ``target`` must not exist yet: an old backup, or the store itself, is never overwritten."""
        target = Path(target)
        _create_empty(target)
        try:
            with self._read() as conn:
                copy = sqlite3.connect(target)
                try:
                    conn.backup(copy)
                finally:
                    copy.close()
        except BaseException:
            target.unlink(missing_ok=True)  # ours: created empty above
            raise
        restrict_file(target)
        return target

    def _after_erase(self) -> None:
        """Deleted pages are zeroed (secure_delete); empty the WAL too."""
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Move the WAL into the file and empty it, so that erased data stays nowhere."""
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- plumbing -----------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the database {self.path} is closed")
        return self._conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, sqlite_errors(self.path):
            yield self._connection()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, sqlite_errors(self.path), transaction(self._connection()) as conn:
            yield conn


def refuse_an_existing_backup(target: Path) -> None:
    """A backup never overwrites a file (an old backup, the store itself): say so."""
    if os.path.lexists(target):
        raise StoreError(f"the backup file {target} already exists: delete it or choose another name")


def _create_empty(target: Path) -> None:
    """Create ``target`` as an empty file only the owner may read, refusing one that exists."""
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        refuse_an_existing_backup(target)
        raise
    except FileNotFoundError:
        raise StoreError(f"cannot write the backup {target}: the folder {target.parent} does not"
                         " exist") from None
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target} in {target.parent}:"
                         f" {exc.strerror or exc}") from None

"""The store's schema, its migrations, and the mapping of ``sqlite3`` errors to ``StoreError``.

The schema version lives in ``PRAGMA user_version``: ``MIGRATIONS[i]`` moves a database from
version i to i + 1. A database newer than this program, or an SQLite file of another
program, is refused before anything is written to it.
"""
from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from kiosk.core.base.errors import DatabaseLockedError, DatabaseTooNewError, StoreError

log = logging.getLogger("kiosk.core.storage")  # one logger for the whole store

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        name_key TEXT NOT NULL UNIQUE,  -- casefolded name: lookups ignore case
        employee_id TEXT UNIQUE COLLATE NOCASE, created_at TEXT NOT NULL);
    CREATE TABLE templates (id INTEGER PRIMARY KEY,
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        embedding BLOB NOT NULL, dim INTEGER NOT NULL CHECK (dim > 0), model_id TEXT NOT NULL,
        created_at TEXT NOT NULL, source TEXT);
    CREATE INDEX templates_by_model ON templates(model_id);
    CREATE INDEX templates_by_person ON templates(person_id);
    CREATE TABLE events (id INTEGER PRIMARY KEY, time TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('verify', 'recognize')), claimed TEXT, identity TEXT,
        person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
        template_id INTEGER REFERENCES templates(id) ON DELETE SET NULL,
        accepted INTEGER NOT NULL, distance REAL, detail TEXT NOT NULL DEFAULT '');
    CREATE INDEX events_by_time ON events(time);
    CREATE INDEX events_by_person ON events(person_id);
    CREATE INDEX events_by_template ON events(template_id);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- value is JSON
    """,
    # 2: a revision number that every change to people or templates bumps (a front desk
    # notices a change from any process with one tiny query), and the sha256 of the image
    # each template came from (a photo is not enrolled twice).
    """
    CREATE TABLE gallery_revision (n INTEGER NOT NULL);
    INSERT INTO gallery_revision (n) VALUES (0);
    CREATE TRIGGER people_added AFTER INSERT ON people
        BEGIN UPDATE gallery_revision SET n = n + 1; END;
    CREATE TRIGGER people_changed AFTER UPDATE ON people
        BEGIN UPDATE gallery_revision SET n = n + 1; END;
    CREATE TRIGGER people_removed AFTER DELETE ON people
        BEGIN UPDATE gallery_revision SET n = n + 1; END;
    CREATE TRIGGER templates_added AFTER INSERT ON templates
        BEGIN UPDATE gallery_revision SET n = n + 1; END;
    CREATE TRIGGER templates_removed AFTER DELETE ON templates
        BEGIN UPDATE gallery_revision SET n = n + 1; END;
    ALTER TABLE templates ADD COLUMN content_sha256 TEXT;
    """,
)


def open_connection(path: Path, timeout_s: float) -> sqlite3.Connection:
    """Connect to ``path`` (creating folders and file if missing), set it up and migrate it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the database {path}: {exc}") from exc
    with sqlite_errors(path):
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)
    try:
        with sqlite_errors(path):
            _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def open_read_only(path: Path, timeout_s: float) -> sqlite3.Connection:
    """Connect to an existing store without writing to it or its folder.

    SQLite needs to create a ``-shm`` file to read a WAL database; in a folder this user
    cannot write, the store is read as an immutable snapshot instead (nobody can be writing
    to it then either, short of another account).
    """
    try:
        return _checked_read_only(path, f"file:{path}?mode=ro", timeout_s)
    except (DatabaseLockedError, DatabaseTooNewError):
        raise
    except StoreError:
        log.info("%s: reading a snapshot (the folder is not writable)", path)
        return _checked_read_only(path, f"file:{path}?mode=ro&immutable=1", timeout_s)


def _checked_read_only(path: Path, uri: str, timeout_s: float) -> sqlite3.Connection:
    with sqlite_errors(path):
        conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)
    try:
        with sqlite_errors(path):
            version = _check_readable_version(conn, path)
        if version < len(MIGRATIONS):
            raise StoreError(f"{path} was written by an older version of the kiosk; open it once"
                             " with a command that writes (e.g. `kiosk gui`) to upgrade it")
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Re-raise any ``sqlite3.Error`` inside the block as a ``StoreError`` naming ``path``."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _translate(exc, path) from exc


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on any error."""
    # IMMEDIATE takes the write lock up front, so a busy database fails here, before any
    # work, instead of halfway through.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # primary result code
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
        return DatabaseLockedError(f"the database {path} is locked by another program"
                                   " (another kiosk or admin tool?); close it or try again")
    if code == sqlite3.SQLITE_FULL:
        return StoreError(f"the disk holding {path} is full: free some space, then try again")
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(f"cannot write {path} (is the disk full or failing?): {exc}")
    if code == sqlite3.SQLITE_NOTADB or "not a database" in str(exc):
        return StoreError(f"{path} is not a kiosk database (not SQLite, or damaged)")
    return StoreError(f"database error in {path}: {exc}")


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    _check_readable_version(conn, path)  # before anything that could write to the file
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        log.warning("%s: WAL journal unavailable, using %s", path, mode)
    conn.execute("PRAGMA foreign_keys = ON")
    with transaction(conn):
        version = _check_readable_version(conn, path)  # again, under the write lock
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number:d}")
            log.info("%s: schema migrated to version %d", path, number)


def _check_readable_version(conn: sqlite3.Connection, path: Path) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise DatabaseTooNewError(
            f"{path} was written by a newer version of the kiosk (schema {version}, this program"
            f" knows up to {len(MIGRATIONS)}); upgrade the program")
    has_tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] > 0
    if version < 0 or (version == 0 and has_tables):
        raise StoreError(f"{path} is an SQLite database of another program, not a kiosk store")
    return version


def _statements(script: str) -> Iterator[str]:
    """Split a migration script; executescript() would commit our transaction first."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""

"""The store's schema, its migrations, and the mapping of ``sqlite3`` errors to ``StoreError``.

The schema version lives in ``PRAGMA user_version``: ``MIGRATIONS[i]`` moves a database from
version i to i + 1. A database newer than this program, or an SQLite file of another
program, is refused before anything is written to it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from kiosk.core.base import paths
from kiosk.core.base.errors import DamagedStoreError, DatabaseLockedError, DatabaseTooNewError, StoreError

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
    # notices a change from any process with one tiny query); the sha256 of the image each
    # template came from (a photo is not enrolled twice); people can be disabled or valid
    # between two dates; each log row says its decision kind, where it was decided (the
    # screen or the command line, which kiosk), the employee id, and carries an id made by
    # the kiosk so that a row sent twice is stored once.
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
    ALTER TABLE people ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE people ADD COLUMN valid_from TEXT;
    ALTER TABLE people ADD COLUMN valid_until TEXT;
    ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'screen';
    ALTER TABLE events ADD COLUMN kiosk TEXT NOT NULL DEFAULT '';
    ALTER TABLE events ADD COLUMN employee_id TEXT;
    ALTER TABLE events ADD COLUMN uid TEXT;
    CREATE UNIQUE INDEX events_by_uid ON events(uid);
    CREATE INDEX events_by_kiosk ON events(kiosk);
    """,
)


def open_connection(path: Path, timeout_s: float) -> sqlite3.Connection:
    """Connect to ``path`` (creating folders and file if missing), check it, set it up and
    migrate it. A new folder is 0700 and the file 0600 (POSIX): faces are personal data."""
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
    except PermissionError as exc:
        raise StoreError(paths.no_access_message(path.parent)) from exc
    except OSError as exc:
        raise StoreError(f"cannot create the folder for the database {path}: {exc}") from exc
    if not os.access(path.parent, os.R_OK | os.W_OK | os.X_OK):
        raise StoreError(paths.no_access_message(path.parent))
    _refuse_empty(path, timeout_s)
    with sqlite_errors(path):
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)
    try:
        with sqlite_errors(path):
            _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    restrict_file(path)
    return conn


def restrict_file(path: Path) -> None:
    """Only the owner may read or write ``path`` (and its -wal/-shm beside it), on POSIX."""
    if os.name != "posix":
        return
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if part.stat().st_mode & 0o077:
                part.chmod(0o600)


def _refuse_empty(path: Path, timeout_s: float) -> None:
    """A 0-byte store is a store that lost its contents, not a new one: refuse it (unless
    another program holds its lock: then it is being created, and this one waits its turn)."""
    if not path.exists() or path.stat().st_size:
        return
    with sqlite_errors(path):
        probe = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
        finally:
            probe.close()
    raise DamagedStoreError(
        f"the store {path} is empty (0 bytes): its contents were lost. Restore a backup"
        " (`kiosk store backup` makes one), or move the file away to start afresh on purpose")


def open_read_only(path: Path, timeout_s: float) -> sqlite3.Connection:
    """Connect to an existing store without writing to it or its folder.

    SQLite needs to create a ``-shm`` file to read a WAL database; in a folder this user
    cannot write, the store is read as an immutable snapshot instead (nobody can be writing
    to it then either, short of another account).
    """
    if path.stat().st_size == 0:
        raise DamagedStoreError(f"the store {path} is empty (0 bytes): its contents were lost;"
                                " restore a backup")
    try:
        return _checked_read_only(path, f"file:{path}?mode=ro", timeout_s)
    except (DatabaseLockedError, DatabaseTooNewError, DamagedStoreError):
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
            check_integrity(conn, path)
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
    check_integrity(conn, path)
    conn.execute("PRAGMA secure_delete = ON")  # deleted faces and names are zeroed, not left
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


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """SQLite's quick_check: a store with a damaged page is refused, never half-read."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        raise DamagedStoreError(
            f"the store {path} is damaged ({problems[0]}). Restore a backup, or run `kiosk store"
            " repair` to save what can be read into a fresh store (the damaged file is kept)")


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

"""SQLite store: people, their face templates, the access log and key/value settings.

One file, stdlib ``sqlite3``, WAL journal, foreign keys on. Every write runs in a single
``BEGIN IMMEDIATE`` transaction, so a crash in the middle of an enrolment leaves the file as
it was. The schema and its migrations live in :mod:`kiosk.core.storage.schema`; the queries
in :mod:`kiosk.core.storage.sqlite_queries`; how embeddings and times are encoded, in
:mod:`kiosk.core.storage.codec`. Times are returned as
aware datetimes; a naive datetime passed in is taken as local time.

Templates are float32 little-endian blobs of shape ``(dim,)``; each row records the
``model_id`` that computed it and its ``dim``, so embeddings of different models never mix.
"""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.core.base.errors import (
    DuplicatePersonError,
    InvalidTextError,
    StoreError,
    UnknownTemplateError,
)
from kiosk.core.base.types import AccessEvent, Person
from kiosk.core.base.vocabulary import Mode
from kiosk.core.storage.codec import (
    clean_model_id,
    date_to_text,
    embedding_blobs,
    from_text,
    now,
    stack_templates,
    template_sources,
    to_text,
)
from kiosk.core.storage.schema import open_connection, open_read_only, restrict_file, sqlite_errors, transaction
from kiosk.core.storage.sqlite_queries import (
    EVENT_SQL,
    PERSON_SQL,
    assign_employee_id,
    by_id,
    by_name,
    check_model_dim,
    clean_employee_id,
    clean_name,
    event_filters,
    event_from_row,
    foreign_models,
    insert_person,
    name_key,
    person_for_enrolment,
    person_from_row,
    pseudonymise_events,
    require,
)
from kiosk.core.storage.store import TemplateInfo

log = logging.getLogger("kiosk.core.storage")  # one logger for the whole store


class SqliteStore:
    """The `Store` in one SQLite file. Build it with :meth:`open`; safe to share between
    threads (one connection behind a lock)."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.path = path
        self._conn: sqlite3.Connection | None = connection
        # One connection shared by the GUI and worker threads; re-entrant so a public
        # method may call another while holding it.
        self._lock = threading.RLock()
        self._warned_foreign: set[tuple[str, int]] = set()

    # --- opening and closing -----------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, timeout_s: float = 2.0, read_only: bool = False) -> "SqliteStore":
        """Open (creating folders and file if missing) and migrate the database at ``path``;
        ``read_only`` opens an existing file without writing to it or its folder."""
        path = Path(path)
        if read_only and path.exists():
            return cls(open_read_only(path, timeout_s), path)
        return cls(open_connection(path, timeout_s), path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> "SqliteStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def revision(self) -> int:
        """Bumped by triggers on every change to people or templates (any connection)."""
        with self._read() as conn:
            return int(conn.execute("SELECT n FROM gallery_revision").fetchone()[0])

    # --- people -------------------------------------------------------------------------
    def add_person(self, name: str, employee_id: str | None = None) -> Person:
        """A person with no templates yet (enrolment adds them)."""
        name, employee_id = clean_name(name), clean_employee_id(employee_id)
        with self._tx() as conn:
            return insert_person(conn, name, employee_id)

    def find_person(self, name_or_id: str) -> Person:
        """The person with this name (any case) or, failing that, this employee id."""
        with self._read() as conn:
            return require(conn, name_or_id)

    def people(self, model_id: str | None = None) -> list[Person]:
        """Everyone, by name; ``template_count`` counts only ``model_id``'s templates if given."""
        count_filter = "AND t.model_id = ?" if model_id is not None else ""
        sql = PERSON_SQL.format(count_filter=count_filter) + " ORDER BY p.name_key"
        with self._read() as conn:
            rows = conn.execute(sql, () if model_id is None else (model_id,)).fetchall()
        return [person_from_row(row) for row in rows]

    def rename(self, name_or_id: str, new_name: str) -> Person:
        new_name = clean_name(new_name)
        with self._tx() as conn:
            person = require(conn, name_or_id)
            other = by_name(conn, new_name)
            if other is not None and other.person_id != person.person_id:
                raise DuplicatePersonError(f"a person called {other.name!r} is already enrolled")
            conn.execute("UPDATE people SET name = ?, name_key = ? WHERE id = ?",
                         (new_name, name_key(new_name), person.person_id))
            return replace(person, name=new_name)

    def set_employee_id(self, name_or_id: str, employee_id: str | None) -> Person:
        employee_id = clean_employee_id(employee_id)
        with self._tx() as conn:
            return assign_employee_id(conn, require(conn, name_or_id), employee_id)

    def set_enabled(self, name_or_id: str, enabled: bool) -> Person:
        with self._tx() as conn:
            person = require(conn, name_or_id)
            conn.execute("UPDATE people SET enabled = ? WHERE id = ?", (int(enabled), person.person_id))
            return replace(person, enabled=bool(enabled))

    def set_validity(self, name_or_id: str, valid_from: date | None,
                     valid_until: date | None) -> Person:
        """Let the person in from ``valid_from`` to ``valid_until`` (inclusive; None: open)."""
        if valid_from is not None and valid_until is not None and valid_until < valid_from:
            raise InvalidTextError(f"valid until {valid_until} is before valid from {valid_from}")
        with self._tx() as conn:
            person = require(conn, name_or_id)
            conn.execute("UPDATE people SET valid_from = ?, valid_until = ? WHERE id = ?",
                         (date_to_text(valid_from), date_to_text(valid_until), person.person_id))
            return replace(person, valid_from=valid_from, valid_until=valid_until)

    def remove(self, name_or_id: str, *, keep_name_in_log: bool = False) -> Person:
        """Delete a person and their templates, and erase them from the file: deleted pages are
        zeroed (secure_delete) and the WAL is checkpointed. Their access-log lines stay under a
        pseudonym unless ``keep_name_in_log``."""
        with self._tx() as conn:
            person = require(conn, name_or_id)
            conn.execute("DELETE FROM people WHERE id = ?", (person.person_id,))
            if not keep_name_in_log:
                pseudonymise_events(conn, person, f"former-{secrets.token_hex(4)}")
        self._checkpoint()
        log.info("removed person %d and %d templates", person.person_id, person.template_count)
        return person

    # --- templates ----------------------------------------------------------------------
    def enrol(self, name: str, embeddings: Sequence[np.ndarray], *, model_id: str,
               employee_id: str | None = None, sources: Sequence[str] | None = None,
               digests: Sequence[str | None] | None = None) -> Person:
        """Store ``embeddings`` (each float ``(dim,)``) for ``name``, creating the person if new.

        ``sources`` label each template (a file name, "camera"); ``digests`` are the sha256 of
        the image each came from (None for a camera shot), so a photo is not enrolled twice.
        All or nothing: every embedding is checked first, and person and templates are
        written in one transaction.
        """
        name, employee_id = clean_name(name), clean_employee_id(employee_id)
        model_id = clean_model_id(model_id)
        blobs, dim = embedding_blobs(embeddings)
        rows = list(zip(blobs, template_sources(sources, len(blobs)),
                        template_sources(digests, len(blobs))))
        with self._tx() as conn:
            person = person_for_enrolment(conn, name, employee_id)
            check_model_dim(conn, model_id, dim)
            created_at = to_text(now())
            for blob, source, digest in rows:
                self._insert_template(conn, (person.person_id, blob, dim, model_id, created_at,
                                             source, digest))
            return by_id(conn, person.person_id)

    def _insert_template(self, conn: sqlite3.Connection, values: tuple) -> int:
        """One template row: (person_id, blob, dim, model_id, created_at, source, digest)."""
        cursor = conn.execute(
            "INSERT INTO templates (person_id, embedding, dim, model_id, created_at, source,"
            " content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)", values)
        return cursor.lastrowid

    def template_digests(self, name_or_id: str) -> set[str]:
        """The sha256 of every image this person's templates came from (files only)."""
        with self._read() as conn:
            person = require(conn, name_or_id)
            rows = conn.execute("SELECT content_sha256 FROM templates WHERE person_id = ?"
                                " AND content_sha256 IS NOT NULL", (person.person_id,))
            return {row[0] for row in rows}

    def templates(self, model_id: str, dim: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``model_id``'s templates as ``(embeddings (N, dim) float32, template_ids (N,) int64,
        person_ids (N,) int64)``, in insertion order; ``(0, dim)`` when there are none."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, person_id, dim, embedding FROM templates"
                                " WHERE model_id = ? ORDER BY id", (model_id,)).fetchall()
            foreign = foreign_models(conn, model_id)
        self._warn_foreign(model_id, foreign)
        return stack_templates(rows, dim, model_id)

    def foreign_template_count(self, model_id: str) -> int:
        """How many stored templates were computed by a model other than ``model_id``."""
        with self._read() as conn:
            return sum(foreign_models(conn, model_id).values())

    def person_templates(self, person_id: int) -> list[TemplateInfo]:
        with self._read() as conn:
            by_id(conn, person_id)
            rows = conn.execute("SELECT id, created_at, source FROM templates"
                                " WHERE person_id = ? ORDER BY id", (person_id,)).fetchall()
        return [TemplateInfo(row[0], from_text(row[1]), row[2]) for row in rows]

    def remove_template(self, template_id: int) -> None:
        with self._tx() as conn:
            cursor = conn.execute("DELETE FROM templates WHERE id = ?", (int(template_id),))
            if cursor.rowcount == 0:
                raise UnknownTemplateError(f"there is no template number {template_id}")

    def _warn_foreign(self, model_id: str, foreign: dict[str, int]) -> None:
        key = (model_id, sum(foreign.values()))
        if foreign and key not in self._warned_foreign:
            self._warned_foreign.add(key)
            log.warning("%s holds %d templates of other models (%s), ignored with model %r;"
                        " re-enrol those people", self.path, key[1], ", ".join(foreign), model_id)

    # --- access log ---------------------------------------------------------------------
    def log_event(self, mode: str, *, claimed: str | None, identity: str | None,
                  accepted: bool, distance: float | None, person_id: int | None = None,
                  template_id: int | None = None, detail: str = "",
                  time: datetime | None = None, kind: str = "", source: str = "screen",
                  kiosk: str = "", employee_id: str | None = None,
                  uid: str | None = None) -> AccessEvent:
        """Append one access decision; the same ``uid`` twice is stored once. A person or
        template removed meanwhile is stored as NULL."""
        if mode not in tuple(Mode):
            raise ValueError(f"mode must be one of {', '.join(Mode)}, not {mode!r}")
        uid = uid or uuid.uuid4().hex
        values = (to_text(time or now()), mode, claimed, identity, person_id, template_id,
                  int(bool(accepted)), None if distance is None else float(distance), detail,
                  str(kind), source, kiosk, employee_id, uid)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO events (time, mode, claimed, identity, person_id, template_id,"
                " accepted, distance, detail, kind, source, kiosk, employee_id, uid)"
                " VALUES (?, ?, ?, ?, (SELECT id FROM people WHERE id = ?),"
                " (SELECT id FROM templates WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (uid) DO NOTHING", values)
            row = conn.execute(EVENT_SQL + " WHERE uid = ?", (uid,)).fetchone()
        return event_from_row(row)

    def events(self, *, since: datetime | None = None, until: datetime | None = None,
               person: str | None = None, accepted: bool | None = None,
               kiosk: str | None = None, limit: int | None = None) -> list[AccessEvent]:
        """Access-log lines, newest first, ``since`` <= time < ``until``. ``person`` matches a
        name or employee id, also of people since removed (by the claimed or recognised text)."""
        limit_sql = "" if limit is None else f" LIMIT {int(limit):d}"
        with self._read() as conn:
            where, params = event_filters(conn, since, until, person, accepted, kiosk)
            rows = conn.execute(f"{EVENT_SQL}{where} ORDER BY time DESC, id DESC{limit_sql}",
                                params).fetchall()
        return [event_from_row(row) for row in rows]

    def purge_events(self, before: datetime) -> int:
        """Delete the log rows older than ``before``; how many went."""
        with self._tx() as conn:
            count = conn.execute("DELETE FROM events WHERE time < ?", (to_text(before),)).rowcount
        self._checkpoint()
        return count

    # --- settings -----------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError as exc:
            raise StoreError(f"setting {key!r} in {self.path} is damaged: {exc}") from exc

    def set_setting(self, key: str, value: Any) -> None:
        self.set_settings({key: value})

    def set_settings(self, values: Mapping[str, Any]) -> None:
        """Write several JSON-serialisable settings in one transaction."""
        encoded = [(key, json.dumps(value)) for key, value in values.items()]
        with self._tx() as conn:
            conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value", encoded)

    # --- the file -----------------------------------------------------------------------
    def backup(self, target: Path) -> Path:
        """A consistent copy of the store at ``target`` (0600), made while the kiosk runs."""
        target = Path(target)
        with self._read() as conn:
            copy = sqlite3.connect(target)
            try:
                conn.backup(copy)
            finally:
                copy.close()
        restrict_file(target)
        return target

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



"""SQLite store: people, their face templates, the access log and key/value settings.

One file, stdlib ``sqlite3``, WAL journal, foreign keys on. Every write runs in a single
``BEGIN IMMEDIATE`` transaction, so a crash in the middle of an enrolment leaves the file as
it was. The schema and its migrations live in :mod:`kiosk.core.store_schema`; how
embeddings and times are encoded, in :mod:`kiosk.core.store_codec`. Times are returned as
aware datetimes; a naive datetime passed in is taken as local time.

Templates are float32 little-endian blobs of shape ``(dim,)``; each row records the
``model_id`` that computed it and its ``dim``, so embeddings of different models never mix.
"""
from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from kiosk.core.base.errors import (
    DuplicatePersonError,
    ModelMismatchError,
    StoreError,
    UnknownPersonError,
    UnknownTemplateError,
)
from kiosk.core.base.types import AccessEvent, Person
from kiosk.core.storage.codec import (
    EMBEDDING_DTYPE,
    clean_model_id,
    embedding_blobs,
    from_text,
    now,
    stack_templates,
    template_sources,
    to_text,
)
from kiosk.core.storage.schema import MIGRATIONS, open_connection, sqlite_errors, transaction

__all__ = ["EMBEDDING_DTYPE", "MIGRATIONS", "MODES", "Store", "TemplateInfo"]

log = logging.getLogger("kiosk.core.storage")  # one logger for the whole store

MODES = ("verify", "recognize")

_PERSON_SQL = """SELECT p.id, p.name, p.employee_id, p.created_at,
    (SELECT COUNT(*) FROM templates t WHERE t.person_id = p.id {count_filter}) FROM people p"""
_EVENT_SQL = ("SELECT id, time, mode, claimed, identity, accepted, distance, detail,"
              " person_id, template_id FROM events")


class TemplateInfo(NamedTuple):
    template_id: int
    created_at: datetime
    source: str | None


class Store:
    """The kiosk database. Build it with :meth:`Store.open`; safe to share between threads."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.path = path
        self._conn: sqlite3.Connection | None = connection
        # One connection shared by the GUI and worker threads; re-entrant so a public
        # method may call another while holding it.
        self._lock = threading.RLock()
        self._warned_foreign: set[tuple[str, int]] = set()

    # --- opening and closing -----------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, timeout_s: float = 2.0) -> Store:
        """Open (creating folders and file if missing) and migrate the database at ``path``."""
        path = Path(path)
        conn = open_connection(path, timeout_s)
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- people -------------------------------------------------------------------------
    def add_person(self, name: str, employee_id: str | None = None) -> Person:
        name, employee_id = _clean_name(name), _clean_employee_id(employee_id)
        with self._tx() as conn:
            return _insert_person(conn, name, employee_id)

    def find_person(self, name_or_id: str) -> Person:
        """The person with this name (any case) or, failing that, this employee id."""
        with self._read() as conn:
            return _require(conn, name_or_id)

    def people(self, model_id: str | None = None) -> list[Person]:
        """Everyone, by name; ``template_count`` counts only ``model_id``'s templates if given."""
        count_filter = "AND t.model_id = ?" if model_id is not None else ""
        sql = _PERSON_SQL.format(count_filter=count_filter) + " ORDER BY p.name_key"
        with self._read() as conn:
            rows = conn.execute(sql, () if model_id is None else (model_id,)).fetchall()
        return [_person(row) for row in rows]

    def rename(self, name_or_id: str, new_name: str) -> Person:
        new_name = _clean_name(new_name)
        with self._tx() as conn:
            person = _require(conn, name_or_id)
            other = _by_name(conn, new_name)
            if other is not None and other.person_id != person.person_id:
                raise DuplicatePersonError(f"a person called {other.name!r} is already enrolled")
            conn.execute("UPDATE people SET name = ?, name_key = ? WHERE id = ?",
                         (new_name, _name_key(new_name), person.person_id))
            return replace(person, name=new_name)

    def set_employee_id(self, name_or_id: str, employee_id: str | None) -> Person:
        employee_id = _clean_employee_id(employee_id)
        with self._tx() as conn:
            return _assign_employee_id(conn, _require(conn, name_or_id), employee_id)

    def remove(self, name_or_id: str) -> Person:
        """Delete a person and their templates; their access-log lines stay, unlinked."""
        with self._tx() as conn:
            person = _require(conn, name_or_id)
            conn.execute("DELETE FROM people WHERE id = ?", (person.person_id,))
        log.info("removed %s and %d templates", person.name, person.template_count)
        return person

    # --- templates ----------------------------------------------------------------------
    def enroll(self, name: str, embeddings: Sequence[np.ndarray], *, model_id: str,
               employee_id: str | None = None, sources: Sequence[str] | None = None) -> Person:
        """Store ``embeddings`` (each float ``(dim,)``) for ``name``, creating the person if new.

        All or nothing: every embedding is checked first, and person and templates are
        written in one transaction.
        """
        name, employee_id = _clean_name(name), _clean_employee_id(employee_id)
        model_id = clean_model_id(model_id)
        blobs, dim = embedding_blobs(embeddings)
        source_list = template_sources(sources, len(blobs))
        with self._tx() as conn:
            person = _person_for_enrolment(conn, name, employee_id)
            _check_model_dim(conn, model_id, dim)
            created_at = to_text(now())
            for blob, source in zip(blobs, source_list):
                self._insert_template(conn, person.person_id, blob, dim, model_id,
                                      source, created_at)
            return _by_id(conn, person.person_id)

    def _insert_template(self, conn: sqlite3.Connection, person_id: int, blob: bytes, dim: int,
                         model_id: str, source: str | None, created_at: str) -> int:
        cursor = conn.execute(
            "INSERT INTO templates (person_id, embedding, dim, model_id, created_at, source)"
            " VALUES (?, ?, ?, ?, ?, ?)", (person_id, blob, dim, model_id, created_at, source))
        return cursor.lastrowid

    def templates(self, model_id: str, dim: int = 128) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``model_id``'s templates as ``(embeddings (N, dim) float32, template_ids (N,) int64,
        person_ids (N,) int64)``, in insertion order; ``(0, dim)`` when there are none."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, person_id, dim, embedding FROM templates"
                                " WHERE model_id = ? ORDER BY id", (model_id,)).fetchall()
            foreign = _foreign_models(conn, model_id)
        self._warn_foreign(model_id, foreign)
        return stack_templates(rows, dim, model_id)

    def foreign_template_count(self, model_id: str) -> int:
        """How many stored templates were computed by a model other than ``model_id``."""
        with self._read() as conn:
            return sum(_foreign_models(conn, model_id).values())

    def person_templates(self, person_id: int) -> list[TemplateInfo]:
        with self._read() as conn:
            _by_id(conn, person_id)
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
                  time: datetime | None = None) -> AccessEvent:
        """Append one access decision. A person or template removed meanwhile is stored as NULL."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        values = (to_text(time or now()), mode, claimed, identity, person_id, template_id,
                  int(bool(accepted)), None if distance is None else float(distance), detail)
        with self._tx() as conn:
            cursor = conn.execute(
                "INSERT INTO events (time, mode, claimed, identity, person_id, template_id,"
                " accepted, distance, detail) VALUES (?, ?, ?, ?,"
                " (SELECT id FROM people WHERE id = ?), (SELECT id FROM templates WHERE id = ?),"
                " ?, ?, ?)", values)
            row = conn.execute(_EVENT_SQL + " WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _event(row)

    def events(self, *, since: datetime | None = None, person: str | None = None,
               accepted: bool | None = None, limit: int | None = None) -> list[AccessEvent]:
        """Access-log lines, newest first. ``person`` matches a name or employee id, also of
        people since removed (by the claimed or recognised text)."""
        limit_sql = "" if limit is None else f" LIMIT {int(limit):d}"
        with self._read() as conn:
            where, params = _event_filters(conn, since, person, accepted)
            rows = conn.execute(f"{_EVENT_SQL}{where} ORDER BY time DESC, id DESC{limit_sql}",
                                params).fetchall()
        return [_event(row) for row in rows]

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


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise StoreError("a person's name cannot be empty")
    return cleaned


def _clean_employee_id(employee_id: str | None) -> str | None:
    return (str(employee_id).strip() or None) if employee_id is not None else None


# --- queries -------------------------------------------------------------------------------
def _person(row: tuple) -> Person:
    return Person(person_id=row[0], name=row[1], employee_id=row[2], template_count=row[4],
                  created_at=from_text(row[3]))


def _event(row: tuple) -> AccessEvent:
    return AccessEvent(event_id=row[0], time=from_text(row[1]), mode=row[2], claimed=row[3],
                       identity=row[4], accepted=bool(row[5]), distance=row[6],
                       detail=row[7], person_id=row[8], template_id=row[9])


def _select_person(conn: sqlite3.Connection, where: str, value: Any) -> Person | None:
    row = conn.execute(_PERSON_SQL.format(count_filter="") + f" WHERE {where}", (value,)).fetchone()
    return None if row is None else _person(row)


def _by_name(conn: sqlite3.Connection, name: str) -> Person | None:
    return _select_person(conn, "p.name_key = ?", _name_key(name))


def _by_id(conn: sqlite3.Connection, person_id: int) -> Person:
    person = _select_person(conn, "p.id = ?", int(person_id))
    if person is None:
        raise UnknownPersonError(f"there is no person number {person_id}")
    return person


def _find(conn: sqlite3.Connection, name_or_id: str) -> Person | None:
    """Names win over employee ids when a string could be either."""
    person = _by_name(conn, name_or_id)
    if person is None and str(name_or_id).strip():
        person = _select_person(conn, "p.employee_id = ?", str(name_or_id).strip())
    return person


def _require(conn: sqlite3.Connection, name_or_id: str) -> Person:
    person = _find(conn, name_or_id)
    if person is None:
        raise UnknownPersonError(f"no enrolled person called {name_or_id!r} (name or employee id)")
    return person


def _insert_person(conn: sqlite3.Connection, name: str, employee_id: str | None) -> Person:
    if _by_name(conn, name) is not None:
        raise DuplicatePersonError(f"a person called {name!r} is already enrolled")
    _check_employee_id_free(conn, employee_id, person_id=None)
    created_at = now()
    cursor = conn.execute("INSERT INTO people (name, name_key, employee_id, created_at)"
                          " VALUES (?, ?, ?, ?)",
                          (name, _name_key(name), employee_id, to_text(created_at)))
    return Person(cursor.lastrowid, name, employee_id, 0, created_at)


def _check_employee_id_free(conn: sqlite3.Connection, employee_id: str | None,
                            person_id: int | None) -> None:
    if employee_id is None:
        return
    holder = _select_person(conn, "p.employee_id = ?", employee_id)
    if holder is not None and holder.person_id != person_id:
        raise DuplicatePersonError(f"employee id {employee_id!r} already belongs to {holder.name!r}")


def _assign_employee_id(conn: sqlite3.Connection, person: Person,
                        employee_id: str | None) -> Person:
    _check_employee_id_free(conn, employee_id, person.person_id)
    conn.execute("UPDATE people SET employee_id = ? WHERE id = ?", (employee_id, person.person_id))
    return replace(person, employee_id=employee_id)


def _person_for_enrolment(conn: sqlite3.Connection, name: str,
                          employee_id: str | None) -> Person:
    person = _by_name(conn, name)
    if person is None:
        return _insert_person(conn, name, employee_id)
    if employee_id is None or (person.employee_id or "").lower() == employee_id.lower():
        return person
    if person.employee_id is not None:
        raise DuplicatePersonError(f"{person.name!r} already has employee id"
                                   f" {person.employee_id!r}, not {employee_id!r}")
    return _assign_employee_id(conn, person, employee_id)


def _check_model_dim(conn: sqlite3.Connection, model_id: str, dim: int) -> None:
    dims = [row[0] for row in conn.execute(
        "SELECT DISTINCT dim FROM templates WHERE model_id = ?", (model_id,))]
    if dims and dims != [dim]:
        raise ModelMismatchError(f"templates of model {model_id!r} have {dims[0]} values, these"
                                 f" embeddings have {dim}; were they made by another model?")


def _foreign_models(conn: sqlite3.Connection, model_id: str) -> dict[str, int]:
    rows = conn.execute("SELECT model_id, COUNT(*) FROM templates WHERE model_id != ?"
                        " GROUP BY model_id ORDER BY model_id", (model_id,))
    return dict(rows.fetchall())


def _event_filters(conn: sqlite3.Connection, since: datetime | None, person: str | None,
                   accepted: bool | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if since is not None:
        clauses.append("time >= ?")
        params.append(to_text(since))
    if accepted is not None:
        clauses.append("accepted = ?")
        params.append(int(accepted))
    if person is not None:
        clauses.append(_person_clause(conn, person, params))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _person_clause(conn: sqlite3.Connection, person: str, params: list[Any]) -> str:
    """Match the person's id, or their name / employee id as text (kept after removal)."""
    found = _find(conn, person)
    labels = sorted({person.strip()} | ({found.name, found.employee_id} - {None} if found else set()))
    params.extend([found.person_id if found else None, *labels, *labels])
    marks = ", ".join("?" * len(labels))
    return (f"(person_id = ? OR identity COLLATE NOCASE IN ({marks})"
            f" OR claimed COLLATE NOCASE IN ({marks}))")

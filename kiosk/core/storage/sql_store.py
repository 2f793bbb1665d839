"""What the SQLite and the PostgreSQL stores share: every people, template, log and settings
operation, written once over the portable queries of :mod:`kiosk.core.storage.queries`.

A backend supplies the plumbing: ``_read()`` (a connection for reading), ``_tx()`` (one
admin write transaction, all or nothing), ``_append_tx()`` (the transaction of one log row;
by default ``_tx()``) and ``_after_erase()`` (after a removal or a purge: make deleted data
go away for good, as far as the backend can).

Templates are float32 little-endian blobs of shape ``(dim,)``; each row records the
``model_id`` that computed it and its ``dim``, so embeddings of different models never mix.
"""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from kiosk.core.base.errors import InvalidTextError, StoreError, UnknownTemplateError
from kiosk.core.base.types import AccessEvent, Person, PersonChange
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
from kiosk.core.storage.queries import (
    EVENT_SQL,
    INSERT_EVENT_SQL,
    PERSON_SQL,
    assign_employee_id,
    by_id,
    check_model_dim,
    clean_employee_id,
    clean_name,
    event_filters,
    event_from_row,
    event_values,
    foreign_models,
    insert_id,
    insert_person,
    person_for_enrolment,
    person_from_row,
    pseudonymise_events,
    rename_person,
    require,
)
from kiosk.core.storage.store import TemplateInfo

log = logging.getLogger("kiosk.core.storage")  # one logger for the whole store


class SqlStore:
    """The `Store` operations over a backend's connections (see the module's doc)."""

    path: Any  # where it lives, for messages

    def __init__(self) -> None:
        self._warned_foreign: set[tuple[str, int]] = set()

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

    def update_person(self, name_or_id: str, change: PersonChange) -> Person:
        """Change a person's name, employee id, enabled flag and/or dates in one transaction:
        all of it, or (on any error: a taken name or id, dates out of order) none of it."""
        wanted = change.changes()
        with self._tx() as conn:
            person = require(conn, name_or_id)
            if "name" in wanted:
                person = rename_person(conn, person, clean_name(wanted["name"]))
            if "employee_id" in wanted:
                person = assign_employee_id(conn, person, clean_employee_id(wanted["employee_id"]))
            if "enabled" in wanted:
                conn.execute("UPDATE people SET enabled = ? WHERE id = ?", (bool(wanted["enabled"]), person.person_id))
            start, end = wanted.get("valid_from", person.valid_from), wanted.get("valid_until", person.valid_until)
            if start is not None and end is not None and end < start:
                raise InvalidTextError(f"valid until {end} is before valid from {start}")
            conn.execute("UPDATE people SET valid_from = ?, valid_until = ? WHERE id = ?",
                         (date_to_text(start), date_to_text(end), person.person_id))
            return by_id(conn, person.person_id)

    def remove(self, name_or_id: str, *, keep_name_in_log: bool = False) -> Person:
        """Delete a person and their templates, and erase them as far as the backend can (see
        ``_after_erase``). Their access-log lines stay under a pseudonym unless
        ``keep_name_in_log``."""
        with self._tx() as conn:
            person = require(conn, name_or_id)
            conn.execute("DELETE FROM people WHERE id = ?", (person.person_id,))
            if not keep_name_in_log:
                pseudonymise_events(conn, person, f"former-{secrets.token_hex(4)}")
        self._after_erase()
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

    def _insert_template(self, conn, values: tuple) -> int:
        """One template row: (person_id, blob, dim, model_id, created_at, source, digest)."""
        return insert_id(conn, "INSERT INTO templates (person_id, embedding, dim, model_id,"
                               " created_at, source, content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         values)

    def template_digests(self, name_or_id: str) -> set[str]:
        """The sha256 of every image this person's templates came from (files only)."""
        with self._read() as conn:
            person = require(conn, name_or_id)
            rows = conn.execute("SELECT content_sha256 FROM templates WHERE person_id = ?"
                                " AND content_sha256 IS NOT NULL", (person.person_id,)).fetchall()
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
        event = new_event(mode, claimed=claimed, identity=identity, accepted=accepted,
                          distance=distance, person_id=person_id, template_id=template_id,
                          detail=detail, time=time, kind=kind, source=source, kiosk=kiosk,
                          employee_id=employee_id, uid=uid)
        with self._append_tx() as conn:
            conn.execute(INSERT_EVENT_SQL, event_values(event))
            row = conn.execute(EVENT_SQL + " WHERE uid = ?", (event.uid,)).fetchone()
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
        self._after_erase()
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
            for key, value in encoded:
                conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # --- what a backend supplies ---------------------------------------------------------
    def _read(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def _tx(self) -> contextlib.AbstractContextManager:
        raise NotImplementedError

    def _append_tx(self) -> contextlib.AbstractContextManager:
        return self._tx()

    def _after_erase(self) -> None:
        """Called after a removal or a purge has committed."""


def new_event(mode: str, *, claimed: str | None, identity: str | None, accepted: bool,
              distance: float | None, person_id: int | None = None,
              template_id: int | None = None, detail: str = "", time: datetime | None = None,
              kind: str = "", source: str = "screen", kiosk: str = "",
              employee_id: str | None = None, uid: str | None = None) -> AccessEvent:
    """A log row not yet stored (``event_id`` 0), its uid made here when not given."""
    if mode not in tuple(Mode):
        raise ValueError(f"mode must be one of {', '.join(Mode)}, not {mode!r}")
    return AccessEvent(0, time or now(), str(mode), claimed, identity, bool(accepted),
                       None if distance is None else float(distance), detail, person_id,
                       template_id, str(kind), str(source), kiosk, employee_id,
                       uid or uuid.uuid4().hex)


def event_fields(event: AccessEvent) -> dict[str, Any]:
    """``event`` as the keyword arguments of `log_event` (after the mode)."""
    return dict(claimed=event.claimed, identity=event.identity, accepted=event.accepted,
                distance=event.distance, person_id=event.person_id,
                template_id=event.template_id, detail=event.detail, time=event.time,
                kind=event.kind, source=event.source, kiosk=event.kiosk,
                employee_id=event.employee_id, uid=event.uid)


"""The store's queries: finding people, inserting them, filtering and pseudonymising the log.

Each takes an open connection inside the caller's transaction (see `SqlStore`). The SQL is
the part both SQLite and PostgreSQL accept, with ``?`` placeholders (the PostgreSQL adapter in
:mod:`kiosk.core.storage.postgres_schema` turns them into ``%s``): case is ignored with
``lower()`` on both sides, which folds the same letters as SQLite's NOCASE (ASCII) there.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kiosk.core.base.errors import DuplicatePersonError, ModelMismatchError, UnknownPersonError
from kiosk.core.base.text import clean_label, clean_optional_label
from kiosk.core.base.types import AccessEvent, Person
from kiosk.core.storage.codec import date_from_text, from_text, now, to_text

PERSON_SQL = """SELECT p.id, p.name, p.employee_id, p.created_at,
    (SELECT COUNT(*) FROM templates t WHERE t.person_id = p.id {count_filter}),
    p.enabled, p.valid_from, p.valid_until FROM people p"""
EVENT_COLUMNS = ("id, time, mode, claimed, identity, accepted, distance, detail, person_id,"
                 " template_id, kind, source, kiosk, employee_id, uid")
EVENT_SQL = f"SELECT {EVENT_COLUMNS} FROM events"
# One log row; a person or template removed meanwhile is stored as NULL; a uid sent twice
# is stored once.
INSERT_EVENT_SQL = (
    "INSERT INTO events (time, mode, claimed, identity, person_id, template_id, accepted,"
    " distance, detail, kind, source, kiosk, employee_id, uid)"
    " VALUES (?, ?, ?, ?, (SELECT id FROM people WHERE id = ?),"
    " (SELECT id FROM templates WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (uid) DO NOTHING")


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def clean_name(name: str) -> str:
    return clean_label(name, "a person's name")


def clean_employee_id(employee_id: str | None) -> str | None:
    return clean_optional_label(employee_id, "an employee id")


def insert_id(conn, sql: str, params: tuple) -> int:
    """INSERT one row and return its new id (the PostgreSQL adapter asks with RETURNING)."""
    inserter = getattr(conn, "insert_id", None)
    return inserter(sql, params) if inserter is not None else conn.execute(sql, params).lastrowid


# --- rows --------------------------------------------------------------------------------
def person_from_row(row: tuple) -> Person:
    return Person(person_id=row[0], name=row[1], employee_id=row[2], template_count=row[4],
                  created_at=from_text(row[3]), enabled=bool(row[5]),
                  valid_from=date_from_text(row[6]), valid_until=date_from_text(row[7]))


def event_from_row(row: tuple) -> AccessEvent:
    return AccessEvent(event_id=row[0], time=from_text(row[1]), mode=row[2], claimed=row[3],
                       identity=row[4], accepted=bool(row[5]), distance=row[6],
                       detail=row[7], person_id=row[8], template_id=row[9], kind=row[10],
                       source=row[11], kiosk=row[12], employee_id=row[13], uid=row[14])


def event_values(event: AccessEvent) -> tuple:
    """The parameters of INSERT_EVENT_SQL for one row."""
    return (to_text(event.time), event.mode, event.claimed, event.identity, event.person_id,
            event.template_id, bool(event.accepted),
            None if event.distance is None else float(event.distance), event.detail,
            str(event.kind), event.source, event.kiosk, event.employee_id, event.uid)


# --- people ------------------------------------------------------------------------------
def select_person(conn, where: str, value: Any) -> Person | None:
    row = conn.execute(PERSON_SQL.format(count_filter="") + f" WHERE {where}", (value,)).fetchone()
    return None if row is None else person_from_row(row)


def by_name(conn, name: str) -> Person | None:
    return select_person(conn, "p.name_key = ?", name_key(name))


def by_employee_id(conn, employee_id: str) -> Person | None:
    return select_person(conn, "lower(p.employee_id) = lower(?)", employee_id)


def by_id(conn, person_id: int) -> Person:
    person = select_person(conn, "p.id = ?", int(person_id))
    if person is None:
        raise UnknownPersonError(f"there is no person number {person_id}")
    return person


def find(conn, name_or_id: str) -> Person | None:
    """Names win over employee ids when a string could be either."""
    person = by_name(conn, name_or_id)
    if person is None and str(name_or_id).strip():
        person = by_employee_id(conn, str(name_or_id).strip())
    return person


def require(conn, name_or_id: str) -> Person:
    person = find(conn, name_or_id)
    if person is None:
        raise UnknownPersonError(f"no enrolled person called {name_or_id!r} (name or employee id)")
    return person


def insert_person(conn, name: str, employee_id: str | None) -> Person:
    if by_name(conn, name) is not None:
        raise DuplicatePersonError(f"a person called {name!r} is already enrolled")
    check_employee_id_free(conn, employee_id, person_id=None)
    created_at = now()
    person_id = insert_id(conn, "INSERT INTO people (name, name_key, employee_id, created_at)"
                          " VALUES (?, ?, ?, ?)",
                          (name, name_key(name), employee_id, to_text(created_at)))
    return Person(person_id, name, employee_id, 0, created_at)


def check_employee_id_free(conn, employee_id: str | None, person_id: int | None) -> None:
    if employee_id is None:
        return
    holder = by_employee_id(conn, employee_id)
    if holder is not None and holder.person_id != person_id:
        raise DuplicatePersonError(f"employee id {employee_id!r} already belongs to {holder.name!r}")


def rename_person(conn, person: Person, new_name: str) -> Person:
    other = by_name(conn, new_name)
    if other is not None and other.person_id != person.person_id:
        raise DuplicatePersonError(f"a person called {other.name!r} is already enrolled")
    conn.execute("UPDATE people SET name = ?, name_key = ? WHERE id = ?",
                 (new_name, name_key(new_name), person.person_id))
    return replace(person, name=new_name)


def assign_employee_id(conn, person: Person, employee_id: str | None) -> Person:
    check_employee_id_free(conn, employee_id, person.person_id)
    conn.execute("UPDATE people SET employee_id = ? WHERE id = ?", (employee_id, person.person_id))
    return replace(person, employee_id=employee_id)


def person_for_enrolment(conn, name: str, employee_id: str | None) -> Person:
    person = by_name(conn, name)
    if person is None:
        return insert_person(conn, name, employee_id)
    if employee_id is None or (person.employee_id or "").lower() == employee_id.lower():
        return person
    if person.employee_id is not None:
        raise DuplicatePersonError(f"{person.name!r} already has employee id"
                                   f" {person.employee_id!r}, not {employee_id!r}")
    return assign_employee_id(conn, person, employee_id)


# --- templates ---------------------------------------------------------------------------
def check_model_dim(conn, model_id: str, dim: int) -> None:
    dims = [row[0] for row in conn.execute(
        "SELECT DISTINCT dim FROM templates WHERE model_id = ?", (model_id,)).fetchall()]
    if dims and dims != [dim]:
        raise ModelMismatchError(f"templates of model {model_id!r} have {dims[0]} values, these"
                                 f" embeddings have {dim}; were they made by another model?")


def foreign_models(conn, model_id: str) -> dict[str, int]:
    rows = conn.execute("SELECT model_id, COUNT(*) FROM templates WHERE model_id != ?"
                        " GROUP BY model_id ORDER BY model_id", (model_id,))
    return dict(rows.fetchall())


# --- the access log ----------------------------------------------------------------------
def event_filters(conn, since: datetime | None, until: datetime | None,
                  person: str | None, accepted: bool | None,
                  kiosk: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for clause, value in (("time >= ?", since and to_text(since)), ("time < ?", until and to_text(until)),
                          ("accepted = ?", None if accepted is None else bool(accepted)),
                          ("kiosk = ?", kiosk)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if person is not None:
        clauses.append(person_clause(conn, person, params))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def person_clause(conn, person: str, params: list[Any]) -> str:
    """Match the person's id, or their name / employee id as text (kept after removal)."""
    found = find(conn, person)
    labels = sorted({person.strip()} | ({found.name, found.employee_id} - {None} if found else set()))
    params.extend([found.person_id if found else None, *labels, *labels])
    marks = ", ".join(["lower(?)"] * len(labels))
    return f"(person_id = ? OR lower(identity) IN ({marks}) OR lower(claimed) IN ({marks}))"


def pseudonymise_events(conn, person: Person, pseudonym: str) -> None:
    """Put ``pseudonym`` wherever the access log names ``person`` (who is being removed):
    the rows keep their events, not who it was."""
    labels = [label for label in (person.name, person.employee_id) if label]
    marks = ", ".join(["lower(?)"] * len(labels))
    conn.execute(f"UPDATE events SET identity = ?, employee_id = NULL WHERE person_id = ?"
                 f" OR lower(identity) IN ({marks})", (pseudonym, person.person_id, *labels))
    conn.execute(f"UPDATE events SET claimed = ? WHERE lower(claimed) IN ({marks})",
                 (pseudonym, *labels))
    conn.execute(f"UPDATE events SET employee_id = NULL WHERE lower(employee_id) IN ({marks})",
                 labels)
    for label in labels:  # only the rows that name them: a server rewrites every row updated
        conn.execute("UPDATE events SET detail = replace(detail, ?, ?)"
                     " WHERE detail <> replace(detail, ?, ?)", (label, pseudonym) * 2)

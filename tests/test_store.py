"""The store's contract, on real SQLite files in tmp_path and, for the tests taking ``store``,
on a real PostgreSQL server too (tests/pg_server.py): both backends behave the same."""
from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from kiosk.core.base.errors import (
    DatabaseLockedError,
    DatabaseTooNewError,
    DuplicatePersonError,
    InvalidTextError,
    ModelMismatchError,
    StoreError,
    UnknownPersonError,
    UnknownTemplateError,
)
from kiosk.core.base.types import PersonChange
from kiosk.core.storage.postgres import PostgresStore
from kiosk.core.storage.schema import MIGRATIONS
from kiosk.core.storage.sqlite import SqliteStore
from kiosk.core.storage.store import Store
from tests.pg_server import pg_server, pg_url  # noqa: F401  (fixtures)

MODEL = "facenet-test"
REPO = Path(__file__).resolve().parents[1]


def unit(seed: int, dim: int = 128) -> np.ndarray:
    """A reproducible random unit vector, float32 (dim,)."""
    vector = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


TABLES = ("people", "templates", "events", "settings")


def counts(where) -> dict[str, int]:
    """Row counts read with a plain connection, independent of Store: ``where`` is an SQLite
    file, or a store (its file, or its server)."""
    if isinstance(where, PostgresStore):
        import psycopg

        with psycopg.connect(where.url) as conn:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    conn = sqlite3.connect(getattr(where, "path", where))
    try:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in TABLES}
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kiosk.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, db_path: Path):
    """The same contract on both backends: a fresh SQLite file, or a fresh server database."""
    if request.param == "sqlite":
        with SqliteStore.open(db_path) as opened:
            yield opened
    else:
        with PostgresStore.open(request.getfixturevalue("pg_url")) as opened:
            yield opened


# --- opening -------------------------------------------------------------------------------
def test_open_creates_folders_schema_and_wal(tmp_path: Path):
    path = tmp_path / "a" / "b" / "kiosk.sqlite3"
    SqliteStore.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"people", "templates", "events", "settings"} <= tables


def test_reopen_keeps_everything(db_path: Path):
    embeddings = [unit(1), unit(2)]
    with SqliteStore.open(db_path) as first:
        first.enrol("Ann Lee", embeddings, model_id=MODEL, employee_id="E1")
        first.set_setting("threshold", 0.9)
    with SqliteStore.open(db_path) as second:
        assert second.find_person("E1").template_count == 2
        np.testing.assert_array_equal(second.templates(MODEL)[0], np.stack(embeddings))
        assert second.get_setting("threshold") == 0.9


def test_closed_store_refuses_politely(db_path: Path):
    with SqliteStore.open(db_path) as opened:
        pass
    with pytest.raises(StoreError, match="closed"):
        opened.people()


def test_newer_schema_is_refused_and_file_untouched(db_path: Path):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match=rf"schema 99.*up to {len(MIGRATIONS)}.*upgrade"):
        SqliteStore.open(db_path)
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_not_a_database_is_refused_and_untouched(tmp_path: Path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 definitely not sqlite " * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a kiosk database") as caught:
        SqliteStore.open(path)
    assert not isinstance(caught.value, DatabaseLockedError)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before


def test_another_programs_sqlite_file_is_refused(tmp_path: Path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="another program"):
        SqliteStore.open(path)
    assert path.read_bytes() == before


def hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_open_while_another_process_writes_is_refused(db_path: Path):
    with SqliteStore.open(db_path) as opened:
        opened.enrol("Ann", [unit(1)], model_id=MODEL)
    before = counts(db_path)
    blocker = hold_exclusive_lock(db_path)
    try:
        with pytest.raises(DatabaseLockedError, match=str(db_path.name)):
            SqliteStore.open(db_path, timeout_s=0.1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert counts(db_path) == before


def test_locked_legacy_journal_database_is_refused(tmp_path: Path):
    path = tmp_path / "fresh.sqlite3"
    blocker = hold_exclusive_lock(path)  # a brand-new file, rollback journal
    try:
        with pytest.raises(DatabaseLockedError):
            SqliteStore.open(path, timeout_s=0.1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_write_while_locked_changes_nothing(db_path: Path):
    with SqliteStore.open(db_path, timeout_s=0.1) as opened:
        opened.enrol("Ann", [unit(1)], model_id=MODEL)
        before = counts(db_path)
        blocker = hold_exclusive_lock(db_path)
        try:
            with pytest.raises(DatabaseLockedError):
                opened.enrol("Bob", [unit(2), unit(3)], model_id=MODEL)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert counts(db_path) == before
        opened.enrol("Bob", [unit(2)], model_id=MODEL)  # usable again once released
        assert counts(db_path)["people"] == 2


# --- enrolment -----------------------------------------------------------------------------
def test_enroll_creates_person_and_templates(store: Store):
    person = store.enrol("Ann Lee", [unit(1), unit(2)], model_id=MODEL, employee_id="E1",
                          sources=["ann1.jpg", "camera"])
    assert (person.name, person.employee_id, person.template_count) == ("Ann Lee", "E1", 2)
    assert person.created_at.tzinfo is not None
    embeddings, template_ids, person_ids = store.templates(MODEL)
    assert embeddings.shape == (2, 128) and embeddings.dtype == np.float32
    assert template_ids.dtype == np.int64 and person_ids.dtype == np.int64
    assert person_ids.tolist() == [person.person_id] * 2
    np.testing.assert_array_equal(embeddings[1], unit(2))
    infos = store.person_templates(person.person_id)
    assert [(info.template_id, info.source) for info in infos] == \
        [(template_ids[0], "ann1.jpg"), (template_ids[1], "camera")]


def test_enroll_adds_to_existing_person_ignoring_case(store: Store):
    first = store.enrol("Ann Lee", [unit(1)], model_id=MODEL)
    again = store.enrol("ann  LEE", [unit(2)], model_id=MODEL, employee_id="E7")
    assert again.person_id == first.person_id
    assert (again.name, again.employee_id, again.template_count) == ("Ann Lee", "E7", 2)


def test_float64_embeddings_are_stored_as_float32(store: Store):
    store.enrol("Ann", [unit(1).astype(np.float64)], model_id=MODEL)
    embeddings = store.templates(MODEL)[0]
    assert embeddings.dtype == np.float32
    np.testing.assert_array_equal(embeddings[0], unit(1))


@pytest.mark.parametrize("bad, error", [
    (np.full(128, np.nan, np.float32), StoreError),
    (np.full(128, np.inf, np.float32), StoreError),
    (np.ones((2, 64), np.float32), StoreError),
    (np.ones(128, np.int32), StoreError),
    (np.ones(64, np.float32), ModelMismatchError),
])
def test_bad_embedding_in_the_middle_writes_nothing(store: Store, bad, error):
    store.enrol("Ann", [unit(1)], model_id=MODEL)
    before = counts(store)
    with pytest.raises(error):
        store.enrol("Bob", [unit(2), bad, unit(3)], model_id=MODEL)
    assert counts(store) == before
    with pytest.raises(UnknownPersonError):
        store.find_person("Bob")


def test_enroll_needs_embeddings_and_a_model_id(store: Store):
    with pytest.raises(StoreError):
        store.enrol("Ann", [], model_id=MODEL)
    with pytest.raises(ModelMismatchError):
        store.enrol("Ann", [unit(1)], model_id="  ")
    with pytest.raises(InvalidTextError, match="name cannot be empty"):
        store.enrol("   ", [unit(1)], model_id=MODEL)
    assert counts(store)["people"] == 0


def test_exception_mid_transaction_rolls_everything_back(store: Store,
                                                        monkeypatch: pytest.MonkeyPatch):
    store.enrol("Ann", [unit(1)], model_id=MODEL)
    before = counts(store)
    real_insert = type(store)._insert_template
    calls = []

    def insert_then_fail(self, *args, **kwargs):
        calls.append(real_insert(self, *args, **kwargs))
        raise RuntimeError("power cut")

    monkeypatch.setattr(type(store), "_insert_template", insert_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        store.enrol("Bob", [unit(2), unit(3)], model_id=MODEL, employee_id="E2")
    assert len(calls) == 1  # the first template and Bob really were inserted, then undone
    assert counts(store) == before
    monkeypatch.undo()
    assert store.enrol("Bob", [unit(2)], model_id=MODEL).template_count == 1


def test_process_killed_mid_enrolment_leaves_file_as_it_was(db_path: Path):
    with SqliteStore.open(db_path) as opened:
        opened.enrol("Ann", [unit(1)], model_id=MODEL)
    before = counts(db_path)
    script = textwrap.dedent(f"""
        import os, numpy as np
        from kiosk.core.storage.sqlite import SqliteStore
        real = SqliteStore._insert_template
        def insert_then_die(self, *args):
            real(self, *args)
            os._exit(9)
        SqliteStore._insert_template = insert_then_die
        SqliteStore.open({str(db_path)!r}).enrol("Bob", [np.ones(128, np.float32)] * 3,
                                             model_id={MODEL!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=60)
    assert result.returncode == 9
    assert counts(db_path) == before


def test_dim_mismatch_with_stored_templates_is_refused(store: Store):
    store.enrol("Ann", [unit(1)], model_id=MODEL)
    with pytest.raises(ModelMismatchError, match="128"):
        store.enrol("Ann", [unit(2, dim=512)], model_id=MODEL)
    assert counts(store)["templates"] == 1


def test_templates_of_other_models_are_kept_apart(store: Store, caplog):
    store.enrol("Ann", [unit(1)], model_id=MODEL)
    store.enrol("Bob", [unit(2, dim=512), unit(3, dim=512)], model_id="other-model")
    with caplog.at_level(logging.WARNING, logger="kiosk.core.storage"):
        embeddings, _, person_ids = store.templates(MODEL)
    assert embeddings.shape == (1, 128)
    assert person_ids.tolist() == [store.find_person("Ann").person_id]
    assert "other-model" in caplog.text
    assert store.foreign_template_count(MODEL) == 2
    assert store.templates("other-model", dim=512)[0].shape == (2, 512)
    with pytest.raises(ModelMismatchError):
        store.templates(MODEL, dim=512)  # the caller's model makes another length


def test_empty_store_gives_empty_arrays(store: Store):
    embeddings, template_ids, person_ids = store.templates(MODEL)
    assert embeddings.shape == (0, 128) and embeddings.dtype == np.float32
    assert template_ids.shape == person_ids.shape == (0,)
    assert template_ids.dtype == np.int64
    assert store.templates(MODEL, dim=512)[0].shape == (0, 512)


def test_employee_id_conflicts(store: Store):
    store.add_person("Ann", employee_id="E1")
    store.add_person("Bob")
    with pytest.raises(DuplicatePersonError, match="(?i)e1.*Ann"):
        store.enrol("Cid", [unit(1)], model_id=MODEL, employee_id="e1")
    with pytest.raises(DuplicatePersonError):
        store.enrol("Ann", [unit(1)], model_id=MODEL, employee_id="E9")
    with pytest.raises(DuplicatePersonError):
        store.update_person("Bob", PersonChange(employee_id="E1"))
    with pytest.raises(DuplicatePersonError):
        store.add_person("ANN")
    assert counts(store)["templates"] == 0
    assert store.update_person("Bob", PersonChange(employee_id="E2")).employee_id == "E2"
    assert store.find_person("e2").name == "Bob"
    assert store.update_person("Bob", PersonChange(employee_id=None)).employee_id is None


# --- people --------------------------------------------------------------------------------
def test_unknown_person_message(store: Store):
    store.add_person("Ann")
    with pytest.raises(UnknownPersonError, match="no enrolled person called 'Zed'") as caught:
        store.find_person("Zed")
    assert "Ann" not in str(caught.value)


def test_people_sorted_with_template_counts(store: Store):
    store.enrol("bob", [unit(1)], model_id=MODEL)
    store.enrol("Ann", [unit(2), unit(3)], model_id=MODEL)
    store.enrol("Ann", [unit(4, dim=512)], model_id="other")
    store.add_person("Cid")
    assert [(p.name, p.template_count) for p in store.people()] == \
        [("Ann", 3), ("bob", 1), ("Cid", 0)]
    assert [p.template_count for p in store.people(model_id=MODEL)] == [2, 1, 0]


def test_rename(store: Store):
    store.add_person("Ann", employee_id="E1")
    store.add_person("Bob")
    assert store.update_person("E1", PersonChange(name="Anne Marie")).name == "Anne Marie"
    assert store.find_person("anne marie").employee_id == "E1"
    assert store.update_person("Anne Marie", PersonChange(name="ANNE MARIE")).name == "ANNE MARIE"  # own name, new case
    with pytest.raises(DuplicatePersonError):
        store.update_person("Bob", PersonChange(name="anne marie"))
    with pytest.raises(UnknownPersonError):
        store.update_person("Zed", PersonChange(name="Zoe"))


def test_update_person_changes_everything_or_nothing(store: Store):
    store.add_person("Ann", employee_id="E1")
    store.add_person("Bob", employee_id="E2")
    with pytest.raises(DuplicatePersonError):  # the id is Bob's: the name and dates stay too
        store.update_person("Ann", PersonChange(name="Anna", employee_id="E2", valid_until=date(2030, 1, 1)))
    with pytest.raises(InvalidTextError, match="before"):
        store.update_person("Ann", PersonChange(enabled=False, valid_from=date(2030, 2, 1),
                                                valid_until=date(2030, 1, 1)))
    ann = store.find_person("Ann")
    assert (ann.name, ann.employee_id, ann.enabled, ann.valid_from, ann.valid_until) == ("Ann", "E1", True, None, None)
    changed = store.update_person("E1", PersonChange(name="Anna", enabled=False, valid_until=date(2030, 1, 1)))
    assert (changed.name, changed.employee_id, changed.enabled, changed.valid_until) == ("Anna", "E1", False, date(2030, 1, 1))
    assert store.find_person("Anna") == changed
    assert store.update_person("Anna", PersonChange(valid_from=date(2029, 1, 1))).valid_until == date(2030, 1, 1)


def test_remove_cascades_to_templates_and_unlinks_events(store: Store):
    ann = store.enrol("Ann", [unit(1), unit(2)], model_id=MODEL)
    store.enrol("Bob", [unit(3)], model_id=MODEL)
    template_id = int(store.templates(MODEL)[1][0])
    store.log_event("verify", claimed="Ann", identity="Ann", accepted=True, distance=0.4,
                    person_id=ann.person_id, template_id=template_id)
    removed = store.remove("ann", keep_name_in_log=True)
    assert (removed.name, removed.template_count) == ("Ann", 2)
    assert counts(store)["templates"] == 1
    [event] = store.events(person="Ann")  # the log survives, unlinked
    assert (event.identity, event.person_id, event.template_id) == ("Ann", None, None)
    with pytest.raises(UnknownPersonError):
        store.find_person("Ann")


def test_remove_template(store: Store):
    ann = store.enrol("Ann", [unit(1), unit(2)], model_id=MODEL)
    first, second = store.person_templates(ann.person_id)
    store.remove_template(first.template_id)
    assert store.person_templates(ann.person_id) == [second]
    with pytest.raises(UnknownTemplateError):
        store.remove_template(first.template_id)
    with pytest.raises(UnknownPersonError):
        store.person_templates(999)


# --- access log ----------------------------------------------------------------------------
def test_events_filters_and_newest_first(store: Store):
    ann = store.add_person("Ann", employee_id="E1")
    start = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
    for minutes, (claimed, identity, accepted) in enumerate([
            ("E1", "Ann", True), (None, "Bob", True), ("Ann", None, False), (None, None, False)]):
        store.log_event("verify" if claimed else "recognize", claimed=claimed, identity=identity,
                        accepted=accepted, distance=0.5 + minutes / 10,
                        person_id=ann.person_id if identity == "Ann" else None,
                        time=start + timedelta(minutes=minutes))
    everything = store.events()
    assert [e.time.minute for e in everything] == [3, 2, 1, 0]
    assert all(e.time.tzinfo is not None for e in everything)
    assert [e.time.minute for e in store.events(person="ann")] == [2, 0]
    assert [e.time.minute for e in store.events(person="e1")] == [2, 0]
    assert [e.time.minute for e in store.events(accepted=True)] == [1, 0]
    assert [e.time.minute for e in store.events(since=start + timedelta(minutes=2))] == [3, 2]
    assert [e.time.minute for e in store.events(limit=2)] == [3, 2]
    assert store.events(person="Bob", accepted=False) == []


def test_same_time_events_keep_insertion_order(store: Store):
    moment = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for detail in ("first", "second"):
        store.log_event("recognize", claimed=None, identity=None, accepted=False,
                        distance=None, detail=detail, time=moment)
    assert [e.detail for e in store.events()] == ["second", "first"]


def test_log_event_returns_the_stored_line(store: Store):
    event = store.log_event("recognize", claimed=None, identity="Bob", accepted=True,
                            distance=np.float32(0.25), person_id=12345, detail="door 2")
    assert event.person_id is None  # no such person: kept as a log line, unlinked
    assert (event.mode, event.identity, event.accepted, event.detail) == \
        ("recognize", "Bob", True, "door 2")
    assert event.distance == pytest.approx(0.25)
    assert store.events() == [event]
    with pytest.raises(ValueError):
        store.log_event("open", claimed=None, identity=None, accepted=False, distance=None)


# --- settings and threads ------------------------------------------------------------------
def test_settings_roundtrip(db_path: Path):
    with SqliteStore.open(db_path) as opened:
        assert opened.get_setting("missing", default=7) == 7
        opened.set_setting("camera", {"index": 1, "size": [640, 480]})
        opened.set_setting("camera", {"index": 2})
        opened.set_settings({"a": None, "b": "text"})
    with SqliteStore.open(db_path) as reopened:
        assert reopened.get_setting("camera") == {"index": 2}
        assert reopened.get_setting("a", default="x") is None
        assert reopened.get_setting("b") == "text"


def test_one_store_shared_by_threads(store: Store):
    errors = []

    def work(number: int) -> None:
        try:
            for i in range(10):
                store.enrol(f"person {number}", [unit(number * 100 + i)], model_id=MODEL)
                store.log_event("recognize", claimed=None, identity=None, accepted=False,
                                distance=None)
                store.templates(MODEL)
        except Exception as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert store.templates(MODEL)[0].shape == (40, 128)
    assert len(store.events()) == 40

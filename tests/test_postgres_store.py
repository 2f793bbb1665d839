"""The PostgreSQL store on a real server (tests/pg_server.py): its schema and versions, what
the SQLite store has no need of (notifications, connection errors, copying a site), and the
outage behaviour of `ResilientStore` (a cuttable TCP proxy plays the network). The contract
both stores share is tested on both in tests/test_store.py."""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import psycopg
import pytest

from kiosk.cli import main
from kiosk.core import fakes
from kiosk.core.base.errors import (
    DatabaseTooNewError,
    PinError,
    ServerUnreachableError,
    SettingsError,
    StoreError,
    UnknownPersonError,
)
from kiosk.core.base.types import PersonChange
from kiosk.core.frontdesk.pin import FAILURES_KEY, FREE_ATTEMPTS, LOCKED_UNTIL_KEY, PinGate
from kiosk.core.storage.offline import open_shared_store
from kiosk.core.storage.postgres import PostgresStore
from kiosk.core.storage.postgres_schema import PG_MIGRATIONS
from kiosk.core.storage.schema import MIGRATIONS
from kiosk.core.storage.server_url import check_store_url, is_loopback
from kiosk.core.storage.sqlite import SqliteStore
from tests.conftest import seed_photo
from tests.pg_server import PASSWORD, PASSWORD_ROLE, TcpProxy, pg_server, pg_url  # noqa: F401
from tests.ui_helpers import make_settings

MODEL = "facenet-test"


def unit(seed: int, dim: int = 128) -> np.ndarray:
    vector = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall())


def wait_for(condition, timeout_s: float = 10.0) -> float:
    """Seconds until ``condition()`` held (fails after ``timeout_s``)."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout_s, "timed out"
        time.sleep(0.02)
    return time.monotonic() - began


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the schema ----------------------------------------------------------------------------
def test_both_stores_have_the_same_schema_versions():
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)


def test_open_makes_the_schema_and_a_reopened_store_keeps_everything(pg_url):
    with PostgresStore.open(pg_url) as first:
        first.enrol("Ann Lee", [unit(1), unit(2)], model_id=MODEL, employee_id="E1")
        first.set_setting("threshold", 0.9)
    with PostgresStore.open(pg_url) as second:
        assert second.find_person("e1").template_count == 2
        np.testing.assert_array_equal(second.templates(MODEL)[0], np.stack([unit(1), unit(2)]))
        assert second.get_setting("threshold") == 0.9
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT schema_version FROM kiosk_meta").fetchone()[0] == len(MIGRATIONS)


def test_a_newer_schema_is_refused_and_nothing_is_written(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kiosk_meta (schema_version integer NOT NULL);"
                     " INSERT INTO kiosk_meta VALUES (99); CREATE TABLE future (x int)")
    before = tables(pg_url)
    for read_only in (False, True):
        with pytest.raises(DatabaseTooNewError, match=rf"schema 99.*up to {len(MIGRATIONS)}.*upgrade"):
            PostgresStore.open(pg_url, read_only=read_only)
    assert tables(pg_url) == before


def test_another_programs_database_is_refused(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE songs (title text)")
    with pytest.raises(StoreError, match="another program"):
        PostgresStore.open(pg_url)
    assert tables(pg_url) == ["songs"]


def test_an_older_schema_is_upgraded_by_a_writer_not_by_a_reader(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kiosk_meta (schema_version integer NOT NULL);"
                     " INSERT INTO kiosk_meta VALUES (1)")
        conn.execute(PG_MIGRATIONS[0])
    with pytest.raises(StoreError, match="older version.*kiosk gui"):
        PostgresStore.open(pg_url, read_only=True)
    with PostgresStore.open(pg_url) as store:
        assert store.add_person("Ann").name == "Ann"


def test_kiosks_starting_at_once_on_an_empty_database_migrate_it_once(pg_url):
    errors, stores = [], []

    def start():
        try:
            stores.append(PostgresStore.open(pg_url))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for store in stores:
        store.close()
    assert errors == [] and len(stores) == 4


# --- notifications -------------------------------------------------------------------------
def test_every_gallery_change_moves_every_kiosks_revision_at_once_and_asking_is_free(pg_url):
    with PostgresStore.open(pg_url) as a, PostgresStore.open(pg_url) as b:
        first = b.revision()
        began = time.monotonic()
        for _ in range(2000):
            b.revision()
        assert time.monotonic() - began < 0.5  # a local number, not a query
        for change in (lambda: a.add_person("Ann"), lambda: a.update_person("Ann", PersonChange(name="Anne")),
                       lambda: a.update_person("Anne", PersonChange(enabled=False)),
                       lambda: a.enrol("Anne", [unit(1)], model_id=MODEL),
                       lambda: a.remove("Anne")):
            seen = b.revision()
            change()
            assert wait_for(lambda: b.revision() != seen, 2.0) < 2.0
        seen = b.revision()
        a.log_event("recognize", claimed=None, identity=None, accepted=False, distance=None)
        time.sleep(0.5)
        assert b.revision() == seen > first  # the access log is not the gallery


# --- addresses, passwords, errors -----------------------------------------------------------
@pytest.mark.parametrize("url, message", [
    ("mysql://kiosk@127.0.0.1/db", "neither empty"),
    ("postgresql://kiosk:secret@127.0.0.1:5432/db", "holds a password.*PGPASSWORD or ~/.pgpass"),
    ("postgresql://kiosk@127.0.0.1:5432/db?password=secret", "holds a password"),
    ("postgresql://kiosk@127.0.0.1:5432", "names no database"),
    ("postgresql://kiosk@127.0.0.1:5432/db?sslmode=sometimes", "sslmode 'sometimes'"),
    ("postgresql://kiosk@[bad/db", "not valid"),
])
def test_bad_store_urls_are_refused_before_connecting(url, message):
    with pytest.raises(SettingsError, match=message):
        check_store_url(url)


def test_only_servers_on_this_machine_count_as_loopback():
    assert is_loopback("postgresql://k@127.0.0.1:5/db") and is_loopback("postgresql://k@localhost/db")
    assert is_loopback("postgresql://k@%2Ftmp%2Fsock/db")
    assert not is_loopback("postgresql://k@db.example.com/db")


def one_line_error(capsys, pg_server, tmp_path, url: str, *command: str) -> str:
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path), "--store", url, *(command or ("people", "list")))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_command_line_errors_about_the_server_are_one_line_with_exit_2(capsys, pg_server, tmp_path,
                                                                       monkeypatch):
    from kiosk.core.evaluation.pg_cluster import free_port

    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    db = pg_server.create_database("cli_errors")
    user = pg_server.url("cli_errors", PASSWORD_ROLE)
    cases = [
        ("mysql://x@127.0.0.1/db", "neither empty"),
        (user.replace(f"{PASSWORD_ROLE}@", f"{PASSWORD_ROLE}:{PASSWORD}@"), "holds a password"),
        (f"postgresql://kiosk@127.0.0.1:{free_port()}/db", "cannot reach the server.*refused"),
        (pg_server.url("no_such_db"), 'database "no_such_db" does not exist'),
        (user, "wants a password.*PGPASSWORD"),
        (db + "?sslmode=require", "does not support SSL"),
    ]
    for url, message in cases:
        assert re.search(message, one_line_error(capsys, pg_server, tmp_path, url)), url
    monkeypatch.setenv("PGPASSWORD", "wrong")
    assert "refused the password of user 'kiosk_pw'" in one_line_error(capsys, pg_server, tmp_path, user)


def test_the_password_comes_from_pgpassfile_or_pgpassword(capsys, pg_server, tmp_path, monkeypatch):
    user = pg_server.create_database("cli_password", owner=PASSWORD_ROLE)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:*:{PASSWORD_ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert run_cli(capsys, "--data-dir", str(tmp_path), "--store", user, "people", "list")[0] == 0
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert run_cli(capsys, "--data-dir", str(tmp_path), "--store", user, "people", "list")[0] == 0


def test_the_store_may_not_be_set_in_settings_toml(capsys, tmp_path):
    (tmp_path / "settings.toml").write_text('store = "postgresql://kiosk@127.0.0.1:1/db"\n')
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path), "people", "list")
    assert code == 2 and "only --store or KIOSK_STORE" in err


# --- moving a site --------------------------------------------------------------------------
def test_store_copy_moves_a_sqlite_site_onto_an_empty_server(capsys, pg_url, tmp_path):
    with SqliteStore.open(tmp_path / "kiosk.sqlite3") as site:
        fakes.enrol_cards(site, {"Alice": "red", "Bob": "blue", "Zed": "green"}, {"Alice": "E-1"})
        site.update_person("Bob", PersonChange(valid_from=None, valid_until=date(2030, 1, 31)))
        for who in ("Alice", "Zed", None):
            site.log_event("recognize", claimed=None, identity=who, accepted=who is not None,
                           distance=0.1, person_id=site.find_person(who).person_id if who else None,
                           kiosk="main door", uid=f"row-{who}")
        site.remove("Zed")
        site.set_setting("admin_pin_hash", "scrypt$abc")
        people, events = site.people(), site.events()
        arrays = site.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
    code, out, _ = run_cli(capsys, "--data-dir", str(tmp_path), "store", "copy", "--to", pg_url)
    assert code == 0 and "2 people, 2 templates, 3 events, 1 settings" in out
    with PostgresStore.open(pg_url) as server:
        assert server.people() == people and server.events() == events
        for ours, theirs in zip(arrays, server.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)):
            np.testing.assert_array_equal(ours, theirs)
        assert server.get_setting("admin_pin_hash") == "scrypt$abc"
        assert server.add_person("Carol").person_id > max(p.person_id for p in people)
    code, _, err = run_cli(capsys, "--data-dir", str(tmp_path), "store", "copy", "--to", pg_url)
    assert code == 2 and "not empty" in err


# --- outages (ResilientStore) ----------------------------------------------------------------
@pytest.fixture
def cable(pg_server):
    proxy = TcpProxy(pg_server.port)
    yield proxy
    proxy.cut()


def kiosk_store(tmp_path, url, name="side door", **settings):
    return open_shared_store(make_settings(tmp_path / name, store=url, kiosk_name=name, **settings),
                             retry_s=0.3)


def snapshot_file(tmp_path, name="side door") -> Path:
    found, = (tmp_path / name).glob("gallery-*.npz")
    return found


def log_row(store, who=None, person_id=None):
    return store.log_event("recognize", claimed=None, identity=who, accepted=who is not None,
                           distance=0.2 if who else None, person_id=person_id, kiosk="side door")


def test_offline_a_kiosk_decides_from_its_snapshot_queues_its_rows_and_sends_each_once(
        pg_url, cable, tmp_path):
    with PostgresStore.open(pg_url) as admin:
        fakes.enrol_cards(admin, {"Alice": "red"}, {"Alice": "E-1"})
    store = kiosk_store(tmp_path, cable.url(pg_url))
    try:
        arrays = store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
        assert stat.S_IMODE(snapshot_file(tmp_path).stat().st_mode) == 0o600
        online_row = log_row(store, "Alice")
        revision = store.revision()
        cable.cut()
        began = time.monotonic()
        queued = [log_row(store, "Alice", 1) for _ in range(3)]
        assert time.monotonic() - began < 1.0 and all(row.event_id == 0 for row in queued)
        assert not store.status().online and store.status().queued == 3
        assert "offline since" in store.status().summary and store.revision() != revision
        np.testing.assert_array_equal(store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)[0], arrays[0])
        assert store.find_person("e-1").name == "Alice" and [p.name for p in store.people()] == ["Alice"]
        with pytest.raises(UnknownPersonError):
            store.find_person("Bob")
        with pytest.raises(ServerUnreachableError, match="unreachable.*admin changes need it"):
            store.update_person("Alice", PersonChange(name="Alicia"))
        with pytest.raises(ServerUnreachableError, match="this needs it"):
            store.events()
        stat_outbox = stat.S_IMODE((tmp_path / "side door" / "outbox.sqlite3").stat().st_mode)
        assert stat_outbox == 0o600
        cable.restore()
        wait_for(lambda: store.status().online, 10)
        assert store.status().queued == 0
        uids = [e.uid for e in store.events()]
        assert sorted(uids) == sorted([online_row.uid] + [row.uid for row in queued])
    finally:
        store.close()


def test_with_offline_door_open_off_an_acceptance_keeps_the_door_shut_and_is_logged_as_such(
        pg_url, cable, tmp_path):
    store = kiosk_store(tmp_path, cable.url(pg_url), offline_door_open=False)
    try:
        store.templates("m", 8)
        cable.cut()
        with pytest.raises(ServerUnreachableError, match="offline_door_open is off"):
            log_row(store, "Alice")
        assert log_row(store).accepted is False  # a refusal is queued as ever
        cable.restore()
        wait_for(lambda: store.status().online, 10)
        by_kind = {e.kind: e for e in store.events()}
        kept_shut, stranger = by_kind["not_logged"], by_kind[""]
        assert not kept_shut.accepted and "door kept shut" in kept_shut.detail
        assert not stranger.accepted
    finally:
        store.close()


def test_a_kiosk_started_during_an_outage_decides_from_its_snapshot_commands_fail(
        pg_url, cable, tmp_path, capsys):
    with PostgresStore.open(pg_url) as admin:
        fakes.enrol_cards(admin, {"Alice": "red"})
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
    cable.cut()
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        assert not store.status().online
        assert len(store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)[0]) == 1
        log_row(store)
    settings = make_settings(tmp_path / "side door", store=cable.url(pg_url))
    with pytest.raises(ServerUnreachableError, match="cannot reach the server"):
        open_shared_store(settings, offline_ok=False)
    cable.restore()
    code, out, _ = run_cli(capsys, "--data-dir", str(tmp_path / "side door"), "--store",
                           cable.url(pg_url), "events", "--json")
    assert code == 0 and len(json.loads(out)) == 1  # the command sent the queued row first


def test_a_kiosk_restarted_during_an_outage_still_knows_its_pin_and_counts_wrong_ones(
        pg_url, cable, tmp_path):
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        PinGate(store, scrypt_n=2 ** 4).set_pin("246810")
    copy, = (tmp_path / "side door").glob("settings-*.json")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and "246810" not in copy.read_text()
    cable.cut()
    clock = [1000.0]
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:  # restarted while the server is down
        gate = PinGate(store, clock=lambda: clock[0])
        assert not store.status().online and gate.is_set()
        gate.check("246810")
        with pytest.raises(ServerUnreachableError, match="admin changes need it"):
            gate.set_pin("112233", old_pin="246810")
        for _ in range(FREE_ATTEMPTS + 1):
            with pytest.raises(PinError):
                gate.check("135790")
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:  # and again: the lockout was kept
        with pytest.raises(PinError, match="try again"):
            PinGate(store, clock=lambda: clock[0]).check("246810")
    cable.restore()
    with PostgresStore.open(pg_url) as server:  # the server's own counters were not touched
        assert not server.get_setting(FAILURES_KEY) and not server.get_setting(LOCKED_UNTIL_KEY)
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        assert store.status().online
        PinGate(store, clock=lambda: clock[0]).check("246810")  # online, the server's counters count


def test_without_a_sound_settings_copy_an_offline_kiosk_knows_no_pin(pg_url, cable, tmp_path):
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        PinGate(store, scrypt_n=2 ** 4).set_pin("246810")
    copy, = (tmp_path / "side door").glob("settings-*.json")
    copy.write_text('{"url": "postgresql://elsewhere/kiosk", "settings": {}}')
    cable.cut()
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        assert not PinGate(store).is_set()
    copy.write_bytes(b"\x00 not json")
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        assert not PinGate(store).is_set()


def gui_fullscreen(data_dir: Path, url: str) -> subprocess.CompletedProcess:
    """`kiosk gui --fullscreen` on a seed photo for 3 s, in a child process (offscreen)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(data_dir), "--store", url,
                           "--log-level", "info", "gui", "--fullscreen", "--camera", str(seed_photo("younes").parent),
                           "--quit-after-ms", "3000"], env=env, capture_output=True, text=True, timeout=300)


def test_a_full_screen_kiosk_starts_during_an_outage_with_the_pin_it_last_saw(pg_url, cable, tmp_path):
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        PinGate(store, scrypt_n=2 ** 4).set_pin("246810")
    cable.cut()
    started = gui_fullscreen(tmp_path / "side door", cable.url(pg_url))
    assert started.returncode == 0, started.stderr[-2000:]
    assert "starting from the snapshot" in started.stderr and "window shown" in started.stderr
    never_online = gui_fullscreen(tmp_path / "new door", cable.url(pg_url))  # no copy: no PIN known
    assert never_online.returncode == 2 and "without an admin PIN" in never_online.stderr


def test_a_damaged_snapshot_lets_nobody_in_offline(pg_url, cable, tmp_path):
    with PostgresStore.open(pg_url) as admin:
        fakes.enrol_cards(admin, {"Alice": "red"})
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)
    path = snapshot_file(tmp_path)
    path.write_bytes(path.read_bytes()[:-40])
    cable.cut()
    with kiosk_store(tmp_path, cable.url(pg_url)) as store:
        assert store.templates(fakes.FAKE_MODEL_ID, fakes.FakeEmbedder.dim)[0].shape == (0, 8)
        assert store.people() == []


def test_queued_rows_sent_twice_are_stored_once_and_late_rows_of_the_removed_are_pseudonymised(
        pg_url, cable, tmp_path):
    """Back online, the kiosk and a command opened on its data folder send the same queue at
    the same moment: every row is stored once. Ann was removed during the outage: her rows
    arrive after the removal's pseudonymisation, and are pseudonymised on arrival."""
    with PostgresStore.open(pg_url) as admin:
        ann = admin.enrol("Ann Lee", [unit(1)], model_id=MODEL, employee_id="E-7")
    store = kiosk_store(tmp_path, cable.url(pg_url))
    try:
        store.templates(MODEL, 128)
        cable.cut()
        rows = [store.log_event("verify", claimed="E-7", identity="Ann Lee", accepted=True,
                                distance=0.3, person_id=ann.person_id, employee_id="E-7",
                                detail="Ann Lee at the side door") for _ in range(40)]
        with PostgresStore.open(pg_url) as admin:
            admin.remove("Ann Lee")
        cable.restore()
        kiosk_store(tmp_path, cable.url(pg_url)).close()  # a command: sends the queue first
        wait_for(lambda: store.status().online, 10)
        stored = store.events()
        assert sorted(e.uid for e in stored) == sorted(r.uid for r in rows)
        for event in stored:
            assert event.identity.startswith("former-") and event.claimed == event.identity
            assert event.employee_id is None and "Ann Lee" not in event.detail
    finally:
        store.close()


def test_status_summary_says_what_offline_means():
    from datetime import datetime, timezone

    from kiosk.core.base.vocabulary import StoreKind
    from kiosk.core.storage.store import StoreStatus

    status = StoreStatus(StoreKind.POSTGRESQL, "postgresql://k@h/db", online=False, queued=4,
                         offline_since=datetime(2026, 1, 2, 8, 0, tzinfo=timezone.utc),
                         reason="connection refused")
    assert "offline since" in status.summary and "4 log rows queued" in status.summary
    assert "admin changes need the server" in status.summary and "no snapshot" in status.summary
    assert StoreStatus(StoreKind.SQLITE, "x").summary == "online"


def test_the_server_store_points_backups_at_pg_dump(pg_url, tmp_path):
    with PostgresStore.open(pg_url) as store, pytest.raises(StoreError, match="pg_dump"):
        store.backup(Path(tmp_path / "copy"))


# --- the load benchmark ----------------------------------------------------------------------
def test_the_store_benchmark_is_bounded_and_counts_every_row(pg_url):
    from kiosk.core.evaluation.store_benchmark import run

    began = time.monotonic()
    result = run(pg_url, kiosks=3, seconds=6, change_every_s=2)
    assert time.monotonic() - began < 30
    assert result.rows_lost == 0 and result.rows_twice == 0 and result.rows_logged >= 15
    assert result.changes >= 3 and result.changes_not_reached == 0 and result.reach_all_s_max < 2
    assert result.decisions_per_s > 2


def test_the_store_benchmark_loads_only_this_machine():
    from kiosk.core.base.errors import KioskError
    from kiosk.core.evaluation.store_benchmark import run

    with pytest.raises(KioskError, match="only a server on this machine"):
        run("postgresql://kiosk@db.example.com:5432/kiosk", kiosks=1, seconds=1)


def test_the_admin_status_line_says_when_the_shared_store_is_offline(pg_url, cable, tmp_path, qtbot):
    from kiosk.ui.app import build_window
    from tests.ui_helpers import ScriptedPrompter

    with PostgresStore.open(pg_url) as admin:
        fakes.enrol_cards(admin, {"Alice": "red"})
    settings = make_settings(tmp_path / "side door", store=cable.url(pg_url), kiosk_name="side door")
    store = open_shared_store(settings, retry_s=0.3)
    camera = fakes.ScriptedCamera([fakes.face_frame()])
    window = build_window(settings, store, camera=lambda: camera, engine_factory=fakes.fake_engine,
                          prompter=ScriptedPrompter())
    try:
        window.start()
        qtbot.waitUntil(lambda: window.controller.model.state == "ready", timeout=10000)
        window.refresh_status()
        assert "offline" not in window.status_line.text()
        cable.cut()
        log_row(store)  # the next log write finds the server gone
        qtbot.waitUntil(lambda: (window.refresh_status(), "store offline since" in window.status_line.text())[1],
                        timeout=10000)
        assert re.search(r"\b[1-9]\d* log rows queued", window.status_line.text())
        cable.restore()
        qtbot.waitUntil(lambda: (window.refresh_status(), "offline" not in window.status_line.text())[1],
                        timeout=15000)
    finally:
        window.force_close()
        store.close()

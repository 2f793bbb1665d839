"""The store as a file: erasure that really erases, retention, permissions, integrity at open,
backup while in use, and repair of a damaged store (real SQLite files, raw bytes read back)."""
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from kiosk.core.base.errors import DamagedStoreError, DatabaseLockedError
from kiosk.core.storage.repair import repair
from kiosk.core.storage.sqlite import SqliteStore

MODEL = "test-model"


def unit(seed: int, dim: int = 128) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def raw_bytes(db: Path) -> bytes:
    """Everything on disk for this store: the file and its WAL/SHM, as bytes."""
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


def spoil_a_page_of(db: Path, table: str) -> None:
    """Overwrite one leaf page of ``table`` (not its root) with noise, as a failing disk might."""
    with sqlite3.connect(db) as conn:
        pages = [row[0] for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    page = pages[len(pages) // 2]
    data = bytearray(db.read_bytes())
    data[(page - 1) * size:page * size] = os.urandom(size)
    db.write_bytes(bytes(data))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "kiosk.sqlite3"


def test_a_removed_person_leaves_no_trace_in_the_file_or_its_journal(db: Path):
    """Name, employee id, photo file names and template bytes are all gone from disk."""
    secret = unit(7)
    with SqliteStore.open(db) as store:
        store.enrol("Zelda Quixote", [secret, unit(8)], model_id=MODEL, employee_id="EMP-77413",
                    sources=["zelda-badge-photo.jpg", "zelda-holiday.png"])
        store.enrol("Bob", [unit(9)], model_id=MODEL)
        for accepted in (True, False):
            store.log_event("verify", claimed="EMP-77413", identity="Zelda Quixote" if accepted else None,
                            accepted=accepted, distance=0.5, person_id=1, employee_id="EMP-77413",
                            detail="nearest: Zelda Quixote")
        before = raw_bytes(db)
        assert b"Zelda Quixote" in before and secret.tobytes()[:32] in before
        store.remove("Zelda Quixote")
        after = raw_bytes(db)
        events = store.events()
    for trace in (b"Zelda Quixote", b"EMP-77413", b"zelda-badge-photo.jpg", b"zelda-holiday.png",
                  secret.tobytes()[:32]):
        assert trace not in after, trace
    assert len(events) == 2 and all(e.identity in (None, events[0].claimed) for e in events)
    assert events[0].claimed.startswith("former-") and "former-" in events[0].detail


def test_the_name_stays_in_the_log_only_when_the_admin_asks(db: Path):
    with SqliteStore.open(db) as store:
        store.enrol("Ann", [unit(1)], model_id=MODEL)
        store.log_event("recognize", claimed=None, identity="Ann", accepted=True, distance=0.4,
                        person_id=1)
        store.remove("Ann", keep_name_in_log=True)
        assert store.events()[0].identity == "Ann"


def test_old_rows_are_purged(db: Path):
    now = datetime.now(timezone.utc)
    with SqliteStore.open(db) as store:
        for days in (200, 91, 89, 1):
            store.log_event("recognize", claimed=None, identity=None, accepted=False,
                            distance=None, time=now - timedelta(days=days))
        assert store.purge_events(now - timedelta(days=90)) == 2
        assert len(store.events()) == 2


def test_the_data_folder_and_files_are_for_the_owner_only(db: Path):
    with SqliteStore.open(db) as store:
        store.enrol("Ann", [unit(1)], model_id=MODEL)
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_a_store_with_a_damaged_page_is_refused_not_read_as_empty(db: Path):
    with SqliteStore.open(db) as store:
        for i in range(300):
            store.log_event("recognize", claimed=None, identity=f"visitor {i}" * 5, accepted=False,
                            distance=None)
    spoil_a_page_of(db, "events")
    with pytest.raises(DamagedStoreError, match=r"damaged.*kiosk store repair"):
        SqliteStore.open(db)
    with pytest.raises(DamagedStoreError):
        SqliteStore.open(db, read_only=True)


def test_a_zero_byte_store_is_refused_not_started_afresh(db: Path):
    db.parent.mkdir(parents=True)
    db.write_bytes(b"")
    with pytest.raises(DamagedStoreError, match="empty.*Restore a backup"):
        SqliteStore.open(db)
    assert db.stat().st_size == 0  # left as it was


def test_a_zero_byte_store_another_program_is_creating_is_locked_not_damaged(db: Path):
    db.parent.mkdir(parents=True)
    creator = sqlite3.connect(db, isolation_level=None)
    creator.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLockedError):
            SqliteStore.open(db, timeout_s=0.1)
    finally:
        creator.rollback()
        creator.close()


def test_backup_while_in_use_is_a_whole_consistent_store(db: Path, tmp_path: Path):
    with SqliteStore.open(db) as store:
        store.enrol("Ann", [unit(1)], model_id=MODEL)
        other = SqliteStore.open(db)  # a kiosk still running beside it
        target = store.backup(tmp_path / "backup.sqlite3")
        other.enrol("Bob", [unit(2)], model_id=MODEL)
        other.close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with SqliteStore.open(target) as copy:
        assert [p.name for p in copy.people()] == ["Ann"]


def test_repair_saves_the_readable_rows_and_keeps_the_damaged_file(db: Path):
    with SqliteStore.open(db) as store:
        for i in range(40):
            store.enrol(f"person {i:02d}", [unit(i)], model_id=MODEL)
        for i in range(400):
            store.log_event("recognize", claimed=None, identity=None, accepted=False,
                            distance=None, detail="x" * 200)
    spoil_a_page_of(db, "events")
    with pytest.raises(DamagedStoreError):
        SqliteStore.open(db)
    report = repair(db)
    assert report.damaged_copy.exists() and "kept as" in report.summary()
    with SqliteStore.open(db) as repaired:
        assert len(repaired.people()) == 40
        assert 350 <= len(repaired.events()) < 400  # one page of rows lost, no more
    assert report.saved["people"] == 40 and report.saved["templates"] == 40


def test_a_row_sent_twice_is_stored_once(db: Path):
    with SqliteStore.open(db) as store:
        first = store.log_event("recognize", claimed=None, identity=None, accepted=False,
                                distance=None, uid="kiosk-a-000001", kiosk="side door")
        again = store.log_event("recognize", claimed=None, identity=None, accepted=False,
                                distance=None, uid="kiosk-a-000001", kiosk="side door")
        assert first.event_id == again.event_id and len(store.events()) == 1
        assert store.events(kiosk="side door")[0].kiosk == "side door"
        assert store.events(kiosk="main door") == []


def spoil_the_root_page_of(db: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with noise: every path to its rows goes through it."""
    with sqlite3.connect(db) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    data[(page - 1) * size:page * size] = np.random.default_rng(3).bytes(size)
    db.write_bytes(bytes(data))


def a_store_with_people_and_log(db: Path) -> None:
    with SqliteStore.open(db) as store:
        for i in range(5):
            store.enrol(f"person {i}", [unit(i), unit(i + 100)], model_id=MODEL)
        for _ in range(30):
            store.log_event("recognize", claimed=None, identity=None, accepted=False, distance=None)


def kiosk_in_a_child(db: Path, *argv: str):
    """`python -m kiosk --data-dir DIR ARGV`, stopped (and the test failed) after two minutes."""
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(db.parent), *argv],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True,
                          timeout=120)


def test_repair_of_a_damaged_root_page_finishes_keeps_the_rest_and_says_what_was_lost(db: Path):
    a_store_with_people_and_log(db)
    spoil_the_root_page_of(db, "templates")
    damaged = db.read_bytes()
    done = kiosk_in_a_child(db, "store", "repair")
    assert done.returncode == 0, done.stderr
    assert "saved 5 people, 0 templates, 30 events" in done.stdout
    assert "lost: the templates rows from rowid 1 on (unreadable)" in done.stdout
    with SqliteStore.open(db) as repaired:
        assert [p.name for p in repaired.people()] == [f"person {i}" for i in range(5)]
        assert len(repaired.events()) == 30
    kept = [p for p in db.parent.iterdir() if ".damaged-" in p.name and p.name[-1].isdigit()]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged


def test_a_store_too_damaged_to_read_is_left_as_it_was(db: Path, capsys):
    from kiosk import cli
    a_store_with_people_and_log(db)
    data = bytearray(db.read_bytes())
    data[:4096] = np.random.default_rng(4).bytes(4096)  # the header and the list of tables
    db.write_bytes(bytes(data))
    files = sorted(p.name for p in db.parent.iterdir())
    assert cli.main(["--data-dir", str(db.parent), "store", "repair"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "left as it was" in err, err
    assert db.read_bytes() == bytes(data) and sorted(p.name for p in db.parent.iterdir()) == files


def test_an_interrupted_repair_leaves_the_store_as_it_was(db: Path, monkeypatch):
    import kiosk.core.storage.repair as repair_module
    a_store_with_people_and_log(db)
    spoil_a_page_of(db, "events")
    before, files = db.read_bytes(), sorted(p.name for p in db.parent.iterdir())
    real_copy = repair_module._copy_table

    def copy_then_ctrl_c(source, target, table, *rest):
        if table == "events":
            raise KeyboardInterrupt
        real_copy(source, target, table, *rest)
    monkeypatch.setattr(repair_module, "_copy_table", copy_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        repair(db)
    assert db.read_bytes() == before and sorted(p.name for p in db.parent.iterdir()) == files


@pytest.mark.parametrize("target_is", ["an old backup", "the store itself"])
def test_backup_refuses_a_file_that_exists_and_changes_nothing(db: Path, tmp_path: Path, capsys, target_is):
    from kiosk import cli
    a_store_with_people_and_log(db)
    target = tmp_path / "old.sqlite3" if target_is == "an old backup" else db
    if target != db:
        target.write_bytes(b"last week's backup")
    before, files = target.read_bytes(), sorted(p.name for p in db.parent.iterdir())
    assert cli.main(["--data-dir", str(db.parent), "store", "backup", str(target)]) == 2  # the store unopened
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and f"{target} already exists" in err, err
    assert target.read_bytes() == before and sorted(p.name for p in db.parent.iterdir()) == files

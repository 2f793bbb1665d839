"""`kiosk benchmark-store`: many simulated kiosks on one PostgreSQL server on this machine.

Each simulated kiosk has a store of its own, opened as a kiosk opens it (`open_shared_store`:
its own connections, LISTEN, snapshot and outbox in a folder of its own), and two threads as
a kiosk has. One does what the analysis thread does: it watches the revision every 0.5 s and
reloads the gallery when it moved, and decides once a second (a row into the access log,
timed). The other is an admin at the screen: once every ``change_every_s`` (staggered
between the kiosks) it changes the gallery, enrolling a person or removing the one it
enrolled before. At the end: decisions per second held, log-write latency, how long a
change took to reach every kiosk, and the rows lost (every uid a kiosk logged, looked up on
the server: must be 0).

The server is ``url`` when given (it must be on this machine and hold no people yet), else a
throw-away one (`TempCluster`). Bounded: it stops by itself after ``seconds``.
"""
from __future__ import annotations

import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from kiosk.core.base.errors import KioskError
from kiosk.core.base.settings import Settings
from kiosk.core.storage.offline import ResilientStore, open_shared_store
from kiosk.core.storage.server_url import check_store_url, is_loopback

MODEL, DIM = "benchmark-model", 128
STAFF = 20  # people enrolled before the kiosks start
CHECK_S = 0.5  # the front desk's revision check interval
SETTLE_S = 5.0  # no changes in the last seconds: each has time to reach every kiosk


@dataclass
class StoreBenchmark:
    kiosks: int
    seconds: float
    server: str
    decisions: int = 0
    decisions_per_s: float = 0.0
    slowest_kiosk_per_s: float = 0.0  # the kiosk that managed the fewest decisions
    log_ms_p50: float = 0.0
    log_ms_p99: float = 0.0
    log_ms_max: float = 0.0
    changes: int = 0
    reach_all_s_p50: float = 0.0  # a change's commit until every kiosk's gallery has it
    reach_all_s_max: float = 0.0
    changes_not_reached: int = 0  # changes some kiosk had not loaded when the run ended
    rows_logged: int = 0
    rows_stored: int = 0
    rows_lost: int = 0
    rows_twice: int = 0
    errors: int = 0  # calls that failed (the first one's message below)
    first_error: str = ""

    def to_json_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Change:
    name: str
    enrolled: bool  # True: enrolled, False: removed
    committed: float  # time.monotonic()


@dataclass
class _Kiosk:
    """One simulated kiosk's record of what it did and saw."""

    index: int
    store: ResilientStore
    latencies_ms: list[float] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)
    views: list[tuple[float, frozenset]] = field(default_factory=list)  # (when, names loaded)
    changes: list[_Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run(url: str | None, kiosks: int = 10, seconds: float = 120.0,
        change_every_s: float = 60.0) -> StoreBenchmark:
    """Run the benchmark (see the module's doc) and measure it."""
    if kiosks < 1 or seconds <= 0 or change_every_s <= 0:
        raise KioskError("benchmark-store needs --kiosks >= 1, --seconds > 0 and --change-every > 0")
    if url is None:
        from kiosk.core.evaluation.pg_cluster import TempCluster

        cluster = TempCluster.start(max_connections=3 * kiosks + 20)  # a kiosk uses up to 3
        try:
            return _measure(cluster.create_database("bench"), "a throw-away server on 127.0.0.1",
                            kiosks, seconds, change_every_s)
        finally:
            cluster.stop()
    url = check_store_url(url)
    if not is_loopback(url):
        raise KioskError(f"benchmark-store loads only a server on this machine (127.0.0.1, ::1 or"
                         f" a unix socket), not {url}; or leave --store out for a throw-away one")
    return _measure(url, url, kiosks, seconds, change_every_s)


def _measure(url: str, label: str, count: int, seconds: float, change_every_s: float) -> StoreBenchmark:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        admin = _open(url, Path(folder) / "admin", "bench-admin")
        try:
            _prepare(admin)
            kiosks = [_Kiosk(i, _open(url, Path(folder) / f"k{i}", f"bench-{i}")) for i in range(count)]
            try:
                _run_all(kiosks, seconds, change_every_s)
                for kiosk in kiosks:
                    kiosk.store.flush()
            finally:
                for kiosk in kiosks:
                    kiosk.store.close()
            return _result(kiosks, admin, StoreBenchmark(count, seconds, label))
        finally:
            admin.close()


def _open(url: str, folder: Path, name: str) -> ResilientStore:
    return open_shared_store(Settings(data_dir=str(folder), store=url, kiosk_name=name),
                             offline_ok=False)


def _prepare(admin: ResilientStore) -> None:
    if admin.people():
        raise KioskError(f"benchmark-store needs a database with nobody enrolled; {admin.url}"
                         " has people: create one for it (createdb kiosk_bench)")
    for i in range(STAFF):
        admin.enrol(f"staff {i:02d}", [_unit()], model_id=MODEL)


def _run_all(kiosks: list[_Kiosk], seconds: float, change_every_s: float) -> None:
    """Two threads per kiosk, as a kiosk has: the analysis thread decides, the screen's
    thread makes the admin changes."""
    start = time.monotonic()
    stop = start + seconds
    threads = []
    for k in kiosks:
        first_change = start + change_every_s * (k.index + 0.5) / len(kiosks)
        threads += [threading.Thread(target=_decide_loop, args=(k, start, stop), daemon=True),
                    threading.Thread(target=_admin_loop, args=(k, first_change, stop, change_every_s),
                                     daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)


def _decide_loop(kiosk: _Kiosk, start: float, stop: float) -> None:
    """Look for gallery changes every 0.5 s, decide once a second."""
    rng = random.Random(kiosk.index)
    next_decision, next_check = start + rng.random(), start
    gallery: tuple[str, ...] = ()
    revision = None
    while (now := time.monotonic()) < stop:
        try:
            if now >= next_check:
                next_check += CHECK_S
                if (seen := kiosk.store.revision()) != revision:
                    revision, gallery = seen, _load(kiosk)
            if now >= next_decision:
                next_decision += 1.0
                _decide(kiosk, rng.choice(gallery) if gallery else None)
        except KioskError as exc:
            kiosk.errors.append(str(exc))
        time.sleep(max(0.0, min(next_check, next_decision, stop) - time.monotonic()))


def _admin_loop(kiosk: _Kiosk, first: float, stop: float, every_s: float) -> None:
    """Enrol a person, then remove them, and so on, every ``every_s`` (none at the very end:
    each change has time to reach every kiosk)."""
    pending, next_change = None, first
    last = stop - min(SETTLE_S, (stop - first) / 4)
    while (now := time.monotonic()) < last:
        if now >= next_change:
            next_change += every_s
            try:
                pending = _change(kiosk, pending)
            except KioskError as exc:
                kiosk.errors.append(str(exc))
        time.sleep(max(0.0, min(next_change, last) - time.monotonic()))


def _load(kiosk: _Kiosk) -> tuple[str, ...]:
    """What the front desk does on a revision change: templates, then people."""
    kiosk.store.templates(MODEL, DIM)
    names = tuple(p.name for p in kiosk.store.people(MODEL))
    kiosk.views.append((time.monotonic(), frozenset(names)))
    return names


def _decide(kiosk: _Kiosk, name: str | None) -> None:
    uid = uuid.uuid4().hex
    began = time.perf_counter()
    kiosk.store.log_event("recognize", claimed=None, identity=name, accepted=name is not None,
                          distance=0.4 if name else None, kind="welcome" if name else "stranger",
                          kiosk=f"bench-{kiosk.index}", uid=uid)
    kiosk.latencies_ms.append((time.perf_counter() - began) * 1000)
    kiosk.uids.append(uid)


def _change(kiosk: _Kiosk, pending: str | None) -> str | None:
    """Remove the person this kiosk enrolled last time, or enrol a new one."""
    if pending is not None:
        kiosk.store.remove(pending)
        kiosk.changes.append(_Change(pending, False, time.monotonic()))
        return None
    name = f"visitor {kiosk.index}-{len(kiosk.changes)}"
    kiosk.store.enrol(name, [_unit()], model_id=MODEL)
    kiosk.changes.append(_Change(name, True, time.monotonic()))
    return name


def _result(kiosks: list[_Kiosk], admin: ResilientStore, out: StoreBenchmark) -> StoreBenchmark:
    latencies = np.array([ms for k in kiosks for ms in k.latencies_ms] or [0.0])
    out.decisions = out.rows_logged = sum(len(k.uids) for k in kiosks)
    out.decisions_per_s = out.decisions / out.seconds
    out.slowest_kiosk_per_s = min(len(k.uids) for k in kiosks) / out.seconds
    out.log_ms_p50, out.log_ms_p99 = (float(v) for v in np.percentile(latencies, [50, 99]))
    out.log_ms_max = float(latencies.max())
    reach = [_reach_all(change, kiosks) for k in kiosks for change in k.changes]
    reached = [r for r in reach if r is not None]
    out.changes, out.changes_not_reached = len(reach), len(reach) - len(reached)
    if reached:
        out.reach_all_s_p50, out.reach_all_s_max = float(np.median(reached)), float(max(reached))
    out.rows_stored, out.rows_twice = _stored(admin, [u for k in kiosks for u in k.uids])
    out.rows_lost = out.rows_logged - out.rows_stored
    errors = [e for k in kiosks for e in k.errors]
    out.errors, out.first_error = len(errors), errors[0] if errors else ""
    return out


def _reach_all(change: _Change, kiosks: list[_Kiosk]) -> float | None:
    """Seconds from the change's commit until the last kiosk loaded a gallery showing it."""
    slowest = 0.0
    for kiosk in kiosks:
        seen = [when for when, names in kiosk.views
                if when >= change.committed and (change.name in names) == change.enrolled]
        if not seen:
            return None
        slowest = max(slowest, seen[0] - change.committed)
    return slowest


def _stored(admin: ResilientStore, uids: list[str]) -> tuple[int, int]:
    """(how many of ``uids`` the server holds, how many rows it holds twice or more)."""
    found = Counter(e.uid for e in admin.events() if e.kiosk.startswith("bench-"))
    wanted = set(uids)
    return sum(1 for uid in wanted if uid in found), sum(n - 1 for uid, n in found.items() if uid in wanted)


def _unit() -> np.ndarray:
    vector = np.random.default_rng().normal(size=DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)

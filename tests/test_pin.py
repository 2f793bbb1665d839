"""The admin PIN gate: scrypt hash in the store, persisted rate limit, fake clock."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.base.errors import PinError, StoreError
from kiosk.core.frontdesk import pin as pin_module
from kiosk.core.frontdesk.pin import (
    FIRST_LOCK_S,
    HASH_KEY,
    MAX_LOCK_S,
    PinGate,
    hash_pin,
    lock_duration_s,
    verify_pin,
)
from kiosk.core.storage.sqlite import SqliteStore
from kiosk.core.storage.store import Store

PIN = "90817263544"  # long enough that it cannot turn up in base64 by chance
OTHER_PIN = "123456"


class FakeClock:
    def __init__(self, now_s: float = 1_700_000_000.0):
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.sqlite3"


@pytest.fixture
def store(db_path: Path):
    with SqliteStore.open(db_path) as opened:
        yield opened


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


CHEAP_N = 2**10  # the rules, not the cost, are under test here (test_hash_format checks it)


@pytest.fixture
def gate(store: Store, clock: FakeClock) -> PinGate:
    gate = PinGate(store, clock=clock, scrypt_n=CHEAP_N)
    gate.set_pin(PIN)
    return gate


def fail(gate: PinGate, times: int) -> PinError:
    for _ in range(times):
        with pytest.raises(PinError) as caught:
            gate.check(OTHER_PIN)
    return caught.value


# --- hashing -------------------------------------------------------------------------------
def test_hash_format_and_verification():
    encoded = hash_pin(PIN)
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "65536", "8", "1")  # 64 MiB per guess
    assert PIN not in encoded
    assert verify_pin(PIN, encoded)
    assert not verify_pin(OTHER_PIN, encoded)
    assert hash_pin(PIN) != encoded  # a fresh salt every time


def test_damaged_hash_is_a_store_error():
    with pytest.raises(StoreError, match="damaged"):
        verify_pin(PIN, "scrypt$16384$8$1$not base64!$xx")
    with pytest.raises(StoreError, match="damaged"):
        verify_pin(PIN, "md5$abc")


def test_pin_is_never_stored_in_clear(gate: PinGate, store: Store, db_path: Path):
    assert PIN not in store.get_setting(HASH_KEY)
    store.close()
    for path in db_path.parent.iterdir():  # the database and any WAL leftovers
        assert PIN.encode() not in path.read_bytes()


# --- setting and checking ------------------------------------------------------------------
def test_set_and_check(store: Store, clock: FakeClock):
    gate = PinGate(store, clock=clock, scrypt_n=CHEAP_N)
    assert not gate.is_set()
    with pytest.raises(PinError, match="no admin PIN"):
        gate.check(PIN)
    gate.set_pin(PIN)
    assert gate.is_set()
    gate.check(PIN)
    error = fail(gate, 1)
    assert error.retry_after_s == 0
    assert "wrong PIN" in str(error)


@pytest.mark.parametrize("bad", ["", "1234", "12345", "1234567890123", "12a456", "12 345", "١٢٣٤٥٦", "12³456"])
def test_pin_must_be_6_to_12_ascii_digits(store: Store, bad: str):
    gate = PinGate(store, scrypt_n=CHEAP_N)
    with pytest.raises(PinError, match="6 to 12 digits"):
        gate.set_pin(bad)
    assert not gate.is_set()


def test_changing_the_pin_needs_the_old_one(gate: PinGate):
    with pytest.raises(PinError, match="current PIN"):
        gate.set_pin("555555")
    with pytest.raises(PinError, match="wrong PIN"):
        gate.set_pin("555555", old_pin=OTHER_PIN)
    gate.check(PIN)
    gate.set_pin("555555", old_pin=PIN)
    gate.check("555555")
    with pytest.raises(PinError):
        gate.check(PIN)  # the old PIN no longer opens


def test_clear_forgets_the_pin(gate: PinGate):
    fail(gate, 3)
    gate.clear()
    assert not gate.is_set()
    assert gate.retry_after_s() == 0
    gate.set_pin("654321")
    gate.check("654321")


# --- rate limiting -------------------------------------------------------------------------
def test_lock_durations_double_up_to_the_cap():
    assert [lock_duration_s(n) for n in range(1, 10)] == \
        [0, 0, 30, 60, 120, 240, 480, 900, 900]


def test_third_failure_locks_and_locked_gate_does_not_compare(gate: PinGate, clock: FakeClock,
                                                              monkeypatch: pytest.MonkeyPatch):
    assert fail(gate, 2).retry_after_s == 0
    assert fail(gate, 1).retry_after_s == FIRST_LOCK_S

    def must_not_compare(*args):
        raise AssertionError("compared a PIN while locked")

    monkeypatch.setattr(pin_module, "verify_pin", must_not_compare)
    clock.advance(10)
    with pytest.raises(PinError, match="try again in 20 s") as caught:
        gate.check(PIN)  # even the right PIN waits
    assert caught.value.retry_after_s == pytest.approx(20)
    monkeypatch.undo()
    clock.advance(20)
    gate.check(PIN)


def test_lock_doubles_on_each_further_failure(gate: PinGate, clock: FakeClock):
    fail(gate, 3)
    waits = []
    for _ in range(6):
        clock.advance(gate.retry_after_s())
        waits.append(fail(gate, 1).retry_after_s)
    assert waits == [60, 120, 240, 480, MAX_LOCK_S, MAX_LOCK_S]


def test_success_resets_the_count(gate: PinGate, clock: FakeClock):
    fail(gate, 2)
    gate.check(PIN)
    assert fail(gate, 2).retry_after_s == 0  # counting starts again from zero
    assert fail(gate, 1).retry_after_s == FIRST_LOCK_S


def test_lock_survives_a_restart(db_path: Path, clock: FakeClock):
    with SqliteStore.open(db_path) as first:
        gate = PinGate(first, clock=clock, scrypt_n=CHEAP_N)
        gate.set_pin(PIN)
        fail(gate, 3)
    clock.advance(5)
    with SqliteStore.open(db_path) as second:
        restarted = PinGate(second, clock=clock, scrypt_n=CHEAP_N)
        with pytest.raises(PinError) as caught:
            restarted.check(PIN)
        assert caught.value.retry_after_s == pytest.approx(25)
        clock.advance(25)
        assert fail(restarted, 1).retry_after_s == 60  # the fourth failure in a row


def test_clock_set_backwards_cannot_lock_for_longer_than_the_cap(gate: PinGate,
                                                                 clock: FakeClock):
    fail(gate, 3)
    clock.advance(-86_400)
    assert gate.retry_after_s() == MAX_LOCK_S

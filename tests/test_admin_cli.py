"""``kiosk admin set-pin --pin-stdin`` end to end, through ``kiosk.cli.main`` (no models)."""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.base import settings as settings_mod
from kiosk.core.base.errors import PinError
from kiosk.core.frontdesk.pin import PinGate
from kiosk.core.storage.sqlite import SqliteStore
from kiosk.core.storage.store import Store

PIN = "482913"
NEW_PIN = "7305518"
WRONG_PIN = "000000"


@pytest.fixture
def run_set_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """Run ``kiosk admin set-pin --pin-stdin`` with ``lines`` on stdin; (exit code, out, err)."""
    for name in [n for n in os.environ if n.startswith("KIOSK_")]:
        monkeypatch.delenv(name)

    def run(*lines: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
        code = main(["--data-dir", str(tmp_path), "admin", "set-pin", "--pin-stdin"])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def gate(tmp_path: Path):
    """A gate on the same database the command writes (open it after running the command)."""
    def open_gate() -> tuple[Store, PinGate]:
        store = SqliteStore.open(settings_mod.load({"data_dir": str(tmp_path)}, environ={}).database_path)
        return store, PinGate(store)

    return open_gate


def _accepts(gate, pin: str) -> bool:
    store, pin_gate = gate()
    with store:
        try:
            pin_gate.check(pin)
        except PinError:
            return False
        return True


def test_first_set_needs_only_the_new_pin_twice(run_set_pin, gate):
    code, out, err = run_set_pin(PIN, PIN)
    assert (code, out.strip(), err) == (0, "admin PIN set", "")
    assert _accepts(gate, PIN)


def test_change_with_the_right_current_pin(run_set_pin, gate):
    assert run_set_pin(PIN, PIN)[0] == 0
    code, out, _ = run_set_pin(PIN, NEW_PIN, NEW_PIN)
    assert (code, out.strip()) == (0, "admin PIN set")
    assert _accepts(gate, NEW_PIN)
    assert not _accepts(gate, PIN)


def test_wrong_current_pin_is_refused_and_the_old_pin_still_works(run_set_pin, gate):
    assert run_set_pin(PIN, PIN)[0] == 0
    code, out, err = run_set_pin(WRONG_PIN, NEW_PIN, NEW_PIN)
    assert code == 2
    assert out == ""
    assert "wrong PIN" in err
    assert _accepts(gate, PIN)


def test_wrong_current_pins_are_rate_limited(run_set_pin):
    assert run_set_pin(PIN, PIN)[0] == 0
    for _ in range(3):
        run_set_pin(WRONG_PIN, NEW_PIN, NEW_PIN)
    code, _, err = run_set_pin(PIN, NEW_PIN, NEW_PIN)  # even the right PIN waits now
    assert code == 2
    assert "try again in" in err


def test_mismatched_new_pins_change_nothing(run_set_pin, gate):
    code, out, err = run_set_pin(PIN, NEW_PIN)
    assert (code, out) == (2, "")
    assert "differ" in err
    store, pin_gate = gate()
    with store:
        assert not pin_gate.is_set()


def test_mismatch_when_changing_keeps_the_old_pin(run_set_pin, gate):
    assert run_set_pin(PIN, PIN)[0] == 0
    code, _, err = run_set_pin(PIN, NEW_PIN, NEW_PIN + "1")
    assert code == 2
    assert "differ" in err
    assert _accepts(gate, PIN)


@pytest.mark.parametrize("bad_pin", ["12ab56", "1234", "12345", "1234567890123", "١٢٣٤٥٦", " 123456"])
def test_a_pin_that_is_not_6_to_12_ascii_digits_is_refused(run_set_pin, gate, bad_pin):
    code, out, err = run_set_pin(bad_pin, bad_pin)
    assert (code, out) == (2, "")
    assert "6 to 12 digits" in err
    store, pin_gate = gate()
    with store:
        assert not pin_gate.is_set()


def test_missing_stdin_lines_change_nothing(run_set_pin, gate):
    assert run_set_pin(PIN, PIN)[0] == 0
    code, _, err = run_set_pin(PIN, NEW_PIN)  # the repeat line is missing
    assert code == 2
    assert "nothing changed" in err
    assert _accepts(gate, PIN)

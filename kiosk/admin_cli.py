"""``kiosk admin set-pin``: set or change the admin PIN from a terminal or a script.

Interactively the PINs are read with :func:`getpass.getpass` (not echoed). With
``--pin-stdin`` they are read as lines from standard input, in prompt order: the current PIN
(only if one is set), the new PIN, the new PIN again. The rules and the rate limit on wrong
current PINs are those of :class:`kiosk.core.frontdesk.pin.PinGate`.
"""
from __future__ import annotations

import getpass
import sys
from typing import Callable

from kiosk.core.base.errors import PinError
from kiosk.core.frontdesk.pin import PinGate

OLD_PROMPT = "current admin PIN: "
NEW_PROMPT = "new admin PIN (4 to 12 digits): "
REPEAT_PROMPT = "new admin PIN again: "


def set_pin(store, from_stdin: bool = False) -> int:
    """Set or change the admin PIN kept in ``store``; the exit code (0 done, 2 refused)."""
    gate = PinGate(store)
    try:
        old_pin, new_pin, repeat = _read_pins(gate.is_set(), _reader(from_stdin))
    except EOFError:
        return _refuse("no PIN entered; nothing changed")
    if new_pin != repeat:
        return _refuse("the two new PINs differ; nothing changed")
    try:
        gate.set_pin(new_pin, old_pin=old_pin)
    except PinError as exc:
        return _refuse(f"{exc}; nothing changed")
    print("admin PIN set")
    return 0


def _read_pins(is_set: bool, read: Callable[[str], str]) -> tuple[str | None, str, str]:
    """``(current PIN or None when none is set, new PIN, new PIN repeated)``."""
    old_pin = read(OLD_PROMPT) if is_set else None
    return old_pin, read(NEW_PROMPT), read(REPEAT_PROMPT)


def _reader(from_stdin: bool) -> Callable[[str], str]:
    return _stdin_line if from_stdin else getpass.getpass


def _stdin_line(prompt: str) -> str:
    """One line of standard input without its line ending; EOFError when input runs out."""
    line = sys.stdin.readline()
    if not line:
        raise EOFError(prompt)
    return line.rstrip("\r\n")


def _refuse(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2

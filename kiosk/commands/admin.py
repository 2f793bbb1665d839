"""`kiosk admin set-pin|reset-pin`, `kiosk store backup|repair|copy`, `kiosk door test`.

PINs are read with :func:`getpass.getpass` (not echoed) or, with ``--pin-stdin``, as lines of
standard input in prompt order: the current PIN (only when one is set and needed), the new
PIN, the new PIN again. The rules and the rate limit are those of `PinGate`.
"""
from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Callable

from kiosk.commands.common import load_settings, open_store
from kiosk.core.base.errors import KioskError, PinError
from kiosk.core.frontdesk.pin import MAX_DIGITS, MIN_DIGITS, PinGate

OLD_PROMPT = "current admin PIN: "
NEW_PROMPT = f"new admin PIN ({MIN_DIGITS} to {MAX_DIGITS} digits): "
REPEAT_PROMPT = "new admin PIN again: "


# --- admin --------------------------------------------------------------------------------
def cmd_admin(args) -> int:
    with open_store(load_settings(args)) as store:
        return _set_pin(PinGate(store), _reader(args.pin_stdin), reset=args.action == "reset-pin")


def _set_pin(gate: PinGate, read: Callable[[str], str], reset: bool) -> int:
    """Set or change the PIN; ``reset`` (the person has access to the data folder) needs
    no current PIN. The exit code: 0 done, 2 refused (nothing changed)."""
    try:
        old_pin = read(OLD_PROMPT) if gate.is_set() and not reset else None
        new_pin, repeat = read(NEW_PROMPT), read(REPEAT_PROMPT)
    except EOFError:
        return _refuse("no PIN entered; nothing changed")
    if new_pin != repeat:
        return _refuse("the two new PINs differ; nothing changed")
    try:
        gate.reset_pin(new_pin) if reset else gate.set_pin(new_pin, old_pin=old_pin)
    except PinError as exc:
        return _refuse(f"{exc}; nothing changed")
    print("admin PIN reset" if reset else "admin PIN set")
    return 0


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


# --- store --------------------------------------------------------------------------------
def cmd_store(args) -> int:
    settings = load_settings(args)
    if args.action == "copy":
        from kiosk.core.storage.site_copy import copy_to_server

        print(copy_to_server(settings.database_path, args.to).summary())
        return 0
    if args.action == "repair":
        from kiosk.core.storage.repair import repair

        report = repair(settings.database_path)
        print(report.summary())
        return 0
    from kiosk.core.storage.sqlite import refuse_an_existing_backup

    refuse_an_existing_backup(Path(args.file))  # before opening the store, so nothing changes
    with open_store(settings, read_only=True) as store:
        target = store.backup(Path(args.file))
    print(f"backed up {store.path} to {target}")
    return 0


# --- door ---------------------------------------------------------------------------------
def cmd_door(args) -> int:
    """Fire the configured door output once, after the admin PIN."""
    from kiosk.core.door import DoorEvent
    from kiosk.core.frontdesk.doors import door_driver

    settings = load_settings(args)
    with open_store(settings) as store:
        _check_pin(PinGate(store), _reader(args.pin_stdin))
    driver = door_driver(settings)
    try:
        result = driver.test(DoorEvent.for_test(settings.kiosk_label, args.seconds or settings.door_open_s))
    finally:
        driver.close()
    print(result.summary())
    return 0 if result.ok else 1


def _check_pin(gate: PinGate, read: Callable[[str], str]) -> None:
    if not gate.is_set():
        raise PinError("no admin PIN is set yet: set one with `kiosk admin set-pin` first")
    try:
        gate.check(read("admin PIN: "))
    except EOFError:
        raise KioskError("no PIN entered") from None

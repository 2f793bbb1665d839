"""Which door output to drive, and how: one frozen, validated `DoorConfig`.

Settings arrive as plain strings and numbers (``settings.toml``, ``KIOSK_*`` variables, flags);
`DoorConfig.from_settings` turns them into typed values once, and every bad value becomes a
`SettingsError` with one line saying what to fix. The secret never comes from
``settings.toml``: `read_secret` takes it from ``KIOSK_DOOR_SECRET`` or a file of its own.
"""
from __future__ import annotations

import logging
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from kiosk.core.base.errors import SettingsError
from kiosk.core.base.vocabulary import DoorOutputKind

log = logging.getLogger(__name__)

TIMEOUT_RANGE_S = (0.1, 60.0)
MAX_RETRIES = 5
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
MAX_FRAME_BYTES = 64
MIN_SECRET_CHARS = 16
SECRET_ENV = "KIOSK_DOOR_SECRET"

# The settings this package reads, with the defaults proposed for `Settings` (all plain
# str/int/float, as `settings._coerce` knows them). The secret is deliberately not among them.
SETTING_DEFAULTS: dict[str, Any] = {
    "door_output": "none",
    "door_url": "",
    "door_timeout_s": 3.0,
    "door_retries": 2,
    "door_command": "",
    "door_serial_port": "",
    "door_serial_baud": 9600,
    "door_serial_preset": "lcus-1",
    "door_serial_open_hex": "",
    "door_serial_close_hex": "",
    "door_secret_file": "",
}


@dataclass(frozen=True)
class RelayPreset:
    """The byte strings of one relay board model (sent as they are, no line ending)."""

    name: str
    description: str
    open_bytes: bytes
    close_bytes: bytes


def lcus_frame(channel: int, energise: bool) -> bytes:
    """One command of the CH340 "LCUS" USB relay boards (LC Technology and clones).

    Frame: 0xA0 (start), channel (1-based), 0x01 on / 0x00 off, checksum = sum of the three
    bytes & 0xFF; 9600 baud 8N1. Channel 1: on ``A0 01 01 A2``, off ``A0 01 00 A1``. Documented
    by the sellers' product notes (e.g. optimusdigital.ro "USB 5V 10A Relay Module"), quoted
    in stackoverflow.com/questions/29221080 and in the drivers github.com/jarwyg/USB_RELAY
    (README) and github.com/exmakhina/xm_tesmes (relay_lcus.py).
    """
    head = bytes((0xA0, channel, 0x01 if energise else 0x00))
    return head + bytes((sum(head) & 0xFF,))


PRESETS: dict[str, RelayPreset] = {p.name: p for p in (
    RelayPreset("lcus-1", "LCUS-1, CH340 one-channel USB relay", lcus_frame(1, True), lcus_frame(1, False)),
    RelayPreset("lcus-2-ch1", "LCUS-2, relay 1", lcus_frame(1, True), lcus_frame(1, False)),
    RelayPreset("lcus-2-ch2", "LCUS-2, relay 2", lcus_frame(2, True), lcus_frame(2, False)),
)}


@dataclass(frozen=True)
class DoorConfig:
    """Every door setting, typed and checked. ``secret`` is kept out of ``repr`` (and logs)."""

    output: DoorOutputKind = DoorOutputKind.NONE
    url: str = ""
    secret: str = field(default="", repr=False)
    timeout_s: float = 3.0
    retries: int = 2
    command: tuple[str, ...] = ()
    serial_port: str = ""
    serial_baud: int = 9600
    serial_open: bytes = b""
    serial_close: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "output", output_kind(self.output))
        _check_common(self)
        _CHECKS[self.output](self)

    @classmethod
    def from_settings(cls, settings: Any, secret: str = "") -> "DoorConfig":
        """From an object with the ``door_*`` attributes of `SETTING_DEFAULTS`."""
        kind = output_kind(settings.door_output)
        serial_open, serial_close = (relay_frames(settings) if kind is DoorOutputKind.SERIAL
                                     else (b"", b""))
        return cls(output=kind, url=settings.door_url.strip(), secret=secret,
                   timeout_s=float(settings.door_timeout_s), retries=int(settings.door_retries),
                   command=parse_command(settings.door_command) if kind is DoorOutputKind.COMMAND else (),
                   serial_port=settings.door_serial_port.strip(),
                   serial_baud=int(settings.door_serial_baud),
                   serial_open=serial_open, serial_close=serial_close)


def output_kind(text: str) -> DoorOutputKind:
    try:
        return DoorOutputKind(str(text).strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in DoorOutputKind)
        raise SettingsError(f"door_output must be one of {choices}, not {text!r}") from None


def parse_hex(name: str, text: str) -> bytes:
    """``"A0 01 01 A2"``, ``"a00101a2"``, ``"0xA0,0x01,..."`` -> bytes."""
    cleaned = re.sub(r"0x|[\s,:-]", "", text, flags=re.IGNORECASE)
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise SettingsError(f"{name} must be hex bytes like 'A0 01 01 A2', not {text!r}") from None


def relay_frames(settings: Any) -> tuple[bytes, bytes]:
    """The open and close bytes: both hex settings if given, else the preset's."""
    open_hex, close_hex = settings.door_serial_open_hex.strip(), settings.door_serial_close_hex.strip()
    if open_hex or close_hex:
        if not (open_hex and close_hex):
            raise SettingsError("give both door_serial_open_hex and door_serial_close_hex, or neither")
        return parse_hex("door_serial_open_hex", open_hex), parse_hex("door_serial_close_hex", close_hex)
    preset = PRESETS.get(settings.door_serial_preset.strip().lower())
    if preset is None:
        raise SettingsError(f"door_serial_preset must be one of {', '.join(PRESETS)}, "
                            f"not {settings.door_serial_preset!r} (or give the hex bytes)")
    return preset.open_bytes, preset.close_bytes


def parse_command(text: str | Sequence[str]) -> tuple[str, ...]:
    """A command line typed by the admin -> an argument list (it never goes through a shell)."""
    if not isinstance(text, str):
        return tuple(str(part) for part in text)
    try:
        parts = shlex.split(text, posix=os.name != "nt")
    except ValueError as exc:
        raise SettingsError(f"door_command cannot be split into arguments: {exc}") from None
    # shlex in Windows mode keeps the quotes around "C:\Program Files\...\open.exe".
    return tuple(p[1:-1] if len(p) > 1 and p[0] == p[-1] == '"' else p for p in parts)


def read_secret(environ: Mapping[str, str] | None = None, secret_file: str = "") -> str:
    """The HMAC secret: ``KIOSK_DOOR_SECRET``, else the first line of ``secret_file``, else ""."""
    environ = os.environ if environ is None else environ
    if environ.get(SECRET_ENV, "").strip():
        return environ[SECRET_ENV].strip()
    if not secret_file:
        return ""
    path = Path(secret_file).expanduser()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise SettingsError(f"cannot read the door secret file {path}: {why}") from None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("the door secret file %s can be read by other users (chmod 600 it)", path)
    return text


def _check_common(c: DoorConfig) -> None:
    low, high = TIMEOUT_RANGE_S
    if not low <= c.timeout_s <= high:
        raise SettingsError(f"door_timeout_s must lie between {low:g} and {high:g} seconds, not {c.timeout_s:g}")
    if not 0 <= c.retries <= MAX_RETRIES:
        raise SettingsError(f"door_retries must lie between 0 and {MAX_RETRIES}, not {c.retries}")
    if c.secret and len(c.secret) < MIN_SECRET_CHARS:
        raise SettingsError(f"the door secret must have at least {MIN_SECRET_CHARS} characters")


def _check_http(c: DoorConfig) -> None:
    parts = urlsplit(c.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"door_output http needs door_url = an http:// or https:// address, not {c.url!r}")
    if parts.username or parts.password:
        raise SettingsError("door_url must not contain a user name or password (use the door secret)")


def _check_command(c: DoorConfig) -> None:
    if not c.command or not c.command[0].strip():
        raise SettingsError("door_output command needs door_command = the program to run (and its arguments)")


def _check_serial(c: DoorConfig) -> None:
    if not c.serial_port:
        raise SettingsError("door_output serial needs door_serial_port (e.g. /dev/ttyUSB0 or COM3)")
    if c.serial_baud not in BAUD_RATES:
        raise SettingsError(f"door_serial_baud must be one of {', '.join(map(str, BAUD_RATES))}, not {c.serial_baud}")
    for name, frame in (("open", c.serial_open), ("close", c.serial_close)):
        if not 0 < len(frame) <= MAX_FRAME_BYTES:
            raise SettingsError(f"the serial {name} bytes must be 1 to {MAX_FRAME_BYTES} bytes long")
    if c.serial_open == c.serial_close:
        raise SettingsError("the serial open and close bytes must differ")


_CHECKS = {DoorOutputKind.NONE: lambda c: None, DoorOutputKind.HTTP: _check_http,
           DoorOutputKind.COMMAND: _check_command, DoorOutputKind.SERIAL: _check_serial}

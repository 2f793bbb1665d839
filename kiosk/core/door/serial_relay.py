"""A USB relay board on a serial port (pyserial): open bytes, the driver holds, close bytes.

The port is opened on first use and kept; after any error it is dropped and opened again on
the next command, so a board that was unplugged and plugged back in works again without a
restart. The ``LCUS`` boards latch: a relay left on stays on when the program dies, which is
why the driver sends the close bytes when it starts (`prepare`) and when it stops.
"""
from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

from kiosk.core.base.errors import DoorError
from kiosk.core.base.vocabulary import DoorOutputKind
from kiosk.core.door.event import DoorEvent

log = logging.getLogger(__name__)


def _pyserial() -> Any:
    try:
        import serial  # imported here: only a kiosk with a relay needs it
    except ImportError:
        raise DoorError("the serial door output needs pyserial (pip install 'pyserial>=3.5')") from None
    return serial


class SerialOutput:
    """Writes ``open_bytes``/``close_bytes`` to ``port`` at ``baud`` (8N1), each flushed."""

    kind = DoorOutputKind.SERIAL
    holds_relay = True

    def __init__(self, port: str, baud: int, open_bytes: bytes, close_bytes: bytes, timeout_s: float):
        self._name, self._baud = port, baud
        self._open_bytes, self._close_bytes = open_bytes, close_bytes
        self._timeout_s = timeout_s
        self._port: Any = None

    def describe(self) -> str:
        return f"serial {self._name} @ {self._baud}"

    def budget_s(self, duration_s: float) -> float:
        return duration_s + 3 * self._timeout_s

    def prepare(self) -> None:
        self.close()

    def open(self, event: DoorEvent, give_up_at: float) -> str:
        try:
            self._write(self._open_bytes, "open")
        except DoorError:
            # The open bytes may have gone out before the failure: try to de-energise.
            with contextlib.suppress(DoorError):
                self.close()
            raise
        return f"wrote {self._open_bytes.hex(' ')} to {self._name}"

    def close(self) -> None:
        self._write(self._close_bytes, "close")

    def release(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.close()
            self._port = None

    def _write(self, frame: bytes, what: str) -> None:
        try:
            port = self._ensure_open()
            port.write(frame)
            port.flush()
        except OSError as exc:  # SerialException and SerialTimeoutException are OSErrors
            self.release()
            raise DoorError(f"relay {what} command on {self._name} failed: {exc}") from None
        log.debug("door serial: wrote %s to %s", frame.hex(" "), self._name)

    def _ensure_open(self) -> Any:
        if self._port is None:
            serial = _pyserial()
            # exclusive: a second kiosk (or a terminal program) on the same relay fails loudly.
            extra = {"exclusive": True} if os.name == "posix" else {}
            self._port = serial.Serial(self._name, self._baud, timeout=self._timeout_s,
                                       write_timeout=self._timeout_s, **extra)
        return self._port

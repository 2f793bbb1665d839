"""What a door output receives for one opening: `DoorEvent`, the contract with integrators.

The JSON object (`DoorEvent.to_json`; the command output's stdin, the HTTP output's body):

=================  ===============  =======================================================
key                type             meaning
=================  ===============  =======================================================
``schema``         int              version of this format; 1. New keys may be added
                                    without changing it; a change of meaning bumps it.
``event_id``       int              the access-log row of the decision (``kiosk events``);
                                    0 only for ``kiosk door test``. Retries of one opening
                                    carry the same id: a receiver acts once per id.
``time``           str              when the decision was taken, ISO 8601 with the UTC
                                    offset, milliseconds (``2024-05-01T08:59:58.123+02:00``)
``kiosk_name``     str              which kiosk (setting ``kiosk_name``)
``mode``           str              ``recognize`` (no card) or ``verify`` (badge or typed
                                    id); ``test`` for ``kiosk door test``
``decision``       str              the decision kind (``welcome``, ``verified``; ``test``)
``name``           str              the person's display name, as enrolled
``employee_id``    str or null      their employee id, if enrolled with one
``duration_s``     float            how long the door should stay open, seconds
``test``           bool             true only for ``kiosk door test``: do not log as entry
``sent_at``        int              HTTP only: Unix seconds when this try was sent; it is
                                    covered by the signature (see ``signing``)
=================  ===============  =======================================================

The command output also gets every key as an environment variable ``KIOSK_<KEY>`` in upper
case (``KIOSK_EVENT_ID``, ``KIOSK_NAME``, ``KIOSK_KIOSK_NAME``, ...): null is the empty
string, booleans are ``1``/``0``. Names and ids are whatever was enrolled or typed: they are
data, never part of a command line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SCHEMA = 1
MAX_DURATION_S = 600.0
TEST_MODE = TEST_DECISION = "test"


@dataclass(frozen=True)
class DoorEvent:
    """One door opening, for one committed access-log row (``event_id``)."""

    event_id: int
    time: datetime  # aware
    kiosk_name: str
    mode: str
    decision: str
    name: str
    employee_id: str | None
    duration_s: float
    test: bool = False

    def __post_init__(self) -> None:
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError("DoorEvent.time must be timezone-aware")
        if self.event_id < (0 if self.test else 1):
            raise ValueError("a door opens only for a committed access-log row (event_id >= 1)")
        if not 0.0 < self.duration_s <= MAX_DURATION_S:
            raise ValueError(f"duration_s must lie in (0, {MAX_DURATION_S:g}], not {self.duration_s}")

    @classmethod
    def for_test(cls, kiosk_name: str, duration_s: float, now: datetime | None = None) -> "DoorEvent":
        """The event ``kiosk door test`` fires: event id 0, ``test`` true."""
        return cls(0, now or datetime.now().astimezone(), kiosk_name, TEST_MODE, TEST_DECISION,
                   "Door test", None, duration_s, test=True)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON object (see the module docstring)."""
        return {"schema": SCHEMA, "event_id": self.event_id,
                "time": self.time.isoformat(timespec="milliseconds"),
                "kiosk_name": self.kiosk_name, "mode": str(self.mode),
                "decision": str(self.decision), "name": self.name,
                "employee_id": self.employee_id, "duration_s": float(self.duration_s),
                "test": self.test}

    def environment(self) -> dict[str, str]:
        """``KIOSK_<KEY>`` for every key of `to_json`, as strings."""
        return {f"KIOSK_{key.upper()}": _env_text(value) for key, value in self.to_json().items()}


def encode_json(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON with sorted keys: the exact bytes that are sent and signed."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _env_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).replace("\x00", "")  # the one character an environment cannot hold

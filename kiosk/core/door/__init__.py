"""The door: what the kiosk drives when it lets someone in (no Qt, no store, no models).

``config`` says which output and how (`DoorConfig`, from the ``door_*`` settings), ``event``
is what an output receives (`DoorEvent`, the JSON contract with integrators), ``outputs`` and
``serial_relay`` fire it (a program, an HTTP controller, a USB relay), ``signing`` is the
HTTP signature, and ``driver`` runs one output on a thread of its own (`DoorDriver`).
"""
from kiosk.core.base.errors import DoorError
from kiosk.core.base.vocabulary import DoorHealthState, DoorOutputKind
from kiosk.core.door.config import PRESETS, SETTING_DEFAULTS, DoorConfig, read_secret
from kiosk.core.door.driver import DoorDriver, DoorHealth, DoorTestResult
from kiosk.core.door.event import DoorEvent

__all__ = ["PRESETS", "SETTING_DEFAULTS", "DoorConfig", "DoorDriver", "DoorError", "DoorEvent",
           "DoorHealth", "DoorHealthState", "DoorOutputKind", "DoorTestResult", "read_secret"]

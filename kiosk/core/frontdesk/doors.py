"""The front desk's door: the output the settings name, fed one opening per logged acceptance."""
from __future__ import annotations

import os
from typing import Mapping

from kiosk.core.base.types import AccessEvent
from kiosk.core.door import DoorConfig, DoorDriver, DoorEvent, read_secret
from kiosk.core.frontdesk.decisions import Decision


def door_config(settings, environ: Mapping[str, str] | None = None) -> DoorConfig:
    """The checked door settings (SettingsError with one line when one is wrong)."""
    environ = os.environ if environ is None else environ
    return DoorConfig.from_settings(settings, read_secret(environ, settings.door_secret_file))


def door_driver(settings, environ: Mapping[str, str] | None = None, listener=None) -> DoorDriver:
    """A started driver for the configured output (a "none" output drives nothing)."""
    driver = DoorDriver.from_config(door_config(settings, environ), listener)
    driver.start()
    return driver


def door_event(row: AccessEvent, decision: Decision) -> DoorEvent:
    """The opening for a committed log row of an accepted decision."""
    return DoorEvent(row.event_id, row.time.astimezone(), row.kiosk, decision.mode,
                     decision.kind, decision.name or "", decision.employee_id,
                     decision.door_open_s)

"""The door's expected failure (moves to ``kiosk/core/base/errors.py`` when the door is wired in).

Kept here only because this package was written beside a refactoring of ``base``; the class
is a plain member of the KioskError family and nothing else lives in this module.
"""
from __future__ import annotations

from kiosk.core.base.errors import KioskError


class DoorError(KioskError):
    """A door output that could not be fired (controller down, port missing, program failed)."""

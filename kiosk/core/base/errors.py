"""One exception family for every expected failure.

Each subclass carries a message a person can act on. The CLI maps them to exit code 2
(bad input) or 1 (a decision of "no"); the kiosk screen shows them as a calm banner.
"""
from __future__ import annotations


class KioskError(Exception):
    """Base of every expected, explainable failure."""

    exit_code = 2


# --- what people type ---------------------------------------------------------------------
class InvalidTextError(KioskError):
    """A name, employee id or claim that is empty, too long, or holds invisible characters."""


# --- input images -------------------------------------------------------------------------
class ImageError(KioskError):
    """An image file that cannot be used (missing, unreadable, not an image, too large)."""


class FaceError(KioskError):
    """An image that is fine but does not show exactly one usable face."""


class NoFaceError(FaceError):
    exit_code = 1


class MultipleFacesError(FaceError):
    pass


class FaceTooSmallError(FaceError):
    pass


# --- models -------------------------------------------------------------------------------
class WeightsError(KioskError):
    """Weights missing, corrupt, or not loadable."""


class ModelMismatchError(KioskError):
    """Templates computed by another model (or of another dimension) than the one in use."""


# --- store --------------------------------------------------------------------------------
class StoreError(KioskError):
    pass


class DatabaseLockedError(StoreError):
    pass


class DatabaseTooNewError(StoreError):
    pass


class DamagedStoreError(StoreError):
    """The store file is damaged or emptied: refused, never taken for "nobody enrolled"."""


class UnknownPersonError(StoreError):
    pass


class DuplicatePersonError(StoreError):
    pass


class UnknownTemplateError(StoreError):
    pass


class ServerUnreachableError(StoreError):
    """The shared store's server cannot be reached (down, no network, timed out): the kiosk
    decides from its last snapshot and queues its log rows; admin changes must wait.
    ``reason`` is the cause in a few words ("connection refused")."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


# --- devices and admin -------------------------------------------------------------------
class CameraError(KioskError):
    pass


class DoorError(KioskError):
    """A door output that could not be fired (controller down, port missing, program failed)."""


class DisplayError(KioskError):
    """No screen to open the window on, or the system lacks a library Qt needs for it."""


class PinError(KioskError):
    """Wrong admin PIN, or too many attempts (see `retry_after_s`)."""

    def __init__(self, message: str, retry_after_s: float = 0.0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SettingsError(KioskError):
    pass

"""The kiosk's vocabulary, defined once: every kind of thing the program names.

Each is a ``StrEnum``, so a member equals its text ("recognize" == Mode.RECOGNIZE): the
store, settings.toml and the JSON outputs keep the same words.
"""
from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """How the front desk works: no card (1:N) or a claimed identity (1:1)."""

    RECOGNIZE = "recognize"
    VERIFY = "verify"


class TaskKind(StrEnum):
    """What the analysis loop computes for a frame."""

    RECOGNIZE = "recognize"  # identify every face
    VERIFY = "verify"  # check the largest face against one claim
    ENROL = "enrol"  # coach an enrolment: quality and a candidate shot


class DecisionKind(StrEnum):
    WELCOME = "welcome"  # recognize: an enrolled person, door opens
    STRANGER = "stranger"  # recognize: nobody enrolled
    VERIFIED = "verified"  # verify: the face is the claimed person, door opens
    REFUSED = "refused"  # verify: it is not
    TIMED_OUT = "timed_out"  # verify: no decision in time
    UNKNOWN_CLAIM = "unknown_claim"  # verify: nobody has that id or name
    NO_TEMPLATES = "no_templates"  # verify: the claimed person has no photos for this model
    NOT_ACTIVE = "not_active"  # an enrolled person who is disabled, or outside their dates
    ATTACK = "attack"  # the face looked like a photo or a screen (told like a stranger)
    GROUP = "group"  # staff with someone the door cannot let in: one at a time, please
    CHALLENGE_FAILED = "challenge_failed"  # the head turn asked for did not come, or was flat
    TOO_MANY_CLAIMS = "too_many_claims"  # verify: typed claims came too fast
    NOT_LOGGED = "not_logged"  # the log could not be written: the door stays shut


class MarkState(StrEnum):
    """How a face box over the preview is coloured."""

    KNOWN = "known"
    UNKNOWN = "unknown"
    NEUTRAL = "neutral"


class CameraState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    STOPPED = "stopped"


class SecurityLevel(StrEnum):
    """How hard the kiosk checks that a live person, not a photo or a screen, is at the door."""

    OFF = "off"  # the face alone
    PASSIVE = "passive"  # + the anti-spoofing model on the frames it already analyses
    CHALLENGE = "passive+challenge"  # + a random head turn, checked by geometry


class GroupPolicy(StrEnum):
    """What the door does when staff and someone it cannot let in are in view together."""

    ONE_AT_A_TIME = "one_at_a_time"  # the door stays shut; they are asked to come one by one
    WELCOME_KNOWN = "welcome_known"  # staff are welcomed, the others sent to reception


class Source(StrEnum):
    """Where an access-log row was decided."""

    SCREEN = "screen"  # the front-desk screen, at the door
    CLI = "cli"  # `kiosk verify --log` / `kiosk identify --log` on a photo


class ModelState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


class Runtime(StrEnum):
    """Where FaceNet runs: LiteRT (int8 weights or fp32) or the Keras reference."""

    LITERT_INT8 = "litert-int8"
    LITERT_FP32 = "litert-fp32"
    KERAS = "keras"


class DoorOutputKind(StrEnum):
    """What opens the door (see kiosk.core.door)."""

    NONE = "none"  # the screen only
    COMMAND = "command"  # run a program: the event as JSON on stdin and KIOSK_* variables
    HTTP = "http"  # POST the event as JSON to a controller or webhook
    SERIAL = "serial"  # a USB relay board: open bytes, hold, close bytes


class DoorHealthState(StrEnum):
    IDLE = "idle"  # ready, nothing fired yet
    OK = "ok"  # the last opening worked
    FAILING = "failing"  # the last opening, closing or start-up check failed
    DISABLED = "disabled"  # door_output = none


class StoreKind(StrEnum):
    """Where people, templates and the access log live (the ``store`` setting)."""

    SQLITE = "sqlite"  # one file in the data folder: one kiosk
    POSTGRESQL = "postgresql"  # a server shared by several kiosks


class SettingKey(StrEnum):
    """The settings kept in the store (shared by every kiosk on a server), not settings.toml."""

    PIN_HASH = "admin_pin_hash"  # scrypt of the admin PIN
    PIN_FAILURES = "admin_pin_failures"  # wrong PINs in a row
    PIN_LOCKED_UNTIL = "admin_pin_locked_until"  # epoch seconds; 0 when not locked


# Settings a kiosk may still write while its server is unreachable, into its own copy only
# (kiosk.core.storage.settings_copy): the PIN's lockout goes on counting during an outage.
OFFLINE_WRITABLE_SETTINGS = frozenset(str(key) for key in (SettingKey.PIN_FAILURES, SettingKey.PIN_LOCKED_UNTIL))

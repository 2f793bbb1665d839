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


class ModelState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


class Runtime(StrEnum):
    """Where FaceNet runs: LiteRT (int8 weights or fp32) or the Keras reference."""

    LITERT_INT8 = "litert-int8"
    LITERT_FP32 = "litert-fp32"
    KERAS = "keras"

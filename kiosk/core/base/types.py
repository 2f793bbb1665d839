"""Immutable value types passed between the engine, the store and the screen.

Conventions: boxes are ``(x, y, w, h)`` in pixels of the image they were found in, x to the
right, y down; points are ``(x, y)``; embeddings are float32 arrays of shape ``(dim,)`` with
unit L2 norm; ``distance`` is the L2 distance between two embeddings (lower is closer, 0..2).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class Face:
    """One detected face. ``landmarks`` maps each of LANDMARK_NAMES to an ``(x, y)`` point."""

    box_xywh: tuple[int, int, int, int]
    confidence: float
    landmarks: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def size_px(self) -> int:
        """The shorter side of the box, the number quality gates compare."""
        return min(self.box_xywh[2], self.box_xywh[3])


@dataclass(frozen=True)
class Person:
    """Someone enrolled. A disabled person, or one outside ``valid_from``..``valid_until``
    (inclusive local dates, None = open), is recognised but never let in."""

    person_id: int
    name: str
    employee_id: str | None
    template_count: int = 0
    created_at: datetime | None = None
    enabled: bool = True
    valid_from: date | None = None
    valid_until: date | None = None

    def refusal(self, today: date) -> str:
        """Why this person may not come in ``today`` ("" when they may)."""
        if not self.enabled:
            return "disabled"
        if self.valid_from is not None and today < self.valid_from:
            return f"not valid before {self.valid_from.isoformat()}"
        if self.valid_until is not None and today > self.valid_until:
            return f"valid until {self.valid_until.isoformat()}"  # that day still counted
        return ""


class _Keep:
    """The value of a PersonChange field left as it is (not a string: any text is a value)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True)
class PersonChange:
    """What to change about an enrolled person, all at once; a field left at KEEP stays.
    ``employee_id``, ``valid_from`` and ``valid_until`` may be set to None (no id, no date)."""

    name: str | _Keep = KEEP
    employee_id: str | None | _Keep = KEEP
    enabled: bool | _Keep = KEEP
    valid_from: date | None | _Keep = KEEP
    valid_until: date | None | _Keep = KEEP

    def changes(self) -> dict:
        """The fields that are not KEEP, by name."""
        return {k: v for k, v in self.__dict__.items() if v is not KEEP}


@dataclass(frozen=True)
class Match:
    """The nearest enrolled person to one embedding, and whether it passes ``threshold``.

    ``accepted`` is ``distance <= threshold``. ``name`` is None only when the gallery is empty.
    """

    person_id: int | None
    name: str | None
    employee_id: str | None
    template_id: int | None
    distance: float
    threshold: float
    accepted: bool


@dataclass(frozen=True)
class AccessEvent:
    """One line of the access log. ``mode`` is "verify" or "recognize"; ``kind`` the decision
    (a DecisionKind value); ``source`` "screen" or "cli"; ``kiosk`` the kiosk's name."""

    event_id: int
    time: datetime
    mode: str
    claimed: str | None
    identity: str | None
    accepted: bool
    distance: float | None
    detail: str = ""  # the reason, in words
    person_id: int | None = None  # None once the person is removed
    template_id: int | None = None
    kind: str = ""
    source: str = "screen"
    kiosk: str = ""
    employee_id: str | None = None
    uid: str | None = None  # made by the kiosk that decided: a row is stored once

"""What the front desk hands back: the update the screen shows after a frame, a tick or a
command (`DeskUpdate`, with the face boxes `Marks`), the verdicts on photos from the command
line (`PhotoVerdict`, `IdentifiedFace`), and its two pieces of state with a time in them
(`PendingChallenge`, `DoorState`). Plain data, no rules: those are in `desk`."""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.base.types import Face, Match, Person
from kiosk.core.frontdesk.decisions import Decision, FaceMark
from kiosk.core.frontdesk.enrolment import EnrolCandidate
from kiosk.core.vision.challenge import ChallengeCheck


@dataclass(frozen=True)
class Marks:
    """Face boxes of one analysed frame, in that frame's pixels."""

    seq: int
    frame_shape: tuple[int, int]  # (height, width)
    marks: tuple[FaceMark, ...]


@dataclass(frozen=True)
class DeskUpdate:
    """What changed at the front desk after a frame, a tick or a command: the screen shows it."""

    decisions: tuple[Decision, ...] = ()
    marks: Marks | None = None
    prompt: str | None = None  # None: unchanged; "": no prompt any more; else the prompt
    door_open: bool | None = None  # None: unchanged
    enrol: EnrolCandidate | None = None  # while enrolling: the analysed frame as a shot
    gallery_size: int | None = None  # templates in use, when the gallery was (re)loaded
    analysis_ms: float = 0.0

    @property
    def empty(self) -> bool:
        return self == DeskUpdate()


@dataclass(frozen=True)
class PhotoVerdict:
    """`FrontDesk.verify_photo`: the decision on one photo and what it was based on."""

    person: Person
    decision: Decision
    match: Match | None  # None: no face in the photo
    face: Face | None
    faces_in_image: int


@dataclass(frozen=True)
class IdentifiedFace:
    """`FrontDesk.identify_photo`, per face: who it matched, and whether the door lets them in
    (a recognised person may still be refused: disabled, out of dates, a flat picture)."""

    face: Face
    match: Match | None  # None when the gallery is empty
    decision: Decision


@dataclass
class PendingChallenge:
    """An acceptance held back until the person turns their head as asked (security level
    passive+challenge): then announced, or refused when the time runs out."""

    decision: Decision
    check: ChallengeCheck
    prompt: str = ""


class DoorState:
    """Whether the door is open: until a time on the desk's clock."""

    def __init__(self, clock):
        self._clock = clock
        self._open_until = float("-inf")

    def open_for(self, seconds: float) -> None:
        self._open_until = max(self._open_until, self._clock() + seconds)

    def is_open(self) -> bool:
        return self._clock() < self._open_until

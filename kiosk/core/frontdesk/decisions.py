"""What the front desk decides from a stream of analysed frames (no Qt here).

* `RecognizeTracker` (no card): a person is welcomed after being matched in N consecutive
  analysed frames; a face that matches nobody for N frames is told to see reception; a
  cooldown keeps the same person from being announced again and again.
* `VerifySession` (card or typed id): one claim, wait for a face, decide or time out.

Both return immutable `Decision` objects; `FrontDesk` logs them and shows them. Clocks are
injectable (seconds, `time.monotonic` by default).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from kiosk.core.base.types import Match, Person
from kiosk.core.base.vocabulary import DecisionKind, MarkState, Mode
from kiosk.core.vision.liveness import combined_score

if TYPE_CHECKING:
    from kiosk.core.recognition.engine import FaceResult

# What the screen says. A refusal never names whose id was typed, and says the same whether
# the id is unknown, has no photos, or the face does not match it. A face stopped by the photo
# check or the head turn gets the very refusal of its mode (`refusal_message`): a stolen badge
# and a photo must not learn that the face matched and only the photo gave it away.
# (The course's "It's X, welcome in!" stays in kiosk.course.)
STRANGER_MESSAGE = "Not recognized — please see reception"
REFUSAL_MESSAGE = "Sorry, we could not confirm it's you — please see reception"
NOT_ACTIVE_MESSAGE = "Sorry, the door cannot open for you today — please see reception"
NOT_LOGGED_MESSAGE = "Sorry, the door cannot open right now — please see reception"
TOO_MANY_CLAIMS_MESSAGE = "Too many tries — please wait a moment, or see reception"
PROMPT = "Please look at the camera"
GROUP_MESSAGE = "One at a time, please — the door opens for one person"
_STRANGER_KEY = "stranger"

Clock = Callable[[], float]


def live_score_text(live_score: float | None, threshold: float) -> str:
    """"live score 0.0010 < 0.01": why a face was taken for a photo or a screen (the log's and
    the admin's words, never the screen's)."""
    score = "none" if live_score is None else f"{live_score:.4f}"
    return f"live score {score} < {threshold:g}"


def refusal_message(mode: Mode) -> str:
    """What the door says to a face it does not let in: a stranger's words when recognizing,
    the wrong face's words when verifying a claim."""
    return REFUSAL_MESSAGE if mode == Mode.VERIFY else STRANGER_MESSAGE


@dataclass(frozen=True)
class Decision:
    """One decision of the front desk. `door_open_s` > 0 means "open the door that long"."""

    kind: DecisionKind
    mode: Mode
    message: str
    accepted: bool
    door_open_s: float = 0.0
    name: str | None = None
    person_id: int | None = None
    template_id: int | None = None
    claimed: str | None = None
    distance: float | None = None  # L2 distance of unit embeddings, lower is closer
    detail: str = ""  # the reason, for the log (never shown at the door)
    employee_id: str | None = None
    live_score: float | None = None  # passive anti-spoofing, mean over the deciding frames

    def log_fields(self) -> dict[str, Any]:
        """Keyword arguments of `Store.log_event` (after the mode)."""
        return dict(claimed=self.claimed, identity=self.name if self.accepted else None,
                    accepted=self.accepted, distance=self.distance,
                    person_id=self.person_id if self.accepted else None,
                    template_id=self.template_id if self.accepted else None,
                    detail=self.detail, kind=str(self.kind),
                    employee_id=self.employee_id if self.accepted else None)

    def presentation_attack(self, threshold: float) -> "Decision":
        """This acceptance when the face looked like a photo or a screen: answered with the
        mode's own refusal (never "spoof detected"), logged with the score."""
        return replace(self, kind=DecisionKind.ATTACK, message=refusal_message(self.mode), accepted=False,
                       door_open_s=0.0,
                       detail=f"presentation attack suspected: {live_score_text(self.live_score, threshold)}")

    def not_active(self, reason: str) -> "Decision":
        """This acceptance for a person who may not come in now (disabled, out of dates)."""
        return replace(self, kind=DecisionKind.NOT_ACTIVE, message=NOT_ACTIVE_MESSAGE,
                       accepted=False, door_open_s=0.0, detail=f"{self.name}: {reason}")

    def challenge_failed(self, reason: str) -> "Decision":
        """This acceptance when the head turn asked for did not come in time (answered with
        the mode's own refusal, as an attack is)."""
        score = "" if self.live_score is None else f" (its live score {self.live_score:.4f})"
        return replace(self, kind=DecisionKind.CHALLENGE_FAILED, message=refusal_message(self.mode),
                       accepted=False, door_open_s=0.0, detail=f"head-turn check failed{score}: {reason}")

    def not_logged(self, reason: str) -> "Decision":
        """This decision when its log row could not be written: refused, door shut."""
        return replace(self, kind=DecisionKind.NOT_LOGGED, message=NOT_LOGGED_MESSAGE,
                       accepted=False, door_open_s=0.0,
                       detail=f"not logged ({reason}); was: {self.kind} {self.detail}".strip())


@dataclass(frozen=True)
class FaceMark:
    """A box to draw over the preview: frame pixels (x, y, w, h), a label and a state."""

    box_xywh: tuple[int, int, int, int]
    label: str
    state: MarkState


def marks_for(faces: Sequence["FaceResult"], show_names: bool = True) -> tuple[FaceMark, ...]:
    """Boxes labelled with the matched name, or "unknown"; NEUTRAL when names are hidden."""
    marks = []
    for result in faces:
        match = result.match
        if not show_names:
            marks.append(FaceMark(result.face.box_xywh, "", MarkState.NEUTRAL))
        elif match is not None and match.accepted:
            marks.append(FaceMark(result.face.box_xywh, match.name or "?", MarkState.KNOWN))
        else:
            marks.append(FaceMark(result.face.box_xywh, "unknown", MarkState.UNKNOWN))
    return tuple(marks)


# --- recognize mode -----------------------------------------------------------------------
class RecognizeTracker:
    """Consecutive-frame counting per identity, with a cooldown per identity.

    All strangers share one identity: the advice is the same for each, and faces that
    match nobody cannot be told apart reliably anyway.
    """

    def __init__(self, consecutive_frames: int = 3, cooldown_s: float = 10.0,
                 door_open_s: float = 5.0, clock: Clock = time.monotonic):
        self.consecutive_frames = max(1, consecutive_frames)
        self.cooldown_s = cooldown_s
        self.door_open_s = door_open_s
        self._clock = clock
        self._streaks: dict[object, int] = {}
        self._scores: dict[object, list[float]] = {}  # live scores of each streak's last frames
        self._announced_at: dict[object, float] = {}

    @classmethod
    def from_settings(cls, settings, clock: Clock = time.monotonic) -> "RecognizeTracker":
        return cls(settings.consecutive_frames, settings.cooldown_s, settings.door_open_s, clock)

    def update(self, faces: Sequence["FaceResult"],
               live_scores: Sequence[float | None] | None = None) -> list[Decision]:
        """Feed one analysed frame (and each face's live score, None where not measured);
        returns the decisions it completes (often none)."""
        best = _best_face_per_identity(faces)
        scores = live_scores or [None] * len(faces)
        self._streaks = {key: self._streaks.get(key, 0) + 1 for key in best}
        self._scores = {key: self._latest(key, scores[i]) for key, i in best.items()}
        decisions = []
        for key, index in best.items():
            if self._streaks[key] >= self.consecutive_frames and not self._cooling(key):
                self._announced_at[key] = self._clock()
                decision = recognition(faces[index].match, self.door_open_s)
                decisions.append(replace(decision, live_score=_mean(self._scores.get(key))))
        return decisions

    def _latest(self, key: object, score: float | None) -> list[float]:
        """The live scores of the last `consecutive_frames` frames that measured one: the
        deciding frames, however long the person has been in view."""
        kept = self._scores.get(key, []) + ([] if score is None else [score])
        return kept[-self.consecutive_frames:]

    def withhold(self, decisions: Sequence[Decision]) -> None:
        """These decisions of the last `update` were not announced (the desk refused the whole
        group instead): no cooldown starts for them."""
        for decision in decisions:  # a decision was made: any earlier cooldown had run out
            self._announced_at.pop(decision.person_id if decision.accepted else _STRANGER_KEY, None)

    def restart_counts(self) -> None:
        """Count everyone's consecutive frames from zero again; cooldowns stay."""
        self._streaks.clear()
        self._scores.clear()

    def _cooling(self, key: object) -> bool:
        last = self._announced_at.get(key)
        return last is not None and self._clock() - last < self.cooldown_s


def recognition(match: Match | None, door_open_s: float = 0.0) -> Decision:
    """1:N: welcome the matched person, or send a stranger (no accepted match) to reception."""
    distance = None if match is None else round(float(match.distance), 4)
    if match is None or not match.accepted:
        nearest = f"nearest: {match.name}" if match is not None and match.name else ""
        return Decision(DecisionKind.STRANGER, Mode.RECOGNIZE, STRANGER_MESSAGE, False,
                        distance=distance, detail=nearest)
    return Decision(DecisionKind.WELCOME, Mode.RECOGNIZE, f"Welcome, {match.name}", True,
                    door_open_s, name=match.name, person_id=match.person_id,
                    template_id=match.template_id, distance=distance,
                    employee_id=match.employee_id)


def group_refusal(made: Sequence[Decision], others: int) -> Decision:
    """Staff in view with ``others`` faces the door cannot let in: one refusal for them all,
    the door shut (policy "one at a time")."""
    names = ", ".join(d.name for d in made if d.accepted and d.name)
    return Decision(DecisionKind.GROUP, Mode.RECOGNIZE, GROUP_MESSAGE, False,
                    detail=f"{names} with {others} other face(s) the door cannot let in")


def _best_face_per_identity(faces: Sequence["FaceResult"]) -> dict[object, int]:
    """person_id (or the stranger key) -> the index of its closest face in this frame."""
    best: dict[object, int] = {}
    for index, result in enumerate(faces):
        match = result.match
        key = match.person_id if match is not None and match.accepted else _STRANGER_KEY
        current = faces[best[key]].match if key in best else None
        if key not in best or (match is not None and
                               (current is None or match.distance < current.distance)):
            best[key] = index
    return best


def _mean(scores: Sequence[float] | None) -> float | None:
    """The frames' combined live score (`liveness.combined_score`), None if none measured."""
    return combined_score(scores) if scores else None


# --- verify mode --------------------------------------------------------------------------
class ClaimLimiter:
    """At most ``max_claims`` typed claims in any ``window_s``: guessing ids at the keyboard
    is slow, while a person who mistypes once or twice never notices."""

    def __init__(self, max_claims: int = 5, window_s: float = 60.0, clock: Clock = time.monotonic):
        self.max_claims, self.window_s, self._clock = max_claims, window_s, clock
        self._times: list[float] = []

    def wait_s(self) -> float:
        """Seconds before the next claim is taken (0: now), counting this one if taken."""
        now = self._clock()
        self._times = [t for t in self._times if now - t < self.window_s]
        if len(self._times) >= self.max_claims:
            return self.window_s - (now - self._times[0])
        self._times.append(now)
        return 0.0


def unknown_claim(claim: str) -> Decision:
    """The answer to an id or name nobody is enrolled under (the same as any refusal)."""
    return Decision(DecisionKind.UNKNOWN_CLAIM, Mode.VERIFY, REFUSAL_MESSAGE, False,
                    claimed=claim, detail="unknown id or name")


def no_templates(claim: str, person: Person) -> Decision:
    return Decision(DecisionKind.NO_TEMPLATES, Mode.VERIFY, REFUSAL_MESSAGE, False,
                    claimed=claim, detail=f"{person.name} has no photos for the model in use")


def too_many_claims(claim: str, wait_s: float) -> Decision:
    return Decision(DecisionKind.TOO_MANY_CLAIMS, Mode.VERIFY, TOO_MANY_CLAIMS_MESSAGE, False,
                    claimed=claim, detail=f"typed claims rate-limited for {wait_s:.0f} s")


class VerifySession:
    """One claim ("I am Kian"): wait for a face, then decide, or time out politely.

    Each analysed frame gives the verify `Match` of its largest face against the claimed
    person (None when the frame shows no face). The same verdict in `consecutive_frames`
    frames in a row decides; a frame without a face starts the count again.
    """

    def __init__(self, claim: str, person: Person, *, timeout_s: float = 8.0,
                 consecutive_frames: int = 3, door_open_s: float = 5.0,
                 clock: Clock = time.monotonic):
        self.claim = claim
        self.person = person
        self.timeout_s = timeout_s
        self.consecutive_frames = max(1, consecutive_frames)
        self.door_open_s = door_open_s
        self._clock = clock
        self.started_at = clock()
        self.decision: Decision | None = None
        self._verdict: bool | None = None
        self._streak: list[Match] = []
        self._scores: list[float] = []

    @classmethod
    def from_settings(cls, claim: str, person: Person, settings,
                      clock: Clock = time.monotonic) -> "VerifySession":
        return cls(claim, person, timeout_s=settings.verify_timeout_s,
                   consecutive_frames=settings.consecutive_frames,
                   door_open_s=settings.door_open_s, clock=clock)

    @property
    def prompt(self) -> str:
        return PROMPT  # never the claimed person's name: whoever typed the id may not be them

    @property
    def done(self) -> bool:
        return self.decision is not None

    def seconds_left(self) -> float:
        return max(0.0, self.timeout_s - (self._clock() - self.started_at))

    def update(self, match: Match | None, live_score: float | None = None) -> Decision | None:
        """Feed the verify match (and live score) of one analysed frame; returns the decision
        once made."""
        if self.done:
            return None
        if match is None:
            self._verdict, self._streak, self._scores = None, [], []
            return self.poll()
        if match.accepted != self._verdict:
            self._verdict, self._streak, self._scores = match.accepted, [], []
        self._streak.append(match)
        self._scores += [] if live_score is None else [live_score]
        if len(self._streak) >= self.consecutive_frames:
            best = min(self._streak, key=lambda m: m.distance)
            decision = verification(self.claim, self.person, best, self.door_open_s)
            return self.finish(replace(decision, live_score=_mean(self._scores)))
        return self.poll()

    def poll(self) -> Decision | None:
        """The time-out decision once `timeout_s` has passed without a decision."""
        if self.done or self.seconds_left() > 0:
            return None
        return self.finish(Decision(
            DecisionKind.TIMED_OUT, Mode.VERIFY,
            "We could not see your face — please try again, or see reception.",
            False, claimed=self.claim, detail=f"no decision within {self.timeout_s:g} s"))

    def finish(self, decision: Decision) -> Decision:
        """End the session with ``decision`` (also for decisions made outside `update`)."""
        self.decision = decision
        return decision


def verification(claim: str, person: Person, match: Match | None,
                 door_open_s: float = 0.0) -> Decision:
    """1:1: welcome, or the neutral refusal; ``match`` None (no face in the image) is a refusal."""
    name = person.name
    if match is None:
        return Decision(DecisionKind.REFUSED, Mode.VERIFY, REFUSAL_MESSAGE, False,
                        name=name, claimed=claim, detail="no face")
    distance = round(float(match.distance), 4)
    if match.accepted:
        return Decision(DecisionKind.VERIFIED, Mode.VERIFY, f"Welcome, {name}", True,
                        door_open_s, name=name, person_id=person.person_id,
                        template_id=match.template_id, claimed=claim, distance=distance,
                        employee_id=person.employee_id)
    return Decision(DecisionKind.REFUSED, Mode.VERIFY, REFUSAL_MESSAGE, False,
                    name=name, claimed=claim, distance=distance,
                    detail="the face does not match the claimed person")

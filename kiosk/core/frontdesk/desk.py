"""The front desk: every decision, enrolment and access-log write of the kiosk, in one place.

The screen (on its analysis thread), the command line, the self-test and the screen
benchmark all go through a `FrontDesk`; none of them decides, logs or enrols by itself.
It owns the recognize tracker, the verify session, the rule for picking up a changed
gallery (`GalleryWatch`), the door state, and the log write that must succeed before the
door opens. No Qt, no threads, no timers: time comes from ``clock`` (seconds).

Threading: the deciding methods (`step`, `tick`, `claim`, the enrolment task) run on one
thread — the analysis thread in the kiosk, the main thread in a command. `enrol` and the
store are safe from any thread.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from kiosk.core.base.errors import InvalidTextError, KioskError, UnknownPersonError
from kiosk.core.base.text import MAX_CHARS, clean_label
from kiosk.core.base.types import Face, Match, Person
from kiosk.core.base.vocabulary import Mode, Source, TaskKind
from kiosk.core.frontdesk import decisions
from kiosk.core.frontdesk.decisions import ClaimLimiter, Decision, FaceMark, RecognizeTracker, VerifySession, marks_for
from kiosk.core.frontdesk.doors import door_event
from kiosk.core.frontdesk.enrolment import (
    EnrolCandidate,
    FileShots,
    Shot,
    encode_files,
    image_shot,
    live_candidate,
)
from kiosk.core.frontdesk.gallery import CHECK_S, GalleryWatch
from kiosk.core.frontdesk.live import Task, boxes_only, check_claim
from kiosk.core.recognition.engine import FaceResult, FrameAnalysis
from kiosk.core.recognition.matching import Gallery
from kiosk.core.storage.store import Store

if TYPE_CHECKING:
    from kiosk.core.base.settings import Settings
    from kiosk.core.door import DoorDriver
    from kiosk.core.recognition.engine import Engine

log = logging.getLogger(__name__)

PURGE_EVERY_S = 24 * 3600.0


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


class DoorState:
    """Whether the door is open: until a time on the desk's clock."""

    def __init__(self, clock):
        self._clock = clock
        self._open_until = float("-inf")

    def open_for(self, seconds: float) -> None:
        self._open_until = max(self._open_until, self._clock() + seconds)

    def is_open(self) -> bool:
        return self._clock() < self._open_until


class FrontDesk:
    """See the module's doc. ``engine`` may come later (`use_engine`), built on its thread."""

    def __init__(self, store: Store, settings: "Settings", *, engine: "Engine | None" = None,
                 door_output: "DoorDriver | None" = None, source: Source = Source.SCREEN,
                 clock=time.monotonic, today=date.today, gallery_check_s: float = CHECK_S):
        self.store = store
        self.settings = settings
        self.engine: "Engine | None" = None
        self.door_output = door_output  # pulsed once per logged acceptance; None: screen only
        self.source = source
        self._clock, self._today = clock, today
        self.gallery_watch = GalleryWatch(store, gallery_check_s, clock)
        self.tracker = RecognizeTracker.from_settings(settings, clock)
        self.session: VerifySession | None = None
        self.claims = ClaimLimiter(clock=clock)
        self.enrolling: Task | None = None
        self.door = DoorState(clock)
        self._door_shown = False
        self._purged_at = float("-inf")
        if engine is not None:
            self.use_engine(engine)

    # --- set-up -------------------------------------------------------------------------
    def use_engine(self, engine: "Engine") -> None:
        """Decide with ``engine`` (call it on the deciding thread)."""
        self.engine = engine
        self.gallery_watch.use_model(engine.model_id, engine.embedder.dim)

    @property
    def model_id(self) -> str:
        return self.engine.model_id if self.engine is not None else ""

    @property
    def gallery(self) -> Gallery:
        """The gallery, reloaded first if the store changed (checked now: for the photo and
        enrolment paths; the live loop checks at most every ``gallery_check_s``)."""
        self.gallery_watch.refresh(now=True)
        return self.gallery_watch.gallery

    def apply_settings(self, settings: "Settings") -> DeskUpdate:
        """Decide with new settings from now on; an open claim ends."""
        self.settings = settings
        self.tracker = RecognizeTracker.from_settings(settings, self._clock)
        return self._end_session()

    @property
    def task(self) -> Task:
        if self.enrolling is not None:
            return self.enrolling
        if self.settings.mode == Mode.RECOGNIZE:
            return Task(TaskKind.RECOGNIZE)
        return Task(TaskKind.VERIFY, self.session.person.person_id if self.session else None)

    # --- the live loop ------------------------------------------------------------------
    def step(self, frame_rgb: np.ndarray, seq: int = 0) -> DeskUpdate:
        """Analyse one RGB uint8 (H, W, 3) camera frame and decide what it completes."""
        engine = self._engine()
        size = self._refresh()
        task = self.task
        if task.kind == TaskKind.VERIFY:
            analysis, made, prompt = self._verify_frame(engine, frame_rgb, task)
        else:
            analysis = engine.analyse(frame_rgb, self.gallery_watch.gallery,
                                      self.settings.identify_threshold)
            made, prompt = self._recognize_frame(analysis, task), None
        enrol = (live_candidate(frame_rgb, analysis.faces, task.person_id)
                 if task.kind == TaskKind.ENROL else None)
        marks = Marks(seq, frame_rgb.shape[:2],
                      marks_for(analysis.faces, show_names=task.kind == TaskKind.RECOGNIZE))
        return self._update(made, marks=marks, prompt=prompt, enrol=enrol, gallery_size=size,
                            analysis_ms=analysis.detect_ms + analysis.embed_ms)

    def tick(self) -> DeskUpdate:
        """What time alone decides (a verify time-out, the door closing, a changed gallery,
        the daily purge of old log rows)."""
        self._purge_old_rows()
        size = self._refresh() if self.engine is not None else None
        made, prompt = [], None
        if self.session is not None and (decision := self.session.poll()) is not None:
            made, prompt = [decision], self._end_session().prompt
        return self._update(made, prompt=prompt, gallery_size=size)

    def claim(self, text: str) -> DeskUpdate:
        """A typed or scanned employee id or name (verify mode)."""
        if not str(text).strip() or self.settings.mode != Mode.VERIFY or self.enrolling is not None:
            return DeskUpdate()
        self._engine()
        self._end_session()
        if (wait_s := self.claims.wait_s()) > 0:
            return self._update([decisions.too_many_claims(_loggable(text), wait_s)], prompt="")
        try:
            text = clean_label(text, "the id")
            person = self.store.find_person(text)
        except (InvalidTextError, UnknownPersonError):
            return self._update([decisions.unknown_claim(_loggable(text))], prompt="")
        if not self.gallery.has_person(person.person_id):
            return self._update([decisions.no_templates(text, person)], prompt="")
        self.session = VerifySession.from_settings(text, person, self.settings, self._clock)
        return DeskUpdate(prompt=self.session.prompt)

    def begin_enrolment(self, person_id: int | None = None) -> DeskUpdate:
        """Coach an enrolment: frames become candidate shots, nobody is announced."""
        update = self._end_session()
        self.enrolling = Task(TaskKind.ENROL, person_id)
        return update

    def end_enrolment(self) -> DeskUpdate:
        self.enrolling = None
        return DeskUpdate()

    # --- photos (the command line) ------------------------------------------------------
    def verify_photo(self, image_rgb: np.ndarray, claim: str, *, log_it: bool = False) -> PhotoVerdict:
        """1:1 on one RGB photo: the largest face against the claimed person; into the access
        log only with ``log_it`` (checking a photo is not a visit at the door)."""
        person = self.store.find_person(claim)
        gallery = self.gallery
        if not gallery.has_person(person.person_id):
            raise UnknownPersonError(f"{person.name} has no enrolled face for this model")
        check = check_claim(self._engine(), image_rgb, gallery, person.person_id,
                            self.settings.verify_threshold)
        decision = decisions.verification(claim, person, check.match)
        decision = self._announce(decision) if log_it else self._checked_access(decision)
        faces = check.analysis.faces
        return PhotoVerdict(person, decision, check.match, faces[0].face if faces else None,
                            len(faces))

    def identify_photo(self, image_rgb: np.ndarray, *, log_it: bool = False) -> list[FaceResult]:
        """1:N for every face of one RGB photo, largest first (logged only with ``log_it``)."""
        analysis = self._engine().analyse(image_rgb, self.gallery,
                                          self.settings.identify_threshold)
        if log_it:
            for result in analysis.faces:
                self._announce(decisions.recognition(result.match))
        return list(analysis.faces)

    # --- enrolment ----------------------------------------------------------------------
    def encode_files(self, paths: Iterable[str | os.PathLike], person_id: int | None = None,
                     skip_enrolled_of: str | None = None) -> FileShots:
        """Shots from photo files (errors listed, not raised); with ``skip_enrolled_of``, the
        images already enrolled for that person are left out and listed."""
        skip = frozenset()
        if skip_enrolled_of is not None:
            try:
                skip = frozenset(self.store.template_digests(skip_enrolled_of))
            except UnknownPersonError:
                pass
        return encode_files(self._engine(), paths, self.gallery,
                            self.settings.identify_threshold, person_id, skip)

    def encode_image(self, image_rgb: np.ndarray, source: str, person_id: int | None = None) -> Shot:
        """The shot of one RGB photo with exactly one usable face (else a FaceError)."""
        return image_shot(self._engine(), image_rgb, source, self.gallery,
                          self.settings.identify_threshold, person_id)

    def enrol(self, name: str, shots: Sequence[Shot], employee_id: str | None = None) -> Person:
        """Store the shots for ``name`` (a new or an enrolled person), all or nothing."""
        if not shots:
            raise KioskError("nothing to enrol: give at least one photo")
        return self.store.enrol(name, [s.embedding for s in shots], model_id=self._engine().model_id,
                                 employee_id=employee_id, sources=[s.source for s in shots],
                                 digests=[s.digest for s in shots])

    # --- deciding -----------------------------------------------------------------------
    def _recognize_frame(self, analysis: FrameAnalysis, task: Task) -> list[Decision]:
        if task.kind != TaskKind.RECOGNIZE:
            return []
        return self.tracker.update(analysis.faces)

    def _verify_frame(self, engine, frame_rgb, task: Task):
        """(analysis, decisions, prompt change) of one frame in verify mode."""
        if self.session is None:
            return boxes_only(engine, frame_rgb), [], None
        if not self.gallery_watch.gallery.has_person(task.person_id):
            return boxes_only(engine, frame_rgb), [self._claim_gone()], self._end_session().prompt
        check = check_claim(engine, frame_rgb, self.gallery_watch.gallery, task.person_id,
                            self.settings.verify_threshold)
        decision = self.session.update(check.match)
        if decision is None:
            return check.analysis, [], None
        return check.analysis, [decision], self._end_session().prompt

    def _claim_gone(self) -> Decision:
        """The claimed person was removed, or lost their templates, during the claim."""
        session = self.session
        try:
            person = self.store.find_person(session.claim)
        except UnknownPersonError:
            return session.finish(decisions.unknown_claim(session.claim))
        return session.finish(decisions.no_templates(session.claim, person))

    def _announce(self, decision: Decision) -> Decision:
        """Log the decision; the door opens only once its log row is committed."""
        decision = self._checked_access(decision)
        try:
            row = self.store.log_event(decision.mode, **decision.log_fields(),
                                       source=self.source, kiosk=self.settings.kiosk_label)
        except KioskError as exc:
            log.error("the access log cannot be written (%s): the door stays shut", exc)
            return decision.not_logged(str(exc))
        if decision.door_open_s > 0:
            self.door.open_for(decision.door_open_s)
            if self.door_output is not None:
                self.door_output.pulse(door_event(row, decision))
        return decision

    def _checked_access(self, decision: Decision) -> Decision:
        """An acceptance of someone disabled or outside their dates becomes a refusal."""
        if not decision.accepted:
            return decision
        person = self.gallery_watch.gallery.people.get(decision.person_id)
        reason = "no longer enrolled" if person is None else person.refusal(self._today())
        return decision.not_active(reason) if reason else decision

    def _purge_old_rows(self) -> None:
        """At start, then daily: drop log rows older than ``log_retention_days``."""
        days = self.settings.log_retention_days
        if days <= 0 or self._clock() - self._purged_at < PURGE_EVERY_S:
            return
        self._purged_at = self._clock()
        try:
            gone = self.store.purge_events(datetime.now(timezone.utc) - timedelta(days=days))
        except KioskError as exc:
            log.warning("old access-log rows could not be purged: %s", exc)
            return
        if gone:
            log.info("purged %d access-log rows older than %d days", gone, days)

    def _update(self, made: Sequence[Decision], **fields) -> DeskUpdate:
        announced = tuple(self._announce(d) for d in made)
        door = self.door.is_open()
        changed = door if door != self._door_shown else None
        self._door_shown = door
        return DeskUpdate(decisions=announced, door_open=changed, **fields)

    def _end_session(self) -> DeskUpdate:
        if self.session is None:
            return DeskUpdate()
        self.session = None
        return DeskUpdate(prompt="")

    def _refresh(self) -> int | None:
        """Pick up a changed gallery; its template count when it was reloaded."""
        return len(self.gallery_watch.gallery) if self.gallery_watch.refresh() else None

    def _engine(self) -> "Engine":
        if self.engine is None:
            raise KioskError("the face model is still starting")
        return self.engine


def _loggable(text: object) -> str:
    """A typed claim as it may go into the log: bounded, invisible characters made visible."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(text))
    return shown[:MAX_CHARS]

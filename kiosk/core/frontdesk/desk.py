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
import random
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from kiosk.core.base.errors import DuplicatePersonError, InvalidTextError, KioskError, UnknownPersonError
from kiosk.core.base.text import MAX_CHARS, clean_label, clean_optional_label
from kiosk.core.base.types import Person
from kiosk.core.base.vocabulary import GroupPolicy, Mode, SecurityLevel, Source, TaskKind
from kiosk.core.frontdesk import decisions
from kiosk.core.frontdesk.decisions import ClaimLimiter, Decision, RecognizeTracker, VerifySession, marks_for
from kiosk.core.frontdesk.doors import door_event
from kiosk.core.frontdesk.enrolment import (
    LOOKS_FLAT,
    NO_LIVE_CHECK,
    FileShots,
    Shot,
    encode_files,
    image_shot,
    live_candidate,
)
from kiosk.core.frontdesk.gallery import CHECK_S, GalleryWatch
from kiosk.core.frontdesk.live import Task, boxes_only, check_claim
from kiosk.core.frontdesk.updates import DeskUpdate, DoorState, IdentifiedFace, Marks, PendingChallenge, PhotoVerdict
from kiosk.core.recognition.engine import FrameAnalysis
from kiosk.core.recognition.matching import Gallery
from kiosk.core.storage.store import Store
from kiosk.core.vision.challenge import ChallengeCheck, ChallengeSettings, ChallengeState
from kiosk.core.vision.liveness import load_liveness

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.core.base.settings import Settings
    from kiosk.core.door import DoorDriver
    from kiosk.core.recognition.engine import Engine

log = logging.getLogger(__name__)

PURGE_EVERY_S = 24 * 3600.0
NO_LIVENESS_DETAIL = "the anti-spoofing model of the security level is not loaded: the door stays shut"


class FrontDesk:
    """See the module's doc. ``engine`` may come later (`use_engine`), built on its thread."""

    def __init__(self, store: Store, settings: "Settings", *, engine: "Engine | None" = None,
                 door_output: "DoorDriver | None" = None, source: Source = Source.SCREEN,
                 clock=time.monotonic, today=date.today, gallery_check_s: float = CHECK_S,
                 rng: random.Random | None = None, challenge: ChallengeSettings = ChallengeSettings(),
                 liveness_dir: "Path | None" = None):
        self.store = store
        self.settings = settings
        self.engine: "Engine | None" = None
        self.door_output = door_output  # pulsed once per logged acceptance; None: screen only
        self.source = source
        self._clock, self._today = clock, today
        self.gallery_watch = GalleryWatch(store, gallery_check_s, clock)
        self.tracker = RecognizeTracker.from_settings(settings, clock)
        self._group_refused = False  # the group in view was told "one at a time" already
        self.session: VerifySession | None = None
        self.claims = ClaimLimiter(clock=clock)
        self.enrolling: Task | None = None
        self.pending: PendingChallenge | None = None
        self._rng = rng or random.SystemRandom()  # which side first: not guessable
        self.challenge_settings = challenge
        self.liveness_dir = liveness_dir  # the anti-spoofing models; None: the committed weights/
        self.door = DoorState(clock)
        self._door_shown = False
        self._purged_at = float("-inf")
        if engine is not None:
            self.use_engine(engine)

    # --- set-up -------------------------------------------------------------------------
    def use_engine(self, engine: "Engine") -> None:
        """Decide with ``engine`` (call it on the deciding thread)."""
        self.engine = engine
        self._configure_engine()
        self.gallery_watch.use_model(engine.model_id, engine.embedder.dim)

    def _configure_engine(self) -> None:
        """The engine finds faces as the settings say: photos from ``min_face_px``, camera
        frames from ``live_min_face_px`` (the range)."""
        engine, s = self.engine, self.settings
        engine.min_face_px = engine.detector.min_face_px = s.min_face_px
        engine.live_min_face_px = s.live_min_face_px

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
        """Decide with new settings from now on; an open claim and a pending head turn end.

        A security level that needs the anti-spoofing models loads them here (on the deciding
        thread). When they are missing or damaged this raises WeightsError and the new level
        stays set without them: every acceptance is then refused (`_checked_presentation`),
        never decided at a lower level; a later call that loads them (or sets "off") ends that.
        """
        self.settings = settings
        self.tracker = RecognizeTracker.from_settings(settings, self._clock)
        self._group_refused = False
        self.pending = None
        update = self._end_session()
        if self.engine is not None:
            self._configure_engine()
            self._load_liveness(settings.security_level)
        return update

    def _load_liveness(self, level: SecurityLevel) -> None:
        """The anti-spoofing models ``level`` needs, unless loaded already (WeightsError)."""
        if level != SecurityLevel.OFF and self.engine.liveness is None:
            self.engine.liveness = load_liveness(level, self.liveness_dir)

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
        if self.pending is not None and task.kind != TaskKind.ENROL:
            return self._challenge_step(engine, frame_rgb, seq, size)
        if task.kind == TaskKind.VERIFY:
            analysis, made, prompt = self._verify_frame(engine, frame_rgb, task)
        else:
            analysis = engine.analyse(frame_rgb, self.gallery_watch.gallery,
                                      self.settings.identify_threshold, live=True)
            made, prompt = self._recognize_frame(frame_rgb, analysis, task), None
        made, prompt = self._held_for_challenge(made, prompt)
        enrol = (self._enrol_candidate(frame_rgb, analysis, task)
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
        if self.pending is not None and self.pending.check.timed_out():
            made, prompt = self._challenge_outcome(self.pending.check.update(None))
        return self._update(made, prompt=prompt, gallery_size=size)

    def claim(self, text: str) -> DeskUpdate:
        """A typed or scanned employee id or name (verify mode)."""
        if (not str(text).strip() or self.settings.mode != Mode.VERIFY or self.enrolling is not None
                or self.pending is not None):  # one person at a time: the head turn first
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
        self.pending = None  # an admin at the screen: nobody is let in meanwhile
        return update

    def end_enrolment(self) -> DeskUpdate:
        self.enrolling = None
        return DeskUpdate()

    # --- photos (the command line) ------------------------------------------------------
    def verify_photo(self, image_rgb: np.ndarray, claim: str, *, log_it: bool = False) -> PhotoVerdict:
        """1:1 on one RGB photo: the largest face against the claimed person, with every check
        the door makes (who may come in, the photo check at the security level); into the access
        log only with ``log_it`` (checking a photo is not a visit at the door)."""
        person = self.store.find_person(claim)
        gallery = self.gallery
        if not gallery.has_person(person.person_id):
            raise UnknownPersonError(f"{person.name} has no enrolled face for this model")
        check = check_claim(self._engine(), image_rgb, gallery, person.person_id,
                            self.settings.verify_threshold)
        decision = decisions.verification(claim, person, check.match)
        if check.match is not None and check.match.accepted:
            decision = replace(decision, live_score=self._live_score(image_rgb, check.analysis.faces[0]))
        decision = self._photo_decision(decision, log_it)
        faces = check.analysis.faces
        return PhotoVerdict(person, decision, check.match, faces[0].face if faces else None,
                            len(faces))

    def identify_photo(self, image_rgb: np.ndarray, *, log_it: bool = False) -> list[IdentifiedFace]:
        """1:N for every face of one RGB photo, largest first, each with its decision after
        every check the door makes; into the access log only with ``log_it`` (as `verify_photo`)."""
        analysis = self._engine().analyse(image_rgb, self.gallery,
                                          self.settings.identify_threshold)
        made = [self._photo_decision(replace(decisions.recognition(r.match), live_score=score), log_it)
                for r, score in zip(analysis.faces, self._live_scores(image_rgb, analysis))]
        return [IdentifiedFace(r.face, r.match, d) for r, d in zip(analysis.faces, made)]

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

    def enrolment_target(self, name: str, employee_id: str | None = None) -> Person | None:
        """The enrolled person ``name`` names (None: a new person), checked before any shot is
        taken or saved: an InvalidTextError for an unusable name or id, a DuplicatePersonError
        when ``employee_id`` is someone else's or ``name`` already has another id."""
        name = clean_label(name, "a person's name")
        employee_id = clean_optional_label(employee_id, "an employee id")
        people = self.store.people()
        same = next((p for p in people if p.name.casefold() == name.casefold()), None)
        if employee_id is None:
            return same
        owner = next((p for p in people if (p.employee_id or "").casefold() == employee_id.casefold()), None)
        if owner is not None and owner != same:
            raise DuplicatePersonError(f"employee id {employee_id!r} is already {owner.name}'s")
        if same is not None and same.employee_id is not None and owner is None:
            raise DuplicatePersonError(f"{same.name} already has employee id {same.employee_id!r}")
        return same

    def enrol(self, name: str, shots: Sequence[Shot], employee_id: str | None = None) -> Person:
        """Store the shots for ``name`` (a new or an enrolled person), all or nothing."""
        if not shots:
            raise KioskError("nothing to enrol: give at least one photo")
        return self.store.enrol(name, [s.embedding for s in shots], model_id=self._engine().model_id,
                                 employee_id=employee_id, sources=[s.source for s in shots],
                                 digests=[s.digest for s in shots])

    # --- deciding -----------------------------------------------------------------------
    def _recognize_frame(self, frame_rgb, analysis: FrameAnalysis, task: Task) -> list[Decision]:
        if task.kind != TaskKind.RECOGNIZE:
            return []
        scores = self._live_scores(frame_rgb, analysis)
        others = self._group_others(analysis, scores)
        self._follow_group(analysis, others)
        made = self.tracker.update(analysis.faces, scores)
        welcomed = any(d.accepted and not self._looks_flat(d.live_score) for d in made)
        if not (welcomed and others):
            return made
        self.tracker.withhold(made)  # nobody was welcomed: no cooldown keeps them waiting later
        if self._group_refused:
            return []  # said once to this group already: not again every frame
        self._group_refused = True
        return [decisions.group_refusal(made, others)]

    def _group_others(self, analysis: FrameAnalysis, scores: list[float | None]) -> int:
        """How many faces keep the door shut for the staff beside them (0: none, or the group
        policy lets staff in anyway)."""
        if self._challenging():  # the head turn is checked on one face: nobody else in view
            return len(analysis.faces) - 1
        if self.settings.group_policy == GroupPolicy.ONE_AT_A_TIME:
            return self._others_in_view(analysis, scores)
        return 0

    def _follow_group(self, analysis: FrameAnalysis, others: int) -> None:
        """Once a refused group breaks up (staff alone, or no staff left), whoever is in view
        is counted afresh: frames counted while the group stood let nobody in."""
        staff = any(f.match is not None and f.match.accepted for f in analysis.faces)
        if self._group_refused and not (others and staff):
            self._group_refused = False
            self.tracker.restart_counts()

    def _others_in_view(self, analysis: FrameAnalysis, scores: list[float | None]) -> int:
        """Faces in the frame the door cannot let in: strangers, and staff faces that look
        like a photo or a screen."""
        return sum(f.match is None or not f.match.accepted or self._looks_flat(score)
                   for f, score in zip(analysis.faces, scores))

    def _enrol_candidate(self, frame_rgb, analysis: FrameAnalysis, task: Task):
        """A live shot, refused when the face looks like a photo or a screen."""
        scores = [self._live_score(frame_rgb, f) for f in analysis.faces[:1]]
        if not (scores and self._looks_flat(scores[0])):
            return live_candidate(frame_rgb, analysis.faces, task.person_id)
        refusal = NO_LIVE_CHECK if self._engine().liveness is None else LOOKS_FLAT
        return live_candidate(frame_rgb, analysis.faces, task.person_id, refusal)

    # --- is it a live person? -------------------------------------------------------------
    def _live_scores(self, frame_rgb, analysis: FrameAnalysis) -> list[float | None]:
        """Each face's passive live score — only for faces that could open the door."""
        return [self._live_score(frame_rgb, f) if f.match is not None and f.match.accepted
                else None for f in analysis.faces]

    def _live_score(self, frame_rgb, result) -> float | None:
        liveness = self._engine().liveness
        if liveness is None or self.settings.security_level == SecurityLevel.OFF:
            return None
        return liveness.live_score(frame_rgb, result.face.box_xywh)

    def _looks_flat(self, score: float | None) -> bool:
        """Below the passive threshold (a missing score counts as below, when it is needed)."""
        if self.settings.security_level == SecurityLevel.OFF:
            return False
        return score is None or score < self.settings.pad_threshold

    def _checked_presentation(self, decision: Decision) -> Decision:
        """An acceptance whose face looked like a photo or a screen becomes a refusal; so does
        every acceptance while the level's anti-spoofing models could not be loaded."""
        if not (decision.accepted and self._looks_flat(decision.live_score)):
            return decision
        refused = decision.presentation_attack(self.settings.pad_threshold)
        if self.engine is None or self.engine.liveness is None:  # nothing checked the face
            return replace(refused, detail=NO_LIVENESS_DETAIL)
        return refused

    # --- the head-turn challenge (passive+challenge) ----------------------------------------
    def _challenging(self) -> bool:
        return self.settings.security_level == SecurityLevel.CHALLENGE

    def _held_for_challenge(self, made: list[Decision], prompt: str | None):
        """Hold the first acceptance that passed every other check until the head turn; the
        decisions to announce now, and the prompt."""
        if not self._challenging():
            return made, prompt
        out = []
        for decision in made:
            checked = self._checked(decision)
            if checked.accepted and self.pending is None:
                check = ChallengeCheck(self._rng, self._clock, self.challenge_settings)
                self.pending = PendingChallenge(checked, check, check.state().prompt)
                prompt = self.pending.prompt
            else:
                out.append(decision)
        return out, prompt

    def _challenge_step(self, engine, frame_rgb, seq: int, size: int | None) -> DeskUpdate:
        """One frame of a challenge: the one face in view, if it is still the held person,
        moves the check on."""
        pending = self.pending
        check = check_claim(engine, frame_rgb, self.gallery_watch.gallery, pending.decision.person_id,
                            self.settings.verify_threshold, live=True)
        faces = check.analysis.faces
        same = len(faces) == 1 and check.match is not None and check.match.accepted
        made, prompt = self._challenge_outcome(pending.check.update(faces[0].face.landmarks if same else None))
        marks = Marks(seq, frame_rgb.shape[:2], marks_for(faces, show_names=False))
        return self._update(made, marks=marks, prompt=prompt, gallery_size=size,
                            analysis_ms=check.analysis.detect_ms + check.analysis.embed_ms)

    def _challenge_outcome(self, state: ChallengeState) -> tuple[list[Decision], str | None]:
        """The decisions and prompt change after a challenge frame (or its time-out)."""
        pending = self.pending
        if state.outcome is None:
            changed = state.prompt != pending.prompt
            pending.prompt = state.prompt
            return [], state.prompt if changed else None
        self.pending = None
        if state.outcome == "passed":
            return [pending.decision], ""
        return [pending.decision.challenge_failed(state.summary())], ""

    def _verify_frame(self, engine, frame_rgb, task: Task):
        """(analysis, decisions, prompt change) of one frame in verify mode."""
        if self.session is None:
            return boxes_only(engine, frame_rgb), [], None
        if not self.gallery_watch.gallery.has_person(task.person_id):
            return boxes_only(engine, frame_rgb), [self._claim_gone()], self._end_session().prompt
        check = check_claim(engine, frame_rgb, self.gallery_watch.gallery, task.person_id,
                            self.settings.verify_threshold, live=True)
        score = (self._live_score(frame_rgb, check.analysis.faces[0])
                 if check.match is not None and check.match.accepted else None)
        decision = self.session.update(check.match, score)
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

    def _photo_decision(self, decision: Decision, log_it: bool) -> Decision:
        """A photo's decision after the same checks as at the door; only the log write (and
        the door it may open) depends on ``log_it``."""
        return self._announce(decision) if log_it else self._checked(decision)

    def _announce(self, decision: Decision) -> Decision:
        """Check and log the decision; the door opens only once its log row is committed."""
        decision = self._checked(decision)
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

    def _checked(self, decision: Decision) -> Decision:
        """Every check of an acceptance: the photo check first, then who may come in now."""
        return self._checked_access(self._checked_presentation(decision))

    def _checked_access(self, decision: Decision) -> Decision:
        """An acceptance of someone disabled or outside their dates becomes a refusal (asked
        of the store now: a person disabled a moment ago is not let in)."""
        if not decision.accepted:
            return decision
        try:
            self.gallery_watch.refresh(now=True)
        except KioskError as exc:  # cannot tell: the door stays shut
            return decision.not_logged(f"the store cannot be read: {exc}")
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

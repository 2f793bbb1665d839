"""The front desk's rules without Qt: the fake engine (colour cards), a real SQLite store,
a clock the test moves by hand."""
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.base.errors import (
    DuplicatePersonError,
    InvalidTextError,
    KioskError,
    UnknownPersonError,
    WeightsError,
)
from kiosk.core.base.paths import committed_weights_dir
from kiosk.core.base.specs import DEFAULT_PAD
from kiosk.core.base.types import PersonChange
from kiosk.core.base.vocabulary import DecisionKind, MarkState, Mode, TaskKind
from kiosk.core.frontdesk import decisions as d
from kiosk.core.frontdesk.desk import NO_LIVENESS_DETAIL, FrontDesk
from kiosk.core.frontdesk.updates import DeskUpdate
from kiosk.core.storage.sqlite import SqliteStore
from tests.conftest import REPO
from tests.ui_helpers import BLUE, EMPTY, GREEN, RED, card_frame, make_settings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def rgb(frame_bgr):
    return np.ascontiguousarray(frame_bgr[..., ::-1])


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path):
    with SqliteStore.open(tmp_path / "kiosk.sqlite3", timeout_s=0.1) as opened:
        fakes.enrol_cards(opened, {"Alice": "red", "Bob": "blue"}, {"Alice": "E-1", "Bob": "E-2"})
        yield opened


def make_desk(store, clock, tmp_path, **overrides):
    defaults = dict(consecutive_frames=3, cooldown_s=10.0, door_open_s=5.0, verify_timeout_s=8.0)
    settings = make_settings(tmp_path, **{**defaults, **overrides})
    return FrontDesk(store, settings, engine=fakes.FakeEngine(), clock=clock)


@pytest.fixture
def desk(store, clock, tmp_path):
    return make_desk(store, clock, tmp_path)


def wait_for(condition, timeout_s=15.0):
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def feed(desk, clock, frame_bgr, n=1, dt=0.05):
    """``n`` analysed frames, ``dt`` seconds apart; every decision they completed."""
    made = []
    for _ in range(n):
        clock.now += dt
        made += desk.step(rgb(frame_bgr)).decisions
    return made


# --- recognize ----------------------------------------------------------------------------
def test_welcome_after_the_consecutive_frames_then_the_door_opens_once_logged(desk, clock, store):
    assert feed(desk, clock, card_frame(RED), 2) == []
    clock.now += 0.05
    update = desk.step(rgb(card_frame(RED)))
    decision, = update.decisions
    assert decision.kind == DecisionKind.WELCOME and decision.name == "Alice"
    assert update.door_open is True and desk.door.is_open()
    event, = store.events()
    assert event.accepted and event.identity == "Alice" and event.mode == Mode.RECOGNIZE
    clock.now += 5.1
    assert desk.tick().door_open is False


def test_cooldown_keeps_one_welcome_per_visit(desk, clock):
    assert len(feed(desk, clock, card_frame(RED), 3)) == 1
    assert feed(desk, clock, card_frame(RED), 100) == []  # 5 s more in view
    clock.now += 6
    assert [d.name for d in feed(desk, clock, card_frame(RED), 1)] == ["Alice"]


def test_several_staff_at_once_are_each_welcomed(desk, clock):
    frame = card_frame(("red", (60, 120, 160, 180)), ("blue", (380, 120, 160, 180)))
    made = feed(desk, clock, frame, 3)
    assert sorted((d.kind, d.name) for d in made) == [
        (DecisionKind.WELCOME, "Alice"), (DecisionKind.WELCOME, "Bob")]


def test_staff_with_a_stranger_are_asked_to_come_one_at_a_time(desk, clock, store):
    """The default group policy: one clear refusal, the door shut, one log row."""
    frame = card_frame(("red", (40, 120, 140, 170)), ("blue", (250, 120, 140, 170)),
                       ("green", (460, 120, 140, 170)))
    made = feed(desk, clock, frame, 3)
    assert [(d.kind, d.accepted) for d in made] == [(DecisionKind.GROUP, False)]
    assert made[0].message == "One at a time, please — the door opens for one person"
    assert not desk.door.is_open()
    event, = store.events()
    assert event.detail == "Alice, Bob with 1 other face(s) the door cannot let in"
    marks = desk.step(rgb(frame)).marks.marks
    assert sorted((m.label, m.state) for m in marks) == [
        ("Alice", MarkState.KNOWN), ("Bob", MarkState.KNOWN), ("unknown", MarkState.UNKNOWN)]


def test_staff_left_alone_after_a_group_refusal_is_welcomed_without_the_cooldown(desk, clock, store):
    """The refusal replaced her welcome: no cooldown starts. Said once per group, however long
    it stands; once alone she is counted afresh (the usual 3 frames), then welcomed for real."""
    group = card_frame(("red", (60, 120, 160, 180)), ("green", (380, 120, 160, 180)))
    assert [d.kind for d in feed(desk, clock, group, 60)] == [DecisionKind.GROUP]  # 3 s together
    assert feed(desk, clock, card_frame(RED), 2) == []
    assert [(d.kind, d.name) for d in feed(desk, clock, card_frame(RED), 1)] == [(DecisionKind.WELCOME, "Alice")]
    assert desk.door.is_open()
    assert feed(desk, clock, card_frame(RED), 100) == []  # a real welcome: her cooldown runs
    assert [e.kind for e in store.events()] == ["welcome", "group"]


def test_a_group_that_forms_again_is_refused_again(desk, clock, store):
    group = card_frame(("red", (60, 120, 160, 180)), ("green", (380, 120, 160, 180)))
    assert [d.kind for d in feed(desk, clock, group, 5)] == [DecisionKind.GROUP]
    assert feed(desk, clock, EMPTY, 2) == []
    assert [d.kind for d in feed(desk, clock, group, 5)] == [DecisionKind.GROUP]
    assert not desk.door.is_open() and [e.kind for e in store.events()] == ["group", "group"]


def test_a_photo_held_up_beside_a_colleague_counts_as_another_person(desk, clock):
    frame = card_frame(("blue", (60, 120, 160, 180)), ("red", (380, 120, 160, 180), "photo"))
    assert [d.kind for d in feed(desk, clock, frame, 3)] == [DecisionKind.GROUP]


def test_the_other_group_policy_welcomes_staff_and_sends_the_stranger_on(store, clock, tmp_path):
    desk = make_desk(store, clock, tmp_path, group_policy="welcome_known")
    frame = card_frame(("red", (60, 120, 160, 180)), ("green", (380, 120, 160, 180)))
    made = feed(desk, clock, frame, 3)
    assert {d.kind for d in made} == {DecisionKind.WELCOME, DecisionKind.STRANGER}
    assert len(store.events()) == 2 and desk.door.is_open()


def test_a_failed_log_write_keeps_the_door_shut(desk, clock, store, tmp_path):
    """Another program holds the write lock: the decision cannot be logged, so it is refused."""
    feed(desk, clock, card_frame(RED), 2)
    blocker = sqlite3.connect(store.path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        clock.now += 0.05
        update = desk.step(rgb(card_frame(RED)))
    finally:
        blocker.rollback()
        blocker.close()
    decision, = update.decisions
    assert decision.kind == DecisionKind.NOT_LOGGED and not decision.accepted
    assert "see reception" in decision.message and "locked" in decision.detail
    assert decision.door_open_s == 0 and not desk.door.is_open() and update.door_open is None
    assert store.events() == []


# --- the gallery changes --------------------------------------------------------------------
def test_a_person_removed_by_the_command_line_is_refused_at_the_next_decision(desk, clock, store,
                                                                              tmp_path):
    assert [d.kind for d in feed(desk, clock, card_frame(RED), 3)] == [DecisionKind.WELCOME]
    done = subprocess.run([sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path),
                           "people", "remove", "Alice"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    clock.now += 20  # past the cooldown; the desk looks at the store's revision every 0.5 s
    made = feed(desk, clock, card_frame(RED), 3)
    assert [d.kind for d in made] == [DecisionKind.STRANGER] and not desk.door.is_open()


def test_someone_enrolled_elsewhere_is_recognised_within_the_check_interval(desk, clock, store):
    assert [d.kind for d in feed(desk, clock, card_frame(GREEN), 3)] == [DecisionKind.STRANGER]
    with SqliteStore.open(store.path) as other:  # another process's connection
        fakes.enrol_cards(other, {"Carol": "green"})
    clock.now += 11
    made = feed(desk, clock, card_frame(GREEN), 3, dt=0.2)
    assert [(d.kind, d.name) for d in made] == [(DecisionKind.WELCOME, "Carol")]


def test_the_store_is_asked_for_changes_at_most_every_half_second(desk, clock, store, monkeypatch):
    asked = []
    revision = store.revision
    monkeypatch.setattr(store, "revision", lambda: asked.append(clock.now) or revision())
    feed(desk, clock, card_frame(RED), 60, dt=0.05)  # 3 s of frames
    assert 5 <= len(asked) <= 7


# --- verify -------------------------------------------------------------------------------
@pytest.fixture
def verify_desk(store, clock, tmp_path):
    return make_desk(store, clock, tmp_path, mode="verify")


def test_verify_accepts_the_claimed_face(verify_desk, clock, store):
    update = verify_desk.claim("E-1")
    assert update.prompt == "Please look at the camera"
    assert verify_desk.task.kind == TaskKind.VERIFY and verify_desk.task.person_id is not None
    made = feed(verify_desk, clock, card_frame(RED), 3)
    assert [d.kind for d in made] == [DecisionKind.VERIFIED] and verify_desk.door.is_open()
    assert verify_desk.session is None and store.events()[0].claimed == "E-1"


def test_verify_refuses_a_stolen_badge(verify_desk, clock):
    verify_desk.claim("Bob")
    decision, = feed(verify_desk, clock, card_frame(RED), 3)
    assert decision.kind == DecisionKind.REFUSED and not verify_desk.door.is_open()


def test_verify_times_out_politely(verify_desk, clock):
    verify_desk.claim("Alice")
    feed(verify_desk, clock, EMPTY, 10)
    clock.now += 8
    update = verify_desk.tick()
    assert [d.kind for d in update.decisions] == [DecisionKind.TIMED_OUT] and update.prompt == ""


def test_a_claim_for_an_unknown_id_is_answered_at_once(verify_desk, store):
    update = verify_desk.claim("E-999")
    decision, = update.decisions
    assert decision.kind == DecisionKind.UNKNOWN_CLAIM and verify_desk.session is None
    assert store.events()[0].claimed == "E-999"


def test_the_claimed_person_removed_mid_claim_is_refused(verify_desk, clock, store):
    verify_desk.claim("Alice")
    feed(verify_desk, clock, card_frame(RED), 1)
    store.remove("Alice")
    clock.now += 1  # past the revision check interval
    made = feed(verify_desk, clock, card_frame(RED), 3)
    assert [d.kind for d in made] == [DecisionKind.UNKNOWN_CLAIM]
    assert not verify_desk.door.is_open() and verify_desk.session is None


def test_a_claim_in_recognize_mode_or_while_enrolling_is_ignored(desk, verify_desk):
    assert desk.claim("Alice").empty
    verify_desk.begin_enrolment()
    assert verify_desk.claim("Alice").empty and verify_desk.session is None


def test_nothing_is_decided_before_the_model_is_loaded(store, clock, tmp_path):
    desk = FrontDesk(store, make_settings(tmp_path, mode="verify"), clock=clock)
    with pytest.raises(KioskError, match="still starting"):
        desk.claim("Alice")
    assert desk.tick().empty


# --- enrolment ----------------------------------------------------------------------------
def test_enrolling_announces_nobody_and_offers_shots(desk, clock, store):
    desk.begin_enrolment()
    updates = [desk.step(rgb(card_frame(GREEN))) for _ in range(5)]
    assert all(u.decisions == () for u in updates)
    shot = updates[-1].enrol.shot
    assert updates[-1].enrol.quality.ok and shot.source == "camera" and shot.duplicate is None
    person = desk.enrol("Carol", [shot], "E-3")
    assert person.template_count == 1 and store.find_person("E-3").name == "Carol"
    desk.end_enrolment()
    clock.now += 1
    assert [d.name for d in feed(desk, clock, card_frame(GREEN), 3)] == ["Carol"]


def test_the_enrolment_target_is_checked_before_any_shot(desk):
    assert desk.enrolment_target("Carol", "E-3") is None  # someone new
    assert desk.enrolment_target(" alice ", "e-1").name == "Alice"  # adding to Alice
    with pytest.raises(DuplicatePersonError, match="already Bob's"):
        desk.enrolment_target("Carol", "E-2")
    with pytest.raises(DuplicatePersonError, match="already has employee id 'E-1'"):
        desk.enrolment_target("Alice", "E-9")
    with pytest.raises(InvalidTextError):
        desk.enrolment_target("   ", None)


def test_enrol_needs_at_least_one_shot(desk):
    with pytest.raises(KioskError, match="at least one photo"):
        desk.enrol("Nobody", [])


def test_verify_photo_and_identify_photo_log_only_when_asked(desk, store):
    verdict = desk.verify_photo(rgb(card_frame(RED)), "Alice", log_it=False)
    assert verdict.decision.kind == DecisionKind.VERIFIED and store.events() == []
    desk.verify_photo(rgb(card_frame(BLUE)), "Alice", log_it=True)
    assert [(e.accepted, e.source) for e in store.events()] == [(False, "screen")]
    assert [r.match.name for r in desk.identify_photo(rgb(card_frame(BLUE)), log_it=False)] == ["Bob"]
    with pytest.raises(UnknownPersonError):
        desk.verify_photo(rgb(card_frame(RED)), "Zed")


# --- who may come in, and what a person types ---------------------------------------------
def test_a_disabled_or_expired_person_is_refused_politely_and_logged_as_such(store, clock, tmp_path):
    from datetime import date

    desk = FrontDesk(store, make_settings(tmp_path, consecutive_frames=1), engine=fakes.FakeEngine(),
                     clock=clock, today=lambda: date(2026, 12, 1))
    store.update_person("Alice", PersonChange(enabled=False))
    store.update_person("Bob", PersonChange(valid_from=None, valid_until=date(2026, 11, 30)))
    clock.now += 1
    made = feed(desk, clock, card_frame(("red", (60, 120, 160, 180)), ("blue", (380, 120, 160, 180))))
    assert {d.kind for d in made} == {DecisionKind.NOT_ACTIVE} and not desk.door.is_open()
    assert {d.message for d in made} == {"Sorry, the door cannot open for you today — please see reception"}
    reasons = sorted(e.detail for e in store.events())
    assert reasons == ["Alice: disabled", "Bob: valid until 2026-11-30"]
    assert not any(e.accepted for e in store.events())


def test_typed_claims_are_rate_limited(verify_desk, store):
    kinds = [verify_desk.claim(f"X-{i}").decisions[0].kind for i in range(7)]
    assert kinds == [DecisionKind.UNKNOWN_CLAIM] * 5 + [DecisionKind.TOO_MANY_CLAIMS] * 2
    assert store.events()[0].kind == "too_many_claims" and "rate-limited" in store.events()[0].detail


def test_a_claim_with_invisible_characters_is_no_one_and_is_logged_visibly(verify_desk, store):
    decision, = verify_desk.claim("E-\u200b1").decisions  # "E-1" with a zero-width space
    assert decision.kind == DecisionKind.UNKNOWN_CLAIM and verify_desk.session is None
    assert store.events()[0].claimed == "E-\\u200b1"


def test_the_door_output_fires_only_after_the_row_is_logged(store, clock, tmp_path):
    """A real door output: a program that writes what it received to a file."""
    from kiosk.core.frontdesk.doors import door_driver

    out = tmp_path / "door.json"
    script = tmp_path / "open_door.py"
    script.write_text("import sys, pathlib\npathlib.Path(sys.argv[1]).write_text(sys.stdin.read())\n")
    settings = make_settings(tmp_path, consecutive_frames=1, door_output="command",
                             door_command=f'"{sys.executable}" "{script}" "{out}"')
    driver = door_driver(settings)
    try:
        desk = FrontDesk(store, settings, engine=fakes.FakeEngine(), door_output=driver, clock=clock)
        blocker = sqlite3.connect(store.path, timeout=0.1)
        blocker.execute("BEGIN IMMEDIATE")  # the log cannot be written: no opening
        try:
            clock.now += 1
            assert feed(desk, clock, card_frame(RED))[0].kind == DecisionKind.NOT_LOGGED
        finally:
            blocker.rollback()
            blocker.close()
        clock.now += 20
        decision, = feed(desk, clock, card_frame(RED))
        assert decision.kind == DecisionKind.WELCOME
        wait_for(lambda: driver.health().attempts == 1 and out.exists())
    finally:
        driver.close()
    assert driver.health().attempts == 1  # one opening: none for the refused decision
    import json

    sent = json.loads(out.read_text())
    row = store.events()[0]
    assert (sent["event_id"], sent["name"], sent["decision"]) == (row.event_id, "Alice", "welcome")
    assert sent["duration_s"] == 5.0 and sent["kiosk_name"] == row.kiosk


# --- a photo must not open the door ----------------------------------------------------------
PHOTO_OF_ALICE = ("red", (250, 130, 150, 180), "photo")


def test_a_photo_of_an_enrolled_person_is_told_like_a_stranger_and_logged_as_an_attack(desk, clock, store):
    decision, = feed(desk, clock, card_frame(PHOTO_OF_ALICE), 3)
    assert decision.kind == DecisionKind.ATTACK and not decision.accepted
    assert decision.message == d.STRANGER_MESSAGE and not desk.door.is_open()
    event, = store.events()
    assert not event.accepted and event.kind == "attack"
    assert event.detail == "presentation attack suspected: live score 0.0010 < 0.01"


def test_the_live_score_is_combined_over_the_deciding_frames(store, clock, tmp_path):
    """One flat-looking frame among three (a blink, glare) does not refuse a live person."""
    desk = make_desk(store, clock, tmp_path, pad_threshold=0.5)
    frames = [card_frame(RED), card_frame(PHOTO_OF_ALICE), card_frame(RED)]
    made = [d for f in frames for d in feed(desk, clock, f)]
    assert [d.kind for d in made] == [DecisionKind.WELCOME]
    assert made[0].live_score == pytest.approx((0.9 + 0.001 + 0.9) / 3)


def test_verify_refuses_a_photo_of_the_claimed_person_in_the_words_of_a_wrong_face(verify_desk, clock, store):
    """A stolen badge and a photo: the screen must not tell that the face matched and only the
    photo check stopped it."""
    verify_desk.claim("Alice")
    wrong_face, = feed(verify_desk, clock, card_frame(BLUE), 3)
    verify_desk.claim("Alice")
    decision, = feed(verify_desk, clock, card_frame(PHOTO_OF_ALICE), 3)
    assert wrong_face.kind == DecisionKind.REFUSED and decision.kind == DecisionKind.ATTACK
    assert decision.message == wrong_face.message == d.REFUSAL_MESSAGE
    assert [e.kind for e in store.events()] == ["attack", "refused"]


def test_a_photo_checked_without_logging_is_refused_as_when_logged(desk, store):
    """One path: `verify_photo` and `identify_photo` run the photo check with or without the log."""
    photo = rgb(card_frame(PHOTO_OF_ALICE))
    for log_it in (False, True):
        verdict = desk.verify_photo(photo, "Alice", log_it=log_it)
        assert verdict.decision.kind == DecisionKind.ATTACK and not verdict.decision.accepted
        identified, = desk.identify_photo(photo, log_it=log_it)
        assert identified.decision.kind == DecisionKind.ATTACK and identified.match.accepted
        assert len(store.events()) == (2 if log_it else 0)
    assert not desk.door.is_open()


def test_security_level_off_lets_the_face_alone_decide(store, clock, tmp_path):
    desk = make_desk(store, clock, tmp_path, security_level="off")
    decision, = feed(desk, clock, card_frame(PHOTO_OF_ALICE), 3)
    assert decision.kind == DecisionKind.WELCOME and decision.live_score is None


def test_the_passive_check_runs_only_on_faces_that_could_open_the_door(desk, clock):
    class Counting(fakes.FakeLiveness):
        calls = 0

        def live_score(self, frame_rgb, box_xywh):
            Counting.calls += 1
            return super().live_score(frame_rgb, box_xywh)

    desk.engine.liveness = Counting()
    feed(desk, clock, card_frame(("green", (60, 120, 160, 180)), ("red", (380, 120, 160, 180))), 3)
    assert Counting.calls == 3  # Alice's face, once a frame; the stranger's never


def test_a_live_enrolment_shot_that_looks_like_a_photo_is_refused_with_the_reason(desk):
    desk.begin_enrolment()
    update = desk.step(rgb(card_frame(PHOTO_OF_ALICE)))
    assert update.enrol.shot is None and "looks like a photo" in update.enrol.quality.message


# --- a security level chosen at run time whose model cannot be loaded ------------------------
def damaged_pad_copy(folder: Path) -> Path:
    """``folder`` with a copy of the committed anti-spoofing models, one byte of the first flipped."""
    folder.mkdir()
    for model in DEFAULT_PAD.models:
        shutil.copyfile(committed_weights_dir() / model.file, folder / model.file)
    damaged = folder / DEFAULT_PAD.models[0].file
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    return folder


def engine_at_level_off(settings=None) -> fakes.FakeEngine:
    """An engine factory: the fake engine as Engine.load builds it at security level "off"."""
    engine = fakes.fake_engine(settings)
    engine.liveness = None
    return engine


def test_a_level_whose_model_is_damaged_refuses_everyone_until_it_is_loaded_or_turned_off(store, clock, tmp_path):
    """Never a silent drop to a lower level: the new level stays, with nothing to check faces."""
    settings = make_settings(tmp_path, consecutive_frames=3, cooldown_s=10.0, door_open_s=5.0,
                             security_level="off")
    pad_dir = damaged_pad_copy(tmp_path / "pad")
    desk = FrontDesk(store, settings, engine=engine_at_level_off(), clock=clock, liveness_dir=pad_dir)
    passive = settings.replace(security_level="passive")
    with pytest.raises(WeightsError, match="anti-spoofing model .* is damaged"):
        desk.apply_settings(passive)
    assert desk.settings.security_level == "passive" and desk.engine.liveness is None
    decision, = feed(desk, clock, card_frame(RED), 3)
    assert decision.kind == DecisionKind.ATTACK and not decision.accepted and not desk.door.is_open()
    assert [(e.accepted, e.detail) for e in store.events()] == [(False, NO_LIVENESS_DETAIL)]
    assert not desk.verify_photo(rgb(card_frame(RED)), "Alice").decision.accepted
    desk.begin_enrolment()  # a live shot cannot be checked: said so, not "looks like a photo"
    update = desk.step(rgb(card_frame(RED)))
    assert update.enrol.shot is None and "anti-spoofing check cannot run" in update.enrol.quality.message
    assert "looks like a photo" not in update.enrol.quality.message
    desk.end_enrolment()
    desk.apply_settings(settings)  # the admin sets "off" again
    assert feed(desk, clock, card_frame(RED), 3)[0].kind == DecisionKind.WELCOME and desk.door.is_open()
    shutil.copyfile(committed_weights_dir() / DEFAULT_PAD.models[0].file, pad_dir / DEFAULT_PAD.models[0].file)
    desk.apply_settings(passive)  # the file restored: the level loads its models
    assert desk.engine.liveness is not None


# --- the head-turn challenge (passive+challenge) ---------------------------------------------
# a turn of 0.2 eye distances is ~20 degrees: enough, and not a jump that restarts the check
ALICE_LEFT, ALICE_RIGHT = ("red", (250, 130, 150, 180), 0.2), ("red", (250, 130, 150, 180), -0.2)


def challenge_desk(store, clock, tmp_path, first: str = "left"):
    settings = make_settings(tmp_path, consecutive_frames=3, cooldown_s=10.0, door_open_s=5.0,
                             security_level="passive+challenge")
    rng = random.Random(1 if first == "left" else 0)  # Random(1).random() < 0.5 <= Random(0).random()
    return FrontDesk(store, settings, engine=fakes.FakeEngine(), clock=clock, rng=rng)


def test_a_live_person_turns_left_then_right_and_is_welcomed(store, clock, tmp_path):
    desk = challenge_desk(store, clock, tmp_path, first="left")
    assert feed(desk, clock, card_frame(RED), 3) == [] and not desk.door.is_open()  # held
    assert desk.pending.prompt == "Please look straight at the camera"
    update = desk.step(rgb(card_frame(RED)))  # the straight reference
    assert update.prompt == "Please turn your head a little to your left"
    clock.now += 0.2
    assert desk.step(rgb(card_frame(ALICE_LEFT))).prompt is None  # held for two frames in a row
    clock.now += 0.1
    update = desk.step(rgb(card_frame(ALICE_LEFT)))
    assert update.prompt == "Thank you. Now a little to your right, please" and store.events() == []
    feed(desk, clock, card_frame(RED), 1, dt=0.2)  # on the way from left to right
    assert feed(desk, clock, card_frame(ALICE_RIGHT), 1, dt=0.2) == []
    decision, = feed(desk, clock, card_frame(ALICE_RIGHT), 1, dt=0.1)
    assert decision.kind == DecisionKind.WELCOME and decision.name == "Alice" and desk.door.is_open()
    assert store.events()[0].accepted and desk.pending is None


def test_a_face_that_does_not_turn_gets_see_reception_after_the_time_out(store, clock, tmp_path):
    desk = challenge_desk(store, clock, tmp_path, first="right")
    feed(desk, clock, card_frame(RED), 4)
    feed(desk, clock, card_frame(ALICE_LEFT), 3)  # the wrong way does not count
    assert desk.pending is not None
    clock.now += desk.challenge_settings.timeout_s
    decision, = desk.tick().decisions
    assert decision.kind == DecisionKind.CHALLENGE_FAILED and decision.message == d.STRANGER_MESSAGE
    assert not desk.door.is_open() and desk.pending is None
    event, = store.events()
    assert not event.accepted and event.kind == "challenge_failed" and "timeout after 8" in event.detail
    assert "live score" in event.detail and "turned right -" in event.detail  # it went the wrong way


def test_someone_else_turning_for_the_held_person_does_not_count(store, clock, tmp_path):
    desk = challenge_desk(store, clock, tmp_path, first="left")
    feed(desk, clock, card_frame(RED), 4)
    for turn in (0.2, 0.0, -0.2):  # Bob turns left, then right
        feed(desk, clock, card_frame(("blue", (250, 130, 150, 180), turn)), 2)
    assert desk.pending is not None and store.events() == []


def test_with_the_challenge_staff_come_one_at_a_time(store, clock, tmp_path):
    desk = challenge_desk(store, clock, tmp_path)
    two = card_frame(("red", (60, 120, 160, 180)), ("blue", (380, 120, 160, 180)))
    decision, = feed(desk, clock, two, 3)
    assert decision.kind == DecisionKind.GROUP and desk.pending is None and not desk.door.is_open()


def test_a_disabled_person_is_refused_without_a_challenge(store, clock, tmp_path):


    store.update_person("Alice", PersonChange(enabled=False))
    desk = challenge_desk(store, clock, tmp_path)
    decision, = feed(desk, clock, card_frame(RED), 3)
    assert decision.kind == DecisionKind.NOT_ACTIVE and desk.pending is None


def test_verify_with_the_challenge_holds_the_badge_holders_acceptance(store, clock, tmp_path):
    settings = make_settings(tmp_path, mode="verify", security_level="passive+challenge")
    desk = FrontDesk(store, settings, engine=fakes.FakeEngine(), clock=clock, rng=random.Random(1))
    desk.claim("E-1")
    assert feed(desk, clock, card_frame(RED), 3) == [] and desk.pending is not None
    assert desk.claim("E-2") == DeskUpdate()  # the next badge waits for the head turn
    feed(desk, clock, card_frame(RED), 1)
    feed(desk, clock, card_frame(ALICE_LEFT), 2, dt=0.2)
    feed(desk, clock, card_frame(RED), 1)
    decision, = feed(desk, clock, card_frame(ALICE_RIGHT), 2, dt=0.2)
    assert decision.kind == DecisionKind.VERIFIED and decision.claimed == "E-1"


def test_a_failed_head_turn_in_verify_mode_gets_the_verify_refusal(store, clock, tmp_path):
    settings = make_settings(tmp_path, mode="verify", security_level="passive+challenge")
    desk = FrontDesk(store, settings, engine=fakes.FakeEngine(), clock=clock, rng=random.Random(1))
    desk.claim("E-1")
    feed(desk, clock, card_frame(RED), 4)
    clock.now += desk.challenge_settings.timeout_s
    decision, = desk.tick().decisions
    assert decision.kind == DecisionKind.CHALLENGE_FAILED and decision.message == d.REFUSAL_MESSAGE

"""The front desk's decisions (no Qt): consecutive frames, cooldown, strangers, verify."""
import pytest

from kiosk.core.base.types import Face, Match, Person
from kiosk.core.base.vocabulary import DecisionKind, MarkState, Mode  # noqa: E402
from kiosk.core.frontdesk import decisions as d
from kiosk.core.recognition.engine import FaceResult
from kiosk.core.storage.sqlite import SqliteStore


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def face(x=10):
    return Face((x, 20, 100, 120), 0.99)


def known(person_id, name, distance=0.5, x=10):
    return FaceResult(face(x), Match(person_id, name, None, person_id * 10, distance, 1.0, True))


def stranger(distance=1.3, x=300):
    return FaceResult(face(x), Match(1, "andrew", None, 10, distance, 1.0, False))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def tracker(clock):
    return d.RecognizeTracker(consecutive_frames=3, cooldown_s=10, door_open_s=5, clock=clock)


def feed(tracker, frames):
    out = []
    for faces in frames:
        out += tracker.update(faces)
    return out


# --- recognize ----------------------------------------------------------------------------
def test_welcome_after_n_consecutive_frames(tracker):
    assert feed(tracker, [[known(7, "younes")]] * 2) == []
    decision, = tracker.update([known(7, "younes", 0.42)])
    assert decision.kind == DecisionKind.WELCOME and decision.message == "Welcome, younes"
    assert decision.accepted and decision.door_open_s == 5 and decision.person_id == 7
    assert decision.distance == pytest.approx(0.42)


def test_a_gap_restarts_the_count(tracker):
    frames = [[known(7, "younes")], [known(7, "younes")], [], [known(7, "younes")],
              [known(7, "younes")]]
    assert feed(tracker, frames) == []
    assert len(tracker.update([known(7, "younes")])) == 1


def test_cooldown_stops_repeated_announcements(tracker, clock):
    assert len(feed(tracker, [[known(7, "younes")]] * 3)) == 1
    clock.now += 5
    assert feed(tracker, [[known(7, "younes")]] * 10) == []
    clock.now += 6  # 11 s after the welcome
    assert len(tracker.update([known(7, "younes")])) == 1


def test_the_live_score_is_the_deciding_frames_not_the_whole_stay(tracker, clock):
    welcome, = [d for _ in range(3) for d in tracker.update([known(7, "younes")], [0.9])]
    assert welcome.live_score == pytest.approx(0.9)
    for score in [0.9] * 150 + [0.0] * 2:  # a live face for 10 s, then a print slipped in
        assert tracker.update([known(7, "younes")], [score]) == []  # (cooling down)
    clock.now += 11
    again, = tracker.update([known(7, "younes")], [0.0])
    assert again.live_score == 0.0  # the three deciding frames, not the 156 frames' mean (0.88)


def test_stranger_is_sent_to_reception_once_per_cooldown(tracker, clock):
    decision, = feed(tracker, [[stranger()]] * 3)
    assert decision.kind == DecisionKind.STRANGER and decision.message == d.STRANGER_MESSAGE
    assert not decision.accepted and decision.door_open_s == 0
    assert decision.detail == "nearest: andrew"
    assert feed(tracker, [[stranger()]] * 5) == []


def test_empty_gallery_makes_everyone_a_stranger(tracker):
    nobody = FaceResult(face(), None)
    decision, = feed(tracker, [[nobody]] * 3)
    assert decision.kind == DecisionKind.STRANGER and decision.distance is None


def test_several_faces_are_each_handled(tracker):
    frame = [known(7, "younes", x=10), known(8, "kian", x=200), stranger(x=400)]
    decided = feed(tracker, [frame] * 3)
    assert sorted(x.message for x in decided) == [
        d.STRANGER_MESSAGE, "Welcome, kian", "Welcome, younes"]


def test_the_same_person_twice_in_a_frame_counts_once_with_the_closest_match(tracker):
    decision, = feed(tracker, [[known(7, "younes", 0.6), known(7, "younes", 0.3, x=300)]] * 3)
    assert decision.distance == pytest.approx(0.3)


def test_a_flicker_to_unknown_does_not_turn_staff_into_strangers(tracker):
    frames = [[known(7, "younes")], [stranger(x=10)], [known(7, "younes")], [stranger(x=10)]]
    assert feed(tracker, frames) == []


# --- verify -------------------------------------------------------------------------------
KIAN = Person(8, "kian", "E-8", 1)


def verify_match(distance, threshold=1.1):
    return Match(8, "kian", "E-8", 80, distance, threshold, distance <= threshold)


def session(clock, **kw):
    return d.VerifySession("E-8", KIAN, timeout_s=8, consecutive_frames=2, door_open_s=5,
                           clock=clock, **kw)


def test_verify_accepts_after_consecutive_matches(clock):
    s = session(clock)
    assert s.prompt == "Please look at the camera"  # never the claimed name
    assert s.update(verify_match(0.7)) is None
    decision = s.update(verify_match(0.6))
    assert decision.kind == DecisionKind.VERIFIED and decision.message == "Welcome, kian"
    assert decision.accepted and decision.claimed == "E-8" and decision.distance == 0.6
    assert s.done and s.update(verify_match(0.6)) is None


def test_verify_refuses_someone_else(clock):
    s = session(clock)
    s.update(verify_match(1.3))
    decision = s.update(verify_match(1.25))
    assert decision.kind == DecisionKind.REFUSED and decision.message == d.REFUSAL_MESSAGE
    assert not decision.accepted and decision.door_open_s == 0
    fields = decision.log_fields()
    assert fields["identity"] is None and fields["person_id"] is None
    assert fields["claimed"] == "E-8" and fields["distance"] == 1.25


def test_verify_needs_the_same_verdict_in_a_row(clock):
    s = session(clock)
    assert s.update(verify_match(0.7)) is None
    assert s.update(verify_match(1.4)) is None
    assert s.update(None) is None  # no face: the count starts again
    assert s.update(verify_match(1.4)) is None
    assert s.update(verify_match(1.5)).kind == DecisionKind.REFUSED


def test_verify_times_out_politely(clock):
    s = session(clock)
    clock.now += 7.9
    assert s.poll() is None and s.seconds_left() == pytest.approx(0.1)
    clock.now += 0.2
    decision = s.poll()
    assert decision.kind == DecisionKind.TIMED_OUT and not decision.accepted
    assert "please try again" in decision.message
    assert s.poll() is None


def test_unknown_claim_and_no_templates_are_polite():
    """Unknown id, no photos, wrong face: the same words, which name nobody."""
    decision = d.unknown_claim("E-999")
    assert decision.kind == DecisionKind.UNKNOWN_CLAIM and decision.mode == Mode.VERIFY
    no_photos = d.no_templates("kian", KIAN)
    wrong_face = d.verification("kian", KIAN, verify_match(1.5))
    assert decision.message == no_photos.message == wrong_face.message == d.REFUSAL_MESSAGE
    assert "kian" not in d.REFUSAL_MESSAGE and "E-999" not in decision.message
    assert "kian has no photos" in no_photos.detail  # the log says why


def test_one_photo_verdicts_are_the_sessions_verdicts(clock):
    """The command line (one photo) and the screen (a session) give the same decisions."""
    match = Match(KIAN.person_id, "kian", None, 70, 0.4, 1.0, True)
    session = d.VerifySession("E-7", KIAN, consecutive_frames=1, door_open_s=5, clock=clock)
    assert session.update(match) == d.verification("E-7", KIAN, match, door_open_s=5)
    no_face = d.verification("E-7", KIAN, None)
    assert no_face.kind == DecisionKind.REFUSED and not no_face.accepted and no_face.detail == "no face"
    assert no_face.log_fields()["distance"] is None


def test_sessions_and_trackers_read_the_settings(tmp_path):
    from tests.ui_helpers import make_settings

    settings = make_settings(tmp_path, consecutive_frames=4, cooldown_s=3, door_open_s=2,
                             verify_timeout_s=5)
    t = d.RecognizeTracker.from_settings(settings)
    assert (t.consecutive_frames, t.cooldown_s, t.door_open_s) == (4, 3, 2)
    s = d.VerifySession.from_settings("kian", KIAN, settings)
    assert (s.timeout_s, s.consecutive_frames) == (5, 4)



@pytest.mark.parametrize("refuse", [lambda dec: dec.presentation_attack(0.01),
                                    lambda dec: dec.challenge_failed("timeout")])
def test_an_attack_or_a_failed_head_turn_is_worded_as_the_modes_own_refusal(clock, refuse):
    """Nothing at the door tells an attacker that the face matched and only the check stopped them."""
    welcome, = feed(d.RecognizeTracker(1, clock=clock), [[known(7, "kian")]])
    verified = d.verification("E-8", KIAN, verify_match(0.6))
    wrong_face = d.verification("E-8", KIAN, verify_match(1.3))
    assert refuse(welcome).message == d.recognition(None).message == d.STRANGER_MESSAGE
    assert refuse(verified).message == wrong_face.message == d.REFUSAL_MESSAGE
    assert not refuse(verified).accepted and refuse(verified).door_open_s == 0

# --- log and marks ------------------------------------------------------------------------
def test_every_decision_kind_can_be_logged(tmp_path, clock):
    store = SqliteStore.open(tmp_path / "kiosk.sqlite3")
    try:
        welcome, = feed(d.RecognizeTracker(1, clock=clock), [[known(99, "ghost")]])
        timed_out = d.VerifySession("kian", KIAN, timeout_s=0, clock=clock).poll()
        for decision in (welcome, d.unknown_claim("nobody"), timed_out):
            event = store.log_event(decision.mode, **decision.log_fields())
            assert event.accepted == decision.accepted and event.mode == decision.mode
        events = store.events()
        assert [e.identity for e in events] == [None, None, "ghost"]
        assert events[1].claimed == "nobody" and events[0].claimed == "kian"
    finally:
        store.close()


def test_marks_show_names_unknowns_or_nothing():
    faces = [known(7, "younes"), stranger()]
    marks = d.marks_for(faces)
    assert [(m.label, m.state) for m in marks] == [("younes", MarkState.KNOWN), ("unknown", MarkState.UNKNOWN)]
    assert marks[0].box_xywh == (10, 20, 100, 120)
    assert {m.state for m in d.marks_for(faces, show_names=False)} == {MarkState.NEUTRAL}

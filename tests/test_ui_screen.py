"""The front-desk screen with the colour-card fakes: fast, headless, every behaviour."""
import gc
import os
import signal
import subprocess
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from kiosk.core import fakes
from kiosk.core.base.errors import CameraError, WeightsError  # noqa: E402
from kiosk.core.base.vocabulary import DecisionKind, MarkState, Mode  # noqa: E402
from kiosk.core.frontdesk import decisions as d  # noqa: E402
from kiosk.ui.main_window import STARTING_TEXT  # noqa: E402
from kiosk.ui.widgets import IDLE_TEXT  # noqa: E402
from tests.test_desk import damaged_pad_copy, engine_at_level_off  # noqa: E402
from tests.ui_helpers import (  # noqa: E402
    BLUE,
    CARD_PEOPLE,
    EMPTY,
    FAST_BACKOFF,
    GREEN,
    RED,
    Kiosk,
    ScriptedPrompter,
    banner_text,
    card_frame,
    kiosk_threads,
    kiosks,
    make_settings,
    python_threads,
)


@pytest.fixture
def kiosk(qtbot, tmp_path):
    yield from kiosks(qtbot, tmp_path, people=CARD_PEOPLE)


def test_window_opens_at_once_then_the_model_becomes_ready(kiosk, qtbot):
    t0 = time.perf_counter()
    k = kiosk(engine_factory=lambda s: fakes.fake_engine(s, load_delay_s=0.6))
    assert k.window.isVisible() and time.perf_counter() - t0 < 2.0
    assert k.controller.model.state == "starting"
    assert k.window.panel.title.text() == STARTING_TEXT
    k.wait_ready()
    assert k.window.panel.title.text() == "Welcome! Please look at the camera"
    k.window.refresh_status()
    assert "model ready" in k.window.status_line.text()


def test_a_kiosk_with_nobody_enrolled_tells_the_admin_what_to_do(kiosk, qtbot):
    from kiosk.ui.widgets import NOBODY_ENROLLED

    k = kiosk(people={})
    qtbot.waitUntil(lambda: k.window.panel.detail.text() == NOBODY_ENROLLED, timeout=5000)
    fakes.enrol_cards(k.store, {"Carol": "green"})  # the front desk notices by itself
    qtbot.waitUntil(lambda: k.window.panel.detail.text() == "", timeout=5000)


def test_enrolled_person_is_welcomed_and_logged(kiosk, qtbot):
    k = kiosk(card_frame(RED))
    decision = k.wait_decision(DecisionKind.WELCOME)
    assert decision.message == "Welcome, Alice" and decision.door_open_s == 1.0
    assert k.window.panel.title.text() == "Welcome, Alice"
    assert k.window.panel.style_name == "good"
    event = k.store.events()[0]
    assert event.accepted and event.identity == "Alice" and event.mode == "recognize"
    k.window.refresh_status()
    assert "door OPEN" in k.window.status_line.text()
    def door_closed():
        k.window.refresh_status()
        return "door closed" in k.window.status_line.text()

    qtbot.waitUntil(door_closed, timeout=3000)


def test_once_the_door_closes_the_screen_no_longer_says_it_is_open(kiosk, qtbot):
    """Alice stays in view after her welcome: the panel keeps her name, but once the door
    shuts (door_open_s) no visible text may still say it is open."""
    from PySide6.QtWidgets import QLabel

    k = kiosk(card_frame(RED), door_open_s=1.0)
    doors = []
    k.controller.doorChanged.connect(doors.append)
    k.wait_decision(DecisionKind.WELCOME)
    qtbot.waitUntil(lambda: doors == [True], timeout=3000)
    assert "Door open" in k.window.panel.detail.text()
    qtbot.waitUntil(lambda: doors == [True, False], timeout=3000)
    k.window.refresh_status()
    shown = [label.text() for label in k.window.findChildren(QLabel) if label.isVisible()]
    assert not any("door open" in text.lower() for text in shown), shown
    assert k.window.panel.title.text() == "Welcome, Alice" and k.window.panel.style_name == "good"
    assert "door closed" in k.window.status_line.text()


def test_face_boxes_carry_the_name(kiosk, qtbot):
    k = kiosk(card_frame(RED, ("green", (450, 100, 120, 150))))
    view = k.window.live_view
    qtbot.waitUntil(lambda: view.shown_marks() is not None and len(view.shown_marks().marks) == 2,
                    timeout=5000)
    labels = sorted((m.label, m.state) for m in view.shown_marks().marks)
    assert labels == [("Alice", MarkState.KNOWN), ("unknown", MarkState.UNKNOWN)]


def test_a_stranger_is_sent_to_reception(kiosk):
    k = kiosk(card_frame(GREEN))
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.STRANGER
    assert k.window.panel.title.text() == "Not recognized — please see reception"
    assert not k.store.events()[0].accepted


def test_cooldown_keeps_one_welcome_per_visit(kiosk, qtbot):
    k = kiosk(card_frame(RED))
    k.wait_decision(DecisionKind.WELCOME)
    qtbot.wait(800)
    assert [x.kind for x in k.decisions] == [DecisionKind.WELCOME]
    assert len(k.store.events()) == 1


def test_a_quick_second_welcome_does_not_repeat_the_headline(kiosk, qtbot):
    k = kiosk(card_frame(RED), cooldown_s=0.2)  # re-announced within TOGETHER_S
    qtbot.waitUntil(lambda: len(k.decisions) >= 3, timeout=5000)
    assert {x.message for x in k.decisions} == {"Welcome, Alice"}
    assert banner_text(k.window).count("Welcome, Alice") == 1
    assert k.window.panel.title.text() == "Welcome, Alice"


def test_two_people_at_once_are_each_welcomed(kiosk):
    k = kiosk(card_frame(("red", (60, 100, 150, 180)), ("blue", (400, 100, 150, 180))))
    k.wait_decision(DecisionKind.WELCOME)
    k.qtbot.waitUntil(lambda: len(k.decisions) == 2, timeout=3000)
    assert sorted(x.name for x in k.decisions) == ["Alice", "Bob"]
    assert banner_text(k.window) in ("Welcome, Alice and Bob\nDoor open — please come in",
                                     "Welcome, Bob and Alice\nDoor open — please come in")


def test_staff_with_a_stranger_get_one_clear_message_and_no_open_door(kiosk):
    k = kiosk(card_frame(("red", (40, 120, 140, 170)), ("blue", (250, 120, 140, 170)),
                         ("green", (460, 120, 140, 170))))
    doors = []
    k.controller.doorChanged.connect(doors.append)
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.GROUP
    assert banner_text(k.window) == "One at a time, please — the door opens for one person\n"
    k.qtbot.wait(300)
    assert doors == [] and [d.kind for d in k.decisions] == [DecisionKind.GROUP]


def test_the_head_turn_challenge_is_prompted_on_screen_before_the_welcome(kiosk, qtbot):
    k = kiosk(card_frame(RED), security_level="passive+challenge")
    qtbot.waitUntil(lambda: any("turn your head" in p for p in k.prompts), timeout=5000)
    assert k.window.panel.style_name == "prompt" and "turn your head" in k.window.panel.title.text()
    assert k.decisions == []  # held: no welcome, no door, until the head turns
    first, second = k.controller.desk.pending.check.order
    turned = {"left": 0.2, "right": -0.2}
    k.show(card_frame((*RED, turned[first])))
    qtbot.waitUntil(lambda: any(p.startswith("Thank you. Now") for p in k.prompts), timeout=5000)
    k.show(card_frame(RED))  # on the way round
    qtbot.wait(200)
    k.show(card_frame((*RED, turned[second])))
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.WELCOME and decision.name == "Alice"
    assert k.store.events()[0].accepted


def test_a_stranger_who_stays_is_not_invited_again_and_tags_leave_with_the_face(kiosk, qtbot):
    from kiosk.ui import decision_panel

    k = kiosk(card_frame(GREEN), cooldown_s=60)
    k.wait_decision(DecisionKind.STRANGER)
    qtbot.wait(int(decision_panel.MIN_SHOW_S * 1000) + 800)  # the answer's time is over...
    assert k.window.panel.title.text() == "Not recognized — please see reception"  # ...they stay
    k.show(EMPTY)
    qtbot.waitUntil(lambda: k.window.live_view.shown_marks() is None
                    or not k.window.live_view.shown_marks().marks, timeout=1000)
    qtbot.waitUntil(lambda: k.window.panel.style_name == "idle", timeout=3000)


def test_a_camera_that_drops_out_greys_the_picture_and_stops_inviting(kiosk, qtbot):
    k = kiosk(card_frame(RED))
    k.wait_decision(DecisionKind.WELCOME)
    k.camera.unplug()
    qtbot.waitUntil(lambda: k.window.live_view.trouble != "", timeout=5000)
    assert k.window.live_view.shown_marks() is None
    qtbot.waitUntil(lambda: k.window.panel.title.text().startswith("The camera is not working"),
                    timeout=8000)


def test_a_locked_log_keeps_the_screen_responsive_and_the_door_shut(kiosk, qtbot):
    """Another program holds the database's write lock: the decision waits for it on the
    analysis thread (the screen keeps drawing), cannot be logged, so the door stays shut."""
    import sqlite3

    from PySide6.QtCore import QTimer

    k = kiosk(EMPTY)
    k.wait_ready()
    doors = []
    k.controller.doorChanged.connect(doors.append)
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    blocker = sqlite3.connect(k.store.path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        timer.start()
        k.show(card_frame(RED))
        decision = k.wait_decision(timeout_ms=10000)
        timer.stop()
    finally:
        blocker.rollback()
        blocker.close()
    assert decision.kind == DecisionKind.NOT_LOGGED and not decision.accepted
    assert "see reception" in k.window.panel.title.text() and True not in doors
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 20 and max(gaps) < 0.5, f"the GUI thread stalled {max(gaps):.2f} s"


# --- verify mode --------------------------------------------------------------------------
def claim(k, text):
    """Type like a badge reader: characters into the window, then Enter."""
    k.qtbot.keyClicks(k.window.claim_entry.edit, text)
    k.qtbot.keyClick(k.window.claim_entry.edit, Qt.Key.Key_Return)


def test_verify_accepts_the_right_face(kiosk):
    k = kiosk(card_frame(RED), mode="verify")
    k.wait_ready()
    assert k.window.claim_entry.isVisible()
    assert k.window.panel.title.text() == "Scan your badge or type your employee ID"
    claim(k, "E-Alice")
    decision = k.wait_decision()
    assert k.prompts[0] == "Please look at the camera"  # never the claimed name
    assert decision.kind == DecisionKind.VERIFIED and decision.message == "Welcome, Alice"
    event = k.store.events()[0]
    assert event.mode == "verify" and event.claimed == "E-Alice" and event.accepted


def test_verify_refuses_a_stolen_badge(kiosk):
    k = kiosk(card_frame(RED), mode="verify")
    k.wait_ready()
    claim(k, "Bob")
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.REFUSED and decision.message == d.REFUSAL_MESSAGE
    assert not k.store.events()[0].accepted


def test_someone_enrolled_from_the_command_line_meanwhile_can_verify(kiosk, qtbot):
    """The desk's gallery predates them: the claim checks the store's revision first."""
    k = kiosk(card_frame(GREEN), mode="verify")
    k.wait_ready()
    qtbot.waitUntil(lambda: k.controller.worker.meter.rate() > 0, timeout=5000)
    fakes.enrol_cards(k.store, {"Carol": "green"}, {"Carol": "E-Carol"})  # like `kiosk enroll`
    claim(k, "E-Carol")
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.VERIFIED and decision.message == "Welcome, Carol"


def test_a_claim_made_before_the_model_was_ready_for_someone_it_cannot_check(kiosk, qtbot):
    """Dave has templates of another model only; claimed while the model still loads, the
    claim waits for the model, then says he has no photos (not "could not see you")."""
    import numpy as np

    def dave(store):
        store.enrol("Dave", [np.eye(1, 512, 5, dtype=np.float32)[0]], model_id="another-model")

    k = kiosk(card_frame(RED), mode="verify", enrol=dave, verify_timeout_s=8.0,
              engine_factory=lambda s: fakes.fake_engine(s, load_delay_s=0.5))
    claim(k, "Dave")
    assert k.controller.model.state == "starting" and k.decisions == []
    decision = k.wait_decision(timeout_ms=5000)
    assert decision.kind == DecisionKind.NO_TEMPLATES and "Dave has no photos" in decision.detail
    assert decision.message == d.REFUSAL_MESSAGE


def test_badge_typed_while_focus_is_elsewhere_still_lands(kiosk):
    k = kiosk(card_frame(RED), mode="verify")
    k.wait_ready()
    k.window.live_view.setFocus()
    k.qtbot.keyClicks(k.window, "Alice")
    k.qtbot.keyClick(k.window.claim_entry.edit, Qt.Key.Key_Return)
    assert k.wait_decision().kind == DecisionKind.VERIFIED


def test_unknown_id_gets_a_polite_answer(kiosk):
    k = kiosk(card_frame(RED), mode="verify")
    claim(k, "E-999")
    decision = k.wait_decision()
    assert decision.kind == DecisionKind.UNKNOWN_CLAIM and "Sorry" in k.window.panel.title.text()
    assert k.store.events()[0].claimed == "E-999"


def test_verify_times_out_when_no_face_comes(kiosk):
    k = kiosk(EMPTY, mode="verify", verify_timeout_s=1.0)
    k.wait_ready()
    claim(k, "Alice")
    decision = k.wait_decision(timeout_ms=4000)
    assert decision.kind == DecisionKind.TIMED_OUT and "try again" in k.window.panel.title.text()
    assert k.controller.desk.session is None


# --- camera trouble -----------------------------------------------------------------------
def test_camera_drop_out_shows_a_banner_and_recovers(kiosk, qtbot):
    k = kiosk(card_frame(BLUE))
    qtbot.waitUntil(lambda: k.controller.camera_status().ok, timeout=5000)
    k.camera.unplug()
    qtbot.waitUntil(lambda: k.window.banner.isVisible(), timeout=5000)
    assert "dropped out" in k.window.banner.label.text()
    assert not k.window.banner.file_button.isVisible()  # the camera worked: just wait
    k.camera.plug()
    qtbot.waitUntil(lambda: not k.window.banner.isVisible(), timeout=5000)
    assert k.window.isVisible()


def test_scripted_drop_out_by_frame_index_recovers_by_itself(kiosk, qtbot):
    seen = []
    k = kiosk(card_frame(BLUE))
    k.camera.fail_between = (k.camera.attempts + 10, k.camera.attempts + 14)
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and not (seen and not k.window.banner.isVisible()):
        qtbot.wait(20)
        if k.window.banner.isVisible():
            seen.append(k.window.banner.label.text())
    assert seen and not k.window.banner.isVisible()


def test_no_camera_at_all_still_opens_and_offers_a_video(kiosk, qtbot):
    def no_camera():
        raise CameraError("No camera 0 found")

    k = kiosk(camera=no_camera)
    qtbot.waitUntil(lambda: k.window.banner.isVisible(), timeout=5000)
    assert "No camera" in k.window.banner.label.text()
    assert k.window.banner.file_button.isVisible() and k.window.banner.folder_button.isVisible()
    k.controller.set_camera(lambda: fakes.ScriptedCamera([card_frame(RED)]))
    assert k.wait_decision(DecisionKind.WELCOME).name == "Alice"
    qtbot.waitUntil(lambda: not k.window.banner.isVisible(), timeout=5000)


def test_model_failure_is_a_calm_banner_and_the_preview_goes_on(kiosk, qtbot):
    def broken(_settings):
        raise WeightsError("weights missing: run `kiosk fetch-weights`")

    k = kiosk(card_frame(RED), engine_factory=broken)
    qtbot.waitUntil(lambda: k.controller.model.state == "failed", timeout=5000)
    k.window.refresh_status()
    assert "weights missing" in k.window.banner.label.text() and k.window.banner.isVisible()
    assert "unavailable" in k.window.panel.title.text()
    qtbot.waitUntil(lambda: k.window.live_view.fps() > 5, timeout=5000)


UNAVAILABLE = "Face recognition is unavailable — please see reception"


def test_a_security_level_whose_model_is_damaged_shuts_the_door_and_says_why(qtbot, tmp_path):
    """The admin raises the level at run time; a model file fails its sha256: the screen says
    so, the door stays shut, the level is not dropped; setting "off" again makes it ready."""
    from kiosk.core.storage.sqlite import SqliteStore
    from kiosk.ui.app import build_window

    settings = make_settings(tmp_path, consecutive_frames=2, door_open_s=1.0, security_level="off")
    store = SqliteStore.open(settings.database_path)
    fakes.enrol_cards(store, CARD_PEOPLE)
    camera = fakes.ScriptedCamera([EMPTY], fps=30.0)
    window = build_window(settings, store, camera=lambda: camera, engine_factory=engine_at_level_off,
                          prompter=ScriptedPrompter(), camera_backoff_s=FAST_BACKOFF,
                          liveness_dir=damaged_pad_copy(tmp_path / "pad"))
    c, made, doors = window.controller, [], []
    c.decided.connect(made.append)
    c.doorChanged.connect(doors.append)
    try:
        window.start()
        qtbot.waitUntil(lambda: c.model.state == "ready", timeout=10000)
        c.apply_settings(settings.replace(security_level="passive"))  # as the settings dialog does
        qtbot.waitUntil(lambda: c.model.state == "failed", timeout=10000)
        window.refresh_status()
        assert window.panel.title.text() == UNAVAILABLE
        assert "anti-spoofing model" in window.banner.label.text() and window.banner.isVisible()
        assert "model failed" in window.status_line.text()
        camera.show([card_frame(RED)])
        qtbot.waitUntil(lambda: any(x.kind == DecisionKind.ATTACK for x in made), timeout=10000)
        assert not any(x.accepted for x in made) and True not in doors
        assert c.desk.settings.security_level == "passive"  # never silently lower
        camera.show([EMPTY])
        qtbot.waitUntil(lambda: window.panel.title.text() == UNAVAILABLE, timeout=10000)
        c.apply_settings(settings.replace(security_level="off"))
        qtbot.waitUntil(lambda: c.model.state == "ready", timeout=10000)
        assert window.panel.title.text() == IDLE_TEXT[Mode.RECOGNIZE]
        window.refresh_status()
        assert not window.banner.isVisible() and "model ready" in window.status_line.text()
        camera.show([card_frame(RED)])
        qtbot.waitUntil(lambda: any(x.kind == DecisionKind.WELCOME for x in made), timeout=10000)
        qtbot.waitUntil(lambda: True in doors, timeout=5000)
    finally:
        window.force_close()
        store.close()
    assert not c.threads_running()


# --- jobs on the analysis thread -----------------------------------------------------------
def test_jobs_deliver_even_when_the_caller_drops_the_handle(kiosk, qtbot):
    k = kiosk()
    k.wait_ready()
    got = []
    for i in range(300):  # handles dropped at once, results to a plain callable
        k.controller.submit(lambda _desk, i=i: i).returned.connect(got.append)
    qtbot.waitUntil(lambda: len(got) == 300, timeout=10000)
    assert got == list(range(300))
    qtbot.waitUntil(lambda: k.controller.worker.jobs_in_flight() == 0, timeout=2000)  # then released


def test_a_job_reaches_slots_connected_just_after_submitting_it(kiosk, qtbot):
    """The analysis thread is idle and would run the job at once; the caller connects after."""
    k = kiosk()
    k.wait_ready()
    results = []
    for i in range(5):
        handle = k.controller.submit(lambda _desk, i=i: i)
        time.sleep(0.2)  # the GUI thread busy a moment (a slow paint, a loaded machine)
        handle.returned.connect(results.append)
    qtbot.waitUntil(lambda: len(results) == 5, timeout=5000)
    assert results == list(range(5))


def test_garbage_is_collected_on_the_gui_thread_only(qtbot, tmp_path):
    """kiosk.ui.qt_compat.MainThreadGc: a Qt object collected on a worker thread crashes."""
    collected_on = []

    def note(phase, _info):
        if phase == "start":
            collected_on.append(threading.current_thread().name)

    def make_cycles(_desk):
        for _ in range(20000):  # far past the threshold of an automatic collection
            cycle = []
            cycle.append(cycle)
        return True

    k = Kiosk(qtbot, tmp_path, [card_frame(RED)], people=CARD_PEOPLE)
    k.wait_ready()
    gc.callbacks.append(note)
    try:
        done = []
        handle = k.controller.submit(make_cycles)
        handle.returned.connect(done.append)
        qtbot.waitUntil(lambda: bool(done and collected_on), timeout=5000)
    finally:
        gc.callbacks.remove(note)
        k.close()
    assert set(collected_on) == {"MainThread"}
    assert gc.isenabled()  # automatic again once the kiosk is closed


# --- closing ------------------------------------------------------------------------------
def test_closing_stops_every_thread(qtbot, tmp_path):
    baseline = python_threads()
    k = Kiosk(qtbot, tmp_path, [card_frame(RED)], people=CARD_PEOPLE)
    k.wait_decision(DecisionKind.WELCOME)
    assert kiosk_threads() == {"kiosk-capture"}
    assert k.controller.worker.isRunning()
    k.close()
    assert not k.controller.worker.isRunning() and not k.controller.capture.is_running()
    assert python_threads() <= baseline


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_close_cleanly(tmp_path, signum):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIOSK_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--log-level", "info", "gui", "--demo"],
                            env=env, stderr=subprocess.PIPE, text=True, cwd=os.getcwd())
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "window shown" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signum)
    out = proc.communicate(timeout=20)[1]
    assert proc.returncode == 0, "".join(lines) + out
    assert f"signal {signal.Signals(signum).name}: closing the kiosk" in out


def test_run_gui_smoke_closes_by_itself(qapp, tmp_path):
    from kiosk.ui.app import run_gui
    from tests.ui_helpers import make_settings

    t0 = time.monotonic()
    assert run_gui(make_settings(tmp_path), demo=True, quit_after_ms=800) == 0
    assert time.monotonic() - t0 < 10
    assert not kiosk_threads()


def test_switching_away_from_a_hung_camera_does_not_freeze_the_window(kiosk, qtbot):
    from tests.test_camera import HungCamera

    hung = HungCamera()
    k = kiosk(camera=lambda: hung)
    qtbot.waitUntil(hung.blocked.is_set, timeout=5000)
    t0 = time.monotonic()
    k.controller.set_camera(lambda: k.camera)  # the scripted camera of the fixture
    assert time.monotonic() - t0 < 1.5
    qtbot.waitUntil(lambda: k.controller.camera_status().ok, timeout=5000)
    hung.release.set()


def test_chimes_only_when_the_setting_asks_and_a_different_one_for_a_refusal(qtbot, tmp_path):
    from kiosk.ui.sound import Chimes
    from tests.ui_helpers import Kiosk

    played = []

    def player(path):
        played.append((path.name, path.read_bytes()))

    quiet = Kiosk(qtbot, tmp_path / "quiet", [card_frame(RED)], people=CARD_PEOPLE, chimes=Chimes(player))
    quiet.wait_decision(DecisionKind.WELCOME)
    quiet.close()
    assert played == []
    loud = Kiosk(qtbot, tmp_path / "loud", [card_frame(RED)], people=CARD_PEOPLE, chimes=Chimes(player),
                 sound=True)
    loud.wait_decision(DecisionKind.WELCOME)
    loud.show(card_frame(GREEN))
    loud.wait_decision(DecisionKind.STRANGER)
    loud.close()
    (first, welcome), (last, refusal) = played[0], played[-1]
    assert (first, last) == ("welcome.wav", "refusal.wav") and welcome[:4] == b"RIFF"
    assert welcome != refusal

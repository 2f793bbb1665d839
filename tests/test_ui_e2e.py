"""End to end with the REAL engine (MTCNN + FaceNet) and real faces on a scripted camera:
the front-door scenario of ../shared/testdata/README.md, played through the screen."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from kiosk.core.base.imageio import read_image_rgb  # noqa: E402
from kiosk.core.base.vocabulary import DecisionKind
from kiosk.core.frontdesk import decisions as d  # noqa: E402
from kiosk.ui.main_window import STARTING_TEXT  # noqa: E402
from kiosk.ui.worker import real_engine  # noqa: E402
from tests.conftest import LFW, SEED, STAFF, seed_photo  # noqa: E402
from tests.ui_helpers import (  # noqa: E402
    EMPTY,
    Kiosk,
    banner_text,
    kiosk_threads,
    kiosks,
    open_enrol,
    photo_frame,
    python_threads,
)

pytestmark = pytest.mark.slow
NEWCOMER = "Alec_Baldwin"  # an LFW person, not one of the 12


@pytest.fixture(scope="module")
def staff_templates(engine):
    """(name, embedding) of the 12 seed photos, computed once."""
    return [(name, engine.encode_one(read_image_rgb(seed_photo(name)), name)[1])
            for name in STAFF]


@pytest.fixture
def kiosk(qtbot, tmp_path, engine, staff_templates):
    def enrol_staff(store):
        for name, embedding in staff_templates:
            store.enrol(name, [embedding], model_id=engine.model_id, employee_id=f"E-{name}")

    yield from kiosks(qtbot, tmp_path, enrol=enrol_staff, engine_factory=lambda _s: engine)


def camera_shot(i: int):
    return photo_frame(SEED / f"camera_{i}.jpg")


def lfw(i: int):
    return photo_frame(LFW / NEWCOMER / f"{NEWCOMER}_{i:04d}.jpg", scale=1.8)


def test_younes_is_welcomed_in_recognize_mode(kiosk, qtbot):
    k = kiosk(photo_frame(seed_photo("younes")))
    decision = k.wait_decision(timeout_ms=30000)
    assert decision.kind == DecisionKind.WELCOME and decision.message == "Welcome, younes"
    assert k.window.panel.title.text() == "Welcome, younes"
    assert banner_text(k.window).count("Welcome, younes") == 1  # the headline, once
    event = k.store.events()[0]
    assert event.accepted and event.identity == "younes" and event.mode == "recognize"
    qtbot.waitUntil(lambda: k.window.live_view.fps() > 10, timeout=5000)  # preview stays smooth


def test_the_door_camera_probes_are_named(kiosk):
    k = kiosk(camera_shot(4))
    assert k.wait_decision(timeout_ms=30000).name == "dan"


def test_verify_refuses_benoit_with_kians_card(kiosk):
    k = kiosk(camera_shot(2), mode="verify")
    k.wait_ready(30000)
    assert k.controller.claim("kian") is None  # a session starts
    decision = k.wait_decision(timeout_ms=30000)
    assert decision.kind == DecisionKind.REFUSED and decision.message == d.REFUSAL_MESSAGE
    assert not k.store.events()[0].accepted and k.store.events()[0].claimed == "kian"


def test_verify_accepts_younes_with_his_own_card(kiosk):
    k = kiosk(camera_shot(0), mode="verify")
    k.wait_ready(30000)
    k.controller.claim("E-younes")
    decision = k.wait_decision(timeout_ms=30000)
    assert decision.kind == DecisionKind.VERIFIED and decision.message == "Welcome, younes"
    assert k.window.panel.style_name == "good"


def test_enrol_a_newcomer_then_the_next_frames_recognise_them(kiosk, qtbot):
    k = kiosk(*([lfw(2)] * 8 + [lfw(4)] * 8), fps=15)
    k.wait_ready(30000)
    dialog = open_enrol(k, qtbot, auto_interval_s=0.1)
    dialog.name_edit.setText("Alec")
    dialog.start_button.click()
    qtbot.waitUntil(lambda: len(dialog.shots) == 2, timeout=30000)  # the two straight ones
    assert dialog.guide.wanted(dialog.shots) == "left"  # his photos are not turned enough
    qtbot.waitUntil(lambda: dialog.shot_button.isEnabled(), timeout=30000)
    dialog.shot_button.click()  # the admin takes a third one by hand
    assert len(dialog.shots) == 3 and all(s.duplicate is None for s in dialog.shots)  # not one of the 12
    dialog.save()
    assert k.pin.questions == [] and k.store.find_person("Alec").template_count == 3
    k.show(lfw(3))  # a photo that was not enrolled
    decision = k.wait_decision(DecisionKind.WELCOME, timeout_ms=30000)
    assert decision.name == "Alec"


def test_models_are_built_on_the_worker_while_the_window_is_up(kiosk):
    k = kiosk(EMPTY, engine_factory=real_engine)
    assert k.window.isVisible() and k.window.panel.title.text() == STARTING_TEXT
    k.wait_ready(60000)
    assert k.controller.model_id.startswith("facenet")
    assert k.window.panel.title.text() == "Welcome! Please look at the camera"


def test_camera_drop_out_and_recovery_then_clean_close(qtbot, tmp_path, engine):
    baseline = python_threads()
    k = Kiosk(qtbot, tmp_path, [photo_frame(seed_photo("kian"))],
              engine_factory=lambda _s: engine)
    k.wait_ready(30000)
    qtbot.waitUntil(lambda: k.controller.camera_status().ok, timeout=5000)
    k.camera.unplug()
    qtbot.waitUntil(lambda: k.window.banner.isVisible(), timeout=5000)
    assert "dropped out" in k.window.banner.label.text()
    k.camera.plug()
    qtbot.waitUntil(lambda: not k.window.banner.isVisible(), timeout=5000)
    k.close()
    assert not k.controller.threads_running() and not kiosk_threads()
    assert python_threads() <= baseline

"""Enrolment quality checks and the live analysis step, with the colour-card fakes."""
import cv2
import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.base.types import Face
from kiosk.core.frontdesk import live
from kiosk.core.recognition.matching import Gallery
from kiosk.core.vision import quality
from tests.ui_helpers import BLUE, RED, card_frame


def rgb(frame_bgr):
    return np.ascontiguousarray(frame_bgr[..., ::-1])


@pytest.fixture(scope="module")
def engine():
    return fakes.FakeEngine()


def assess(frame_bgr, engine):
    image_rgb = rgb(frame_bgr)
    return quality.assess(image_rgb, engine.detect(image_rgb))


def test_a_good_shot_passes(engine):
    report = assess(card_frame(RED), engine)
    assert report.ok and report.usable and report.score == 1.0
    assert report.message == "Good — hold still"


@pytest.mark.parametrize("faces, advice", [((), "Step in front"), ((RED, ("blue", (20, 20, 120, 150))), "Only one")])
def test_exactly_one_face(engine, faces, advice):
    report = assess(card_frame(*faces), engine)
    assert not report.ok and not report.usable and report.message.startswith(advice)


def test_too_small_is_told_to_come_closer(engine):
    report = assess(card_frame(("red", (300, 200, 50, 60))), engine)
    assert report.problems[0] == "Come closer" and not report.usable


def test_blur_darkness_and_turning_are_caught(engine):
    blurred = cv2.GaussianBlur(card_frame(RED), (0, 0), 6)
    face = engine.detect(rgb(card_frame(RED)))[0]
    assert "Hold still" in quality.assess(rgb(blurred), [face]).message
    dark = (card_frame(RED) * 0.15).astype(np.uint8)
    assert any("Too dark" in p for p in quality.assess(rgb(dark), [face]).problems)
    turned = Face(face.box_xywh, 0.9, fakes.landmarks_for(face.box_xywh, turn=0.9))
    assert "Look straight" in quality.assess(rgb(card_frame(RED)), [turned]).message


def test_nose_offset():
    marks = {"left_eye": (100, 100), "right_eye": (160, 100), "nose": (130, 130)}
    assert quality.nose_offset(Face((80, 60, 100, 120), 1, marks)) == 0
    marks["nose"] = (145, 130)
    assert quality.nose_offset(Face((80, 60, 100, 120), 1, marks)) == pytest.approx(0.25)
    marks["nose"] = (170, 130)  # outside the eyes: turned away
    assert quality.nose_offset(Face((80, 60, 100, 120), 1, marks)) == 1.0


# --- live analysis ------------------------------------------------------------------------
def gallery_of(engine, **people):
    """people: name=colour; person ids 1.."""
    names, rows = {}, []
    for pid, (name, colour) in enumerate(people.items(), start=1):
        names[pid] = name
        frame_rgb = rgb(card_frame((colour, (250, 130, 150, 180))))
        rows.append(engine.embed(frame_rgb, engine.detect(frame_rgb))[0])
    ids = list(range(1, len(rows) + 1))
    return Gallery.from_arrays(np.stack(rows), ids, ids, names)


def test_recognize_task_identifies_every_face(engine):
    gallery = gallery_of(engine, alice="red")
    frame_rgb = rgb(card_frame(("red", (40, 40, 150, 180)), ("blue", (400, 60, 150, 180))))
    result = live.analyse_live(engine, frame_rgb, gallery, live.Task(), seq=5)
    matches = [f.match for f in result.analysis.faces]
    assert result.seq == 5 and result.frame_shape == (480, 640)
    assert [m.accepted for m in matches] == [True, False] and matches[0].name == "alice"
    assert result.verify_match is None and result.enrol is None


def test_live_analysis_is_the_engines_analysis_with_the_task_thresholds(engine, monkeypatch):
    gallery = gallery_of(engine, alice="red")
    frame_rgb = rgb(card_frame(RED))
    calls = []
    analyse = engine.analyse
    monkeypatch.setattr(engine, "analyse", lambda *args: calls.append(args) or analyse(*args))
    task = live.Task(identify_threshold=0.5)
    result = live.analyse_live(engine, frame_rgb, gallery, task)
    assert len(calls) == 1 and calls[0][1] is gallery and calls[0][2] == 0.5
    assert result.analysis.faces[0].match.threshold == 0.5
    a = result.analysis
    assert a.detect_ms >= 0 and a.embed_ms >= 0 and result.total_ms >= a.detect_ms + a.embed_ms


def test_live_analysis_before_the_gallery_is_loaded(engine):
    for task in (live.Task(), live.Task(live.VERIFY), live.Task(live.ENROL)):
        result = live.analyse_live(engine, rgb(card_frame(RED)), None, task)
        assert [f.match for f in result.analysis.faces] == [None]
        assert result.verify_match is None
    assert result.enrol.duplicate is None and result.enrol.quality.ok


def test_task_thresholds_default_to_the_models_calibrated_ones():
    from kiosk.core.base.specs import DEFAULT_MODEL

    task = live.Task()
    assert task.identify_threshold == DEFAULT_MODEL.identify_threshold
    assert task.verify_threshold == DEFAULT_MODEL.verify_threshold


def test_verify_task_checks_the_largest_face_against_the_claim(engine):
    gallery = gallery_of(engine, alice="red", bob="blue")
    frame_rgb = rgb(card_frame(("red", (40, 40, 200, 220)), ("blue", (400, 60, 100, 120))))
    as_bob = live.analyse_live(engine, frame_rgb, gallery, live.Task(live.VERIFY, 2))
    as_alice = live.analyse_live(engine, frame_rgb, gallery, live.Task(live.VERIFY, 1))
    assert not as_bob.verify_match.accepted and as_alice.verify_match.accepted
    nobody = live.analyse_live(engine, rgb(card_frame()), gallery, live.Task(live.VERIFY, 1))
    assert nobody.verify_match is None


def test_verify_mode_does_only_the_work_it_needs(engine, monkeypatch):
    """Idle: boxes only. With a claim: the largest face alone is embedded; never a 1:N search."""
    gallery = gallery_of(engine, alice="red", bob="blue")
    frame_rgb = rgb(card_frame(("red", (40, 40, 200, 220)), ("blue", (400, 60, 100, 120))))
    embedded = []
    embed = engine.embed
    monkeypatch.setattr(engine, "embed", lambda image, faces: embedded.append(len(faces)) or embed(image, faces))
    monkeypatch.setattr(type(gallery), "identify", lambda *a: pytest.fail("verify mode must not identify"))
    idle = live.analyse_live(engine, frame_rgb, gallery, live.Task(live.VERIFY))
    assert len(idle.analysis.faces) == 2 and embedded == [] and idle.verify_match is None
    claimed = live.analyse_live(engine, frame_rgb, gallery, live.Task(live.VERIFY, 1))
    assert embedded == [1] and claimed.verify_match.accepted
    assert claimed.analysis.faces[0].embedding is not None and claimed.analysis.faces[1].embedding is None


def test_a_claim_the_gallery_does_not_know_is_flagged_not_raised(engine):
    gallery = gallery_of(engine, alice="red")
    result = live.analyse_live(engine, rgb(card_frame(RED)), gallery, live.Task(live.VERIFY, 7))
    assert result.claim_without_templates and result.verify_match is None
    before_load = live.analyse_live(engine, rgb(card_frame(RED)), None, live.Task(live.VERIFY, 1))
    assert before_load.claim_without_templates


def test_enrol_task_gives_a_candidate_and_warns_of_look_alikes(engine):
    gallery = gallery_of(engine, alice="red")
    result = live.analyse_live(engine, rgb(card_frame(RED)), gallery, live.Task(live.ENROL))
    c = result.enrol
    assert c.quality.ok and c.embedding.shape == (engine.embedder.dim,)
    assert c.thumb_rgb.shape == (live.THUMB_PX, live.THUMB_PX, 3)
    assert c.duplicate is not None and c.duplicate.name == "alice"
    same_person = live.analyse_live(engine, rgb(card_frame(RED)), gallery,
                                    live.Task(live.ENROL, person_id=1))
    assert same_person.enrol.duplicate is None  # adding photos to alice herself
    fresh = live.analyse_live(engine, rgb(card_frame(BLUE)), gallery, live.Task(live.ENROL))
    assert fresh.enrol.duplicate is None


def test_encode_files_reports_unusable_photos(engine, tmp_path):
    good, empty, junk = tmp_path / "good.png", tmp_path / "empty.png", tmp_path / "junk.jpg"
    cv2.imwrite(str(good), card_frame(BLUE))
    cv2.imwrite(str(empty), card_frame())
    junk.write_bytes(b"nope")
    shots, errors = live.encode_files(engine, [good, empty, junk])
    assert [path for path, _ in shots] == [str(good)]
    assert shots[0][1].embedding is not None and len(errors) == 2
    assert any("no face" in e for e in errors)

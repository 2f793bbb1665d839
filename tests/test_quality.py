"""Enrolment quality checks, with the colour-card fakes."""
import cv2
import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.base.types import Face
from kiosk.core.vision import quality
from tests.ui_helpers import RED, card_frame


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
    away = Face(face.box_xywh, 0.9, fakes.landmarks_for(face.box_xywh, turn=0.9))
    assert quality.assess(rgb(card_frame(RED)), [away]).message == quality.TURNED_AWAY
    little = Face(face.box_xywh, 0.9, fakes.landmarks_for(face.box_xywh, turn=0.3))
    assert quality.assess(rgb(card_frame(RED)), [little]).ok  # which way is the guide's business


def test_a_face_without_landmarks_is_no_good_shot(engine):
    face = engine.detect(rgb(card_frame(RED)))[0]
    bare = Face(face.box_xywh, 0.9, {})
    assert quality.assess(rgb(card_frame(RED)), [bare]).message == quality.TURNED_AWAY

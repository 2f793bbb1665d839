"""The dominant-face rule of enrolment photos, on plain Face values (no models; instant).
The same rule on real photos through the real engine: tests/test_mtcnn_litert.py."""
from __future__ import annotations

import pytest

from kiosk.core.base.errors import MultipleFacesError
from kiosk.core.base.specs import DEFAULT_DETECTOR
from kiosk.core.base.types import Face
from kiosk.core.fakes import FakeEmbedder
from kiosk.core.recognition.engine import Engine, PhotoFace
from kiosk.core.vision.detection import dominant_face, log_odds

RULE = (DEFAULT_DETECTOR.dominant_area_ratio, DEFAULT_DETECTOR.dominant_max_other_score,
        DEFAULT_DETECTOR.dominant_log_odds_gap)


def face(side: int, score: float = 0.9999, at: int = 0) -> Face:
    return Face((at, at, side, side), score)


def test_one_face_dominates_trivially():
    only = face(100)
    assert dominant_face([only], *RULE) is only


def test_no_face_has_no_dominant():
    assert dominant_face([], *RULE) is None


def test_the_issues_desk_object_is_ignored():
    portrait = Face((100, 50, 229, 326), 0.9999)
    desk_object = Face((10, 400, 56, 56), 0.89)  # as in the issue
    assert dominant_face([portrait, desk_object], *RULE) is portrait


def test_a_colleague_far_behind_is_ignored_however_sure():
    person, colleague = face(180), face(27, 0.99999, at=300)
    assert dominant_face([person, colleague], *RULE) is person


@pytest.mark.parametrize("other_side", [90, 120, 180])
def test_two_sure_faces_of_like_size_are_several(other_side):
    assert dominant_face([face(180), face(other_side, 0.9999, at=200)], *RULE) is None


def test_a_smaller_but_surer_face_never_wins():
    # on LFW this picked a neighbour in full face over the subject in profile
    large_unsure, small_sure = face(120, 0.93), face(100, 0.99999, at=200)
    assert dominant_face([large_unsure, small_sure], *RULE) is None


def test_a_large_but_unsure_detection_is_ignored_beside_a_sure_face():
    sure, unsure = face(150, 0.99995), face(140, 0.92, at=200)
    assert log_odds(sure.confidence) - log_odds(unsure.confidence) >= RULE[2]
    assert dominant_face([sure, unsure], *RULE) is sure


def test_an_other_face_scoring_above_the_cap_is_never_far_less_sure():
    assert dominant_face([face(150, 0.9999999), face(140, 0.96, at=200)], *RULE) is None


class ListedFaces:
    """A detector that returns fixed faces."""

    min_face_px = 20

    def __init__(self, faces):
        self.faces = faces

    def detect(self, image_rgb, min_face_px=None):
        return list(self.faces)

    def warm_up(self, frame_hw=(480, 640)):
        pass


def test_encode_photo_says_which_face_it_took_and_which_it_ignored():
    import numpy as np

    person, desk_object = Face((100, 50, 229, 326), 0.9999), Face((10, 400, 56, 56), 0.89)
    engine = Engine(ListedFaces([person, desk_object]), FakeEmbedder(), 0.1, 20)
    photo = engine.encode_photo(np.zeros((480, 640, 3), np.uint8), "portrait.jpg")
    assert isinstance(photo, PhotoFace)
    assert photo.face is person and photo.ignored == (desk_object,)
    assert engine.encode_one(np.zeros((480, 640, 3), np.uint8))[0] is person


def test_encode_photo_keeps_several_faces_an_error():
    import numpy as np

    engine = Engine(ListedFaces([face(180), face(170, at=200)]), FakeEmbedder(), 0.1, 20)
    with pytest.raises(MultipleFacesError, match="2 faces found"):
        engine.encode_photo(np.zeros((480, 640, 3), np.uint8), "pair.jpg")

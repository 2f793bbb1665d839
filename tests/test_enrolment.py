"""Enrolment shots from the camera and from files (colour-card fakes, real image files)."""
import cv2
import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.frontdesk import enrolment
from kiosk.core.recognition.matching import Gallery
from tests.ui_helpers import BLUE, RED, card_frame


def rgb(frame_bgr):
    return np.ascontiguousarray(frame_bgr[..., ::-1])


@pytest.fixture(scope="module")
def engine():
    return fakes.FakeEngine()


@pytest.fixture
def alice(engine):
    frame_rgb = rgb(card_frame(RED))
    return Gallery.from_arrays(engine.embed(frame_rgb, engine.detect(frame_rgb)), [1], [1], {1: "alice"})


def test_a_live_frame_with_one_face_is_a_shot_with_a_look_alike_warning(engine, alice):
    frame_rgb = rgb(card_frame(RED))
    faces = engine.analyse(frame_rgb, alice, 1.0).faces
    candidate = enrolment.live_candidate(frame_rgb, faces, person_id=None)
    shot = candidate.shot
    assert candidate.quality.ok and shot.source == enrolment.CAMERA and shot.digest is None
    assert shot.embedding.shape == (engine.embedder.dim,)
    assert shot.thumb_rgb.shape == (enrolment.THUMB_PX, enrolment.THUMB_PX, 3)
    assert shot.duplicate is not None and shot.duplicate.name == "alice"
    mine = enrolment.live_candidate(frame_rgb, faces, person_id=1)  # adding photos to alice
    assert mine.shot.duplicate is None


def test_a_live_frame_without_exactly_one_face_gives_no_shot(engine, alice):
    two = rgb(card_frame(RED, ("blue", (20, 20, 120, 150))))
    candidate = enrolment.live_candidate(two, engine.analyse(two, alice, 1.0).faces, None)
    assert candidate.shot is None and candidate.quality.message.startswith("Only one")


def test_encode_files_lists_unusable_photos_and_already_enrolled_ones(engine, alice, tmp_path):
    good, empty, junk = tmp_path / "good.png", tmp_path / "empty.png", tmp_path / "junk.jpg"
    cv2.imwrite(str(good), card_frame(BLUE))
    cv2.imwrite(str(empty), card_frame())
    junk.write_bytes(b"nope")
    files = enrolment.encode_files(engine, [good, empty, junk], alice, 1.0)
    assert [s.source for s in files.shots] == ["good.png"] and len(files.errors) == 2
    assert any("no face" in e for e in files.errors) and files.already_enrolled == []
    again = enrolment.encode_files(engine, [good], alice, 1.0,
                                   skip_digests=frozenset({files.shots[0].digest}))
    assert again.shots == [] and again.already_enrolled == [str(good)]


def test_the_digest_is_of_the_pixels_not_the_file(tmp_path):
    image_bgr = card_frame(RED)
    cv2.imwrite(str(tmp_path / "a.png"), image_bgr)
    cv2.imwrite(str(tmp_path / "b.png"), image_bgr, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    from kiosk.core.base.imageio import read_image_rgb

    a, b = (read_image_rgb(tmp_path / n) for n in ("a.png", "b.png"))
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    assert enrolment.image_digest(a) == enrolment.image_digest(b)
    assert enrolment.image_digest(a) != enrolment.image_digest(a[:, ::-1].copy())


def _live_shot(engine, gallery, turn: float):
    frame_rgb = rgb(fakes.face_frame([("green", (220, 100, 200, 240), turn)]))
    return enrolment.live_candidate(frame_rgb, engine.analyse(frame_rgb, gallery, 1.0).faces, None)


def test_the_guide_asks_for_straight_then_left_then_right(engine, alice):
    guide, shots = enrolment.PoseGuide(), []
    straight, left, right = (_live_shot(engine, alice, t) for t in (0.0, 0.3, -0.3))
    assert guide.wanted(shots) == "straight" and guide.progress(shots) == (0, 4)
    assert guide.ready(straight, shots) and not guide.ready(left, shots)
    shots += [straight.shot, straight.shot]
    assert guide.wanted(shots) == "left" and not guide.ready(straight, shots)
    assert guide.advice(straight, shots) == "Turn your head a little to your left"
    assert guide.advice(left, shots) == "Good — hold still" and guide.ready(left, shots)
    shots.append(left.shot)
    assert guide.advice(left, shots) == "Turn your head a little to your right"
    shots.append(right.shot)
    assert guide.wanted(shots) is None and guide.progress(shots) == (4, 4)
    assert guide.advice(straight, shots) == enrolment.ALL_POSES_TAKEN and not guide.ready(straight, shots)


def test_removing_a_shot_brings_its_pose_back_and_extra_shots_do_not_count_twice(engine, alice):
    guide = enrolment.PoseGuide()
    straight, left = _live_shot(engine, alice, 0.0), _live_shot(engine, alice, 0.3)
    shots = [straight.shot] * 3 + [left.shot]
    assert guide.progress(shots) == (3, 4) and guide.wanted(shots) == "right"
    assert guide.wanted(shots[1:3]) == "left"


def test_quality_problems_come_before_the_pose(engine, alice):
    guide = enrolment.PoseGuide()
    small = rgb(fakes.face_frame([("green", (300, 220, 50, 60), 0.3)]))
    candidate = enrolment.live_candidate(small, engine.analyse(small, alice, 1.0).faces, None)
    assert guide.advice(candidate, []) == "Come closer" and not guide.ready(candidate, [])

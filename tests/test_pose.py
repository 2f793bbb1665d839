"""Head turn from the five landmarks: sign, size and the poses the enrolment guide asks for."""
import math

import numpy as np
import pytest

from kiosk.core import fakes
from kiosk.core.vision import pose

FRONTAL = {"left_eye": (100, 100), "right_eye": (160, 100), "nose": (130, 130),
           "mouth_left": (108, 160), "mouth_right": (152, 160)}


def turned(dx: float) -> dict:
    return {**FRONTAL, "nose": (130 + dx, 130)}


def test_a_frontal_face_has_no_turn():
    assert pose.nose_offset(FRONTAL) == 0 and pose.yaw_deg(FRONTAL) == 0
    assert pose.pose_of(pose.yaw_deg(FRONTAL)) == pose.STRAIGHT


@pytest.mark.parametrize("dx, side", [(15, pose.LEFT), (-15, pose.RIGHT)])
def test_nose_towards_image_right_is_the_persons_own_left(dx, side):
    offset = pose.nose_offset(turned(dx))
    assert offset == pytest.approx(dx / 60)  # in eye distances
    assert pose.yaw_deg(turned(dx)) == pytest.approx(math.copysign(math.degrees(math.atan(0.25 / 0.56)), dx))
    assert pose.pose_of(pose.yaw_deg(turned(dx))) == side


def test_the_turn_does_not_depend_on_size_position_or_roll():
    angle = math.radians(20)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points = np.array([turned(12)[n] for n in pose.LANDMARK_NAMES])
    moved = (points @ rot.T) * 2.5 + [300, -40]
    assert pose.yaw_deg(moved) == pytest.approx(pose.yaw_deg(points))


@pytest.mark.parametrize("bad", [None, {}, {**FRONTAL, "nose": (float("nan"), 1)},
                                 {**FRONTAL, "right_eye": (101, 100)},  # eyes together
                                 {**FRONTAL, "mouth_left": (152, 160), "mouth_right": (108, 160)}])
def test_unusable_landmarks_give_nan_and_no_pose(bad):
    assert math.isnan(pose.yaw_deg(bad)) and pose.pose_of(pose.yaw_deg(bad)) is None


def test_between_and_beyond_the_poses_is_no_pose():
    assert pose.pose_of(12.0) is None and pose.pose_of(-45.0) is None
    assert pose.pose_of(20.0) == pose.LEFT and pose.pose_of(-20.0) == pose.RIGHT


def test_the_fake_detector_reads_the_drawn_turn():
    import cv2

    for turn, side in ((0.0, pose.STRAIGHT), (0.3, pose.LEFT), (-0.3, pose.RIGHT)):
        frame = cv2.cvtColor(fakes.face_frame([("green", (200, 100, 200, 240), turn)]), cv2.COLOR_BGR2RGB)
        face = fakes.FakeDetector().detect(frame)[0]
        assert pose.pose_of(pose.yaw_deg(face.landmarks)) == side

"""The head-turn challenge's geometry and step machine, on a five-point 3-D head model and on
flat pictures of it (a print or a phone) moved the same way. (The measured numbers on real
photos, rendered attacks and LFW pairs come from `kiosk evaluate-challenge`.)"""
import math
import random

import numpy as np
import pytest

from kiosk.core.vision import pose
from kiosk.core.vision.challenge import ChallengeCheck, ChallengeSettings, parallax

# an average face in eye distances: camera x right, y down, z away from the camera; the nose
# tip pose.NOSE_DEPTH_IOD in front of the plane of the eyes and mouth corners
HEAD = np.array([[-0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.55, -0.56], [-0.4, 1.1, 0.0], [0.4, 1.1, 0.0]])
PHOTO = HEAD * [1, 1, 0]  # the same face printed: its nose on the plane


def project(points3, yaw=0.0, pitch=0.0, roll=0.0, dist=10.0, f=600.0, iod_px=60.0):
    """Turn (yaw > 0: the person's own left, the nose towards +x) and project (pinhole)."""
    y, p, r = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    q = (rz @ rx @ ry @ (points3 - [0, 0.55, 0]).T).T + [0, 0, dist]
    return f * q[:, :2] / q[:, 2:] * (iod_px * dist / f) + [320, 240]


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


@pytest.mark.parametrize("yaw", [-30, -15, 0, 15, 30])
def test_the_yaw_of_a_turned_head_is_read_from_the_nose(yaw):
    assert pose.yaw_deg(project(HEAD, yaw)) == pytest.approx(yaw, abs=2.0)


@pytest.mark.parametrize("start, end", [(0, 15), (0, -15), (10, -10), (0, 30)])
def test_a_turning_head_leaves_the_plane_of_its_eyes_and_mouth(start, end):
    expected = pose.NOSE_DEPTH_IOD * (math.tan(math.radians(end)) - math.tan(math.radians(start)))
    assert parallax(project(HEAD, start), project(HEAD, end)) == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("moved", [(45, 0, 0), (-45, 20, 15), (30, -20, -15)])
def test_a_flat_picture_moved_any_way_keeps_its_nose_on_the_plane(moved):
    frontal, turned = project(PHOTO, dist=3), project(PHOTO, *moved, dist=3)
    assert abs(parallax(frontal, turned)) < 1e-6  # (its "yaw" may move: perspective foreshortens)


@pytest.mark.parametrize("bad", [None, np.zeros((5, 2)), np.full((5, 2), np.nan), "junk", [[0, 0]] * 3])
def test_unusable_landmarks_never_pass_and_never_raise(bad):
    assert math.isnan(parallax(project(HEAD), bad)) and math.isnan(parallax(bad, project(HEAD)))
    assert math.isnan(parallax(project(HEAD), project(HEAD) * [-1, 1]))  # a mirror image


def run(points3, seed: int, repeat: int = 1, dist: float = 10.0):
    """Move ``points3`` through a straight -> first side -> second side turn at 15 fps."""
    clock = Clock()
    check = ChallengeCheck(random.Random(seed), clock, ChallengeSettings())
    side = {"left": 20, "right": -20}
    first, second = (side[s] for s in check.order)
    path = [*np.linspace(0, first, 12), *np.linspace(first, second, 24)] * repeat
    for yaw in path:
        state = check.update(project(points3, yaw, dist=dist))
        clock.t += 1 / 15
    return check, state


@pytest.mark.parametrize("seed", range(4))
def test_a_head_turning_both_ways_passes_within_three_seconds(seed):
    check, state = run(HEAD, seed)
    assert state.outcome == "passed" and state.elapsed_s <= 3.0 and state.progress == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_a_picture_doing_the_same_motion_fails_at_the_time_out(seed):
    check, state = run(PHOTO, seed, repeat=6, dist=3.0)
    assert state.outcome == "failed" and state.reason == "timeout"
    assert state.prompt == "Sorry, that did not work — please see reception"


def test_a_turn_the_wrong_way_or_held_for_one_frame_only_does_not_count():
    clock = Clock()
    check = ChallengeCheck(random.Random(1), clock, ChallengeSettings())
    assert check.order[0] == "left"
    wrong_way = [0, -5, -10, -15, -20, -20, -20, -15, -10, -5]  # to the right, held
    flick = [0, 20, 0]  # to the left for one frame only
    for yaw in wrong_way + flick:
        state = check.update(project(HEAD, yaw))
        clock.t += 1 / 15
    assert state.step == "left" and state.outcome is None  # still asking for the left turn


@pytest.mark.parametrize("yaws, reference", [
    ([0], 0), ([13, 4], 4), ([-13, -11, -12], -11), ([13, 12], None), ([20] * 6, None), ([13, 20, 13, 12], None),
    ([13, None, 12, 13], None), ([13, None, 12, 13, 11], 11),
    ([13, -13, -13, -13], None), ([13, -13, -13, -13, -13], -13)])  # a swapped picture: its own frames
def test_the_reference_is_a_straight_frame_or_the_straightest_of_three_a_little_off(yaws, reference):
    clock = Clock()
    check = ChallengeCheck(random.Random(1), clock, ChallengeSettings())
    for yaw in yaws:
        state = check.update(None if yaw is None else project(HEAD, yaw))
        clock.t += 1 / 15
    if reference is None:  # too few frames in a row a little off, or turned: asked to look straight
        assert state.step == "frontal" and state.prompt == "Please look straight at the camera"
        assert math.isnan(state.reference_yaw_deg)
    else:
        assert state.step == check.order[0]
        assert state.reference_yaw_deg == pose.yaw_deg(project(HEAD, reference))


def test_a_failed_challenge_says_how_far_the_person_got():
    clock = Clock()
    check = ChallengeCheck(random.Random(1), clock, ChallengeSettings())  # left first
    for yaw in (30, 0, 0, 8, 8):  # not straight at first, then a turn too small
        check.update(project(HEAD, yaw))
        clock.t += 1 / 15
    clock.t += 9
    summary = check.update(project(HEAD, 8)).summary()
    assert summary == "timeout after 9.3 s: turned left 9 deg (parallax 0.08)"  # the right turn never asked
    never = ChallengeCheck(random.Random(1), clock := Clock(), ChallengeSettings())
    clock.t += 9
    assert never.update(project(HEAD, 30)).summary() == "timeout after 9.0 s: never straight enough to start"


def test_one_outlier_frame_is_skipped_and_a_lost_face_starts_again():
    clock = Clock()
    check = ChallengeCheck(random.Random(1), clock, ChallengeSettings())
    for yaw in (0, 10, 20, 20):
        check.update(project(HEAD, yaw))
        clock.t += 1 / 15
    assert check.step == "right"
    check.update(project(HEAD, -40))  # a landmark outlier: skipped, not a restart
    clock.t += 1 / 15
    assert check.step == "right"
    clock.t += 1.5
    check.update(None)  # gone for longer than lost_face_s
    assert check.step == "frontal" and check.state().restarts == 1

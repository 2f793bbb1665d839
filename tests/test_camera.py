"""Camera sources, the one-slot latest-frame holder and the capture loop (no Qt)."""
import threading
import time

import cv2
import numpy as np
import pytest

from kiosk.core.base.errors import CameraError
from kiosk.core.camera import capture
from kiosk.core.camera import sources as cam
from kiosk.core.camera.capture import CaptureLoop
from kiosk.core.camera.frames import LatestFrame, RateMeter
from kiosk.core.camera.sources import (
    CameraEndedError,
    ImageFolderCamera,
    OpenCvCamera,
    ScriptedCamera,
    open_source,
)
from tests.ui_helpers import FAST_BACKOFF


def frames(n, size=(64, 48)):
    return [np.full((size[1], size[0], 3), i, np.uint8) for i in range(n)]


def wait_for(condition, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


# --- LatestFrame --------------------------------------------------------------------------
def test_latest_frame_keeps_only_the_newest():
    holder = LatestFrame()
    assert holder.latest() == (0, None)
    for f in frames(3):
        holder.put(f)
    seq, frame = holder.get_newer(0, timeout_s=0.1)
    assert seq == 3 and frame[0, 0, 0] == 2  # frames 1 and 2 were dropped, not queued


def test_get_newer_times_out_without_a_newer_frame():
    holder = LatestFrame()
    holder.put(frames(1)[0])
    t0 = time.monotonic()
    assert holder.get_newer(1, timeout_s=0.05) == (1, None)
    assert time.monotonic() - t0 >= 0.04


def test_get_newer_wakes_up_when_a_frame_arrives():
    holder = LatestFrame()
    threading.Timer(0.05, holder.put, args=(frames(1)[0],)).start()
    seq, frame = holder.get_newer(0, timeout_s=2.0)
    assert seq == 1 and frame is not None


def test_rate_meter_measures_and_goes_stale():
    now = [0.0]
    meter = RateMeter(clock=lambda: now[0])
    for _ in range(11):
        meter.tick()
        now[0] += 0.1
    assert meter.rate() == pytest.approx(10.0)
    now[0] += 5
    assert meter.rate() == 0.0


# --- sources ------------------------------------------------------------------------------
def test_scripted_camera_loops_and_frames_are_read_only():
    camera = ScriptedCamera(frames(2))
    camera.open()
    values = [camera.read()[0, 0, 0] for _ in range(5)]
    assert values == [0, 1, 0, 1, 0]
    with pytest.raises(ValueError):
        camera.read()[0, 0, 0] = 9


def test_scripted_camera_fail_between_then_recovers():
    camera = ScriptedCamera(frames(1), fail_between=(2, 4))
    camera.open()
    outcome = []
    for _ in range(6):
        try:
            camera.read()
            outcome.append("ok")
        except CameraError:
            outcome.append("fail")
    assert outcome == ["ok", "ok", "fail", "fail", "ok", "ok"]


def test_scripted_camera_fail_after_unplug_and_end():
    camera = ScriptedCamera(frames(1), fail_after=1)
    camera.read()
    with pytest.raises(CameraError):
        camera.read()
    plugged = ScriptedCamera(frames(1))
    plugged.unplug()
    with pytest.raises(CameraError):
        plugged.open()
    plugged.plug()
    plugged.open()
    once = ScriptedCamera(frames(1), loop=False)
    once.read()
    with pytest.raises(CameraEndedError):
        once.read()


def test_image_folder_slideshow_skips_bad_files(tmp_path):
    for i, f in enumerate(frames(2)):
        cv2.imwrite(str(tmp_path / f"{i}.png"), f)
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "notes.txt").write_text("ignored")
    camera = ImageFolderCamera(tmp_path)
    camera.open()
    values = [camera.read()[0, 0, 0] for _ in range(4)]
    assert values == [0, 1, 0, 1] and camera.pace_fps == cam.SLIDESHOW_FPS


def test_image_folder_without_images_is_a_camera_error(tmp_path):
    with pytest.raises(CameraError, match="No images"):
        ImageFolderCamera(tmp_path).open()


def a_folder_of_two_images(tmp_path):
    folder = tmp_path / "slides"
    folder.mkdir()
    for i, f in enumerate(frames(2)):
        assert cv2.imwrite(str(folder / f"{i}.png"), f)
    return folder


def test_an_image_folder_that_disappears_is_a_lost_camera_not_a_crash(tmp_path, caplog):
    folder = a_folder_of_two_images(tmp_path)
    camera = ImageFolderCamera(folder)
    camera.open()
    assert camera.read()[0, 0, 0] == 0
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    with pytest.raises(CameraError, match="cannot read 1.png") as raised:
        camera.read()
    assert not isinstance(raised.value, CameraEndedError)
    with pytest.raises(CameraError, match="No images"):  # what the capture loop's retry sees
        camera.open()
    assert not [r for r in caplog.records if r.exc_info]


def test_the_capture_loop_reports_a_vanished_folder_calmly_and_recovers(tmp_path, caplog):
    folder = a_folder_of_two_images(tmp_path)
    loop = CaptureLoop(lambda: ImageFolderCamera(folder, fps=100), LatestFrame(),
                       backoff_s=FAST_BACKOFF).start()
    try:
        assert wait_for(lambda: loop.status().ok)
        moved = folder.rename(tmp_path / "elsewhere")
        assert wait_for(lambda: loop.status().state == capture.RECONNECTING)
        assert "cannot read" in loop.status().message
        moved.rename(folder)  # plugged back in
        assert wait_for(lambda: loop.status().ok)
    finally:
        loop.stop()
    assert not [r for r in caplog.records if r.exc_info or r.levelname == "ERROR"]
    lost = [r.getMessage() for r in caplog.records if "cannot read" in r.getMessage()]
    assert len(lost) == 1 and lost[0].startswith("camera: slideshow slides: cannot read")


def test_video_file_plays_and_loops(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for f in frames(3):
        writer.write(np.ascontiguousarray(np.full_like(f, 40 * (f[0, 0, 0] + 1))))
    writer.release()
    camera = open_source(str(path))
    assert isinstance(camera, OpenCvCamera)
    camera.open()
    shapes = [camera.read().shape for _ in range(7)]  # more reads than frames: it loops
    camera.close()
    assert shapes == [(48, 64, 3)] * 7 and camera.pace_fps == pytest.approx(10)


def test_missing_camera_index_is_a_camera_error():
    with pytest.raises(CameraError, match="camera 7"):
        OpenCvCamera(7).open()


def test_open_source_dispatches_on_the_string(tmp_path):
    assert isinstance(open_source("0"), OpenCvCamera)
    assert isinstance(open_source(str(tmp_path)), ImageFolderCamera)
    assert isinstance(open_source(str(tmp_path / "face.jpg")), ImageFolderCamera)
    with pytest.raises(CameraError, match="No camera"):
        open_source(str(tmp_path / "missing.mp4"))


# --- the capture loop ---------------------------------------------------------------------
def test_capture_loop_fills_the_holder_at_the_source_pace():
    holder = LatestFrame()
    loop = CaptureLoop(lambda: ScriptedCamera(frames(3), fps=50), holder).start()
    try:
        assert wait_for(lambda: loop.status().ok and holder.latest()[0] > 20)
        assert 20 < loop.status().fps < 80  # paced near 50 fps, with slack for a busy CI
    finally:
        loop.stop()
    assert not loop.is_running() and loop.status().state == capture.STOPPED


def test_capture_loop_reconnects_after_a_drop_out():
    holder = LatestFrame()
    camera = ScriptedCamera(frames(1), fps=100)
    loop = CaptureLoop(lambda: camera, holder, backoff_s=FAST_BACKOFF).start()
    try:
        assert wait_for(lambda: loop.status().ok)
        camera.unplug()
        assert wait_for(lambda: loop.status().state == capture.RECONNECTING)
        status = loop.status()
        assert status.ever_live and "dropped out" in status.message
        camera.plug()
        assert wait_for(lambda: loop.status().ok)
        assert camera.opened >= 2
    finally:
        loop.stop()


def test_capture_loop_with_no_camera_keeps_trying_and_stops_at_once():
    attempts = []

    def no_camera():
        attempts.append(1)
        raise CameraError("No camera 0 found")

    loop = CaptureLoop(no_camera, LatestFrame(), backoff_s=(0.02, 0.05)).start()
    try:
        assert wait_for(lambda: len(attempts) >= 3)
        status = loop.status()
        assert status.state == capture.RECONNECTING and not status.ever_live
        assert status.retry_at is not None
    finally:
        t0 = time.monotonic()
        loop.stop()
    assert time.monotonic() - t0 < 1.0 and not loop.is_running()


def test_capture_loop_ends_with_a_non_looping_source():
    loop = CaptureLoop(lambda: ScriptedCamera(frames(2), fps=100, loop=False),
                       LatestFrame()).start()
    assert wait_for(lambda: loop.status().state == capture.ENDED)
    assert wait_for(lambda: not loop.is_running())
    loop.stop()


def test_capture_loop_survives_an_unexpected_driver_error():
    class Broken(ScriptedCamera):
        def read(self):
            raise RuntimeError("driver bug")

    loop = CaptureLoop(lambda: Broken(frames(1)), LatestFrame(), backoff_s=FAST_BACKOFF).start()
    try:
        assert wait_for(lambda: "driver bug" in loop.status().message)
        assert loop.is_running()
    finally:
        loop.stop()


class HungCamera(ScriptedCamera):
    """Its second read blocks in the "driver" until `release` is set."""

    def __init__(self):
        super().__init__(frames(1), fps=100)
        self.release = threading.Event()
        self.blocked = threading.Event()

    def read(self):
        if self.attempts >= 1:
            self.blocked.set()
            self.release.wait(10)
        return super().read()


def test_a_read_that_outlasts_stop_puts_no_stale_frame():
    holder, camera = LatestFrame(), HungCamera()
    loop = CaptureLoop(lambda: camera, holder).start()
    assert wait_for(camera.blocked.is_set)
    seq_before = holder.latest()[0]
    t0 = time.monotonic()
    loop.stop(timeout_s=0.2)
    assert time.monotonic() - t0 < 1.0 and loop.is_running()  # left behind, not waited for
    camera.release.set()
    assert wait_for(lambda: not loop.is_running())
    assert holder.latest()[0] == seq_before and loop.status().state == capture.STOPPED

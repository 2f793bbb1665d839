"""`kiosk benchmark-screen` on the real window and engine (two short visits; ~10 s)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kiosk.core.base.imageio import read_image_rgb  # noqa: E402
from kiosk.selftest import builtin_frame_rgb, portrait_path  # noqa: E402
from kiosk.ui import screen_benchmark as sb  # noqa: E402

pytestmark = pytest.mark.slow


def test_presence_camera_notes_when_the_face_first_goes_out():
    empty, face = np.zeros((4, 4, 3), np.uint8), np.ones((4, 4, 3), np.uint8)
    camera = sb.PresenceCamera(empty, face)
    assert camera.read() is empty and camera.face_out_at is None
    camera.present(True)
    assert camera.face_out_at is None  # not until a frame with the face is read
    assert camera.read() is face
    first = camera.face_out_at
    assert first is not None and camera.read() is face and camera.face_out_at == first
    camera.present(False)
    assert camera.read() is empty and camera.face_out_at is None


def test_the_real_screen_welcomes_each_visit_and_reports_every_number(qapp, settings):
    report = sb.measure(settings, read_image_rgb(portrait_path()), builtin_frame_rgb(),
                        cycles=2, gap_s=0.5, hold_s=0.5, timeout_s=120, fullscreen=True)
    screen = qapp.primaryScreen().geometry()
    assert report.window_size == f"{screen.width()}x{screen.height()}"  # the whole screen
    assert report.failure == ""
    assert len(report.decision_ms) == 2 and all(0 < ms < 10_000 for ms in report.decision_ms)
    assert 0 < report.window_visible_s < report.ready_s
    assert report.preview_fps and max(report.preview_fps) > 0 and max(report.analysis_fps) > 0
    text = sb.format_text(report.summary())
    assert "decision after the face appears   median" in text and "FAILED" not in text


def test_a_failed_run_is_reported_not_hidden():
    summary = sb.ScreenReport(platform="offscreen", failure="the face model failed: x").summary()
    assert summary["decision_ms"] is None
    assert sb.format_text(summary).endswith("FAILED: the face model failed: x")

"""Both MTCNN drivers on real photos: LiteRT (the default) and TensorFlow (``--runtime keras``,
the reference); real models, a few seconds to build, ~0.1 s a test after that."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.core.base.types import LANDMARK_NAMES, Face
from kiosk.core.vision.mtcnn import MtcnnDetector
from kiosk.core.vision.mtcnn_common import PNET_WINDOW_PX, pyramid_scales, work_scale
from kiosk.core.vision.mtcnn_litert import LiteRtMtcnnDetector, load_detector

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
SEED_DIR = TESTDATA / "seed-faces"
SEED_PHOTOS = sorted(SEED_DIR.glob("*.jpg")) + sorted(SEED_DIR.glob("*.png"))
GORE = TESTDATA / "lfw-view1" / "Al_Gore" / "Al_Gore_0001.jpg"
CANVAS_HW = (480, 640)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("testdata")]


def read_rgb(path: Path) -> np.ndarray:
    """RGB uint8 (H, W, 3); IMREAD_COLOR drops the alpha channel of RGBA files."""
    image_bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image_bgr is not None, path
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)


def gray_canvas(shape_hw=CANVAS_HW) -> np.ndarray:
    return np.full((*shape_hw, 3), 128, np.uint8)


def paste_face(canvas_rgb: np.ndarray, source: tuple[np.ndarray, Face], face_px: int,
               at_xy: tuple[int, int]) -> tuple[float, float, float, float]:
    """Paste ``source`` scaled so its face's longer side is ``face_px``, top-left at ``at_xy``.

    Whatever falls outside the canvas is cut off. Returns where that face's box should now
    be, (x, y, w, h) in canvas pixels.
    """
    image_rgb, face = source
    scale = face_px / max(face.box_xywh[2:])
    scaled_rgb = cv2.resize(image_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x, y = at_xy
    target = canvas_rgb[y:y + scaled_rgb.shape[0], x:x + scaled_rgb.shape[1]]
    target[...] = scaled_rgb[:target.shape[0], :target.shape[1]]
    bx, by, bw, bh = face.box_xywh
    return x + bx * scale, y + by * scale, bw * scale, bh * scale


def iou(box_a, box_b) -> float:
    ax, ay, aw, ah = box_a
    bx, by, bw, bh = box_b
    inter_w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    return inter / (aw * ah + bw * bh - inter)


def landmarks_inside(face: Face) -> bool:
    x, y, w, h = face.box_xywh
    return all(x <= px <= x + w and y <= py <= y + h for px, py in face.landmarks.values())


def make_detector(kind: str, weights_path: Path, **settings):
    if kind == "tensorflow":
        return MtcnnDetector(**settings)
    return LiteRtMtcnnDetector(weights_path, **settings)


@pytest.fixture(scope="module", params=["litert", "tensorflow"])
def kind(request, settings) -> str:
    if request.param == "litert":
        load_detector(settings.weights_path)  # builds the exports once
    return request.param


@pytest.fixture(scope="module")
def make(kind, settings):
    return lambda **kw: make_detector(kind, settings.weights_path, **kw)


@pytest.fixture(scope="module")
def detector(make):
    return make(min_face_px=20)


@pytest.fixture(scope="module")
def detector_60(make):
    return make(min_face_px=60)


@pytest.fixture(scope="module")
def gore(detector) -> tuple[np.ndarray, Face]:
    """A 250x250 LFW photo and its one face, the source of every pasted face."""
    image_rgb = read_rgb(GORE)
    faces = detector.detect(image_rgb)
    assert len(faces) == 1
    return image_rgb, faces[0]


@pytest.fixture(scope="module")
def younes(detector) -> tuple[np.ndarray, Face]:
    image_rgb = read_rgb(SEED_DIR / "younes.jpg")
    return image_rgb, detector.detect(image_rgb)[0]


# --- the pure helpers ---------------------------------------------------------------------
@pytest.mark.parametrize("min_face_px", [12, 20, 24, 40, 80, 200])
def test_pyramid_starts_at_min_face_and_every_level_holds_a_window(min_face_px):
    scales = pyramid_scales(480, min_face_px)
    assert scales[0] == pytest.approx(PNET_WINDOW_PX / min_face_px)
    assert all(480 * s >= PNET_WINDOW_PX for s in scales)  # the mtcnn 1.0 bug broke this
    assert 480 * scales[-1] * 0.709 < PNET_WINDOW_PX


def test_pyramid_is_empty_when_min_face_exceeds_the_image():
    assert pyramid_scales(96, 200) == []


def test_work_scale_shrinks_big_frames_only_as_far_as_min_face_allows():
    assert work_scale((480, 640), 20, 640) == 1.0
    assert work_scale((96, 96), 20, 640) == 1.0
    assert work_scale((960, 1280), 80, 640) == pytest.approx(0.5)
    assert work_scale((960, 1280), 20, 640) == pytest.approx(0.6)  # 20 px -> 12 px
    assert work_scale((960, 1280), 20, None) == 1.0


@pytest.mark.parametrize("module", ["mtcnn", "mtcnn_litert", "mtcnn_common", "mtcnn_export"])
def test_importing_the_module_loads_nothing_heavy(module):
    code = (f"import sys, kiosk.core.vision.{module}; "
            "heavy = {'tensorflow', 'keras', 'mtcnn', 'cv2'} & set(sys.modules); "
            "sys.exit(f'loaded at import: {heavy}' if heavy else 0)")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- real photos --------------------------------------------------------------------------
@pytest.mark.parametrize("path", SEED_PHOTOS, ids=lambda p: p.name)
def test_each_seed_photo_has_exactly_one_face_with_landmarks_in_the_box(detector, path):
    image_rgb = read_rgb(path)
    faces = detector.detect(image_rgb)
    assert len(faces) == 1, [f.box_xywh for f in faces]
    face = faces[0]
    assert tuple(face.landmarks) == LANDMARK_NAMES
    assert landmarks_inside(face), (face.box_xywh, face.landmarks)
    assert 0.8 < face.confidence <= 1.0
    x, y, w, h = face.box_xywh
    assert x >= 0 and y >= 0 and x + w < image_rgb.shape[1] and y + h < image_rgb.shape[0]
    assert face.landmarks["left_eye"][0] < face.landmarks["right_eye"][0]  # image-left eye


def test_all_eighteen_seed_photos_are_there():
    assert len(SEED_PHOTOS) == 18


def test_two_pasted_faces_give_two_faces_largest_first(detector, gore, younes):
    canvas_rgb = gray_canvas()
    small = paste_face(canvas_rgb, gore, 80, (40, 120))
    large = paste_face(canvas_rgb, younes, 150, (330, 80))
    faces = detector.detect(canvas_rgb)
    assert len(faces) == 2
    assert iou(faces[0].box_xywh, large) > 0.6
    assert iou(faces[1].box_xywh, small) > 0.6
    assert all(landmarks_inside(f) for f in faces)


@pytest.mark.parametrize("value", [0, 128, 255])
def test_a_blank_frame_has_no_face(detector, value):
    assert detector.detect(np.full((*CANVAS_HW, 3), value, np.uint8)) == []


def test_an_image_smaller_than_the_minimum_face_has_no_face(detector):
    assert detector.detect(np.full((10, 10, 3), 128, np.uint8)) == []


# --- min_face_px ---------------------------------------------------------------------------
def test_a_30px_face_is_found_at_min_20_but_not_at_min_60(detector, detector_60, gore):
    canvas_rgb = gray_canvas()
    expected = paste_face(canvas_rgb, gore, 30, (300, 200))
    faces = detector.detect(canvas_rgb)
    assert len(faces) == 1 and iou(faces[0].box_xywh, expected) > 0.5
    assert detector_60.detect(canvas_rgb) == []


def test_a_45px_face_is_not_returned_at_min_60(detector_60, gore):
    # PNet fires on faces down to ~0.6 x its window; the detector must still drop them
    canvas_rgb = gray_canvas()
    paste_face(canvas_rgb, gore, 45, (300, 200))
    assert detector_60.detect(canvas_rgb) == []


@pytest.mark.parametrize("min_face_px", [24, 40, 60, 80])
def test_a_120px_face_is_found_whatever_the_minimum(min_face_px, make, detector_60, gore):
    # mtcnn 1.0.0 returns nothing on a 640x480 frame for any min_face_size >= 24
    det = detector_60 if min_face_px == 60 else make(min_face_px=min_face_px)
    canvas_rgb = gray_canvas()
    expected = paste_face(canvas_rgb, gore, 120, (250, 150))
    faces = det.detect(canvas_rgb)
    assert len(faces) == 1 and iou(faces[0].box_xywh, expected) > 0.7
    assert all(max(f.box_xywh[2:]) >= min_face_px for f in faces)


# --- coordinates ---------------------------------------------------------------------------
@pytest.mark.parametrize("at_xy", [(0, 0), (420, 260), (60, 300)])
def test_boxes_and_landmarks_are_in_frame_pixels(detector, gore, at_xy):
    canvas_rgb = gray_canvas()
    expected = paste_face(canvas_rgb, gore, 100, at_xy)
    faces = detector.detect(canvas_rgb)
    assert len(faces) == 1
    assert iou(faces[0].box_xywh, expected) > 0.7
    assert landmarks_inside(faces[0])


@pytest.mark.parametrize("min_face_px", [20, 80])
def test_a_big_frame_is_shrunk_and_mapped_back(min_face_px, make, detector, gore):
    det = detector if min_face_px == 20 else make(min_face_px=min_face_px)
    canvas_rgb = gray_canvas((960, 1280))
    expected = paste_face(canvas_rgb, gore, 200, (900, 600))
    faces = det.detect(canvas_rgb)
    assert len(faces) == 1
    assert iou(faces[0].box_xywh, expected) > 0.7
    assert landmarks_inside(faces[0])


def test_an_rgb_view_of_a_bgr_frame_is_accepted(detector, gore):
    canvas_rgb = gray_canvas()
    expected = paste_face(canvas_rgb, gore, 100, (200, 100))
    view_rgb = canvas_rgb[:, :, ::-1].copy()[:, :, ::-1]  # negative strides, as frame[..., ::-1]
    assert not view_rgb.flags.c_contiguous
    faces = detector.detect(view_rgb)
    assert len(faces) == 1 and iou(faces[0].box_xywh, expected) > 0.7


# --- input checks and compilation ---------------------------------------------------------
@pytest.mark.parametrize("bad", [
    np.zeros((96, 96), np.uint8),
    np.zeros((96, 96, 4), np.uint8),
    np.zeros((96, 96, 1), np.uint8),
    np.zeros((96, 96, 3), np.float32),
    np.zeros((0, 96, 3), np.uint8),
    [[[0, 0, 0]]],
], ids=["gray", "rgba", "one-channel", "float", "empty", "list"])
def test_anything_but_rgb_uint8_is_a_value_error(detector, bad):
    with pytest.raises(ValueError):
        detector.detect(bad)


@pytest.mark.parametrize("kwargs", [{"min_face_px": 8}, {"max_side_px": 10},
                                    {"thresholds": (0.6, 0.7)}, {"thresholds": (0.6, 0.7, 1.5)}])
def test_impossible_settings_are_refused(kwargs, make):
    with pytest.raises(ValueError):
        make(**kwargs)


def test_tensorflow_networks_are_traced_once_whatever_the_frame_size(gore):
    det = MtcnnDetector(min_face_px=20)
    det.warm_up()
    for shape_hw in [(96, 96), (480, 640), (250, 250), (720, 1280)]:
        canvas_rgb = gray_canvas(shape_hw)
        paste_face(canvas_rgb, gore, 40, (10, 10))
        det.detect(canvas_rgb)
    counts = [net.experimental_get_tracing_count() for net in (det._pnet, det._rnet, det._onet)]
    assert counts == [1, 1, 1]

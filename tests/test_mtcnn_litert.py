"""MTCNN on LiteRT against the TensorFlow path, on real photos; its exports; no TensorFlow at
run time; the dominant-face rule of enrolment (real models; ~1 min, most of it the TF path)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.core.base.errors import MultipleFacesError, WeightsError
from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.evaluation.detection import iou, landmark_error_px, parity
from kiosk.core.vision import mtcnn_boxes as boxes
from kiosk.core.vision import mtcnn_export

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("testdata")]

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "testdata" / "seed-faces"
LFW = REPO.parent / "shared" / "testdata" / "lfw-view1"

SEED_PHOTOS = sorted(SEED.glob("*.jpg")) + sorted(SEED.glob("*.png"))
LFW_SAMPLE = sorted(LFW.glob("*/*.jpg"))[::40]  # 125 of the 4,992 (all of them: build/mtcnn-study)


def photo_frame(path: Path, scale: float = 3.0, size_hw=(480, 640)) -> np.ndarray:
    """A 640x480 RGB frame: the photo upscaled (cubic) in the middle of a grey canvas."""
    photo_rgb = read_image_rgb(path)
    big_rgb = cv2.resize(photo_rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    canvas = np.full((*size_hw, 3), 118, np.uint8)
    h, w = min(big_rgb.shape[0], size_hw[0]), min(big_rgb.shape[1], size_hw[1])
    y0, x0 = (size_hw[0] - h) // 2, (size_hw[1] - w) // 2
    canvas[y0:y0 + h, x0:x0 + w] = big_rgb[:h, :w]
    return canvas


@pytest.fixture(scope="module")
def litert(settings):
    from kiosk.core.vision.mtcnn_litert import load_detector

    return load_detector(settings.weights_path, min_face_px=20)


@pytest.fixture(scope="module")
def reference():
    from kiosk.core.vision.mtcnn import MtcnnDetector

    return MtcnnDetector(min_face_px=20)


# --- same answers as the TensorFlow path -----------------------------------------------------
def test_same_faces_as_tensorflow_on_lfw_and_every_seed_photo(reference, litert):
    images = [(p.name, read_image_rgb(p)) for p in LFW_SAMPLE + SEED_PHOTOS]
    images += [(f"{p.name} 3x", photo_frame(p)) for p in SEED_PHOTOS]
    result = parity(reference, litert, images)
    assert result.unpaired == []  # same number of faces in every image, each paired
    assert result.faces >= len(images)
    assert min(result.ious) >= 0.95, result.worst
    assert max(result.landmark_errors_px) <= 1.5, result.worst


def test_thresholds_and_min_face_are_honoured_alike(reference, litert):
    image_rgb = photo_frame(SEED / "younes.jpg")
    for min_px in (40, 200):
        ref, got = reference.detect(image_rgb, min_face_px=min_px), litert.detect(image_rgb, min_face_px=min_px)
        assert len(ref) == len(got)
        for a, b in zip(ref, got):
            assert iou(a.box_xywh, b.box_xywh) >= 0.95 and landmark_error_px(a, b) <= 1.5


# --- the box arithmetic, against mtcnn's own on random boxes ------------------------------------
@pytest.fixture(scope="module")
def random_rows():
    rng = np.random.default_rng(7)
    xy = rng.uniform(-20, 300, (300, 2))
    wh = rng.uniform(5, 120, (300, 2))
    scores = np.sort(rng.uniform(0.5, 1.0, 300))[::-1]
    return np.concatenate([xy, xy + wh, scores[:, None]], axis=1)


@pytest.mark.parametrize("method,threshold", [("union", 0.5), ("union", 0.7), ("min", 0.7)])
def test_nms_keeps_what_mtcnn_keeps(random_rows, method, threshold):
    from mtcnn.utils.bboxes import smart_nms_from_bboxes

    theirs = smart_nms_from_bboxes(np.insert(random_rows, 0, 0, axis=1), threshold,
                                   method=method, initial_sort=False)[:, 1:]
    np.testing.assert_array_equal(boxes.nms(random_rows, threshold, method), theirs)


def test_square_regression_and_landmarks_match_mtcnn(random_rows):
    from mtcnn.utils.bboxes import adjust_bboxes, resize_to_square
    from mtcnn.utils.landmarks import adjust_landmarks

    rows6 = np.insert(random_rows, 0, 0, axis=1)
    offsets = np.random.default_rng(1).normal(0, 0.1, (len(rows6), 4)).astype(np.float32)
    points = np.random.default_rng(2).uniform(0, 1, (len(rows6), 10)).astype(np.float32)
    np.testing.assert_allclose(boxes.squared(random_rows), resize_to_square(rows6)[:, 1:])
    np.testing.assert_allclose(boxes.regressed(random_rows, offsets), adjust_bboxes(rows6, offsets)[:, 1:])

    class AsTensor(np.ndarray):  # adjust_landmarks calls .numpy() on its input
        def numpy(self):
            return np.asarray(self)

    np.testing.assert_allclose(boxes.landmarks(random_rows, points),
                               adjust_landmarks(points.view(AsTensor), rows6), rtol=1e-6)


@pytest.mark.parametrize("side", [24, 48])
def test_patches_are_tensorflows_crop_and_resize(reference, random_rows, side):
    import tensorflow as tf

    image_rgb = read_image_rgb(LFW_SAMPLE[0])
    height, width = image_rgb.shape[:2]
    normalised = random_rows[:, [1, 0, 3, 2]] / np.array([height, width, height, width])
    theirs = tf.image.crop_and_resize(image_rgb[None], normalised, np.zeros(len(random_rows), np.int32),
                                      (side, side)).numpy()
    np.testing.assert_allclose(boxes.patches(image_rgb, random_rows, side), theirs, atol=1e-3)


# --- the exports -----------------------------------------------------------------------------------
def test_exports_are_named_by_the_spec_and_recorded(settings, litert):
    from kiosk.core.models import exports

    recorded = exports.recorded(settings.weights_path)
    for network in mtcnn_export.NETWORKS:
        path = mtcnn_export.export_path(settings.weights_path, network)
        assert path.name == f"mtcnn-1.0.0-{network}.tflite"
        assert path.name in recorded
        exports.checked(path)


@pytest.fixture
def copied_exports(settings, litert, tmp_path) -> Path:
    for network in mtcnn_export.NETWORKS:
        shutil.copy(mtcnn_export.export_path(settings.weights_path, network), tmp_path)
    record = json.loads((settings.weights_path / "exports.json").read_text())
    (tmp_path / "exports.json").write_text(json.dumps({k: v for k, v in record.items() if "mtcnn" in k}))
    return tmp_path


def test_a_changed_export_is_refused(copied_exports):
    from kiosk.core.vision.mtcnn_litert import LiteRtMtcnnDetector

    LiteRtMtcnnDetector(copied_exports)  # the copies as recorded load
    onet = mtcnn_export.export_path(copied_exports, "onet")
    data = bytearray(onet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    onet.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="changed since it was built"):
        LiteRtMtcnnDetector(copied_exports)


def test_an_unrecorded_export_is_refused(copied_exports):
    from kiosk.core.vision.mtcnn_litert import LiteRtMtcnnDetector

    (copied_exports / "exports.json").write_text("{}")
    with pytest.raises(WeightsError, match="not built by this program"):
        LiteRtMtcnnDetector(copied_exports)


# --- no TensorFlow at run time -----------------------------------------------------------------------
HEAVY_REPORT = textwrap.dedent("""
    import atexit, sys
    def report():
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "mtcnn"})
        sys.stderr.write(f"HEAVY={','.join(heavy)}\\n")
    atexit.register(report)
""")


def run_python(code: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-c", HEAVY_REPORT + textwrap.dedent(code)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300)


def heavy_modules(result: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("HEAVY=")]
    assert lines, result.stderr[-2000:]
    return lines[-1].removeprefix("HEAVY=")


def test_the_engine_on_litert_never_imports_tensorflow(engine, tmp_path):
    # `engine` (session fixture) has built every export already
    result = run_python(f"""
        from kiosk.core.base import settings
        from kiosk.core.base.imageio import read_image_rgb
        from kiosk.core.recognition.engine import Engine
        from kiosk.core.recognition.matching import Gallery
        engine = Engine.load(settings.load({{"data_dir": {str(tmp_path)!r}}}, environ={{}}))
        engine.warm_up()
        image = read_image_rgb({str(SEED / 'younes.jpg')!r})
        face, vector = engine.encode_one(image, "younes")
        gallery = Gallery.from_arrays(vector[None], [1], [1], {{1: "younes"}})
        assert engine.analyse(image, gallery, 0.85).faces[0].match.accepted
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert heavy_modules(result) == ""


def run_kiosk(argv: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    return run_python(f"""
        import runpy, sys
        sys.argv = ["kiosk", *{argv!r}]
        runpy.run_module("kiosk", run_name="__main__")
    """, {"KIOSK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"})


def enrolled_dirs(tmp_path: Path) -> Path:
    folder = tmp_path / "staff" / "kian"
    folder.mkdir(parents=True)
    (folder / "kian.jpg").write_bytes((SEED / "kian.jpg").read_bytes())
    return tmp_path / "staff"


NO_TF_COMMANDS = {
    "identify": (lambda d: ["identify", str(SEED / "younes.jpg"), "--json"], '"faces"'),
    "enroll": (lambda d: ["enroll", "younes", str(SEED / "younes.jpg")], "enrolled younes"),
    "enroll-dir": (lambda d: ["enroll-dir", str(enrolled_dirs(d))], "enrolled 1 of 1"),
    "verify": (lambda d: ["verify", str(SEED / "camera_0.jpg"), "--as", "younes"], "accepted"),
    "self-test": (lambda d: ["self-test"], "self-test passed"),
    "gui": (lambda d: ["--log-level", "INFO", "gui", "--camera", str(SEED), "--quit-after-ms", "4000"],
            "gallery loaded"),  # (logged to stderr) the models were loaded and the loop ran
}


@pytest.mark.parametrize("command", NO_TF_COMMANDS)
def test_the_commands_never_import_tensorflow(engine, tmp_path, command):
    data_dir = tmp_path / "data"
    if command == "verify":
        assert "enrolled" in run_kiosk(NO_TF_COMMANDS["enroll"][0](tmp_path), data_dir).stdout
    argv, expected = NO_TF_COMMANDS[command]
    result = run_kiosk(argv(tmp_path), data_dir)
    assert result.returncode == 0 and expected in result.stdout + result.stderr, result.stderr[-2000:]
    assert heavy_modules(result) == ""


def test_importing_the_litert_detector_loads_nothing_heavy():
    code = ("import sys, kiosk.core.vision.mtcnn_litert, kiosk.core.vision.loader; "
            "heavy = {'tensorflow', 'keras', 'mtcnn', 'cv2', 'ai_edge_litert'} & set(sys.modules); "
            "sys.exit(f'loaded at import: {heavy}' if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- enrolment: the dominant face ------------------------------------------------------------------
def pasted(canvas_rgb: np.ndarray, photo: Path, side_px: int, at_xy: tuple[int, int]) -> None:
    """Paste ``photo`` resized to side_px x side_px with its top-left corner at ``at_xy``."""
    small = cv2.resize(read_image_rgb(photo), (side_px, side_px), interpolation=cv2.INTER_AREA)
    x, y = at_xy
    canvas_rgb[y:y + side_px, x:x + side_px] = small


def test_a_far_smaller_face_behind_is_ignored_and_named(engine):
    frame = photo_frame(SEED / "younes.jpg", scale=4.0)  # his face: ~250x300 px
    pasted(frame, SEED / "danielle.png", 90, (10, 10))  # a colleague far behind: ~60 px face
    assert len(engine.detect(frame)) == 2
    photo = engine.encode_photo(frame, "desk.jpg")
    assert photo.face.size_px > 200
    assert [f.size_px < 90 for f in photo.ignored] == [True]
    _, alone = engine.encode_one(photo_frame(SEED / "younes.jpg", scale=4.0))
    assert float(np.linalg.norm(photo.embedding - alone)) < 0.1  # his face, not hers


def test_two_large_faces_are_still_several_faces(engine):
    frame = np.full((480, 640, 3), 118, np.uint8)
    pasted(frame, SEED / "younes.jpg", 250, (40, 100))
    pasted(frame, SEED / "danielle.png", 200, (380, 120))
    assert len(engine.detect(frame)) == 2
    with pytest.raises(MultipleFacesError, match="2 faces found"):
        engine.encode_photo(frame, "pair.jpg")


def test_the_live_minimum_drops_faces_too_small_to_recognise(engine):
    frame = photo_frame(SEED / "younes.jpg", scale=4.0)
    pasted(frame, SEED / "kian.jpg", 90, (10, 10))  # kian's face: ~30 px
    assert len(engine.detect(frame)) == 2  # photos: down to 20 px
    live = engine.analyse(frame, engine_gallery(engine), 0.85, live=True)
    assert [r.face.size_px >= engine.live_min_face_px for r in live.faces] == [True]


def engine_gallery(engine):
    from kiosk.core.recognition.matching import Gallery

    return Gallery.from_arrays(np.zeros((0, engine.embedder.dim), np.float32), [], [], {})

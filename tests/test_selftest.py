"""`kiosk self-test` from source: the real models pass, missing weights fail loudly.

The same command is run on the frozen, installed build by tests/packaging/test_deb.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kiosk import selftest
from kiosk.core.base import paths
from tests.conftest import REPO, seed_photo

CHECKS = ("main window", "weights", "FaceNet embedder", "MTCNN detector", "anti-spoofing models",
          "built-in frame: one face", "built-in: moved face matches", "built-in: scrambled face")


def run_kiosk(*args: str, data_dir: Path, timeout_s: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout_s)


def check_lines(stdout: str) -> dict[str, str]:
    """{check name: "ok" or "FAIL"} from the self-test's report."""
    found = {}
    for line in stdout.splitlines():
        status, _, rest = line.partition("  ")
        if status in ("ok", "FAIL"):
            found[rest.strip().split("  ")[0]] = status
    return found


@pytest.mark.slow
def test_self_test_passes_with_the_real_models_and_a_photo(tmp_path, testdata):
    done = run_kiosk("self-test", str(seed_photo("andrew")), data_dir=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = check_lines(done.stdout)
    assert lines == {**{name: "ok" for name in CHECKS}, "image andrew.jpg": "ok"}
    assert "window shown at" in done.stdout and "model ready at" in done.stdout
    assert "self-test passed: 9 checks" in done.stdout
    assert not any(tmp_path.iterdir()), "the self-test must not write to the data dir"


@pytest.mark.slow
def test_self_test_fails_with_an_empty_weights_dir(tmp_path):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    done = run_kiosk("--weights-dir", str(empty), "self-test", data_dir=tmp_path / "data")
    assert done.returncode == 1
    lines = check_lines(done.stdout)
    assert lines["weights"] == lines["FaceNet embedder"] == lines["main window"] == "FAIL"
    assert lines["MTCNN detector"] == "ok"  # each check runs even when others failed
    assert "FaceNet weights not found" in done.stdout
    assert "self-test FAILED" in done.stdout
    assert "Traceback" not in done.stderr  # a missing file is its one-line reason, not a crash


@pytest.mark.slow
def test_a_slim_install_with_exports_only_passes_and_a_changed_export_fails(tmp_path, settings, engine):
    import shutil

    slim = tmp_path / "slim-weights"  # what the installers ship: no .h5, the checked exports
    slim.mkdir()
    for path in settings.weights_path.iterdir():
        if path.suffix == ".tflite" or path.name == "exports.json":
            shutil.copy(path, slim / path.name)
    done = run_kiosk("--weights-dir", str(slim), "self-test", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stdout
    weights_line, = [line for line in done.stdout.splitlines() if line.startswith("ok    weights")]
    assert "no facenet_keras.h5 (exports only)" in weights_line
    onet = slim / "mtcnn-1.0.0-onet.tflite"
    onet.write_bytes(onet.read_bytes()[:-1] + b"\0")
    done = run_kiosk("--weights-dir", str(slim), "self-test", data_dir=tmp_path / "data")
    assert done.returncode == 1 and check_lines(done.stdout)["weights"] == "FAIL"


@pytest.mark.slow
def test_an_image_without_a_face_is_a_failed_check(tmp_path, settings, engine):
    from PIL import Image

    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((240, 320, 3), 128, np.uint8)).save(blank)
    test = selftest.SelfTest(settings, [str(blank)])
    test.engine = engine
    result = selftest.run_check("image wall.png", lambda: test.check_image(str(blank)))
    assert not result.ok and "no face found" in result.detail
    assert result.line().startswith("FAIL  image wall.png")


def test_a_missing_image_is_a_failed_check_not_a_crash(settings):
    test = selftest.SelfTest(settings)
    result = selftest.run_check("image", lambda: test.check_image("/no/such/photo.jpg"))
    assert not result.ok and "ImageError" in result.detail and "no such file" in result.detail


def test_checks_that_need_a_model_are_skipped_as_failures(settings):
    result = selftest.run_check("built-in", selftest.SelfTest(settings).check_builtin)
    assert not result.ok and result.detail.startswith("skipped:")


def test_scrambled_face_keeps_its_pixels_but_not_their_order():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (100, 120, 3), dtype=np.uint8)
    box = (10, 20, 64, 48)
    out = selftest.scrambled_rgb(image, box)
    region = np.s_[20:68, 10:74]
    assert out.shape == image.shape
    assert np.array_equal(np.sort(out[region].ravel()), np.sort(image[region].ravel()))
    assert not np.array_equal(out[region], image[region])
    outside = np.ones(image.shape[:2], bool)
    outside[region] = False
    assert np.array_equal(out[outside], image[outside])


def test_process_age_is_measured_from_process_start():
    import subprocess
    import time

    age_s, origin = selftest.process_age_s()
    assert origin == ("process start" if sys.platform in ("linux", "win32") else
                      "the import of kiosk.core.base.proctime")
    assert 0.0 < age_s < 24 * 3600
    code = "import time; time.sleep(0.5); from kiosk.core.base.proctime import process_age_s; print(process_age_s()[0])"
    started = time.monotonic()
    child_age_s = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    # It counts what ran before the import; /proc has 10 ms ticks (uptime 10 ms digits): slack.
    assert 0.5 <= child_age_s <= time.monotonic() - started + 0.05


# --- where a frozen build looks for its files ---------------------------------------------
@pytest.fixture
def frozen(monkeypatch, tmp_path):
    """Pretend to be a PyInstaller build whose bundle is tmp_path/bundle."""
    bundle = tmp_path / "bundle"
    (bundle / "weights").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.delenv("KIOSK_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("KIOSK_DATA_DIR", raising=False)
    return bundle


def test_frozen_build_uses_its_bundled_weights(frozen):
    assert paths.bundle_dir() == frozen
    assert paths.weights_dir() == frozen / "weights"


def test_weights_overrides_still_win_over_the_bundle(frozen, monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_WEIGHTS_DIR", str(tmp_path / "env"))
    assert paths.weights_dir() == tmp_path / "env"
    assert paths.weights_dir(tmp_path / "flag") == tmp_path / "flag"


def test_from_source_there_is_no_bundle(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delenv("KIOSK_WEIGHTS_DIR", raising=False)
    assert paths.bundle_dir() is None
    assert paths.weights_dir().name == "weights" and "bundle" not in str(paths.weights_dir())


def test_frozen_windows_build_keeps_its_data_per_machine(frozen, monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(platformdirs, "site_data_dir", lambda name, appauthor=None: str(tmp_path / "ProgramData" / name))
    assert paths.data_dir() == tmp_path / "ProgramData" / "facenet-kiosk"
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "mine"))
    assert paths.data_dir() == tmp_path / "mine"


def test_frozen_linux_build_keeps_per_user_data(frozen, monkeypatch):
    import platformdirs

    monkeypatch.setattr(sys, "platform", "linux")
    assert paths.data_dir() == Path(platformdirs.user_data_dir("facenet-kiosk", appauthor=False))


def test_the_frozen_self_test_finds_its_bundled_portrait(frozen):
    (frozen / "resources").mkdir()
    (frozen / "resources" / selftest.PORTRAIT_FILE).write_bytes(b"jpeg")
    assert selftest.portrait_path() == frozen / "resources" / selftest.PORTRAIT_FILE

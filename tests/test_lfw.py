"""`kiosk evaluate` and `kiosk calibrate` on real LFW photos, with an accuracy floor."""
import json

import numpy as np
import pytest

from kiosk import cli
from kiosk.core.base.types import Face
from kiosk.core.evaluation.lfw import all_pair_distances, operating_points, subject_face
from tests.conftest import LFW


@pytest.fixture
def run_cli(engine, monkeypatch, capsys, tmp_path):

    def run(*argv):
        code = cli.main(["--data-dir", str(tmp_path), *map(str, argv)],
                        engine_factory=lambda settings: engine)
        return code, capsys.readouterr().out
    return run


def test_evaluate_devtest_slice_meets_the_floor(run_cli, tmp_path):
    plot = tmp_path / "roc.png"
    code, out = run_cli("evaluate", "--pairs", LFW / "pairsDevTest.txt", "--images", LFW,
                        "--limit", "60", "--json", "--plot", plot, "--baseline", "pixel")
    report = json.loads(out)
    assert code == 0 and report["pairs"] == 120
    for key in ("accuracy", "accuracy_std", "threshold", "default_threshold", "accuracy_at_default",
                "tar_at_far_1e-3", "eer", "no_face"):
        assert key in report
    assert report["accuracy"] >= 0.97 and report["accuracy_at_default"] >= 0.95
    assert report["baseline_pixel"]["accuracy"] < report["accuracy"] - 0.15  # the course's pixels are far worse
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_text_output_names_the_no_face_policy(run_cli):
    code, out = run_cli("evaluate", "--pairs", LFW / "pairsDevTest.txt", "--images", LFW, "--limit", "5")
    assert code == 0 and "no face" in out and "accuracy" in out.lower()


def test_evaluate_missing_images_is_a_clear_error(run_cli, tmp_path, capsys):
    code, _ = run_cli("evaluate", "--pairs", LFW / "pairsDevTest.txt", "--images", tmp_path, "--limit", "2")
    assert code == 2


def test_all_pair_distances_splits_by_identity():
    rng = np.random.default_rng(0)
    emb = {f"p{i % 5}/p_{i}.jpg": v / np.linalg.norm(v) for i, v in enumerate(rng.standard_normal((23, 8)))}
    emb["p9/none.jpg"] = None
    genuine, impostor = all_pair_distances(emb, chunk_rows=4)
    assert len(genuine) == 3 * 10 + 2 * 6 and len(genuine) + len(impostor) == 23 * 22 // 2


def test_operating_points_hold_their_far():
    impostor = np.linspace(0.5, 2.0, 10_000)
    genuine = np.linspace(0.0, 1.0, 100)
    point, = operating_points(genuine, impostor, [1e-3])
    assert point["far"] == 1e-3 and point["threshold"] == pytest.approx(0.5 + 1.5 * 10 / 9999, abs=1e-9)
    assert point["threshold"] < impostor[10]  # the 11th impostor stays out
    assert point["tar"] == pytest.approx(np.mean(genuine <= point["threshold"]))
    strictest, = operating_points(genuine, impostor, [1e-5])  # fewer than one impostor pair
    assert strictest["far"] == 0.0 and strictest["threshold"] < 0.5


def test_operating_points_keep_ties_out():
    """Accepting on <=, a threshold at a tied impostor distance would let all the ties in."""
    point, = operating_points(np.array([0.05]), np.array([0.1, 0.2, 0.2, 0.3]), [0.5])
    assert point["far"] <= 0.5 and point["threshold"] < 0.2 and point["tar"] == 1.0


def test_subject_is_the_large_central_face():
    small_centre = Face((110, 110, 30, 30), 0.99)
    big_centre = Face((80, 80, 90, 90), 0.99)
    big_corner = Face((0, 0, 95, 95), 0.99)
    assert subject_face([small_centre, big_corner, big_centre], 250, 250) is big_centre
    assert subject_face([], 250, 250) is None

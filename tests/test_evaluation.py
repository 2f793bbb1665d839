"""Pair-file parsing and verification metrics, on hand-computed cases and real LFW View 1."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiosk import formatting
from kiosk.core.base.errors import KioskError
from kiosk.core.evaluation import metrics as ev

LFW_VIEW1 = Path(__file__).resolve().parents[1].parent / "shared" / "testdata" / "lfw-view1"
needs_lfw = pytest.mark.usefixtures("testdata")  # fails (never skips) when ../shared is missing

# A known confusion case. Sorted: .1P .2P .3P .4N .5N .6P .7N .8N
CONFUSED_D = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.5, 0.7, 0.8])
CONFUSED_SAME = np.array([True, True, True, True, False, False, False, False])


def _write(tmp_path: Path, text: str, name: str = "pairs.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- read_pairs ---------------------------------------------------------------------------
@needs_lfw
def test_reads_real_view1_train():
    pairset = ev.read_pairs(LFW_VIEW1 / "pairsDevTrain.txt")
    assert len(pairset) == 2200 and pairset.n_folds == 1
    assert pairset.same.sum() == 1100 and set(pairset.folds) == {0}
    assert pairset.pairs[0] == ev.Pair("Aaron_Peirsol/Aaron_Peirsol_0001.jpg",
                                       "Aaron_Peirsol/Aaron_Peirsol_0002.jpg", True, 0)
    assert pairset.pairs[1100] == ev.Pair("AJ_Cook/AJ_Cook_0001.jpg",
                                          "Marsha_Thomason/Marsha_Thomason_0001.jpg", False, 0)


@needs_lfw
def test_reads_real_view1_test_and_every_image_exists():
    pairset = ev.read_pairs(LFW_VIEW1 / "pairsDevTest.txt")
    assert len(pairset) == 1000 and pairset.same[:500].all() and not pairset.same[500:].any()
    assert pairset.pairs[0].path_a == "Abdullah_Gul/Abdullah_Gul_0013.jpg"
    assert pairset.pairs[0].path_b == "Abdullah_Gul/Abdullah_Gul_0014.jpg"
    assert pairset.pairs[500].path_b == "Zach_Safrin/Zach_Safrin_0001.jpg"
    missing = [p for p in pairset.unique_paths() if not (LFW_VIEW1 / p).is_file()]
    assert missing == []


def test_reads_view2_folds(tmp_path):
    lines = ["2\t2"]
    for fold in range(2):
        lines += [f"Same_{fold}\t1\t2", f"Same_{fold}\t3\t12"]
        lines += [f"Ann_{fold}\t1\tBob\t7", f"Cy_{fold}\t10\tDee\t100"]
    pairset = ev.read_pairs(_write(tmp_path, "\n".join(lines) + "\n"))
    assert pairset.n_folds == 2 and len(pairset) == 8
    assert pairset.folds.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert pairset.same.tolist() == [True, True, False, False] * 2
    assert pairset.pairs[5] == ev.Pair("Same_1/Same_1_0003.jpg", "Same_1/Same_1_0012.jpg", True, 1)
    assert pairset.pairs[7] == ev.Pair("Cy_1/Cy_1_0010.jpg", "Dee/Dee_0100.jpg", False, 1)


def test_unique_paths_lists_shared_images_once(tmp_path):
    pairset = ev.read_pairs(_write(tmp_path, "1\nA\t1\t2\nA\t1\tB\t1\n"))
    assert pairset.unique_paths() == ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"]


@pytest.mark.parametrize("text, line, words", [
    ("2\nA\t1\t2\nA\t1\tB\t2\nB\t1\tC\t1\nB\t1\tD\t1\n", 3, "same-person"),
    ("1\nA\t1\t2\nA\t1\t2\n", 3, "different-person"),
    ("1\nA\t1\tx\nA\t1\tB\t1\n", 2, "positive whole number"),
    ("1\nA\t0\t2\nA\t1\tB\t1\n", 2, "positive whole number"),
    ("1 2 3\nA\t1\t2\n", 1, "header"),
])
def test_malformed_line_names_file_and_line(tmp_path, text, line, words):
    with pytest.raises(KioskError, match=rf"bad\.txt, line {line}: .*{words}"):
        ev.read_pairs(_write(tmp_path, text, "bad.txt"))


@pytest.mark.parametrize("text", ["", "2\nA\t1\t2\nA\t1\tB\t1\n"])
def test_empty_or_truncated_file_is_a_kiosk_error(tmp_path, text):
    with pytest.raises(KioskError, match="bad.txt"):
        ev.read_pairs(_write(tmp_path, text, "bad.txt"))


def test_missing_file_is_a_kiosk_error(tmp_path):
    with pytest.raises(KioskError, match="cannot read"):
        ev.read_pairs(tmp_path / "nope.txt")


# --- metrics ------------------------------------------------------------------------------
def test_perfectly_separable():
    d = np.array([0.2, 0.3, 0.7, 0.8])
    same = np.array([True, True, False, False])
    assert ev.best_threshold(d, same) == pytest.approx((0.5, 1.0))
    assert ev.accuracy_at(d, same, 0.5) == 1.0
    assert ev.eer(d, same)[0] == 0.0
    assert ev.tar_at_far(d, same) == 1.0
    assert ev.threshold_at_far(d, same, 1e-3) == pytest.approx(0.3)


def test_known_confusion_case():
    d, same = CONFUSED_D, CONFUSED_SAME
    assert ev.accuracy_at(d, same, 0.45) == pytest.approx(6 / 8)  # .4 wrongly accepted
    assert ev.best_threshold(d, same) == pytest.approx((0.35, 7 / 8))
    assert ev.eer(d, same) == pytest.approx((0.25, 0.4))  # at .4: one of 4 each way wrong
    assert ev.tar_at_far(d, same, 1e-3) == pytest.approx(0.75)
    assert ev.tar_at_far(d, same, 0.5) == pytest.approx(1.0)
    assert ev.threshold_at_far(d, same, 0.5) == pytest.approx(0.6)
    assert ev.threshold_at_far(d, same, 0.25) == pytest.approx(0.3)  # .4 adds FAR, no TAR


def test_roc_points():
    far, tar, thresholds = ev.roc(CONFUSED_D, CONFUSED_SAME)
    np.testing.assert_allclose(thresholds[1:], [.1, .2, .3, .4, .5, .6, .7, .8])
    assert thresholds[0] < 0.1
    np.testing.assert_allclose(far, [0, 0, 0, 0, .25, .5, .5, .75, 1])
    np.testing.assert_allclose(tar, [0, .25, .5, .75, .75, .75, 1, 1, 1])


def test_eer_interpolates_between_roc_points():
    # ROC (far, frr): (0, 1) at "none", (0, .5) at .3, then the tie at .5 jumps to (1, 0).
    # FAR = FRR = 1/3 a third of the way along that step: threshold .3 + .2 / 3.
    d = np.array([0.3, 0.5, 0.5, 0.5])
    same = np.array([True, True, False, False])
    rate, threshold = ev.eer(d, same)
    assert rate == pytest.approx(1 / 3)
    assert threshold == pytest.approx(0.3 + 0.2 / 3)


def test_best_threshold_matches_brute_force():
    rng = np.random.default_rng(0)
    same = rng.random(300) < 0.5
    d = np.round(np.where(same, rng.normal(0.8, 0.2, 300), rng.normal(1.2, 0.2, 300)), 2)
    threshold, accuracy = ev.best_threshold(d, same)
    brute = max(ev.accuracy_at(d, same, t) for t in np.unique(d))
    assert accuracy == pytest.approx(brute)
    assert ev.accuracy_at(d, same, threshold) == pytest.approx(accuracy)


def test_mismatched_shapes_and_nan_are_rejected():
    with pytest.raises(ValueError):
        ev.accuracy_at(np.zeros(3), np.zeros(2, bool), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        ev.best_threshold(np.array([np.nan, 1.0]), np.array([True, False]))
    with pytest.raises(ValueError, match="both"):
        ev.roc(np.array([0.1, 0.2]), np.array([True, True]))


# --- k-fold -------------------------------------------------------------------------------
def test_kfold_chooses_thresholds_on_the_other_folds_only():
    # Fold 0 alone is best split at .5, fold 1 alone at 1.25. Scored with the *other* fold's
    # threshold each fold gets 50 %; with its own it would get 100 %.
    d = np.array([0.2, 0.3, 0.7, 0.8, 0.9, 1.0, 1.5, 1.6])
    same = np.array([True, True, False, False] * 2)
    folds = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    mean, std, thresholds = ev.kfold_accuracy(d, same, folds)
    np.testing.assert_allclose(thresholds, [1.25, 0.5])
    assert (mean, std) == pytest.approx((0.5, 0.0))


def test_kfold_on_separable_data_and_std():
    # folds_for(8, 4) puts pairs i and i + 4 together; fold 3 (.65 same, .4 different) is
    # the only one the others' threshold (.5) gets wrong, twice.
    d = np.array([0.1, 0.2, 0.3, 0.65, 0.9, 0.8, 0.7, 0.4])
    same = np.array([True] * 4 + [False] * 4)
    mean, std, _ = ev.kfold_accuracy(d, same, ev.folds_for(8, k=4))
    assert (mean, std) == pytest.approx((np.mean([1, 1, 1, 0]), np.std([1, 1, 1, 0])))


def test_kfold_needs_two_folds():
    with pytest.raises(ValueError, match="at least 2 folds"):
        ev.kfold_accuracy(CONFUSED_D, CONFUSED_SAME, np.zeros(8, int))


def test_folds_for_interleaves():
    assert ev.folds_for(7, k=3).tolist() == [0, 1, 2, 0, 1, 2, 0]


# --- the report ---------------------------------------------------------------------------
def _pairset(same: list[bool], folds: list[int] | None = None) -> ev.PairSet:
    folds = folds or [0] * len(same)
    pairs = tuple(ev.Pair(f"A/A_{i:04d}.jpg", f"B/B_{i:04d}.jpg", s, f)
                  for i, (s, f) in enumerate(zip(same, folds)))
    return ev.PairSet(pairs=pairs, n_folds=len(set(folds)))


def test_no_face_pairs_count_as_rejections():
    pairset = _pairset([True, True, True, False, False, False])
    distances = {0: 0.2, 1: None, 2: 0.3, 3: None, 4: 0.9, 5: 1.0}
    index = {pair: i for i, pair in enumerate(pairset.pairs)}
    report = ev.evaluate(pairset, lambda pair: distances[index[pair]], default_threshold=0.5)
    assert report.no_face == 2 and report.pairs == 6
    assert report.accuracy == pytest.approx(5 / 6)  # only the no-face same pair is wrong
    assert report.accuracy_at_default == pytest.approx(5 / 6)
    assert report.tar_at_far_1e3 == pytest.approx(2 / 3)
    assert "not same" in report.policy_no_face and "not same" in formatting.evaluation_report(report)
    assert np.isfinite(report.threshold) and report.threshold == pytest.approx(0.6)


def test_no_face_everywhere_still_reports():
    pairset = _pairset([True, False])
    report = ev.evaluate_distances(pairset, np.array([np.inf, np.inf]), 1.0)
    assert report.no_face == 2 and report.accuracy == 0.5 and report.eer == 1.0
    json.dumps(report.to_json_dict())


def test_report_json_keys_and_text():
    pairset = _pairset(list(CONFUSED_SAME))
    report = ev.evaluate_distances(pairset, CONFUSED_D, default_threshold=0.45)
    data = report.to_json_dict()
    assert set(data) == {
        "accuracy", "accuracy_std", "threshold", "default_threshold", "accuracy_at_default",
        "tar_at_far_1e-3", "eer", "pairs", "no_face", "far_target", "n_folds", "protocol",
        "policy_no_face", "eer_threshold", "tar_at_far_target", "threshold_at_far_target"}
    assert json.loads(json.dumps(data)) == data
    assert data["accuracy"] == pytest.approx(0.875) and data["accuracy_std"] is None
    assert data["accuracy_at_default"] == pytest.approx(0.75) and data["eer"] == 0.25
    text = formatting.evaluation_report(report)
    assert "0.8750" in text and "EER" in text and "optimistic" in text
    assert "±" not in text


def test_report_uses_the_files_folds_or_interleaved_folds():
    d = np.array([0.2, 0.3, 0.7, 0.8, 0.9, 1.0, 1.5, 1.6])
    pairset = _pairset([True, True, False, False] * 2, folds=[0] * 4 + [1] * 4)
    report = ev.evaluate_distances(pairset, d, default_threshold=1.0)
    assert (report.n_folds, report.accuracy, report.accuracy_std) == (2, 0.5, 0.0)
    assert report.threshold == pytest.approx(np.median([1.25, 0.5]))
    single = ev.evaluate_distances(_pairset([True, False] * 4), CONFUSED_D, 1.0, k_folds=4)
    assert single.n_folds == 4 and single.accuracy_std is not None and "±" in formatting.evaluation_report(single)


def test_pair_distances_from_embeddings():
    pairset = ev.PairSet(pairs=(ev.Pair("a", "b", True, 0), ev.Pair("a", "c", False, 0)),
                         n_folds=1)
    embeddings = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": None}
    np.testing.assert_allclose(ev.pair_distances(pairset, embeddings), [np.sqrt(2), np.inf])


# --- plot ---------------------------------------------------------------------------------
def test_plot_roc_writes_a_png(tmp_path):
    far, tar, _ = ev.roc(CONFUSED_D, CONFUSED_SAME)
    path = ev.plot_roc(far, tar, tmp_path / "roc.png", label="facenet",
                       extra_curves={"other": (np.array([0, 0.1, 1.0]), np.array([0, 0.5, 1]))})
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000


def test_plot_roc_unwritable_path_is_a_kiosk_error(tmp_path):
    with pytest.raises(KioskError, match="cannot write"):
        ev.plot_roc(np.array([0.0, 1.0]), np.array([0.0, 1.0]), tmp_path / "no" / "roc.png")

"""`kiosk evaluate-detector`: the study behind the detector's defaults, re-run from a checkout,
with the real LiteRT detector on real pictures without faces and real LFW images."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from kiosk import cli
from kiosk.core.base.specs import DEFAULT_DETECTOR
from tests.conftest import LFW

# Real photos and pictures without a face, shipped with matplotlib (a dependency).
FACE_FREE = ("Minduka_Present_Blue_Pack.png", "logo2.png")
# Three LFW images with other people's faces beside the subject, three without.
LFW_IMAGES = ("Abdel_Nasser_Assidi/Abdel_Nasser_Assidi_0001.jpg",
              "Abdullah_al-Attiyah/Abdullah_al-Attiyah_0002.jpg", "Adam_Sandler/Adam_Sandler_0004.jpg",
              "AJ_Cook/AJ_Cook_0001.jpg", "Aaron_Guiel/Aaron_Guiel_0001.jpg",
              "Aaron_Sorkin/Aaron_Sorkin_0001.jpg")
THRESHOLDS, MIN_SIZES = (0.8, 0.9, 0.95), (20, 40)


def sample(name: str) -> Path:
    return Path(matplotlib.cbook.get_sample_data(name, asfileobj=False))


@pytest.fixture(scope="module")
def folders(tmp_path_factory, testdata):
    """face-free/: the two pictures, a 1400x1000 mosaic of them (big enough for quadrant
    tiles: 5 frames) and a link to one of them in a sub-folder, and a file that is no image;
    lfw/: LFW_IMAGES."""
    root = tmp_path_factory.mktemp("evaldet")
    face_free, lfw = root / "face-free", root / "lfw"
    (face_free / "big").mkdir(parents=True)
    for name in FACE_FREE:
        shutil.copy(sample(name), face_free / name)
    tiles = [np.asarray(Image.open(sample(n)).convert("RGB").resize((700, 500))) for n in FACE_FREE * 2]
    mosaic = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:][::-1])])
    Image.fromarray(mosaic).save(face_free / "big" / "mosaic.jpg", quality=92)
    (face_free / "broken.jpg").write_bytes(b"not a picture")
    (face_free / "big" / "same-logo.png").symlink_to(face_free / "logo2.png")  # counted once
    for rel in LFW_IMAGES:
        (lfw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LFW / rel, lfw / rel)
    return face_free, lfw


def run_cli(tmp_path, capsys, *argv):
    code = cli.main(["--data-dir", str(tmp_path / "data"), "evaluate-detector", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_counts_false_faces_for_every_setting(folders, tmp_path, capsys):
    face_free, lfw = folders
    code, out, _ = run_cli(tmp_path, capsys, "--face-free", face_free, "--lfw", lfw, "--json")
    assert code == 0
    report = json.loads(out)
    assert {"face_free", "lfw", "defaults"} <= report.keys()
    assert report["pictures"] == 3 and report["frames"] == 1 + 1 + 5
    assert len(report["unreadable"]) == 1 and "broken.jpg" in report["unreadable"][0]
    for key in ("face_free", "lfw"):
        assert sorted((r["threshold"], r["min_face_px"]) for r in report[key]) == \
            sorted((t, s) for t in THRESHOLDS for s in MIN_SIZES)
    check_face_free(report["face_free"])
    check_lfw(report["lfw"])
    assert report["defaults"] == {"live_threshold": DEFAULT_DETECTOR.live_min_score,
                                  "live_min_face_px": DEFAULT_DETECTOR.live_min_face_px,
                                  "photo_threshold": DEFAULT_DETECTOR.thresholds[2],
                                  "photo_min_face_px": DEFAULT_DETECTOR.min_face_px}


def check_face_free(rows: list[dict]) -> None:
    for row in rows:
        assert (row["frames"], row["pictures"]) == (7, 3)
        count = row["false_faces_per_frame"] * row["frames"]
        assert count == pytest.approx(round(count)) and round(count) == row["false_faces"]
        assert row["frames_with_any"] <= row["false_faces"]
    for size in MIN_SIZES:
        counts = [r["false_faces"] for r in sorted(rows, key=lambda r: r["threshold"]) if r["min_face_px"] == size]
        assert counts == sorted(counts, reverse=True)  # a higher threshold never adds a false face


def check_lfw(rows: list[dict]) -> None:
    for row in rows:
        assert row["images"] == len(LFW_IMAGES) and row["no_subject"] == 0
        count = row["extra_per_image"] * row["images"]
        assert count == pytest.approx(round(count)) and round(count) == row["extra"]
    by_setting = {(r["threshold"], r["min_face_px"]): r["extra"] for r in rows}
    assert by_setting[(0.8, 20)] >= 3  # the faces behind three of the subjects
    for size in MIN_SIZES:
        counts = [by_setting[(t, size)] for t in THRESHOLDS]
        assert counts == sorted(counts, reverse=True)
    assert all(by_setting[(t, 20)] >= by_setting[(t, 40)] for t in THRESHOLDS)


def test_text_marks_the_kiosk_defaults(folders, tmp_path, capsys):
    face_free, _ = folders
    code, out, err = run_cli(tmp_path, capsys, "--face-free", face_free, "--thresholds", "0.8,0.9",
                             "--min-sizes", "20,40")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("face-free: 3 pictures, 7 frames")
    assert any("from  40 px" in line and "ONet > 0.9 " in line and line.endswith("(live default)")
               for line in lines)
    assert any("from  20 px" in line and "ONet > 0.8 " in line and line.endswith("(photo default)")
               for line in lines)
    assert sum("default)" in line for line in lines) == 2
    assert any("broken.jpg" in line for line in lines)
    assert "face-free" in err  # the progress bar, on stderr


@pytest.mark.parametrize("argv, message", [
    (["--face-free", "{root}/missing"], "not a folder"),
    (["--face-free", "{root}/empty"], "no pictures"),
    (["--face-free", "{face_free}", "--thresholds", "0.8,x"], "--thresholds"),
    (["--face-free", "{face_free}", "--thresholds", "0.8,1.5"], "thresholds"),
    (["--face-free", "{face_free}", "--min-sizes", "20,4"], "sizes"),
    (["--face-free", "{face_free}", "--lfw", "{root}/empty"], "no LFW images"),
])
def test_bad_input_is_one_line_and_exit_2(folders, tmp_path, capsys, argv, message):
    face_free, _ = folders
    (tmp_path / "empty").mkdir()
    argv = [a.format(root=tmp_path, face_free=face_free) for a in argv]
    code, out, err = run_cli(tmp_path, capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err

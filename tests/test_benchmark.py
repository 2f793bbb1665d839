"""`kiosk benchmark` runs every stage and reports numbers (speed targets live in its output,
not in assertions on time)."""
import json

from kiosk import cli, formatting
from kiosk.core.base.imageio import read_image_rgb
from kiosk.core.evaluation.benchmark import (
    TARGETS,
    one_face_frame,
    sample_portrait_path,
)


def test_the_built_in_frame_shows_exactly_one_face(engine):
    frame_rgb = one_face_frame(read_image_rgb(sample_portrait_path()))
    assert frame_rgb.shape == (480, 640, 3)
    assert len(engine.detect(frame_rgb)) == 1


def test_benchmark_reports_every_stage(capsys, tmp_path):
    assert cli.main(["--data-dir", str(tmp_path), "benchmark", "--repeats", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("detect_ms", "detect_tf_ms", "embed_ms", "pad_ms", "frame_ms", "identify_100k_ms",
                "course_predict_ms"):
        assert summary[key] > 0
    assert set(summary["embed"]) == {"litert-int8", "litert-fp32", "keras"}
    assert summary["faces_in_frame"] == 1
    text = formatting.benchmark(summary)
    assert all(f"target {key}" in text for key, _ in TARGETS)
    assert "LiteRT" in text and "TensorFlow" in text and "faces from 40 px" in text


def small_lfw(tmp_path, pairs_each: int = 10):
    """An LFW folder with the first ``pairs_each`` same-person and different-person pairs of
    DevTest (the real images, linked) as its pairsDevTest.txt."""
    from tests.conftest import LFW

    lines = (LFW / "pairsDevTest.txt").read_text().splitlines()[1:]
    same = [line for line in lines if len(line.split("\t")) == 3][:pairs_each]
    other = [line for line in lines if len(line.split("\t")) == 4][:pairs_each]
    root = tmp_path / "lfw"
    root.mkdir()
    for line in same + other:
        parts = line.split("\t")
        for name in {parts[0], parts[-2] if len(parts) == 4 else parts[0]}:
            if not (root / name).exists():
                (root / name).symlink_to(LFW / name)
    (root / "pairsDevTest.txt").write_text("\n".join([str(pairs_each), *same, *other]) + "\n")
    return root


def test_benchmark_with_lfw_reports_int8_fp32_and_flip_averaging_side_by_side(capsys, tmp_path):
    assert cli.main(["--data-dir", str(tmp_path / "d"), "benchmark", "--repeats", "3", "--json",
                     "--lfw", str(small_lfw(tmp_path))]) == 0
    acc = json.loads(capsys.readouterr().out)["lfw_devtest"]
    for name in ("litert-fp32", "litert-int8", "litert-int8+flip"):
        assert 0.5 < acc[name]["accuracy"] <= 1.0, (name, acc[name])
    gain = 100 * (acc["litert-int8+flip"]["accuracy"] - acc["litert-int8"]["accuracy"])
    assert abs(acc["flip_minus_int8_points"] - gain) < 1e-9 and acc["flip_cost_ratio"] > 0
    assert acc["flip_earns_default"] == (gain >= 0.1 and acc["flip_cost_ratio"] < 2.0)
    text = formatting.runtime_accuracy(acc)
    assert "int8 + flip" in text and "needs >= +0.10 at < 2x" in text

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

"""The passive anti-spoofing check on real photos: checked model files, the authors' crop, and
`kiosk evaluate-pad` on the real print attacks of ../shared/testdata/pad."""
import csv
import json
import shutil

import pytest

from kiosk import cli
from kiosk.core.base.errors import WeightsError
from kiosk.core.base.paths import committed_weights_dir
from kiosk.core.base.specs import DEFAULT_PAD
from kiosk.core.vision import liveness
from tests.conftest import TESTDATA

PAD = TESTDATA / "pad"


@pytest.fixture(scope="module")
def pad():
    return liveness.PassiveLiveness(committed_weights_dir())


def test_the_committed_models_are_the_converted_ones():
    for model in DEFAULT_PAD.models:
        data = (committed_weights_dir() / model.file).read_bytes()
        assert liveness.checked_model_bytes(committed_weights_dir() / model.file, model.sha256) == data


@pytest.mark.parametrize("spoil", ["flip a byte", "missing"])
def test_a_changed_or_missing_model_is_refused_before_it_loads(tmp_path, spoil):
    for model in DEFAULT_PAD.models:
        shutil.copy(committed_weights_dir() / model.file, tmp_path / model.file)
    target = tmp_path / DEFAULT_PAD.models[0].file
    if spoil == "missing":
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="anti-spoofing model"):
        liveness.load_liveness("passive", tmp_path)
    assert liveness.load_liveness("off", tmp_path) is None  # the level that needs no model


def test_the_crop_is_the_authors_box_kept_inside_the_frame():
    assert liveness.enlarged_box(640, 480, (270, 190, 100, 100), 2.7) == (185, 105, 455, 375)
    x0, y0, x1, y1 = liveness.enlarged_box(640, 480, (0, 0, 100, 100), 4.0)  # a corner face
    assert (x0, y0) == (0, 0) and (x1 - x0, y1 - y0) == (400, 400)
    x0, y0, x1, y1 = liveness.enlarged_box(640, 480, (200, 100, 300, 300), 4.0)  # too big: shrunk
    assert y1 - y0 <= 479 and 0 <= x0 and x1 <= 639
    with pytest.raises(ValueError):
        liveness.enlarged_box(640, 480, (10, 10, 0, 20), 2.7)


def test_live_people_score_high_and_printed_photos_low(pad, engine):
    """NUAA (8 subjects): a live photo and a print of the same subject, full frame."""
    from kiosk.core.base.imageio import read_image_rgb

    rows = list(csv.DictReader((PAD / "labels.csv").open()))
    full = [r for r in rows if r["framing"] == "full"]
    live = next(r for r in full if r["label"] == "live")
    attack = next(r for r in full if r["label"] == "attack")
    scores = {}
    for row in (live, attack):
        image = read_image_rgb(PAD / row["file"])
        scores[row["label"]] = pad.live_score(image, engine.detect(image)[0].box_xywh)
    assert scores["live"] > 0.5 > 0.005 > scores["attack"]
    assert liveness.combined_score([0.9, 0.001, 0.9]) == pytest.approx(0.6003333)


def full_frame_folders(tmp_path):
    """live/ and attack/ folders of the full-frame NUAA photos (symlinks, nothing copied)."""
    rows = list(csv.DictReader((PAD / "labels.csv").open()))
    for row in rows:
        if row["framing"] == "full":
            target = tmp_path / row["label"] / "nuaa" / row["file"].split("/")[-1]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(PAD / row["file"])
    return tmp_path / "live", tmp_path / "attack"


def test_evaluate_pad_reports_apcer_bpcer_and_thresholds(engine, tmp_path, capsys):
    live, attack = full_frame_folders(tmp_path / "pad")
    plot = tmp_path / "det.png"
    code = cli.main(["--data-dir", str(tmp_path / "data"), "evaluate-pad", "--live", str(live),
                     "--attack", str(attack), "--json", "--plot", str(plot)],
                    engine_factory=lambda settings: engine)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["images"] == 64
    for key in ("apcer", "bpcer", "threshold", "threshold_bpcer_5", "threshold_bpcer_1",
                "per_folder", "no_face", "images"):
        assert key in report
    assert report["apcer"] == 0.0 and report["bpcer"] == 0.0  # printed photos, full frame
    assert report["per_folder"]["attack/nuaa"]["apcer"] == 0.0
    assert report["threshold"] == DEFAULT_PAD.threshold
    assert report["threshold_bpcer_5"] > report["threshold"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code = cli.main(["--data-dir", str(tmp_path / "data"), "evaluate-pad", "--live", str(live),
                     "--attack", str(attack), "--level", "off", "--json"],
                    engine_factory=lambda settings: engine)
    assert json.loads(capsys.readouterr().out)["apcer"] == 1.0  # the face alone lets prints in


def test_evaluate_pad_bad_input_is_exit_2(tmp_path, capsys, engine):
    code = cli.main(["--data-dir", str(tmp_path), "evaluate-pad", "--live", str(tmp_path / "none"),
                     "--attack", str(tmp_path)], engine_factory=lambda settings: engine)
    assert code == 2 and "not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate-pad", "evaluate"])
def test_a_plot_that_could_never_be_written_is_refused_before_the_run(tmp_path, capsys, command):
    def no_models(settings):
        raise AssertionError("the models were loaded: the run started")

    folders = (["--live", str(tmp_path), "--attack", str(tmp_path)] if command == "evaluate-pad"
               else ["--pairs", str(tmp_path / "pairs.txt"), "--images", str(tmp_path)])
    for plot in (tmp_path / "no-such-folder" / "det.png", tmp_path):
        code = cli.main(["--data-dir", str(tmp_path / "data"), command, *folders, "--plot", str(plot)],
                        engine_factory=no_models)
        err = capsys.readouterr().err
        assert code == 2 and "--plot" in err and "not a file in an existing folder" in err


@pytest.mark.parametrize("command", ["evaluate-pad", "evaluate"])
def test_a_plot_without_matplotlib_is_refused_before_the_run(tmp_path, capsys, monkeypatch, command):
    from tests.test_attendance import hide_matplotlib

    def no_models(settings):
        raise AssertionError("the models were loaded: the run started")

    hide_matplotlib(monkeypatch)  # as in the installed kiosk
    folders = (["--live", str(tmp_path), "--attack", str(tmp_path)] if command == "evaluate-pad"
               else ["--pairs", str(tmp_path / "pairs.txt"), "--images", str(tmp_path)])
    code = cli.main(["--data-dir", str(tmp_path / "data"), command, *folders, "--plot", str(tmp_path / "p.png")],
                    engine_factory=no_models)
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --plot needs matplotlib, which this installation leaves out; run without --plot"]

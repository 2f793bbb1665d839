"""The front desk on real kiosk screens, from a 800x480 panel to 4K, landscape and portrait:
each size is a child process whose Qt screen has that size (the offscreen platform's config)."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (1080, 1920)]


def probe(tmp_path, width, height) -> dict:
    config = tmp_path / f"screen-{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{"name": "kiosk", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpi": 96,
                                               "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-m", "tests.screen_probe"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_everything_fits_and_the_text_scales(tmp_path, width, height):
    got = probe(tmp_path, width, height)
    assert got["screen"] == [width, height]
    assert got["window"] == [0, 0, width, height]  # full screen, nothing wider than the screen
    assert got["window_min"][0] <= width and got["window_min"][1] <= height
    assert got["panel_inside"] and got["title_lines_fit"], got
    capitals_px = got["title_px"] * 0.72
    assert 0.04 * height <= capitals_px <= 0.06 * height  # about 5% of the screen's height
    assert got["live_view"][3] > 0.2 * height  # the picture keeps a real share of the screen
    for name, dialog in got["dialogs"].items():
        assert dialog["inside"] and dialog["buttons_inside"] and dialog["fixed_buttons"] >= 1, (name, dialog)

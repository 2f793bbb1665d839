"""Take the README's screenshots from the real window on a real (virtual) screen.

    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python resources/screenshots.py resources/screen-1920x1080.png
    xvfb-run -s "-screen 0 1080x1920x24" .venv/bin/python resources/screenshots.py resources/screen-1080x1920.png

The kiosk runs full screen with the real models, a temporary store with two seed faces
enrolled, and a folder camera showing ``camera_0.jpg`` (younes, at a desk); the screen is
grabbed once "Welcome, younes" is up. Nothing is written outside a temporary folder and
``OUT``.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "testdata" / "seed-faces"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--photo", default="camera_0.jpg", help="the seed photo the camera shows")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        window = _window(Path(tmp), args.photo)
        decision = _wait_for_welcome(app, window)
        app.primaryScreen().grabWindow(0).save(str(args.out))
        window.force_close()
    print(f"{args.out}: {decision}")
    return 0


def _window(tmp: Path, photo: str):
    from kiosk.core.base import settings as settings_mod
    from kiosk.core.frontdesk.desk import FrontDesk
    from kiosk.core.recognition.engine import Engine
    from kiosk.core.storage.sqlite import SqliteStore
    from kiosk.ui.app import build_window
    from tests.ui_helpers import ScriptedPrompter

    camera_dir = tmp / "camera"
    camera_dir.mkdir()
    shutil.copy(SEED / photo, camera_dir / photo)
    settings = settings_mod.load({"data_dir": str(tmp / "data"), "camera": str(camera_dir)}, environ={})
    store = SqliteStore.open(settings.database_path)
    desk = FrontDesk(store, settings, engine=Engine.load(settings))
    desk.enrol("younes", [desk.encode_image(_rgb(SEED / "younes.jpg"), "younes.jpg")], "E-1047")
    desk.enrol("kian", [desk.encode_image(_rgb(SEED / "kian.jpg"), "kian.jpg")], "E-1102")
    window = build_window(settings, store, engine_factory=Engine.load, kiosk_mode=True,
                          prompter=ScriptedPrompter())
    window.start()
    return window


def _rgb(path: Path):
    from kiosk.core.base.imageio import read_image_rgb

    return read_image_rgb(path)


def _wait_for_welcome(app, window, timeout_s: float = 60.0):
    decisions = []
    window.controller.decided.connect(decisions.append)
    deadline = time.monotonic() + timeout_s
    while not any(d.accepted for d in decisions):
        if time.monotonic() > deadline:
            raise SystemExit(f"no welcome within {timeout_s:g} s: {decisions}")
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + 0.5  # let the panel and the tag settle
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    return next(d for d in decisions if d.accepted).message


if __name__ == "__main__":
    sys.exit(main())

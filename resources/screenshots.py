"""Take the README's screenshots from the real window on a real (virtual) screen.

    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python resources/screenshots.py resources/screen-1920x1080.png
    xvfb-run -s "-screen 0 1080x1920x24" .venv/bin/python resources/screenshots.py resources/screen-1080x1920.png

The kiosk runs full screen with the real models, a temporary store with the built-in portrait
(Grace Hopper, a public-domain US Navy photo shipped as matplotlib's sample) enrolled, and a
folder camera showing that portrait; the screen is grabbed once "Welcome, Grace Hopper" is up.
``--enrol`` grabs the enrolment dialog for a newcomer instead. The test photos in
../shared/testdata are never used here: they must not be copied into the repository, not even
as a screenshot. Nothing is written outside a temporary folder and ``OUT``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--enrol", action="store_true", help="the enrolment dialog instead (name typed, Start pressed)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as tmp:
        window = _window(Path(tmp), enrolled=not args.enrol)
        if args.enrol:
            decision = _shoot_enrol_dialog(app, window, args.out)
        else:
            decision = _wait_for_welcome(app, window)
            app.primaryScreen().grabWindow(0).save(str(args.out))
        window.force_close()
    print(f"{args.out}: {decision}")
    return 0


def _window(tmp: Path, enrolled: bool):
    import cv2

    from kiosk.core.base import settings as settings_mod
    from kiosk.core.base.imageio import read_image_rgb
    from kiosk.core.frontdesk.desk import FrontDesk
    from kiosk.core.recognition.engine import Engine
    from kiosk.core.storage.sqlite import SqliteStore
    from kiosk.selftest import builtin_frame_rgb, portrait_path
    from kiosk.ui.app import build_window
    from tests.ui_helpers import ScriptedPrompter

    camera_dir = tmp / "camera"
    camera_dir.mkdir()
    cv2.imwrite(str(camera_dir / "frame.png"), builtin_frame_rgb()[:, :, ::-1])
    settings = settings_mod.load({"data_dir": str(tmp / "data"), "camera": str(camera_dir)}, environ={})
    store = SqliteStore.open(settings.database_path)
    if enrolled:
        desk = FrontDesk(store, settings, engine=Engine.load(settings))
        desk.enrol("Grace Hopper", [desk.encode_image(read_image_rgb(portrait_path()), "portrait")], "E-1906")
    window = build_window(settings, store, engine_factory=Engine.load, kiosk_mode=True,
                          prompter=ScriptedPrompter())
    window.start()
    return window


def _shoot_enrol_dialog(app, window, out: Path) -> str:
    """The enrolment dialog over the window, for a newcomer: name typed, Start pressed."""
    from kiosk.ui.enrol_dialog import EnrolDialog
    from kiosk.ui.screen_fit import fit_to_screen

    while window.controller.model.state != "ready":
        _spin(app, 0.1)
    dialog = EnrolDialog(window.controller, window.prompter, None, window)
    fit_to_screen(dialog)
    dialog.show()
    dialog.name_edit.setText("Grace Hopper")
    dialog.employee_edit.setText("E-1906")
    _spin(app, 1.0)
    dialog.auto_box.setChecked(False)
    dialog.start_button.click()
    _spin(app, 1.5)
    dialog.grab().save(str(out))
    dialog.reject()
    _spin(app, 0.3)
    return "the enrolment dialog"


def _spin(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait_for_welcome(app, window, timeout_s: float = 60.0):
    decisions = []
    window.controller.decided.connect(decisions.append)
    deadline = time.monotonic() + timeout_s
    while not any(d.accepted for d in decisions):
        if time.monotonic() > deadline:
            raise SystemExit(f"no welcome within {timeout_s:g} s: {decisions}")
        app.processEvents()
        time.sleep(0.01)
    _spin(app, 0.5)  # let the panel and the tag settle
    return next(d for d in decisions if d.accepted).message


if __name__ == "__main__":
    sys.exit(main())

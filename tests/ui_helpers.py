"""Helpers for the screen's tests: settings in a temp dir, scripted frames, a PIN stand-in,
a started kiosk window (`Kiosk`) and the fixture body that makes and closes them (`kiosks`)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

from kiosk.core import fakes  # noqa: E402
from kiosk.core.base.settings import load  # noqa: E402

FAST_BACKOFF = (0.05, 0.2)
CARD_PEOPLE = {"Alice": "red", "Bob": "blue"}  # colour-card staff of the fast screen tests


def make_settings(tmp_path, **overrides):
    """Default settings with the store and settings.toml in `tmp_path`."""
    base = load({"data_dir": str(tmp_path)}, environ={})
    return base.replace(**overrides) if overrides else base


def card_frame(*faces) -> np.ndarray:
    """A 640x480 BGR frame with colour-card faces: card_frame(("red", (x, y, w, h)), ...)."""
    return fakes.face_frame(faces)


RED = ("red", (250, 130, 150, 180))
BLUE = ("blue", (250, 130, 150, 180))
GREEN = ("green", (250, 130, 150, 180))
EMPTY = card_frame()


def photo_frame(path: Path, scale: float = 3.0, size=(640, 480)) -> np.ndarray:
    """A BGR camera-like frame: the photo scaled up and pasted in the middle of a grey canvas."""
    import cv2

    from kiosk.core.base.imageio import read_image_rgb

    photo_rgb = read_image_rgb(path)
    h, w = photo_rgb.shape[:2]
    big_rgb = cv2.resize(photo_rgb, (int(w * scale), int(h * scale)),
                         interpolation=cv2.INTER_CUBIC)
    width, height = size
    canvas_bgr = np.full((height, width, 3), 118, np.uint8)
    bh, bw = min(big_rgb.shape[0], height), min(big_rgb.shape[1], width)
    y0, x0 = (height - bh) // 2, (width - bw) // 2
    canvas_bgr[y0:y0 + bh, x0:x0 + bw] = big_rgb[:bh, :bw, ::-1]
    return canvas_bgr


class FakePin:
    """Stands in for the admin at the PIN dialog: answers `answers` in turn, records prompts."""

    def __init__(self, *answers: str | None):
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.told: list[str] = []

    def ask(self, kind: str, message: str) -> str | None:
        self.asked.append((kind, message))
        return self.answers.pop(0) if self.answers else None

    def inform(self, text: str) -> None:
        self.told.append(text)


def banner_text(window) -> str:
    """Everything the decision panel shows: its headline lines, then the detail line."""
    return f"{window.panel.title.text()}\n{window.panel.detail.text()}"


def python_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def kiosk_threads() -> set[str]:
    return {name for name in python_threads() if name.startswith("kiosk")}


class Kiosk:
    """A started front-desk window on a scripted camera, the fake engine and a temp store.

    `people` ({name: colour}) are enrolled as colour cards with employee ids "E-<name>";
    `enrol(store)`, when given, enrols anything else before the window starts.
    """

    def __init__(self, qtbot, tmp_path, frames_bgr=(EMPTY,), *, people=None, enrol=None,
                 engine_factory=None, camera=None, kiosk_mode=False, pin=None, fps=30.0,
                 **overrides):
        from kiosk.core.storage.sqlite import Store
        from kiosk.ui.app import build_window

        defaults = dict(consecutive_frames=2, door_open_s=1.0, cooldown_s=10.0,
                        verify_timeout_s=3.0)
        self.settings = make_settings(tmp_path, **{**defaults, **overrides})
        self.store = Store.open(self.settings.database_path)
        people = people or {}
        fakes.enrol_cards(self.store, people, {n: f"E-{n}" for n in people})
        if enrol is not None:
            enrol(self.store)
        self.camera = fakes.ScriptedCamera(list(frames_bgr), fps=fps)
        self.pin = pin or FakePin()
        self.window = build_window(
            self.settings, self.store, camera=camera or (lambda: self.camera),
            engine_factory=engine_factory or fakes.fake_engine, kiosk_mode=kiosk_mode,
            camera_backoff_s=FAST_BACKOFF)
        self.window.admin.ask, self.window.admin.inform = self.pin.ask, self.pin.inform
        self.controller = self.window.controller
        self.decisions = []
        self.controller.decided.connect(self.decisions.append)
        self.qtbot = qtbot
        self.window.start()

    def show(self, *frames_bgr) -> None:
        self.camera.show(list(frames_bgr))

    def wait_ready(self, timeout_ms=10000) -> None:
        self.qtbot.waitUntil(lambda: self.controller.model.state == "ready", timeout=timeout_ms)

    def wait_decision(self, kind=None, timeout_ms=10000):
        """The first decision (of `kind`) taken from now on."""
        start = len(self.decisions)

        def found():
            return next((x for x in self.decisions[start:] if kind in (None, x.kind)), None)

        self.qtbot.waitUntil(lambda: found() is not None, timeout=timeout_ms)
        return found()

    def close(self) -> None:
        self.window.force_close()
        self.store.close()


def kiosks(qtbot, tmp_path, **defaults) -> Iterator:
    """The body of a `kiosk` fixture: yields `make(*frames, **options) -> Kiosk` (options
    override `defaults`), then closes every kiosk made and checks that its threads stopped."""
    made = []

    def make(*frames_bgr, **options):
        k = Kiosk(qtbot, tmp_path, frames_bgr or (EMPTY,), **{**defaults, **options})
        made.append(k)
        return k

    yield make
    for k in made:
        k.close()
        assert not k.controller.threads_running()


def open_enrol(k: Kiosk, qtbot, person=None):
    """An enrolment dialog over `k`, shown without exec(); its questions are answered with
    `dialog.answer` (and recorded in `dialog.asked`), its messages recorded in `dialog.told`."""
    from kiosk.ui.enrol_dialog import EnrolDialog

    dialog = EnrolDialog(k.controller, k.store, person, k.window)
    qtbot.addWidget(dialog)
    dialog.asked, dialog.answer, dialog.told = [], True, []
    dialog.confirm = lambda text: dialog.asked.append(text) or dialog.answer
    dialog.inform = dialog.told.append
    dialog.show()
    return dialog

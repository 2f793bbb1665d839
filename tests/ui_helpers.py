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
GREEN_LEFT = (*GREEN, 0.3)  # Gina with her head turned a little to her own left
GREEN_RIGHT = (*GREEN, -0.3)
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


class ScriptedPrompter:
    """Stands in for the person at the screen (see kiosk.ui.prompter.Prompter).

    PIN prompts take `answers` in turn (None = cancel) and are recorded in `asked`;
    `confirm` answers `replies` in turn, then `answer`, and records the question in
    `questions`; `ask_text` answers
    `texts` in turn; file choices answer `files` in turn; `inform` records in `told`;
    `run(dialog)` records the dialog in `opened` without running it.
    """

    def __init__(self, *answers: str | None):
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.answer = True
        self.replies: list[bool] = []
        self.questions: list[str] = []
        self.texts: list[str | None] = []
        self.files: list = []
        self.told: list[str] = []
        self.opened: list = []

    def within(self, parent):
        return self

    def run(self, dialog) -> int:
        self.opened.append(dialog)
        return 0

    def ask_pin(self, kind: str, message: str) -> str | None:
        self.asked.append((kind, message))
        return self.answers.pop(0) if self.answers else None

    def confirm(self, text: str) -> bool:
        self.questions.append(text)
        return self.replies.pop(0) if self.replies else self.answer

    def inform(self, text: str) -> None:
        self.told.append(text)

    def ask_text(self, label: str, text: str = "") -> str | None:
        return self.texts.pop(0) if self.texts else None

    def _file(self):
        return self.files.pop(0) if self.files else ""

    def open_files(self, title: str, name_filter: str) -> list[str]:
        return self._file() or []

    def open_file(self, title: str, name_filter: str) -> str:
        return self._file()

    def open_folder(self, title: str) -> str:
        return self._file()

    def save_file(self, title: str, suggested: str, name_filter: str) -> str:
        return self._file()


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
                 chimes=None, **overrides):
        from kiosk.core.storage.sqlite import SqliteStore
        from kiosk.ui.app import build_window

        defaults = dict(consecutive_frames=2, door_open_s=1.0, cooldown_s=10.0,
                        verify_timeout_s=3.0)
        self.settings = make_settings(tmp_path, **{**defaults, **overrides})
        self.store = SqliteStore.open(self.settings.database_path)
        people = people or {}
        fakes.enrol_cards(self.store, people, {n: f"E-{n}" for n in people})
        if enrol is not None:
            enrol(self.store)
        self.camera = fakes.ScriptedCamera(list(frames_bgr), fps=fps)
        self.pin = pin or ScriptedPrompter()  # the person at the screen: PINs and questions
        self.window = build_window(
            self.settings, self.store, camera=camera or (lambda: self.camera),
            engine_factory=engine_factory or fakes.fake_engine, kiosk_mode=kiosk_mode,
            prompter=self.pin, chimes=chimes, camera_backoff_s=FAST_BACKOFF)
        self.controller = self.window.controller
        self.decisions, self.prompts = [], []
        self.controller.decided.connect(self.decisions.append)
        self.controller.prompted.connect(self.prompts.append)
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


def open_enrol(k: Kiosk, qtbot, person=None, auto_interval_s: float = 0.05):
    """An enrolment dialog over `k`, shown without exec(); its questions go to `k.pin` (a
    ScriptedPrompter: `k.pin.answer`, `k.pin.questions`, `k.pin.told`)."""
    from kiosk.ui.enrol_dialog import EnrolDialog

    dialog = EnrolDialog(k.controller, k.pin, person, k.window, auto_interval_s=auto_interval_s)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog

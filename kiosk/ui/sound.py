"""A short chime on a welcome, another on a refusal (the `sound` setting, off by default).

Qt's QSoundEffect plays them where PySide6's multimedia module is installed; otherwise a
system player (winsound on Windows, aplay/paplay on Linux) or, last, the desktop's beep.
The tones are made here: no sound files to ship.
"""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

RATE = 22050
WELCOME_NOTES = ((880.0, 0.12), (1320.0, 0.18))  # rising: come in
REFUSAL_NOTES = ((440.0, 0.16), (330.0, 0.22))  # falling: please see reception


def chime_wav(notes: tuple[tuple[float, float], ...], volume: float = 0.3) -> bytes:
    """A mono 16-bit WAV of the (frequency Hz, seconds) notes, each faded in and out."""
    parts = []
    for frequency, seconds in notes:
        t = np.arange(int(RATE * seconds)) / RATE
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
        parts.append(np.sin(2 * np.pi * frequency * t) * fade * volume)
    samples = (np.concatenate(parts) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


def system_player() -> Callable[[Path], None]:
    """The best way this machine has to play a WAV file."""
    try:
        from PySide6.QtMultimedia import QSoundEffect  # not in PySide6-Essentials
    except ImportError:
        QSoundEffect = None
    if QSoundEffect is not None:
        return _qt_player(QSoundEffect)
    if sys.platform == "win32":
        import winsound

        return lambda path: winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC)
    command = shutil.which("paplay") or shutil.which("aplay")
    if command:
        return lambda path: subprocess.Popen([command, str(path)], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
    from PySide6.QtWidgets import QApplication

    return lambda _path: QApplication.beep()


def _qt_player(effect_class) -> Callable[[Path], None]:
    effects: dict[Path, object] = {}

    def play(path: Path) -> None:
        from PySide6.QtCore import QUrl

        effect = effects.setdefault(path, effect_class())
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.play()
    return play


class Chimes:
    """Plays the welcome or the refusal chime through ``player`` (a WAV path each time)."""

    def __init__(self, player: Callable[[Path], None] | None = None):
        self._folder = Path(tempfile.mkdtemp(prefix="kiosk-chimes-"))
        self.files = {True: self._write("welcome", WELCOME_NOTES),
                      False: self._write("refusal", REFUSAL_NOTES)}
        self._player = player

    def _write(self, name: str, notes) -> Path:
        path = self._folder / f"{name}.wav"
        path.write_bytes(chime_wav(notes))
        return path

    def play(self, welcome: bool) -> None:
        if self._player is None:
            self._player = system_player()
        try:
            self._player(self.files[welcome])
        except Exception as exc:  # a chime must never disturb the door
            log.warning("could not play the chime: %s", exc)

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

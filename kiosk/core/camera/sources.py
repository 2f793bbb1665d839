"""Camera sources (no Qt here): a webcam or video file, a folder of images, a scripted list.

Each source's `read()` returns BGR uint8 arrays of shape (H, W, 3), exactly as OpenCV
delivers them; whoever analyses them converts to RGB once. The thread that reads a source
into the one-slot holder (`kiosk.core.camera.frames.LatestFrame`) is
`kiosk.core.camera.capture.CaptureLoop`.

Camera source strings (`open_source`): "0" (a camera index), the path of a video file, the
path of a folder of images (a looping slideshow, the demo mode) or of a single image.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from kiosk.core.base.errors import CameraError
from kiosk.core.base.imageio import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

SLIDESHOW_FPS = 15.0


class CameraEndedError(CameraError):
    """A non-looping source played to its end: nothing to reconnect to."""


# --- sources ------------------------------------------------------------------------------
class CameraSource(Protocol):
    description: str
    pace_fps: float | None  # None: the device paces itself (a real camera)

    def open(self) -> None:
        """Raise CameraError when the source cannot be opened."""

    def read(self) -> np.ndarray:
        """The next BGR uint8 frame; CameraError when the source dropped out."""

    def close(self) -> None: ...


def _readonly(frame_bgr: np.ndarray) -> np.ndarray:
    frame_bgr.flags.writeable = False
    return frame_bgr


class OpenCvCamera:
    """A camera index or a video file read with OpenCV; video files loop and play at their fps."""

    def __init__(self, spec: int | str, loop: bool = True):
        self.spec = spec
        self.loop = loop
        self.is_file = not isinstance(spec, int)
        self.description = f"video {Path(str(spec)).name}" if self.is_file else f"camera {spec}"
        self.pace_fps: float | None = None
        self._cap = None

    def open(self) -> None:
        import cv2

        cap = _quiet_video_capture(self.spec)
        if not cap.isOpened():
            cap.release()
            what = f"video file {self.spec}" if self.is_file else f"camera {self.spec}"
            raise CameraError(f"No {what} found" if not self.is_file else f"Cannot play {what}")
        if self.is_file:
            fps = cap.get(cv2.CAP_PROP_FPS)
            self.pace_fps = fps if 1.0 <= fps <= 120.0 else 25.0
        self._cap = cap

    def read(self) -> np.ndarray:
        if self._cap is None:
            raise CameraError(f"{self.description} is not open")
        try:
            ok, frame_bgr = self._cap.read()
        except Exception as exc:  # a driver or decoder error: a drop-out, not a crash
            raise CameraError(f"{self.description} stopped sending frames ({exc})") from exc
        if (not ok or frame_bgr is None) and self.is_file:
            frame_bgr = self._rewind()
        elif not ok or frame_bgr is None:
            raise CameraError(f"{self.description} stopped sending frames")
        return _readonly(frame_bgr)

    def _rewind(self) -> np.ndarray:
        import cv2

        if not self.loop:
            raise CameraEndedError(f"{self.description} ended")
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok, frame_bgr = self._cap.read()
        if not ok:
            raise CameraError(f"{self.description} cannot be read")
        return frame_bgr

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def _quiet_video_capture(spec: int | str):
    """cv2.VideoCapture without OpenCV's or FFmpeg's own error lines: the capture loop
    retries a missing camera or a bad file every few seconds and reports it once, calmly,
    through `logging`. (FFmpeg reads its log level once, at the first capture.)"""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    import cv2

    cv_logging = cv2.utils.logging
    previous = cv_logging.getLogLevel()
    cv_logging.setLogLevel(cv_logging.LOG_LEVEL_SILENT)
    try:
        return cv2.VideoCapture(spec)
    finally:
        cv_logging.setLogLevel(previous)


class ImageFolderCamera:
    """A folder of images (or one image) played as a slideshow at `fps` — the demo camera."""

    def __init__(self, path: str | Path, fps: float = SLIDESHOW_FPS, loop: bool = True):
        self.path = Path(path)
        self.pace_fps = fps
        self.loop = loop
        self.description = f"slideshow {self.path.name}"
        self._files: list[Path] = []
        self._index = 0

    def open(self) -> None:
        try:
            self._files = self._image_files()
        except OSError as exc:  # the folder went away while being listed, or is unreadable
            raise CameraError(f"Cannot list the images in {self.path} "
                              f"({exc.strerror or exc})") from exc
        if not self._files:
            raise CameraError(f"No images found in {self.path}")
        self._index = 0

    def _image_files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        if self.path.is_dir():
            return sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return []

    def read(self) -> np.ndarray:
        """The next image; CameraError when its file cannot be read any more (the folder was
        removed or unmounted): the capture loop then re-opens the folder, as for a lost camera."""
        for _ in range(len(self._files)):
            path = self._next_path()
            try:
                frame_bgr = _imread_bgr(path)
            except OSError as exc:
                raise CameraError(f"{self.description}: cannot read {path.name} "
                                  f"({exc.strerror or exc})") from exc
            if frame_bgr is not None:
                return _readonly(frame_bgr)
            log.warning("slideshow: skipping unreadable image %s", path)
        raise CameraError(f"No readable images in {self.path}")

    def _next_path(self) -> Path:
        if self._index >= len(self._files):
            if not self.loop:
                raise CameraEndedError(f"{self.description} ended")
            self._index = 0
        path = self._files[self._index]
        self._index += 1
        return path

    def close(self) -> None:
        self._files = []


def _imread_bgr(path: Path) -> np.ndarray | None:
    import cv2

    # np.fromfile + imdecode instead of imread: imread cannot open non-ASCII paths on Windows.
    data = np.fromfile(str(path), np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None


class ScriptedCamera:
    """Plays a list of BGR frames at `fps`: the camera of tests, demos and self-tests.

    Drop-outs can be scripted by read attempt (counted over the camera's whole life, across
    re-opens): attempts in ``fail_between=(start, stop)`` fail and later ones recover;
    every attempt from ``fail_after`` on fails. `unplug()` / `plug()` do the same by hand.
    """

    def __init__(self, frames_bgr: Sequence[np.ndarray], fps: float = 15.0, loop: bool = True,
                 fail_after: int | None = None, fail_between: tuple[int, int] | None = None,
                 description: str = "scripted camera"):
        self.pace_fps = fps
        self.loop = loop
        self.fail_after = fail_after
        self.fail_between = fail_between
        self.description = description
        self.attempts = 0
        self.opened = 0
        self._lock = threading.Lock()
        self._frames: list[np.ndarray] = []
        self._index = 0
        self._unplugged = False
        self.show(frames_bgr)

    def show(self, frames_bgr: Sequence[np.ndarray]) -> None:
        """Replace the script, from its first frame on (thread-safe)."""
        if not len(frames_bgr):
            raise CameraError("a scripted camera needs at least one frame")
        with self._lock:
            self._frames = [_readonly(np.array(f, np.uint8)) for f in frames_bgr]
            self._index = 0

    def unplug(self) -> None:
        self._unplugged = True

    def plug(self) -> None:
        self._unplugged = False

    def open(self) -> None:
        if self._unplugged:
            raise CameraError(f"{self.description} is unplugged")
        self.opened += 1

    def read(self) -> np.ndarray:
        with self._lock:
            attempt = self.attempts
            self.attempts += 1
            if self._failing(attempt):
                raise CameraError(f"{self.description} dropped out")
            return self._next_frame()

    def _failing(self, attempt: int) -> bool:
        if self._unplugged or (self.fail_after is not None and attempt >= self.fail_after):
            return True
        start, stop = self.fail_between or (0, 0)
        return start <= attempt < stop

    def _next_frame(self) -> np.ndarray:
        if self._index >= len(self._frames):
            if not self.loop:
                raise CameraEndedError(f"{self.description} ended")
            self._index = 0
        frame_bgr = self._frames[self._index]
        self._index += 1
        return frame_bgr

    def close(self) -> None:
        pass


def open_source(spec: str) -> CameraSource:
    """A source for a camera string: an index ("0"), a video file, an image folder or image."""
    spec = str(spec).strip()
    if spec.isdigit():
        return OpenCvCamera(int(spec))
    path = Path(spec).expanduser()
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFolderCamera(path)
    if path.is_file():
        return OpenCvCamera(str(path))
    raise CameraError(f"No camera, video file or image folder called {spec!r}")

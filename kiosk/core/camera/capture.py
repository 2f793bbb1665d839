"""The capture thread: reads a camera source into a LatestFrame, reconnects with backoff.

No Qt here. The screen polls `CaptureLoop.status()` on its own timer (state, fps, what went
wrong, when the next attempt is due) instead of receiving a signal per frame.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kiosk.core.base.errors import CameraError
from kiosk.core.base.vocabulary import CameraState
from kiosk.core.camera.frames import LatestFrame, RateMeter
from kiosk.core.camera.sources import CameraEndedError, CameraSource, open_source

log = logging.getLogger(__name__)

CONNECTING, LIVE, RECONNECTING, ENDED, STOPPED = (
    CameraState.CONNECTING, CameraState.LIVE, CameraState.RECONNECTING, CameraState.ENDED,
    CameraState.STOPPED)  # short names for this module


@dataclass(frozen=True)
class CameraStatus:
    state: CameraState
    description: str
    fps: float
    message: str = ""  # what went wrong, for the banner; "" when live
    retry_at: float | None = None  # time.monotonic() of the next attempt while reconnecting
    ever_live: bool = False  # False while no frame ever came (no camera at all)

    @property
    def ok(self) -> bool:
        return self.state == LIVE


class CaptureLoop:
    """A thread that reads a source into a LatestFrame and reconnects with backoff.

    `source` is a camera string or a factory returning a CameraSource (a ScriptedCamera in
    tests). Stop with `stop()`: it sets an event and joins the thread.
    """

    def __init__(self, source: str | Callable[[], CameraSource], frames: LatestFrame,
                 backoff_s: tuple[float, float] = (0.5, 8.0)):
        self._factory = source if callable(source) else (lambda: open_source(source))
        self.spec = source if isinstance(source, str) else getattr(source, "__name__", "custom")
        self.frames = frames
        self.backoff_s = backoff_s
        self.meter = RateMeter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._status = CameraStatus(CONNECTING, str(self.spec), 0.0)
        self._ever_live = False
        self._live_since = 0.0
        self._last_problem = ""
        self._thread = threading.Thread(target=self._run, name="kiosk-capture", daemon=True)

    def start(self) -> "CaptureLoop":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to end and wait up to ``timeout_s``. A thread still blocked in the
        driver after that is left behind (a daemon); it will not put another frame."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("capture thread still blocked in the camera driver after %.1f s", timeout_s)

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def status(self) -> CameraStatus:
        with self._lock:
            status = self._status
        fps = self.meter.rate() if status.state == LIVE else 0.0
        return CameraStatus(status.state, status.description, fps, status.message,
                            status.retry_at, self._ever_live)

    def _set(self, state: CameraState, description: str, message: str = "",
             retry_at: float | None = None) -> None:
        with self._lock:
            self._status = CameraStatus(state, description, 0.0, message, retry_at)

    def _run(self) -> None:
        delay_s = self.backoff_s[0]
        while not self._stop.is_set():
            source = self._open()
            if source is not None:
                ended = self._pump(source)
                if ended or self._stop.is_set():
                    break
                delay_s = self.backoff_s[0] if self._was_live_for(1.0) else delay_s
            self._wait_before_retry(delay_s)
            delay_s = min(delay_s * 2, self.backoff_s[1])
        if self._stop.is_set():
            self._set(STOPPED, self._status.description)

    def _open(self) -> CameraSource | None:
        try:
            source = self._factory()
            self._set(CONNECTING, source.description)
            source.open()
            return source
        except CameraError as exc:
            self._note_failure(str(exc))
        except Exception as exc:  # a driver error must not kill the loop
            log.exception("opening the camera failed")
            self._note_failure(f"Camera error: {exc}")
        return None

    def _pump(self, source: CameraSource) -> bool:
        """Read until the source fails or stop is asked; True when it ended for good."""
        self._set(LIVE, source.description)
        self._live_since, self._last_problem = time.monotonic(), ""
        next_at = time.monotonic()
        try:
            while not self._stop.is_set():
                frame_bgr = source.read()
                if self._stop.is_set():  # a read that outlasted stop(): its frame is stale
                    break
                self.frames.put(frame_bgr)
                self.meter.tick()
                self._ever_live = True
                next_at = self._pace(source.pace_fps, next_at)
        except CameraEndedError as exc:
            self._set(ENDED, source.description, str(exc))
            return True
        except CameraError as exc:
            self._note_failure(str(exc), source.description)
        except Exception as exc:
            log.exception("reading the camera failed")
            self._note_failure(f"Camera error: {exc}", source.description)
        finally:
            source.close()
        return False

    def _pace(self, fps: float | None, next_at: float) -> float:
        if not fps:
            return time.monotonic()
        next_at += 1.0 / fps
        delay_s = next_at - time.monotonic()
        if delay_s > 0:
            self._stop.wait(delay_s)
            return next_at
        return time.monotonic()  # running late: do not try to catch up with a burst

    def _was_live_for(self, seconds: float) -> bool:
        return time.monotonic() - self._live_since >= seconds

    def _note_failure(self, message: str, description: str | None = None) -> None:
        if message != self._last_problem:  # once per new problem, not at every retry
            log.warning("camera: %s", message)
            self._last_problem = message
        self.meter.reset()
        self._set(RECONNECTING, description or self._status.description, message)

    def _wait_before_retry(self, delay_s: float) -> None:
        with self._lock:
            s = self._status
            self._status = CameraStatus(s.state, s.description, 0.0, s.message,
                                        time.monotonic() + delay_s)
        self._stop.wait(delay_s)

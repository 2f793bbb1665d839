"""The one-slot frame holder and a rate meter, shared by the capture, analysis and GUI threads.

Frames are BGR uint8 arrays of shape (H, W, 3), exactly as OpenCV delivers them. The capture
thread overwrites the one slot (`LatestFrame`): readers always get the newest frame and older
ones are dropped on purpose, never queued, so a slow reader never slows the camera down.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Callable

import numpy as np


class LatestFrame:
    """Thread-safe holder of the newest frame; `seq` grows by one per `put`."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seq = 0
        self._frame_bgr: np.ndarray | None = None

    def put(self, frame_bgr: np.ndarray) -> int:
        """Replace the held frame (readers must treat frames as read-only)."""
        with self._cond:
            self._seq += 1
            self._frame_bgr = frame_bgr
            self._cond.notify_all()
            return self._seq

    def latest(self) -> tuple[int, np.ndarray | None]:
        """(seq, frame_bgr) without waiting; (0, None) before the first frame."""
        with self._cond:
            return self._seq, self._frame_bgr

    def get_newer(self, than_seq: int, timeout_s: float) -> tuple[int, np.ndarray | None]:
        """Wait up to `timeout_s` for a frame newer than `than_seq`.

        Returns (seq, frame_bgr), or (than_seq, None) when none came in time.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > than_seq, timeout_s):
                return than_seq, None
            return self._seq, self._frame_bgr


class RateMeter:
    """Events per second over the last `window` events (0.0 until two events)."""

    def __init__(self, window: int = 30, clock: Callable[[], float] = time.monotonic):
        self._times: collections.deque[float] = collections.deque(maxlen=window)
        self._clock = clock
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self._times.append(self._clock())

    def reset(self) -> None:
        with self._lock:
            self._times.clear()

    def rate(self, stale_after_s: float = 2.0) -> float:
        with self._lock:
            if len(self._times) < 2 or self._clock() - self._times[-1] > stale_after_s:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

"""Work-arounds for PySide6 bugs (seen in 6.12.0): signal reference counts, GC threads.

`SignalInstance.emit()` and `.disconnect()` return a bool without a new reference: every call
from Python steals one reference to `True` (or `False`). A kiosk emits a few signals per
analysed frame, so within a minute the count reaches zero and CPython aborts with "Fatal
Python error: bool_dealloc". `emit` and `disconnect` here give the reference back, but only
when a probe at first use shows that the running PySide6 has the bug.
"""
from __future__ import annotations

import ctypes
import sys
import threading

from PySide6.QtCore import QObject, Signal, Slot

_inc_ref = ctypes.pythonapi.Py_IncRef
_inc_ref.argtypes = [ctypes.py_object]
_inc_ref.restype = None

_probe_lock = threading.Lock()
_steals: bool | None = None


class _Probe(QObject):
    ping = Signal()


def _emit_steals_a_reference() -> bool:
    global _steals
    with _probe_lock:
        if _steals is None:
            probe = _Probe()
            before = sys.getrefcount(True)
            for _ in range(8):
                probe.ping.emit()
            _steals = sys.getrefcount(True) <= before - 8
            if _steals:
                for _ in range(8):
                    _inc_ref(True)
        return _steals


def emit(signal, *args) -> None:
    """`signal.emit(*args)`, safe from the bool reference leak (any thread)."""
    result = signal.emit(*args)
    if isinstance(result, bool) and _emit_steals_a_reference():
        _inc_ref(result)


def disconnect(signal, slot) -> bool:
    """`signal.disconnect(slot)`; False (no warning) when it was not connected."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Failed to disconnect" is fine here
        try:
            result = signal.disconnect(slot)
        except (RuntimeError, TypeError):
            return False
    if isinstance(result, bool) and _emit_steals_a_reference():
        _inc_ref(result)
    return bool(result)


class MainThreadGc(QObject):
    """Keeps Python's cyclic garbage collector on the GUI thread while worker threads run.

    CPython collects cycles in whichever thread crosses the allocation threshold — often the
    analysis or capture thread. A Qt wrapper collected there is handed back to the GUI thread
    by shiboken, and PySide6 6.12 crashes doing so (a segfault in
    BindingManager::runDeletionInMainThread). So automatic collection is switched off while
    any guard is active, and a timer collects on the GUI thread instead.
    """

    _active = 0  # guards running now; collection is automatic again when it drops to 0

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500):
        from PySide6.QtCore import QTimer

        super().__init__(parent)
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.collect)
        self.running = False

    def start(self) -> None:
        import gc

        if not self.running:
            self.running = True
            MainThreadGc._active += 1
            gc.disable()
            self._timer.start()

    def stop(self) -> None:
        import gc

        if self.running:
            self.running = False
            self._timer.stop()
            MainThreadGc._active -= 1
            gc.collect()
            if MainThreadGc._active == 0:
                gc.enable()

    @Slot()
    def collect(self) -> None:
        """Collect the generations whose thresholds are reached (as automatic GC would)."""
        import gc

        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = max((g for g in range(3) if counts[g] >= thresholds[g]), default=None)
        if generation is not None:
            gc.collect(generation)

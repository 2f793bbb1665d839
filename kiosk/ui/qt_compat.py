"""Small Qt helpers: a quiet `disconnect`, and the main-thread garbage-collection guard.

PySide6 6.12.0 steals a reference to True/False on every `SignalInstance.emit()` and
`.disconnect()` (CPython then aborts with "Fatal Python error: bool_dealloc"); pyproject.toml
pins `pyside6-essentials<6.12` and tests/test_ui_admin.py fails on a version with that bug,
so signals are emitted directly everywhere.
"""
from __future__ import annotations

import warnings

from PySide6.QtCore import QObject, Slot


def disconnect(signal, slot) -> bool:
    """`signal.disconnect(slot)`; False, without a warning, when it was not connected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Failed to disconnect" is fine here
        try:
            return bool(signal.disconnect(slot))
        except (RuntimeError, TypeError):
            return False


class MainThreadGc(QObject):
    """Keeps Python's cyclic garbage collector on the GUI thread while worker threads run.

    CPython collects cycles in whichever thread crosses the allocation threshold, often the
    analysis or the capture thread. A Qt object whose wrapper dies in a cycle collected there
    is deleted on that thread; a QObject with a running QTimer (a closed window, a dialog)
    then leaves its timer registered with the GUI thread's event dispatcher, and the next
    timer event is delivered to freed memory. So automatic collection is switched off while
    any guard is active, and a timer collects on the GUI thread instead.

    Still needed with PySide6 6.11.3 (Python 3.11): with start/stop patched to no-ops,
    tests/test_ui_{e2e,screen,admin}.py segfaulted in 5 runs out of 5 (test_ui_e2e.py alone:
    1 in 9), each time after Qt's warning "QObject::~QObject: Timers cannot be stopped from
    another thread"; gdb shows SIGSEGV in QCoreApplication::notifyInternal2 called from
    QTimerInfoList::activateTimers on the GUI thread. With the guard: 3 clean runs out of 3
    and not one such warning. (PySide6 6.12.0 crashed in
    BindingManager::runDeletionInMainThread instead.) Two 170 s real-engine soaks without
    the guard (one window, 8 enrolment dialogs, about 3,600 frames each) did not crash: once
    the model is loaded, nearly every collection happens on the GUI thread anyway. But one Qt
    object that dies in a cycle collected on another thread is enough.
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

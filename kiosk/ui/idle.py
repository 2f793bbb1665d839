"""Admin dialogs close themselves: a kiosk's admin walks away, the next visitor must not find
the people list or the PIN prompt open."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication, QDialog

IDLE_CLOSE_S = 60.0
_INPUT = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate})


class IdleCloser(QObject):
    """Rejects ``dialog`` after ``seconds`` without a key, mouse or touch event anywhere."""

    def __init__(self, dialog: QDialog, seconds: float = IDLE_CLOSE_S):
        super().__init__(dialog)
        self.dialog = dialog
        self._timer = QTimer(self, singleShot=True, interval=int(seconds * 1000))
        self._timer.timeout.connect(self._expire)
        self._app = QApplication.instance()
        self._app.installEventFilter(self)
        dialog.finished.connect(self._stop)
        self._timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() in _INPUT:
            self._timer.start()
        return False

    @Slot()
    def _expire(self) -> None:
        self.dialog.reject()

    @Slot()
    def _stop(self) -> None:
        self._timer.stop()
        self._app.removeEventFilter(self)


def close_when_idle(dialog: QDialog, seconds: float = IDLE_CLOSE_S) -> QDialog:
    IdleCloser(dialog, seconds)
    return dialog

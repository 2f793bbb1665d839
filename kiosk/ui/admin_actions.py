"""The admin's actions: a toolbar in a window; in kiosk mode a menu behind a keyboard
shortcut or a long press in the screen's top-right corner. Each asks the admin PIN first."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton, QWidget

ITEMS = (("enrol", "Enrol a person…"), ("people", "People…"), ("log", "Access log…"),
         ("report", "Attendance…"), ("settings", "Settings…"),
         ("pin", "Change the admin PIN…"), ("mode", "Switch mode"),
         ("fullscreen", "Full screen"), ("quit", "Quit"))
UNGATED = frozenset({"fullscreen", "pin"})  # entering full screen locks down; "pin" asks the old PIN itself
MENU_SHORTCUT = "Ctrl+Alt+A"
LONG_PRESS_MS = 2000
CORNER_PX = 56


class AdminActions(QObject):
    """``handlers[name]()`` does what the item says; this object asks the PIN first."""

    def __init__(self, window: QWidget, gate, handlers: dict[str, Callable[[], None]]):
        super().__init__(window)
        self.window, self.gate, self.handlers = window, gate, handlers
        self.by_name: dict[str, QAction] = {}
        self.toolbar = QToolBar("Admin", movable=False)
        for name, text in ITEMS:
            action = QAction(text, window)
            action.setToolTip(f"{text.rstrip('…')} (admin PIN)")
            action.triggered.connect(self._triggered)
            action.setData(name)
            self.toolbar.addAction(action)
            self.by_name[name] = action
        for button in self.toolbar.findChildren(QToolButton):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the badge entry
        self._menu_action = QAction("Admin menu", window, shortcut=QKeySequence(MENU_SHORTCUT))
        self._menu_action.triggered.connect(self.open_menu)
        window.addAction(self._menu_action)
        self.by_name["fullscreen"].setShortcut(QKeySequence(Qt.Key.Key_F11))
        window.addAction(self.by_name["fullscreen"])

    @Slot()
    def _triggered(self) -> None:
        self.run(self.sender().data())

    def run(self, name: str) -> None:
        """One action, after the PIN (entering full screen needs none)."""
        text = dict(ITEMS)[name].rstrip("…")
        if name in UNGATED or self.gate.unlock(text):
            self.handlers[name]()

    @Slot()
    def open_menu(self) -> None:
        """The PIN, then every admin action in a menu (no second PIN)."""
        if not self.gate.unlock("Admin menu"):
            return
        menu = QMenu(self.window)
        for name, text in ITEMS:
            menu.addAction(text, self.handlers[name])
        menu.exec(self.window.mapToGlobal(QPoint(self.window.width() // 3, self.window.height() // 4)))


class CornerHotspot(QWidget):
    """An invisible square in a corner: held for LONG_PRESS_MS, it asks for the admin menu
    (a touch screen has no keyboard shortcut). Kiosk mode only: the window hides it when it
    shows its toolbar, whose right end it would cover."""

    longPressed = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setFixedSize(CORNER_PX, CORNER_PX)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self._timer = QTimer(self, singleShot=True, interval=LONG_PRESS_MS)
        self._timer.timeout.connect(self.longPressed)
        parent.installEventFilter(self)
        self._place()

    def _place(self) -> None:
        self.move(self.parentWidget().width() - CORNER_PX, 0)
        self.raise_()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == event.Type.Resize:
            self._place()
        return False

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._timer.start()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._timer.stop()

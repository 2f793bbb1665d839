"""Windows and dialogs that fit the screen they are on, from a 800x480 panel to 4K.

Qt places a dialog at its size hint, which on a small kiosk panel can put Save below the
bottom edge. `fit_to_screen` shrinks a window to the screen's free area (the contents scroll
or wrap inside) and centres it there.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication, QWidget

MARGIN_PX = 8


def available_area(widget: QWidget) -> QRect:
    """The free area (without task bars) of the screen ``widget`` or its parent is on."""
    anchor = widget.parentWidget() or widget
    screen = anchor.screen() or QApplication.primaryScreen()
    return screen.availableGeometry()


def fitted_size(wanted: QSize, area: QRect) -> QSize:
    """``wanted``, no larger than ``area`` less a margin on every side."""
    return QSize(min(wanted.width(), area.width() - 2 * MARGIN_PX),
                 min(wanted.height(), area.height() - 2 * MARGIN_PX))


def fit_to_screen(widget: QWidget, wanted: QSize | None = None) -> QWidget:
    """Resize ``widget`` (a top-level window) to fit its screen and centre it there."""
    area = available_area(widget)
    size = fitted_size(wanted or widget.sizeHint().expandedTo(widget.size()), area)
    widget.resize(size)
    widget.move(area.x() + (area.width() - size.width()) // 2,
                area.y() + (area.height() - size.height()) // 2)
    return widget

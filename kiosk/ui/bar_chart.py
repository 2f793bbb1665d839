"""A bar chart painted by Qt itself (no matplotlib: the installed kiosk leaves it out).

One bar per label, the y axis from 0 with whole-number ticks, at most ``max_labels`` labels
under the bars (thinned out further when they would overlap), and a sentence instead of bars
when every value is 0. All text is drawn as plain text.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QWidget

BAR_COLOUR = QColor("#1e8e4e")


def whole_ticks(top: int, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 up to at least ``top`` (and at least 1), at most ``most`` + 1
    of them, spaced 1, 2 or 5 times a power of ten."""
    top = max(1, top)
    step = next(s for s in _nice_steps() if math.ceil(top / s) <= most)
    return list(range(0, step * math.ceil(top / step) + 1, step))


def _nice_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, 100, …"""
    power = 1
    while True:
        yield from (power, 2 * power, 5 * power)
        power *= 10


def label_step(count: int, most: int) -> int:
    """Label every n-th bar so that at most ``most`` of ``count`` bars carry a label."""
    return max(1, math.ceil(count / max(1, most)))


class BarChart(QWidget):
    """Bars for ``set_bars(labels, values)``; ``bars`` and ``message`` say what is painted."""

    def __init__(self, empty_text: str = "nothing to show", max_labels: int = 10,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._bars: tuple[tuple[str, int], ...] = ()
        self._title = ""
        self._empty_text = empty_text
        self._max_labels = max_labels

    def set_bars(self, labels: list[str], values: list[int], title: str = "") -> None:
        """One bar per label; values are whole numbers ≥ 0."""
        self._bars = tuple(zip(labels, (max(0, int(v)) for v in values), strict=True))
        self._title = title
        self.setAccessibleName(title)
        self.update()

    @property
    def bars(self) -> tuple[tuple[str, int], ...]:
        """(label, value) of every bar, in order (a value of 0 paints no bar)."""
        return self._bars

    @property
    def title(self) -> str:
        return self._title

    @property
    def message(self) -> str:
        """The sentence painted instead of bars ("" when there are bars to paint)."""
        return "" if any(value for _, value in self._bars) else self._empty_text

    def sizeHint(self) -> QSize:
        return QSize(480, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 100)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        ticks = whole_ticks(max((v for _, v in self._bars), default=0))
        plot = self._plot_rect(ticks)
        self._draw_title(painter)
        self._draw_y_axis(painter, plot, ticks)
        if self.message:
            painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.message)
        else:
            self._draw_bars(painter, plot, ticks[-1])
        self._draw_labels(painter, plot)
        painter.end()

    def _plot_rect(self, ticks: list[int]) -> QRectF:
        """Where the bars go: room on the left for the tick numbers, above for the title and
        below for the labels."""
        metrics = self.fontMetrics()
        left = max(metrics.horizontalAdvance(str(t)) for t in ticks) + 8
        top = metrics.height() + 6 if self._title else metrics.height() // 2 + 2
        bottom = metrics.height() + 6
        return QRectF(left, top, max(1, self.width() - left - 8), max(1, self.height() - top - bottom))

    def _draw_title(self, painter: QPainter) -> None:
        if not self._title:
            return
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        area = QRectF(0, 0, self.width(), self.fontMetrics().height() + 4)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self._title)

    def _draw_y_axis(self, painter: QPainter, plot: QRectF, ticks: list[int]) -> None:
        """Grid lines and numbers at each tick, then the axis lines themselves."""
        text = self.palette().color(QPalette.ColorRole.WindowText)
        grid = self.palette().color(QPalette.ColorRole.Mid)
        height = self.fontMetrics().height()
        for tick in ticks:
            y = plot.bottom() - plot.height() * tick / ticks[-1]
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - height / 2, plot.left() - 4, height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(tick))
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())

    def _draw_bars(self, painter: QPainter, plot: QRectF, axis_top: int) -> None:
        slot = plot.width() / len(self._bars)
        width = max(1.0, slot * 0.7)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAR_COLOUR)
        for i, (_, value) in enumerate(self._bars):
            if value:
                height = plot.height() * value / axis_top
                painter.drawRect(QRectF(plot.left() + i * slot + (slot - width) / 2,
                                        plot.bottom() - height, width, height))

    def _draw_labels(self, painter: QPainter, plot: QRectF) -> None:
        """Every n-th label, centred under its bar, n chosen so that labels never overlap."""
        if not self._bars:
            return
        slot = plot.width() / len(self._bars)
        widest = max(self.fontMetrics().horizontalAdvance(label) for label, _ in self._bars) + 8
        step = max(label_step(len(self._bars), self._max_labels), math.ceil(widest / slot))
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        for i in range(0, len(self._bars), step):
            centre = plot.left() + (i + 0.5) * slot
            left = min(max(0.0, centre - widest / 2), self.width() - widest)  # the ends stay on screen
            area = QRectF(left, plot.bottom() + 2, widest, self.fontMetrics().height() + 2)
            painter.drawText(area, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self._bars[i][0])

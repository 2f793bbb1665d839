"""The live preview: pulls the newest frame on a timer and paints it mirrored, with face boxes.

It never waits for the analysis: boxes are drawn from the latest analysed frame while the
picture is always the newest captured one.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.core.base.vocabulary import MarkState
from kiosk.core.camera.frames import LatestFrame, RateMeter

MARK_COLOURS = {MarkState.KNOWN: QColor(40, 200, 90), MarkState.UNKNOWN: QColor(235, 90, 60),
                MarkState.NEUTRAL: QColor(90, 170, 255)}
MARKS_TTL_S = 0.6  # boxes older than this are stale (no analysis results coming)
MAX_MARK_LAG_FRAMES = 9  # boxes from an analysed frame this far behind the shown one: gone


def bgr_qimage(frame_bgr: np.ndarray) -> QImage:
    """A QImage viewing a C-contiguous BGR uint8 (H, W, 3) array (no copy: keep the array
    alive while the image is used). Qt converts BGR for display: no colour conversion here."""
    height, width = frame_bgr.shape[:2]
    return QImage(frame_bgr.data, width, height, frame_bgr.strides[0], QImage.Format.Format_BGR888)


def rgb_qimage(image_rgb: np.ndarray) -> QImage:
    """A deep-copied QImage of an RGB uint8 (H, W, 3) array (safe to keep)."""
    image_rgb = np.ascontiguousarray(image_rgb)
    height, width = image_rgb.shape[:2]
    return QImage(image_rgb.data, width, height, image_rgb.strides[0],
                  QImage.Format.Format_RGB888).copy()


class LiveView(QWidget):
    """Paints `frames`' newest frame, mirrored like a mirror, scaled to fit."""

    def __init__(self, frames: LatestFrame, *, mirror: bool = True, fps: float = 30.0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.frames = frames
        self.mirror = mirror
        self.meter = RateMeter()
        self.placeholder = "Starting the camera…"
        self._seq = 0
        self._frame_bgr: np.ndarray | None = None
        self._image: QImage | None = None
        self._marks = None
        self._marks_at = 0.0
        self.trouble = ""  # the camera's problem: the picture greys out under it
        self.guide_px = 0  # > 0: a dashed square of that many frame pixels (the range setting)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._timer = QTimer(self, interval=max(1, int(1000 / fps)))
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._pull)
        self._timer.start()

    def fps(self) -> float:
        return self.meter.rate()

    def set_placeholder(self, text: str) -> None:
        """What to show while no frame has come yet."""
        if text != self.placeholder:
            self.placeholder = text
            self.update()

    def set_camera_trouble(self, message: str) -> None:
        """"" when the camera works; else the picture greys out, its boxes go, and
        ``message`` says why (an old frame must not look live)."""
        if message != self.trouble:
            self.trouble = message
            if message:
                self._marks = None
            self.update()

    @Slot(int)
    def set_guide(self, face_px: int) -> None:
        """Show the smallest face the live screen looks at, as a square in the middle."""
        self.guide_px = face_px
        self.update()

    @Slot(object)
    def set_marks(self, marks) -> None:
        """`marks`: a frontdesk.updates.Marks (seq, frame_shape, FaceMark tuple)."""
        self._marks, self._marks_at = marks, time.monotonic()
        self.update()

    def shown_marks(self):
        """The marks drawn now: those of a recent analysed frame, None when they are stale
        (no fresh analysis, or the picture has moved on: a face that left takes its tag)."""
        if self._marks is None or self.trouble:
            return None
        if (time.monotonic() - self._marks_at > MARKS_TTL_S
                or self._seq - self._marks.seq > MAX_MARK_LAG_FRAMES):
            return None
        return self._marks

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def _pull(self) -> None:
        seq, frame_bgr = self.frames.latest()
        if seq == self._seq or frame_bgr is None:
            return
        self._seq, self._frame_bgr = seq, np.ascontiguousarray(frame_bgr)
        self._image = bgr_qimage(self._frame_bgr)
        self.meter.tick()
        self.update()

    def target_rect(self) -> QRectF:
        """Where the frame is drawn: scaled to fit, centred, aspect ratio kept."""
        if self._image is None:
            return QRectF(self.rect())
        w, h = self._image.width(), self._image.height()
        scale = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2,
                      w * scale, h * scale)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(18, 20, 24))
        if self._image is None:
            self._paint_placeholder(painter)
        else:
            self._paint_frame(painter)
            self._paint_marks(painter)
            self._paint_guide(painter)
            if self.trouble:
                self._paint_trouble(painter)
        painter.end()

    def _paint_trouble(self, painter: QPainter) -> None:
        painter.fillRect(self.rect(), QColor(18, 20, 24, 200))  # the last picture, greyed out
        painter.setPen(QColor(235, 238, 242))
        painter.setFont(QFont(self.font().family(), 18))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.trouble)

    def _paint_placeholder(self, painter: QPainter) -> None:
        painter.setPen(QColor(200, 205, 215))
        painter.setFont(QFont(self.font().family(), 18))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)

    def _paint_frame(self, painter: QPainter) -> None:
        target = self.target_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.save()
        if self.mirror:  # draw flipped left-right: the person sees themselves as in a mirror
            painter.translate(target.x() + target.width(), target.y())
            painter.scale(-1.0, 1.0)
        else:
            painter.translate(target.x(), target.y())
        painter.drawImage(QRectF(0, 0, target.width(), target.height()), self._image)
        painter.restore()

    def guide_rect(self) -> QRectF | None:
        """Where the guide square is drawn (widget pixels), or None."""
        if not self.guide_px or self._image is None:
            return None
        target = self.target_rect()
        side = self.guide_px * target.width() / self._image.width()
        return QRectF(target.center().x() - side / 2, target.center().y() - side / 2, side, side)

    def _paint_guide(self, painter: QPainter) -> None:
        rect = self.guide_rect()
        if rect is None:
            return
        painter.setPen(QPen(QColor(255, 210, 60), 2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)

    def _paint_marks(self, painter: QPainter) -> None:
        marks = self.shown_marks()
        if marks is None:
            return
        target = self.target_rect()
        height, width = marks.frame_shape
        scale = target.width() / width
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font().family())
        font.setPixelSize(int(min(max(14, 20 * scale), max(14, 0.04 * self.height()))))
        font.setBold(True)
        painter.setFont(font)
        for mark in marks.marks:
            self._paint_mark(painter, mark, target, scale, width)

    def _paint_mark(self, painter: QPainter, mark, target: QRectF, scale: float,
                    width: int) -> None:
        x, y, w, h = mark.box_xywh
        if self.mirror:
            x = width - x - w
        box = QRectF(target.x() + x * scale, target.y() + y * scale, w * scale, h * scale)
        colour = MARK_COLOURS.get(mark.state, MARK_COLOURS[MarkState.NEUTRAL])
        painter.setPen(QPen(colour, max(2.0, min(3.0 * scale, 0.005 * self.height()))))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(box, 6, 6)
        if mark.label:
            self._paint_label(painter, mark.label, box, colour)

    @staticmethod
    def _paint_label(painter: QPainter, label: str, box: QRectF, colour: QColor) -> None:
        metrics = painter.fontMetrics()
        text_w, text_h = metrics.horizontalAdvance(label) + 14, metrics.height() + 6
        top = box.top() - text_h if box.top() - text_h >= 0 else box.top()  # no room: inside
        plate = QRectF(box.left() - 1, top, max(text_w, 40), text_h)
        painter.fillRect(plate, colour)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(plate, Qt.AlignmentFlag.AlignCenter, label)

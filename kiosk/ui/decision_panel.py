"""The large text under the preview: the idle invitation, a verify prompt, or a decision.

One clear message per outcome: decisions that come together (several faces) share one
headline ("Welcome, Alice and Bob"), never a welcome beside a refusal on the same line. The
text scales with the screen (capitals about 5% of its height, the second line half that).
A decision stays while its people stay in view: a stranger who waits is not invited to "look
at the camera" again and again. A welcome says the door is open only while it is: once the
door shuts, the name stays and the second line says so.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kiosk.core.base.vocabulary import DecisionKind, Mode
from kiosk.core.frontdesk.decisions import Decision
from kiosk.ui.widgets import IDLE_TEXT, plain_label

STYLE_BY_KIND = {
    DecisionKind.WELCOME: "good", DecisionKind.VERIFIED: "good",
    DecisionKind.STRANGER: "bad", DecisionKind.REFUSED: "bad", DecisionKind.ATTACK: "bad",
    DecisionKind.NOT_LOGGED: "bad", DecisionKind.NOT_ACTIVE: "bad",
    DecisionKind.CHALLENGE_FAILED: "bad",
}  # any other kind (a time-out, an unknown id, a group, too many tries): "info"
PANEL_COLOURS = {  # (background, text)
    "idle": ("#1f2430", "#e8ecf3"), "prompt": ("#1d4f91", "white"),
    "good": ("#1e8e4e", "white"), "bad": ("#b2412e", "white"), "info": ("#6b5a1e", "white"),
}
MIN_SHOW_S = 4.0  # a decision stays on screen at least this long
TOGETHER_S = 1.0  # decisions this close together are shown together (several faces)
CAP_FRACTION = 0.05  # capital letters' height / screen height: ~17 mm on a 24" monitor at 2 m
CAP_PER_PX = 0.72  # a sans-serif capital is about this fraction of the font's pixel size
DOOR_OPEN = "Door open — please come in"
DOOR_CLOSED = "The door has closed"


def headline(shown: list[Decision], door_open: bool = True) -> tuple[str, str, str]:
    """(style, title, detail) of decisions shown together; `door_open` is whether the door
    is open now (a welcome's second line says which)."""
    welcomed = [d.name for d in shown if d.accepted and d.name]
    if welcomed:
        others = any(not d.accepted for d in shown)
        detail = ((DOOR_OPEN if door_open else DOOR_CLOSED)
                  + (" · anyone else, please see reception" if others else ""))
        return "good", "Welcome, " + " and ".join(dict.fromkeys(welcomed)), detail
    title = "\n".join(dict.fromkeys(d.message for d in shown))
    return STYLE_BY_KIND.get(shown[-1].kind, "info"), title, ""


class DecisionPanel(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("decisionPanel")
        self.title = plain_label(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.detail = plain_label(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 10)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        self.style_name = "idle"
        self.title_px = 40
        self._width_px = 1024
        self._shown: list[Decision] = []
        self._shown_at = 0.0
        self._faces_in_view = False
        self._door_open = False
        self._idle, self._idle_detail = IDLE_TEXT[Mode.RECOGNIZE], ""
        self._clear = QTimer(self, singleShot=True)
        self._clear.timeout.connect(self._expire)
        self.set_scale(1024, 768)
        self.show_idle()

    def set_scale(self, screen_width_px: int, screen_height_px: int) -> None:
        """Size the text for a screen (or window) of this size: capitals CAP_FRACTION of its
        height, smaller only where the longest word would not fit its width."""
        self.title_px = max(18, round(CAP_FRACTION * screen_height_px / CAP_PER_PX))
        self._width_px = screen_width_px
        self._restyle()

    def set_faces_in_view(self, present: bool) -> None:
        """Whether anyone is in front of the camera (from the analysed frames)."""
        self._faces_in_view = present
        if not present and self.style_name != "prompt" and not self._clear.isActive():
            self._expire()

    def set_idle_text(self, text: str, detail: str = "") -> None:
        self._idle, self._idle_detail = text, detail
        if self.style_name == "idle":
            self.show_idle()

    @Slot()
    def show_idle(self) -> None:
        self._set("idle", self._idle, self._idle_detail)

    @Slot(str)
    def show_prompt(self, text: str) -> None:
        if text:
            self._clear.stop()
            self._set("prompt", text, "")
        elif self.style_name == "prompt":
            self.show_idle()

    @Slot(object)
    def show_decision(self, decision: Decision) -> None:
        """Show a decision; several within TOGETHER_S (several faces) share one headline."""
        now = time.monotonic()
        together = self.style_name not in ("idle", "prompt") and now - self._shown_at < TOGETHER_S
        self._shown = (self._shown if together else []) + [decision]
        self._shown_at = now
        self._door_open = self._door_open or decision.door_open_s > 0  # it opens with it
        self._set(*headline(self._shown, self._door_open))
        self._clear.start(int(max(MIN_SHOW_S, decision.door_open_s) * 1000))

    @Slot(bool)
    def set_door_open(self, is_open: bool) -> None:
        """The door's real state (from the controller): a welcome still on screen when the
        door shuts keeps its name, and no longer says the door is open."""
        self._door_open = is_open
        if self.style_name == "good" and self._shown:
            self._set(*headline(self._shown, is_open))

    @Slot()
    def _expire(self) -> None:
        """The decision's time is up: back to idle once its people have left."""
        if self.style_name in ("idle", "prompt") or not self._faces_in_view:
            if self.style_name != "prompt":
                self.show_idle()
            return
        self._clear.start(500)  # still there: keep the answer they were given

    def _set(self, style: str, title: str, detail: str) -> None:
        self.style_name = style
        self._restyle(title, detail)  # the font first: a long word must never widen the window
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))

    def _restyle(self, title: str | None = None, detail: str | None = None) -> None:
        title = self.title.text() if title is None else title
        detail = self.detail.text() if detail is None else detail
        background, colour = PANEL_COLOURS[self.style_name]
        self.setStyleSheet(
            f"#decisionPanel {{ background:{background}; border-radius:10px; }}"
            f" QLabel {{ color:{colour}; background: transparent; }}")
        width = self._width_px - WIDTH_SLACK_PX
        self.title.setStyleSheet(
            f"font-size: {fitting_px(title, self.title_px, width, bold=True)}px; font-weight: 700;")
        detail_px = fitting_px(detail, max(14, self.title_px // 2), width)
        self.detail.setStyleSheet(f"font-size: {detail_px}px;")


WIDTH_SLACK_PX = 90  # the window's and the panel's margins around the text


def fitting_px(text: str, px: int, width_px: int, bold: bool = False) -> int:
    """``px``, or less so that the longest word of ``text`` fits ``width_px`` (a long name
    must wrap, never widen the window past the screen)."""
    words = text.split() or [""]
    while px > 12:
        font = QFont()
        font.setPixelSize(px)
        font.setBold(bold)
        if max(QFontMetrics(font).horizontalAdvance(w) for w in words) <= width_px:
            break
        px -= max(1, px // 10)
    return px

"""The admin's window (not kiosk mode) with real mouse clicks: every toolbar button can be
reached, and the kiosk's invisible corner hotspot never sits on top of them."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QToolButton  # noqa: E402

from kiosk.core.frontdesk.pin import PinGate  # noqa: E402
from kiosk.ui.admin_actions import CORNER_PX, LONG_PRESS_MS, CornerHotspot  # noqa: E402
from tests.ui_helpers import CARD_PEOPLE, kiosks  # noqa: E402

QUIT_PIN_QUESTION = ("enter", "Admin PIN for: Quit")


@pytest.fixture
def kiosk(qtbot, tmp_path):
    yield from kiosks(qtbot, tmp_path, people=CARD_PEOPLE)


def windowed(kiosk, qtbot, width, height):
    """A started window (not kiosk mode) of this size, with an admin PIN set; every PIN
    prompt is cancelled."""
    k = kiosk()
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    k.window.resize(width, height)
    qtbot.waitUntil(lambda: (k.window.width(), k.window.height()) == (width, height), timeout=3000)
    return k


def click_where_it_shows(qtbot, button) -> None:
    """A left click at the button's centre, delivered to the window at that spot (as a real
    mouse does: whatever widget is on top there receives it)."""
    window = button.window()
    qtbot.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton,
                     pos=button.mapTo(window, button.rect().center()))


def widget_at_centre(button):
    window = button.window()
    return window.childAt(button.mapTo(window, button.rect().center()))


def test_quit_can_be_clicked_in_a_1024_wide_window(kiosk, qtbot):
    k = windowed(kiosk, qtbot, 1024, 768)
    quit_button = k.window.admin_actions.toolbar.widgetForAction(k.window.actions_by_name["quit"])
    assert quit_button.isVisible()
    assert widget_at_centre(quit_button) is quit_button
    click_where_it_shows(qtbot, quit_button)
    assert k.pin.asked == [QUIT_PIN_QUESTION]  # cancelled: the window stays
    assert k.window.isVisible()


def test_on_a_small_screen_the_overflow_button_and_quit_behind_it_can_be_clicked(kiosk, qtbot):
    k = windowed(kiosk, qtbot, 800, 480)
    toolbar = k.window.admin_actions.toolbar
    quit_button = toolbar.widgetForAction(k.window.actions_by_name["quit"])
    overflow = toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert overflow.isVisible() and not quit_button.isVisible()  # "Quit" is in the overflow
    assert not isinstance(widget_at_centre(overflow), CornerHotspot)
    assert widget_at_centre(overflow) is overflow
    click_where_it_shows(qtbot, overflow)
    qtbot.waitUntil(quit_button.isVisible, timeout=3000)
    click_where_it_shows(qtbot, quit_button)
    assert k.pin.asked == [QUIT_PIN_QUESTION]


def test_the_corner_hotspot_comes_and_goes_with_kiosk_mode(kiosk, qtbot):
    k = windowed(kiosk, qtbot, 1024, 768)
    assert not k.window.corner.isVisible()
    k.window.toggle_fullscreen()  # into kiosk mode: no PIN needed
    assert k.window.kiosk_mode and k.window.corner.isVisible()
    k.pin.answers = ["135790"]
    k.window.toggle_fullscreen()
    assert not k.window.kiosk_mode and not k.window.corner.isVisible()


def test_in_kiosk_mode_a_long_press_in_the_corner_asks_for_the_admin_menu(kiosk, qtbot):
    k = kiosk(kiosk_mode=True)
    PinGate(k.store, scrypt_n=2**10).set_pin("135790")
    window = k.window
    corner = QPoint(window.width() - CORNER_PX // 2, CORNER_PX // 2)
    assert isinstance(window.childAt(corner), CornerHotspot)
    qtbot.mousePress(window.windowHandle(), Qt.MouseButton.LeftButton, pos=corner)
    qtbot.wait(LONG_PRESS_MS // 2)
    assert k.pin.asked == []  # a short touch does nothing
    qtbot.waitUntil(lambda: k.pin.asked == [("enter", "Admin PIN for: Admin menu")],
                    timeout=LONG_PRESS_MS + 2000)
    qtbot.mouseRelease(window.windowHandle(), Qt.MouseButton.LeftButton, pos=corner)

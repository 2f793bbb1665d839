"""Run on a screen of a given size (``QT_QPA_PLATFORM=offscreen:configfile=…``): opens the front
desk as a kiosk, shows a long decision, opens every admin dialog fitted to the screen, and
prints JSON of where everything landed. Used by tests/test_ui_sizes.py in child processes."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QScrollArea

from kiosk.core import fakes
from kiosk.core.base.vocabulary import DecisionKind, Mode
from kiosk.core.frontdesk.decisions import Decision
from kiosk.core.storage.sqlite import SqliteStore
from kiosk.ui.app import build_window
from kiosk.ui.screen_fit import fit_to_screen
from tests.ui_helpers import ScriptedPrompter, make_settings


def global_rect(widget) -> list[int]:
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def inside(rect: list[int], screen: QRect) -> bool:
    x, y, w, h = rect
    return x >= screen.x() and y >= screen.y() and x + w <= screen.right() + 1 and y + h <= screen.bottom() + 1


def reachable(button: QAbstractButton) -> QAbstractButton | QScrollArea:
    """The button, or the scroll area it scrolls in (it is reachable if that is on screen)."""
    parent = button.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    return parent or button


def dialog_report(dialog: QDialog, screen: QRect, app) -> dict:
    fit_to_screen(dialog)
    dialog.show()
    app.processEvents()
    buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible() and b.text()]
    fixed = [b for b in buttons if reachable(b) is b]  # OK, Save, Cancel: never scrolled away
    return {"rect": global_rect(dialog), "inside": inside(global_rect(dialog), screen),
            "buttons_inside": all(inside(global_rect(reachable(b)), screen) for b in buttons),
            "buttons": len(buttons), "fixed_buttons": len(fixed)}


def main() -> None:
    app = QApplication(sys.argv[:1])
    screen = app.primaryScreen().geometry()
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp))
        store = SqliteStore.open(settings.database_path)
        fakes.enrol_demo_people(store)
        camera = fakes.demo_camera()
        window = build_window(settings, store, camera=lambda: camera, engine_factory=fakes.fake_engine,
                              kiosk_mode=True, prompter=ScriptedPrompter())
        window.start()
        for _ in range(50):
            app.processEvents()
        name = "Maximilian Alexander von Hohenzollern-Sigmaringen"
        window.panel.show_decision(Decision(DecisionKind.WELCOME, Mode.RECOGNIZE, "", True, 5.0, name=name))
        app.processEvents()
        out = {"screen": [screen.width(), screen.height()], "window": global_rect(window),
               "window_min": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
               "panel": global_rect(window.panel), "panel_inside": inside(global_rect(window.panel), screen),
               "title_px": window.panel.title_px, "title_lines_fit": window.panel.title.height()
               >= window.panel.title.heightForWidth(window.panel.title.width()),
               "live_view": global_rect(window.live_view), "dialogs": {}}
        from kiosk.ui.admin import PinDialog
        from kiosk.ui.enrol_dialog import EnrolDialog
        from kiosk.ui.log_dialog import LogDialog
        from kiosk.ui.people_dialog import PeopleDialog, PersonEditDialog
        from kiosk.ui.report_dialog import ReportDialog
        from kiosk.ui.settings_dialog import SettingsDialog

        prompter = window.prompter
        for label, make in (("enrol", lambda: EnrolDialog(window.controller, prompter, None, window)),
                            ("people", lambda: PeopleDialog(window.controller, prompter, lambda p: None, window)),
                            ("person", lambda: PersonEditDialog(store, store.find_person("Alice"), prompter, window)),
                            ("log", lambda: LogDialog(store, prompter, window)),
                            ("report", lambda: ReportDialog(store, prompter, window)),
                            ("settings", lambda: SettingsDialog(settings, prompter, window)),
                            ("pin", lambda: PinDialog("set", "", window))):
            dialog = make()
            out["dialogs"][label] = dialog_report(dialog, screen, app)
            dialog.reject()
            app.processEvents()
        window.force_close()
        app.processEvents()
        store.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

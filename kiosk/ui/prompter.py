"""Questions to the person at the screen: one small object every window and dialog receives.

`DialogPrompter` asks with Qt's standard dialogs; tests pass a scripted one instead (see
tests/ui_helpers.py), so no test patches a dialog's attributes. Everything a person typed
comes back as plain text.
"""
from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox, QWidget


class Prompter(Protocol):
    def within(self, parent: QWidget) -> "Prompter":
        """The same prompter, with its dialogs over ``parent``."""

    def run(self, dialog: QDialog) -> int:
        """Show a modal dialog until it closes; its result code."""

    def confirm(self, text: str) -> bool: ...
    def inform(self, text: str) -> None: ...
    def ask_text(self, label: str, text: str = "") -> str | None: ...
    def ask_pin(self, kind: str, message: str) -> str | None: ...
    def open_files(self, title: str, name_filter: str) -> list[str]: ...
    def open_file(self, title: str, name_filter: str) -> str: ...
    def open_folder(self, title: str) -> str: ...
    def save_file(self, title: str, suggested: str, name_filter: str) -> str: ...


class DialogPrompter:
    """Qt's own message boxes, input and file dialogs over ``parent``."""

    def __init__(self, parent: QWidget | None = None):
        self.parent = parent

    def within(self, parent: QWidget) -> "DialogPrompter":
        return DialogPrompter(parent)

    def _title(self) -> str:
        return self.parent.windowTitle() if self.parent is not None else "Front desk"

    def run(self, dialog: QDialog) -> int:
        """Run a modal dialog, then let Qt delete it (it is a child of the window otherwise)."""
        code = dialog.exec()
        dialog.deleteLater()
        return code

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self.parent, self._title(), text)
        return answer == QMessageBox.StandardButton.Yes

    def inform(self, text: str) -> None:
        QMessageBox.warning(self.parent, self._title(), text)

    def ask_text(self, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(self.parent, self._title(), label, text=text)
        return value if ok else None

    def ask_pin(self, kind: str, message: str) -> str | None:
        from kiosk.ui.admin import PinDialog

        dialog = PinDialog(kind, message, self.parent)
        return dialog.pin() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def open_files(self, title: str, name_filter: str) -> list[str]:
        return QFileDialog.getOpenFileNames(self.parent, title, "", name_filter)[0]

    def open_file(self, title: str, name_filter: str) -> str:
        return QFileDialog.getOpenFileName(self.parent, title, "", name_filter)[0]

    def open_folder(self, title: str) -> str:
        return QFileDialog.getExistingDirectory(self.parent, title)

    def save_file(self, title: str, suggested: str, name_filter: str) -> str:
        return QFileDialog.getSaveFileName(self.parent, title, suggested, name_filter)[0]

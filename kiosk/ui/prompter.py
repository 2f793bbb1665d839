"""Questions to the person at the screen: one small object every window and dialog receives.

`DialogPrompter` asks with Qt's standard dialogs, each closing itself after ``idle_s``
without input (an admin who walks away leaves nothing open); tests pass a scripted prompter
instead (see tests/ui_helpers.py), so no test patches a dialog's attributes. Text is shown
as plain text, never as markup.
"""
from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from kiosk.ui.idle import IDLE_CLOSE_S, close_when_idle
from kiosk.ui.screen_fit import fit_to_screen


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

    def __init__(self, parent: QWidget | None = None, idle_s: float = IDLE_CLOSE_S):
        self.parent = parent
        self.idle_s = idle_s

    def within(self, parent: QWidget) -> "DialogPrompter":
        return DialogPrompter(parent, self.idle_s)

    def _title(self) -> str:
        return self.parent.windowTitle() if self.parent is not None else "Front desk"

    def run(self, dialog: QDialog) -> int:
        """Run a modal dialog fitted to the screen (closed after ``idle_s`` idle), then let
        Qt delete it."""
        fit_to_screen(dialog)
        code = close_when_idle(dialog, self.idle_s).exec()
        dialog.deleteLater()
        return code

    def _box(self, icon, text: str, buttons) -> QMessageBox:
        box = QMessageBox(icon, self._title(), text, buttons, self.parent)
        box.setTextFormat(Qt.TextFormat.PlainText)  # names and ids are data, not markup
        return box

    def confirm(self, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        box = self._box(QMessageBox.Icon.Question, text, buttons)
        return self.run(box) == QMessageBox.StandardButton.Yes

    def inform(self, text: str) -> None:
        self.run(self._box(QMessageBox.Icon.Warning, text, QMessageBox.StandardButton.Ok))

    def ask_text(self, label: str, text: str = "") -> str | None:
        dialog = QInputDialog(self.parent)
        dialog.setWindowTitle(self._title())
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        return dialog.textValue() if self.run(dialog) == QDialog.DialogCode.Accepted else None

    def ask_pin(self, kind: str, message: str) -> str | None:
        from kiosk.ui.admin import PinDialog

        dialog = PinDialog(kind, message, self.parent)
        return dialog.pin() if self.run(dialog) == QDialog.DialogCode.Accepted else None

    def _file_dialog(self, title: str, mode, name_filter: str = "") -> QFileDialog:
        dialog = QFileDialog(self.parent, title, "", name_filter)
        dialog.setFileMode(mode)
        return dialog

    def open_files(self, title: str, name_filter: str) -> list[str]:
        dialog = self._file_dialog(title, QFileDialog.FileMode.ExistingFiles, name_filter)
        return dialog.selectedFiles() if self.run(dialog) == QDialog.DialogCode.Accepted else []

    def open_file(self, title: str, name_filter: str) -> str:
        dialog = self._file_dialog(title, QFileDialog.FileMode.ExistingFile, name_filter)
        return dialog.selectedFiles()[0] if self.run(dialog) == QDialog.DialogCode.Accepted else ""

    def open_folder(self, title: str) -> str:
        dialog = self._file_dialog(title, QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        return dialog.selectedFiles()[0] if self.run(dialog) == QDialog.DialogCode.Accepted else ""

    def save_file(self, title: str, suggested: str, name_filter: str) -> str:
        dialog = self._file_dialog(title, QFileDialog.FileMode.AnyFile, name_filter)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.selectFile(suggested)
        return dialog.selectedFiles()[0] if self.run(dialog) == QDialog.DialogCode.Accepted else ""

"""The admin PIN on screen: a PIN dialog and `AdminGate`, asked before every admin action."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from kiosk.core.base.errors import KioskError, PinError
from kiosk.core.frontdesk.pin import MAX_DIGITS, MIN_DIGITS
from kiosk.ui.widgets import plain_label

log = logging.getLogger(__name__)

ENTER, SET = "enter", "set"
MAX_TRIES_PER_ASK = 3


def _pin_edit() -> QLineEdit:
    edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
    edit.setValidator(QRegularExpressionValidator(r"[0-9]{0,12}"))
    edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
    edit.setStyleSheet("font-size: 22px; letter-spacing: 4px;")
    return edit


class PinDialog(QDialog):
    """Asks for the admin PIN (ENTER) or for a new one, twice (SET)."""

    def __init__(self, kind: str = ENTER, message: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle("Admin PIN" if kind == ENTER else "Set the admin PIN")
        self.message = plain_label(message or self._default_message(), wordWrap=True)
        self.pin_edit = _pin_edit()
        self.confirm_edit = _pin_edit()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        form = QFormLayout(self)
        form.addRow(self.message)
        form.addRow("PIN" if kind == ENTER else "New PIN", self.pin_edit)
        if kind == SET:
            form.addRow("Repeat it", self.confirm_edit)
        form.addRow(self.buttons)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)

    def _default_message(self) -> str:
        if self.kind == ENTER:
            return "This is for the office admin. Please enter the admin PIN."
        return (f"Choose the admin PIN ({MIN_DIGITS} to {MAX_DIGITS} digits) that protects the"
                " admin tools.")

    def pin(self) -> str:
        return self.pin_edit.text()

    @Slot()
    def _check(self) -> None:
        if self.kind == SET and len(self.pin()) < MIN_DIGITS:
            self.message.setText(f"The PIN has {MIN_DIGITS} to {MAX_DIGITS} digits.")
        elif self.kind == SET and self.pin() != self.confirm_edit.text():
            self.message.setText("The two PINs differ — please type them again.")
            self.confirm_edit.clear()
        else:
            self.accept()


class AdminGate:
    """Checks the PIN (kiosk.core.frontdesk.pin.PinGate) before an admin action. A windowed
    first run may set the PIN on screen only while nobody is enrolled (a fresh install, the
    admin at the keyboard); after that only `kiosk admin set-pin` can. Asks and tells through
    ``prompter`` (see kiosk.ui.prompter); ``nobody_enrolled()`` asks the store."""

    def __init__(self, pin_gate, prompter, nobody_enrolled=lambda: True):
        self.pin_gate = pin_gate
        self.prompter = prompter
        self.nobody_enrolled = nobody_enrolled

    def ask(self, kind: str, message: str) -> str | None:
        return self.prompter.ask_pin(kind, message)

    def inform(self, text: str) -> None:
        self.prompter.inform(text)

    def unlock(self, action: str = "") -> bool:
        """True when the admin may go on with `action`."""
        try:
            if not self.pin_gate.is_set():
                return self._set_first_pin()
            return self._check_pin(action)
        except KioskError as exc:  # e.g. a damaged stored PIN
            self.inform(str(exc))
            return False

    def change_pin(self) -> bool:
        """Change the PIN from the window: the current one, then the new one twice."""
        old = self.ask(ENTER, "Enter the current admin PIN to change it.")
        new = None if old is None else self.ask(SET, "Choose the new admin PIN.")
        if new is None:
            return False
        try:
            self.pin_gate.set_pin(new, old_pin=old)
        except PinError as exc:
            self.inform(_sentence(str(exc)))
            return False
        self.inform("The admin PIN was changed.")
        return True

    def _set_first_pin(self) -> bool:
        if not self.nobody_enrolled():
            self.inform("No admin PIN is set. For safety it can only be set on screen before"
                        " anyone is enrolled: run `kiosk admin set-pin` on this computer.")
            return False
        pin = self.ask(SET, "No admin PIN is set yet: choose one now, before anyone is enrolled.")
        if pin is None:
            return False
        try:
            self.pin_gate.set_pin(pin)
        except PinError as exc:
            self.inform(str(exc))
            return False
        log.info("admin PIN set from the kiosk screen")
        return True

    def _check_pin(self, action: str) -> bool:
        message = f"Admin PIN for: {action}" if action else ""
        for _ in range(MAX_TRIES_PER_ASK):
            pin = self.ask(ENTER, message)
            if pin is None:
                return False
            try:
                self.pin_gate.check(pin)
                return True
            except PinError as exc:
                if exc.retry_after_s > 0:
                    self.inform(_sentence(str(exc)))
                    return False
                message = _sentence(str(exc))
        return False


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]

"""The admin PIN on screen: a PIN dialog and `AdminGate`, asked before every admin action."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from kiosk.core.base.errors import KioskError, PinError

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
        self.message = QLabel(message or self._default_message(), wordWrap=True)
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
        return "No admin PIN is set yet. Choose one (4 to 12 digits) to protect the admin tools."

    def pin(self) -> str:
        return self.pin_edit.text()

    @Slot()
    def _check(self) -> None:
        if len(self.pin()) < 4:
            self.message.setText("The PIN has 4 to 12 digits.")
        elif self.kind == SET and self.pin() != self.confirm_edit.text():
            self.message.setText("The two PINs differ — please type them again.")
            self.confirm_edit.clear()
        else:
            self.accept()


class AdminGate:
    """Checks the PIN (kiosk.core.frontdesk.pin.PinGate) before an admin action; sets it on
    first use. Asks and tells through ``prompter`` (see kiosk.ui.prompter)."""

    def __init__(self, pin_gate, prompter):
        self.pin_gate = pin_gate
        self.prompter = prompter

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

    def _set_first_pin(self) -> bool:
        pin = self.ask(SET, "")
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

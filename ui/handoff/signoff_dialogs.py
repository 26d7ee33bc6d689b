"""Dialogs of the sign-off panel: add a local user, sign the current content.

Both do their work in ``accept()``: a refusal from core is shown inside the
dialog, which stays open; success closes it.  They are opened with ``open()``
(never ``exec()``), so tests can fill them in and press OK.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit)

from core.handoff import signing
from core.errors import PreflightError
from core.handoff.signoff import MEANINGS, MIN_OVERRIDE_REASON, MIN_PASSWORD_LENGTH, ROLE_MEANINGS, ROLES

ERROR_STYLE = "color:#cf222e;font-weight:bold"


def _error_label() -> QLabel:
    label = QLabel("")
    label.setObjectName("dialogError")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class AddUserDialog(QDialog):
    """Name, role and password of a new local signer."""

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.user_id: int | None = None
        self.setWindowTitle("Add user")
        self.setMinimumWidth(420)
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(f"{role} (signs {' / '.join(ROLE_MEANINGS[role])})", role)
        self.password = QLineEdit(echoMode=QLineEdit.Password)
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.confirm = QLineEdit(echoMode=QLineEdit.Password)
        self.error = _error_label()
        form.addRow("Printed name", self.name)
        form.addRow("Role", self.role)
        form.addRow("Password", self.password)
        form.addRow("Confirm password", self.confirm)
        form.addRow(self.error)
        self.buttons = _buttons(self, "Add user")
        form.addRow(self.buttons)

    def set_role(self, role: str) -> None:
        self.role.setCurrentIndex(self.role.findData(role))

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(True)

    def accept(self) -> None:
        if self.password.text() != self.confirm.text():
            self.show_error("The two passwords differ.")
            return
        try:
            self.user_id = signing.add_user(self.context.store, self.name.text(), self.role.currentData(),
                                            self.password.text())
        except PreflightError as exc:
            self.show_error(str(exc)[:1].upper() + str(exc)[1:])
            return
        self.context.notify()
        super().accept()


class SignDialog(QDialog):
    """Choose signer and meaning, enter the password; signing happens on OK."""

    def __init__(self, context, user_id: int | None = None, meaning: str | None = None, parent=None):
        super().__init__(parent)
        self.context = context
        self.signature_id: int | None = None
        self.setWindowTitle("Sign")
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        intro = QLabel("Your signature binds your name, the meaning and the time to the exact current content of "
                       "this assessment (checklist, handoff, runs and evidence hashes). Any later change "
                       "invalidates it.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color:#57606a")
        form.addRow(intro)
        self.user = QComboBox()
        self.users = context.store.users()
        for u in self.users:
            self.user.addItem(f"{u['name']} ({u['role']})", u["id"])
        self.meaning = QComboBox()
        for m in MEANINGS:
            self.meaning.addItem(m, m)
        self.password = QLineEdit(echoMode=QLineEdit.Password)
        self.override = QPlainTextEdit()
        self.override.setPlaceholderText(f"Only for approval with critical blockers open: why approve anyway "
                                         f"(at least {MIN_OVERRIDE_REASON} characters)")
        self.override.setFixedHeight(64)
        self.error = _error_label()
        form.addRow("Signer", self.user)
        form.addRow("Meaning", self.meaning)
        form.addRow("Password", self.password)
        form.addRow("Override reason", self.override)
        form.addRow(self.error)
        self.buttons = _buttons(self, "Sign")
        form.addRow(self.buttons)
        self.user.currentIndexChanged.connect(self._user_changed)
        self.meaning.currentIndexChanged.connect(self._meaning_changed)
        if not self.users:
            self.show_error("Add a user first: nobody can sign yet.")
        if user_id is not None:
            self.user.setCurrentIndex(max(0, self.user.findData(user_id)))
        self._user_changed()
        if meaning is not None:
            self.set_meaning(meaning)
        self._meaning_changed()

    def _user_changed(self, *_args) -> None:
        user = next((u for u in self.users if u["id"] == self.user.currentData()), None)
        if user is not None and user.get("role") in ROLE_MEANINGS:
            self.set_meaning(ROLE_MEANINGS[user["role"]][0])

    def _meaning_changed(self, *_args) -> None:
        approval = self.meaning.currentData() == "approval"
        self.override.setEnabled(approval)

    def set_user(self, user_id: int) -> None:
        self.user.setCurrentIndex(self.user.findData(user_id))

    def set_meaning(self, meaning: str) -> None:
        self.meaning.setCurrentIndex(self.meaning.findData(meaning))

    def show_error(self, message: str) -> None:
        self.error.setText(message[:1].upper() + message[1:])
        self.error.setVisible(True)

    def accept(self) -> None:
        user_id = self.user.currentData()
        if user_id is None:
            self.show_error("Add a user first: nobody can sign yet.")
            return
        meaning = self.meaning.currentData()
        reason = self.override.toPlainText().strip() if meaning == "approval" else ""
        try:
            self.signature_id = signing.sign(self.context.store, user_id, self.password.text(), meaning,
                                             reason or None)
        except PreflightError as exc:
            self.password.clear()
            self.show_error(str(exc))
            self.context.notify()  # the refusal was written to the audit trail
            return
        self.context.notify()
        super().accept()

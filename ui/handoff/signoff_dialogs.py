"""Dialogs of the sign-off panel: add a local user, sign the current content.

Both do their work in ``accept()``, in the worker (hashing the password with
scrypt, re-hashing every evidence file), on a connection of their own to the
assessment file: the window keeps responding meanwhile, and a progress bar with
Cancel shows in the dialog when it takes a while.  A refusal from core is
shown inside the dialog, which grows to fit it and stays open; success closes
it.  They are opened with ``open()`` (never ``exec()``), so tests can fill them
in and press OK.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QVBoxLayout)

from core.handoff import signing
from core.handoff.signoff import MEANINGS, MIN_OVERRIDE_REASON, MIN_PASSWORD_LENGTH, ROLE_MEANINGS, ROLES
from ui.common.dialogs import fit_to_contents, message_label, set_message
from ui.common.tasks import TaskBar, TaskQueue

ERROR_STYLE = "color:#cf222e;font-weight:bold"


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _add_user(store, name: str, role: str, password: str, progress=None, cancelled=None) -> int:
    """Runs in the worker: hash the password and add the user, on a connection of its own."""
    with store.open_writer() as writer:
        return signing.add_user(writer, name, role, password)


def _sign(store, user_id: int, password: str, meaning: str, reason, progress=None, cancelled=None) -> int:
    """Runs in the worker: check the password, re-hash the evidence and sign, on a connection of its own."""
    with store.open_writer() as writer:
        return signing.sign(writer, user_id, password, meaning, reason, progress=progress, cancelled=cancelled)


class _WorkingDialog(QDialog):
    """A dialog whose OK runs one task in the worker; the buttons wait while it runs."""

    def __init__(self, context, title: str, min_width: int, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(title)
        self.setMinimumWidth(min_width)
        self.outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.outer.addLayout(self.form)
        self.error = message_label("dialogError", ERROR_STYLE)
        self.outer.addWidget(self.error)
        self.task_bar = TaskBar()
        self.outer.addWidget(self.task_bar)
        self.tasks = TaskQueue(self.task_bar, context, on_error=lambda _title, m: self._refused(m),
                               on_idle=self._update_buttons, parent=self)
        self.tasks.finished.connect(self._task_ended)

    def _finish_layout(self, ok_text: str) -> None:
        self.buttons = _buttons(self, ok_text)
        self.outer.addWidget(self.buttons)

    def show_error(self, message: str) -> None:
        set_message(self.error, message[:1].upper() + message[1:] if message else "")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        fit_to_contents(self)

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def _update_buttons(self) -> None:
        for button in self.buttons.buttons():
            button.setEnabled(not self.tasks.busy)

    def _refused(self, message: str) -> None:
        self.show_error(message)

    def _task_ended(self) -> None:
        pass

    def reject(self) -> None:
        if self.tasks.busy:  # the work in the worker must end first (its Cancel is in the progress bar)
            return
        super().reject()


class AddUserDialog(_WorkingDialog):
    """Name, role and password of a new local signer."""

    def __init__(self, context, parent=None):
        super().__init__(context, "Add user", 420, parent)
        self.user_id: int | None = None
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(f"{role} (signs {' / '.join(ROLE_MEANINGS[role])})", role)
        self.password = QLineEdit(echoMode=QLineEdit.Password)
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.confirm = QLineEdit(echoMode=QLineEdit.Password)
        self.form.addRow("Printed name", self.name)
        self.form.addRow("Role", self.role)
        self.form.addRow("Password", self.password)
        self.form.addRow("Confirm password", self.confirm)
        self._finish_layout("Add user")

    def set_role(self, role: str) -> None:
        self.role.setCurrentIndex(self.role.findData(role))

    def accept(self) -> None:
        if self.tasks.busy:
            return
        if self.password.text() != self.confirm.text():
            self.show_error("The two passwords differ.")
            return
        self.show_error("")
        self.tasks.run("Adding the user", _add_user, self.context.store, self.name.text(),
                       self.role.currentData(), self.password.text(), on_result=self._added)

    def _added(self, user_id: int) -> None:
        self.user_id = user_id
        self.context.notify()
        QDialog.accept(self)


class SignDialog(_WorkingDialog):
    """Choose signer and meaning, enter the password; signing happens on OK, in the worker."""

    def __init__(self, context, user_id: int | None = None, meaning: str | None = None, parent=None):
        super().__init__(context, "Sign", 520, parent)
        self.signature_id: int | None = None
        intro = QLabel("Your signature binds your name, the meaning and the time to the exact current content of "
                       "this assessment (checklist, handoff, runs and evidence hashes). Any later change "
                       "invalidates it.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color:#57606a")
        self.form.addRow(intro)
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
        self.form.addRow("Signer", self.user)
        self.form.addRow("Meaning", self.meaning)
        self.form.addRow("Password", self.password)
        self.form.addRow("Override reason", self.override)
        self._finish_layout("Sign")
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

    def accept(self) -> None:
        if self.tasks.busy:
            return
        user_id = self.user.currentData()
        if user_id is None:
            self.show_error("Add a user first: nobody can sign yet.")
            return
        meaning = self.meaning.currentData()
        reason = self.override.toPlainText().strip() if meaning == "approval" else ""
        self.show_error("")
        self.tasks.run("Checking the password and the evidence files", _sign, self.context.store, user_id,
                       self.password.text(), meaning, reason or None, on_result=self._signed)

    def _signed(self, signature_id: int) -> None:
        self.signature_id = signature_id
        self.context.notify()
        QDialog.accept(self)

    def _refused(self, message: str) -> None:
        self.password.clear()
        self.show_error(message)

    def _task_ended(self) -> None:
        if self.result() != QDialog.Accepted:
            self.context.notify()  # a refusal (or a cancelled check) is in the audit trail: show it

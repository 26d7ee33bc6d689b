"""Dialogs of the sign-off panel: add a signer, sign, change a password, deactivate a signer.

Each does its work in ``accept()``, in the worker (deriving the key that
unlocks a private key with scrypt, re-hashing every evidence file), on a
connection of their own to the
assessment file: the window keeps responding meanwhile, and a progress bar with
Cancel shows in the dialog when it takes a while.  A refusal from core is
shown inside the dialog, which grows to fit it and stays open; success closes
it.  They are opened with ``open()`` (never ``exec()``), so tests can fill them
in and press OK.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from core.handoff import accounts, keys, signing
from core.handoff.signoff import MEANINGS, MIN_OVERRIDE_REASON, MIN_PASSWORD_LENGTH, ROLE_MEANINGS, ROLES, next_signer
from ui.common.dialogs import fit_to_contents, message_label, set_message
from ui.common.tasks import TaskBar, TaskQueue

ERROR_STYLE = "color:#cf222e;font-weight:bold"


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _add_user(store, name: str, role: str, password: str | None, admin_password: str | None, key_file: str,
              progress=None, cancelled=None) -> int:
    """Runs in the worker: check the administrator, create or unlock the signer's key, add the signer."""
    public_key = keys.read_public_key_file(key_file) if key_file else None
    with store.open_writer() as writer:
        return accounts.add_user(writer, name, role, password or None, admin_password=admin_password or None,
                                 public_key=public_key)


def _change_password(store, user_id: int, old: str, new: str, progress=None, cancelled=None) -> None:
    with store.open_writer() as writer:
        accounts.change_password(writer, user_id, old, new)


def _deactivate(store, user_id: int, admin_password: str, reason: str, progress=None, cancelled=None) -> None:
    with store.open_writer() as writer:
        accounts.deactivate_user(writer, user_id, admin_password, reason)


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
        if self.result() != QDialog.Accepted:
            self.context.notify()  # a refusal (or a cancelled check) is in the audit trail: show it

    def _succeeded(self, _result=None) -> None:
        self.done_ok = True
        self.context.notify()
        QDialog.accept(self)

    def reject(self) -> None:
        if self.tasks.busy:  # the work in the worker must end first (its Cancel is in the progress bar)
            return
        super().reject()


def _password_field(placeholder: str = "") -> QLineEdit:
    field = QLineEdit(echoMode=QLineEdit.Password)
    if placeholder:
        field.setPlaceholderText(placeholder)
    return field


def _user_label(user: dict) -> str:
    extra = " - administrator" if user.get("is_admin") else ""
    extra += " - deactivated" if user.get("active") is False else ""
    return f"{user['name']} ({user['role']}{extra})"


class AddUserDialog(_WorkingDialog):
    """Name, role and password of a new signer (or their exported public key), and the administrator's password.

    The first signer becomes the administrator; after that the administrator's password is needed.  The
    signer's key pair is created in this machine's profile under their password, unless their public key
    file is given (their key then stays on their own machine).
    """

    def __init__(self, context, parent=None):
        super().__init__(context, "Add user", 460, parent)
        self.user_id: int | None = None
        self.admin = accounts.administrator(context.store)
        self.name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(f"{role} (signs {' / '.join(ROLE_MEANINGS[role])})", role)
        self.password = _password_field(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.confirm = _password_field()
        self.key_file = QLineEdit()
        self.key_file.setPlaceholderText("optional: the signer's exported .pub file (no password then)")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        key_row = QWidget()
        key_lay = QHBoxLayout(key_row)
        key_lay.setContentsMargins(0, 0, 0, 0)
        key_lay.addWidget(self.key_file, 1)
        key_lay.addWidget(browse)
        self.admin_password = _password_field()
        self.form.addRow("Printed name", self.name)
        self.form.addRow("Role", self.role)
        self.form.addRow("Password", self.password)
        self.form.addRow("Confirm password", self.confirm)
        self.form.addRow("Public key file", key_row)
        if self.admin is not None:
            self.form.addRow(f"Administrator ({self.admin['name']}) password", self.admin_password)
        else:
            note = QLabel("The first user becomes the administrator of this assessment: adding signers, "
                          "deactivating them and changing roles will need their password.")
            note.setWordWrap(True)
            note.setStyleSheet("color:#57606a")
            self.form.addRow(note)
        self.admin_password.setVisible(self.admin is not None)
        self._finish_layout("Add user")

    def set_role(self, role: str) -> None:
        self.role.setCurrentIndex(self.role.findData(role))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Signer's public key", "", "Public keys (*.pub)")
        if path:
            self.key_file.setText(path)

    def accept(self) -> None:
        if self.tasks.busy:
            return
        key_file = self.key_file.text().strip()
        if not key_file and self.password.text() != self.confirm.text():
            self.show_error("The two passwords differ.")
            return
        self.show_error("")
        self.tasks.run("Adding the user", _add_user, self.context.store, self.name.text(), self.role.currentData(),
                       None if key_file else self.password.text(), self.admin_password.text(), key_file,
                       on_result=self._added)

    def _added(self, user_id: int) -> None:
        self.user_id = user_id
        self.context.notify()
        QDialog.accept(self)

    def _refused(self, message: str) -> None:
        self.admin_password.clear()
        self.show_error(message)


class ChangePasswordDialog(_WorkingDialog):
    """A signer changes their own password: the private key is re-encrypted under the new one."""

    def __init__(self, context, user_id: int | None = None, parent=None):
        super().__init__(context, "Change password", 420, parent)
        self.done_ok = False
        self.user = QComboBox()
        for u in context.store.users():
            if u.get("public_key"):
                self.user.addItem(_user_label(u), u["id"])
        if user_id is not None:
            self.user.setCurrentIndex(max(0, self.user.findData(user_id)))
        self.old = _password_field()
        self.new = _password_field(f"at least {MIN_PASSWORD_LENGTH} characters")
        self.confirm = _password_field()
        self.form.addRow("Signer", self.user)
        self.form.addRow("Current password", self.old)
        self.form.addRow("New password", self.new)
        self.form.addRow("Confirm new password", self.confirm)
        self._finish_layout("Change password")

    def accept(self) -> None:
        if self.tasks.busy:
            return
        if self.user.currentData() is None:
            self.show_error("No signer with a key in this assessment.")
            return
        if self.new.text() != self.confirm.text():
            self.show_error("The two new passwords differ.")
            return
        self.show_error("")
        self.tasks.run("Changing the password", _change_password, self.context.store, self.user.currentData(),
                       self.old.text(), self.new.text(), on_result=self._succeeded)

    def _refused(self, message: str) -> None:
        self.old.clear()
        self.show_error(message)


class DeactivateDialog(_WorkingDialog):
    """The administrator deactivates a signer, with a reason."""

    def __init__(self, context, user_id: int | None = None, parent=None):
        super().__init__(context, "Deactivate signer", 440, parent)
        self.done_ok = False
        self.admin = accounts.administrator(context.store)
        self.user = QComboBox()
        for u in context.store.users():
            if u.get("active") and not u.get("is_admin"):
                self.user.addItem(_user_label(u), u["id"])
        if user_id is not None:
            self.user.setCurrentIndex(max(0, self.user.findData(user_id)))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why (kept in the audit trail)")
        self.admin_password = _password_field()
        self.form.addRow("Signer", self.user)
        self.form.addRow("Reason", self.reason)
        admin_name = self.admin["name"] if self.admin else "nobody yet"
        self.form.addRow(f"Administrator ({admin_name}) password", self.admin_password)
        self._finish_layout("Deactivate")

    def accept(self) -> None:
        if self.tasks.busy:
            return
        if self.user.currentData() is None:
            self.show_error("No signer that can be deactivated.")
            return
        self.show_error("")
        self.tasks.run("Deactivating the signer", _deactivate, self.context.store, self.user.currentData(),
                       self.admin_password.text(), self.reason.text().strip(), on_result=self._succeeded)

    def _refused(self, message: str) -> None:
        self.admin_password.clear()
        self.show_error(message)


class SignDialog(_WorkingDialog):
    """Choose signer and meaning, enter the password; signing happens on OK, in the worker."""

    def __init__(self, context, user_id: int | None = None, meaning: str | None = None, parent=None):
        super().__init__(context, "Sign", 520, parent)
        self.signature_id: int | None = None
        intro = QLabel("Your password unlocks your private key on this machine. The signature binds your name, "
                       "the meaning and the time to the exact current content of this assessment (checklist, "
                       "handoff, runs and evidence hashes) and to its audit trail so far. Any later change "
                       "invalidates it.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color:#57606a")
        self.form.addRow(intro)
        self.user = QComboBox()
        self.users = context.store.users()
        for u in self.users:
            self.user.addItem(_user_label(u), u["id"])
        self.key = QLabel("")
        self.key.setObjectName("signerKey")
        self.key.setWordWrap(True)
        self.key.setTextInteractionFlags(self.key.textInteractionFlags() | Qt.TextSelectableByMouse)
        self.meaning = QComboBox()
        for m in MEANINGS:
            self.meaning.addItem(m, m)
        self.password = QLineEdit(echoMode=QLineEdit.Password)
        self.override = QPlainTextEdit()
        self.override.setPlaceholderText("Only for approval with critical items open or handoff rules failing: "
                                         f"why approve anyway (at least {MIN_OVERRIDE_REASON} characters)")
        self.override.setFixedHeight(64)
        self.form.addRow("Signer", self.user)
        self.form.addRow("Key fingerprint", self.key)
        self.form.addRow("Meaning", self.meaning)
        self.form.addRow("Password", self.password)
        self.form.addRow("Override reason", self.override)
        self._finish_layout("Sign")
        self.user.currentIndexChanged.connect(self._user_changed)
        self.meaning.currentIndexChanged.connect(self._meaning_changed)
        if not self.users:
            self.show_error("Add a user first: nobody can sign yet.")
        if user_id is None:  # default: the user who is due to sign next, not the first user
            due = next_signer(self.users, signing.signature_states(context.store)) if self.users else None
            user_id = due["id"] if due else None
        if user_id is not None:
            self.user.setCurrentIndex(max(0, self.user.findData(user_id)))
        self._user_changed()
        if meaning is not None:
            self.set_meaning(meaning)
        self._meaning_changed()

    def _user_changed(self, *_args) -> None:
        user = next((u for u in self.users if u["id"] == self.user.currentData()), None)
        self.key.setText(keys.grouped_fingerprint(user.get("fingerprint"))
                         or "no key: the administrator must re-enrol this signer" if user is not None else "")
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

"""Signers and signatures: the stage, the signature table with content validity and key check, the signers with
their key fingerprints, and the sign / re-sign / add / change-password / deactivate / trusted-keys actions."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QSplitter, QTextBrowser,
                               QVBoxLayout, QWidget)

from core.handoff import profiles, signing
from core.errors import PreflightError
from core.handoff.keys import short_fingerprint
from core.handoff.signoff import MEANINGS, STAGES, local_and_utc, next_signer
from core.handoff.signoff import stage as stage_of
from ui.handoff.signoff_dialogs import AddUserDialog, ChangePasswordDialog, DeactivateDialog, SignDialog
from ui.common.table_models import ListTableModel, read_only_table

COLUMNS = ("Printed name", "Role", "Meaning", "Signed (UTC)", "Signed (local)", "Content hash", "Validity",
           "Override reason", "Key check", "Key fingerprint")
KEY_COLUMN, FINGERPRINT_COLUMN = 8, 9
INVALID_BACKGROUND = QColor("#ffebe9")
INVALID_TEXT = QColor("#cf222e")
VALID_TEXT = QColor("#1b7f3b")
STAGE_DONE = "background:#1b7f3b;color:white;border-radius:4px;padding:4px 10px;font-weight:bold"
STAGE_UNSIGNED = "background:#bc4c00;color:white;border-radius:4px;padding:4px 10px;font-weight:bold"
STAGE_TODO = "background:#eaeef2;color:#57606a;border-radius:4px;padding:4px 10px"
NOTICE_STYLE = "background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:6px;font-weight:bold"


def _times(signed_utc: str) -> tuple[str, str]:
    try:
        return local_and_utc(signed_utc)
    except PreflightError:
        return str(signed_utc), ""


class SignatureModel(ListTableModel):
    """Rows are :class:`core.handoff.signoff.SignatureState` objects."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.states: list = []
        self.checks: dict = {}

    def set_states(self, states: list, checks: dict | None = None) -> None:
        """``checks`` maps a signature id to its :class:`core.handoff.signing.SignatureCheck`."""
        self.beginResetModel()
        self.states = list(states)
        self.checks = dict(checks or {})
        self.endResetModel()

    HEADERS = COLUMNS

    def rows(self) -> list:
        return self.states

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        state = self.states[index.row()]
        sig = state.signature
        col = index.column()
        check = self.checks.get(sig.id)
        if role == Qt.DisplayRole:
            utc, local = _times(sig.signed_utc)
            return (sig.user_name, sig.role, sig.meaning, utc, local, (sig.content_hash or "")[:12],
                    "valid" if state.valid else "INVALID", sig.override_reason or "",
                    check.label if check else "", short_fingerprint(sig.fingerprint))[col]
        if role == Qt.ToolTipRole and col == KEY_COLUMN and check is not None:
            return "\n".join([check.label] + [f"• {r}" for r in check.reasons])
        if role == Qt.ToolTipRole and col == FINGERPRINT_COLUMN:
            return sig.fingerprint or "no key (signed before key-based signing)"
        if role == Qt.ForegroundRole and col == KEY_COLUMN and check is not None:
            return QBrush(VALID_TEXT if check.status == "trusted" else INVALID_TEXT if check.status == "invalid"
                          else QColor("#9a6700"))
        if role == Qt.ToolTipRole:
            if not state.valid:
                return "Changed since signing:\n" + "\n".join(f"• {c}" for c in state.changes)
            if col == 5:
                return sig.content_hash
            return sig.manifestation()
        if role == Qt.BackgroundRole and not state.valid:
            return QBrush(INVALID_BACKGROUND)
        if role == Qt.ForegroundRole:
            if not state.valid:
                return QBrush(INVALID_TEXT)
            if col == 6:
                return QBrush(VALID_TEXT)
        if role == Qt.FontRole and col == 6:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.UserRole:
            return state
        return None


class SignoffPanel(QWidget):
    title_changed = Signal(str)

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.stage = "unsigned"
        self.states: list = []
        self.checks: dict = {}
        self.next_signer_id: int | None = None

        stage_row = QHBoxLayout()
        stage_row.addWidget(QLabel("Stage:"))
        self.stage_labels = {}
        for n, name in enumerate(STAGES):
            if n:
                stage_row.addWidget(QLabel("→"))
            label = QLabel(name)
            label.setObjectName(f"stage_{name}")
            self.stage_labels[name] = label
            stage_row.addWidget(label)
        stage_row.addStretch(1)
        self.add_user_button = QPushButton("Add user...")
        self.add_user_button.clicked.connect(self.add_user_dialog)
        self.sign_button = QPushButton("Sign...")
        self.sign_button.clicked.connect(lambda: self.sign_dialog())
        self.password_button = QPushButton("Change password...")
        self.password_button.clicked.connect(lambda: self.change_password_dialog())
        self.deactivate_button = QPushButton("Deactivate...")
        self.deactivate_button.clicked.connect(lambda: self.deactivate_dialog())
        self.trust_button = QPushButton("Trusted keys folder...")
        self.trust_button.clicked.connect(self._choose_trusted_folder)
        for button in (self.add_user_button, self.password_button, self.deactivate_button, self.trust_button,
                       self.sign_button):
            stage_row.addWidget(button)

        self.notice = QLabel("")
        self.notice.setObjectName("invalidNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.resign_button = QPushButton("Re-sign...")
        self.resign_button.clicked.connect(self.resign_dialog)
        self.notice_row = QWidget()
        notice_lay = QHBoxLayout(self.notice_row)
        notice_lay.setContentsMargins(0, 0, 0, 0)
        notice_lay.addWidget(self.notice, 1)
        notice_lay.addWidget(self.resign_button)
        self.notice_row.setVisible(False)

        self.model = SignatureModel(self)
        self.table = read_only_table(self.model, (120, 70, 90, 165, 185, 95, 60, 95, 170, 150), row_height=24)
        self.table.selectionModel().selectionChanged.connect(self._show_details)

        self.users = QListWidget()
        self.users.setObjectName("usersList")
        self.details = QTextBrowser()
        self.details.setObjectName("signatureDetails")
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.addWidget(QLabel("Signers (key fingerprint)"))
        side_lay.addWidget(self.users, 1)
        self.trust_label = QLabel("")
        self.trust_label.setObjectName("trustedKeys")
        self.trust_label.setWordWrap(True)
        side_lay.addWidget(self.trust_label)
        side_lay.addWidget(QLabel("Selected signature"))
        side_lay.addWidget(self.details, 3)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1010, 310])
        lay = QVBoxLayout(self)
        lay.addLayout(stage_row)
        lay.addWidget(self.notice_row)
        lay.addWidget(splitter, 1)

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        store = self.context.store
        if store is None:
            return
        self.users.clear()
        users = store.users()
        for u in users:
            extra = " (administrator)" if u["is_admin"] else ""
            extra += " (deactivated)" if not u["active"] else ""
            key = short_fingerprint(u["fingerprint"]) or "no key: re-enrol"
            self.users.addItem(f"{u['name']} - {u['role']}{extra} - {key}")
        rows = self.table.selectionModel().selectedRows()
        selected = self.states[rows[0].row()].signature.id if rows else None
        self.states = signing.signature_states(store)
        trusted = self._trusted_keys()
        self.checks = {c.signature_id: c for c in signing.verify_signatures(store, trusted)}
        self.model.set_states(self.states, self.checks)
        due = next_signer(users, self.states)
        self.next_signer_id = due["id"] if due else None
        for row, state in enumerate(self.states):
            if selected is not None and state.signature.id == selected:
                self.table.selectRow(row)
        self.stage = stage_of(self.states)
        reached = STAGES.index(self.stage)
        for n, name in enumerate(STAGES):
            label = self.stage_labels[name]
            if n == 0:
                label.setStyleSheet(STAGE_UNSIGNED if reached == 0 else STAGE_TODO)
            else:
                label.setStyleSheet(STAGE_DONE if n <= reached else STAGE_TODO)
            font = label.font()
            font.setUnderline(name == self.stage)
            label.setFont(font)
        invalid = self.invalid_states()
        self.notice_row.setVisible(bool(invalid))
        if invalid:
            self.notice.setText(f"{len(invalid)} signature(s) are invalid because the content changed — re-sign. "
                                "Select a red row to see what changed.")
        self.title_changed.emit(f"Sign-off ({len(invalid)} invalid)" if invalid else f"Sign-off: {self.stage}")
        self._show_details()

    def _trusted_keys(self):
        """The trusted signers from the app's trusted-keys folder (None when no folder is set)."""
        folder = profiles.trusted_keys_dir()
        if not folder:
            self.trust_label.setText("No trusted-keys folder: every valid signature shows as from an untrusted key.")
            return None
        try:
            trusted = profiles.app_trusted_keys()
        except PreflightError as exc:
            self.trust_label.setText(f"Trusted keys not loaded: {exc}")
            return None
        self.trust_label.setText(f"Trusted keys: {len(trusted)} from {folder}")
        return trusted

    def set_trusted_folder(self, folder) -> None:
        """Remember ``folder`` as the app's trusted-keys folder and re-check the signatures."""
        profiles.set_trusted_keys_dir(folder)
        self.refresh()

    def _choose_trusted_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of trusted public keys (.pub)",
                                                  profiles.trusted_keys_dir() or "")
        if folder:
            try:
                self.set_trusted_folder(folder)
            except PreflightError as exc:
                self.trust_label.setText(str(exc))

    def invalid_states(self) -> list:
        return [s for s in self.states if not s.valid]

    def _show_details(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.details.setPlainText("Select a signature to see its manifestation and, when it is invalid, "
                                      "what changed since it was signed.")
            return
        state = self.states[rows[0].row()]
        lines = [state.signature.manifestation(), "", f"Content SHA-256: {state.signature.content_hash}"]
        check = self.checks.get(state.signature.id)
        if check is not None:
            lines.append(f"Key check: {check.label}" + (f" ({'; '.join(check.reasons)})" if check.reasons else ""))
            if check.head_seq is not None:
                lines.append(f"Signed audit head: event {check.head_seq}, {check.head_hash}")
        lines.append("")
        if state.valid:
            lines.append("VALID: the content is exactly what was signed.")
        else:
            lines.append("INVALID: changed since signing:")
            lines += [f"  • {c}" for c in state.changes]
        self.details.setPlainText("\n".join(lines))

    # ---------------------------------------------------------------- dialogs
    def add_user_dialog(self) -> AddUserDialog:
        """Open (not exec) the Add user dialog and return it."""
        dialog = AddUserDialog(self.context, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def change_password_dialog(self, user_id: int | None = None) -> ChangePasswordDialog:
        dialog = ChangePasswordDialog(self.context, user_id, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def deactivate_dialog(self, user_id: int | None = None) -> DeactivateDialog:
        dialog = DeactivateDialog(self.context, user_id, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def sign_dialog(self, user_id: int | None = None, meaning: str | None = None) -> SignDialog:
        """Open (not exec) the Sign dialog, optionally preselecting signer and meaning, and return it."""
        dialog = SignDialog(self.context, user_id, meaning, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def resign_target(self):
        """The invalid signature to redo first: in stage order, one whose meaning has no valid signature."""
        valid = {s.signature.meaning for s in self.states if s.valid}
        invalid = [s for s in self.invalid_states() if s.signature.meaning not in valid]
        if not invalid:
            return None
        return min(invalid, key=lambda s: MEANINGS.index(s.signature.meaning)
                   if s.signature.meaning in MEANINGS else len(MEANINGS)).signature

    def resign_dialog(self) -> SignDialog:
        sig = self.resign_target()
        if sig is None:
            return self.sign_dialog()
        user_id = sig.user_id if isinstance(sig.user_id, int) else None
        return self.sign_dialog(user_id, sig.meaning)

"""Evidence locker: the attached files, their hashes and whether they still match.

Hashing (attach, replace) and re-verification run in the tab's worker; this panel asks
for them through ``attach_requested``, ``replace_requested`` and ``reverify_requested``
and shows the results handed back through :meth:`EvidencePanel.show_reverification`.
Remove (with a reason) writes at once.  Replaced and removed files stay in the
history, shown with "Show replaced and removed".
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from core.assessment.evidence import EMBED_LIMIT
from core.errors import PreflightError
from ui.common.dialogs import fit_to_contents
from ui.common.table_models import ListTableModel, read_only_table

COLUMNS = ("Label", "Path", "Size", "SHA-256", "Attached (UTC)", "Embedded", "Verification", "Details")
STATUS_COLOURS = {"ok": QColor("#1b7f3b"), "changed": QColor("#cf222e"), "missing": QColor("#cf222e"),
                  "not checked": QColor("#6e7781"), "replaced": QColor("#6e7781"), "removed": QColor("#6e7781")}
MIN_REMOVE_REASON = 10


def retired_check(f: dict) -> tuple[str, str] | None:
    """(status, message) of a replaced or removed file; None for one in force."""
    if not f.get("retired_utc"):
        return None
    when = str(f["retired_utc"])[:19].replace("T", " ")
    if f.get("replaced_by"):
        return "replaced", f"replaced by file #{f['replaced_by']} on {when}: {f.get('retired_reason') or ''}"
    return "removed", f"removed on {when}: {f.get('retired_reason') or ''}"
FLAGGED_BACKGROUND = QColor("#ffebe9")


def human_size(size) -> str:
    size = float(size or 0)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class EvidenceModel(ListTableModel):
    """Rows are the store's evidence files; ``checks`` maps a file id to (status, message)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.files: list[dict] = []
        self.checks: dict[int, tuple[str, str]] = {}

    def set_files(self, files: list[dict], checks: dict[int, tuple[str, str]]) -> None:
        self.beginResetModel()
        self.files = list(files)
        self.checks = dict(checks)
        self.endResetModel()

    def check(self, f: dict) -> tuple[str, str]:
        return retired_check(f) or self.checks.get(f["id"], ("not checked", "not re-verified yet"))

    def status(self, row: int) -> str:
        return self.check(self.files[row])[0]

    HEADERS = COLUMNS

    def rows(self) -> list:
        return self.files

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        f = self.files[index.row()]
        col = index.column()
        status, message = self.check(f)
        if role == Qt.DisplayRole:
            return (f["label"], f["path"], human_size(f["size"]), f["sha256"][:12],
                    str(f.get("attached_utc") or "")[:19].replace("T", " "),
                    "yes" if f.get("embedded") else "no", status.upper() if status != "ok" else "ok", message)[col]
        if role == Qt.ToolTipRole:
            if col == 3:
                return f["sha256"]
            if col == 1:
                return f["path"]
            if col in (6, 7):
                return message
        if role == Qt.ForegroundRole and col == 6:
            return QBrush(STATUS_COLOURS.get(status, QColor("#6e7781")))
        if role == Qt.BackgroundRole and status in ("changed", "missing"):
            return QBrush(FLAGGED_BACKGROUND)
        if role == Qt.FontRole and col == 6 and status in ("changed", "missing"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.UserRole:
            return f
        return None


class AttachDialog(QDialog):
    """Label and embed choice for one file about to be attached."""

    def __init__(self, path: str, parent=None, replacing: dict | None = None):
        super().__init__(parent)
        self.setWindowTitle("Attach evidence")
        self.setMinimumWidth(460)
        self.path = path
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        shown = QLabel(path)
        shown.setWordWrap(True)  # a long path wraps instead of widening the dialog past the screen
        form.addRow("File", shown)
        self.label = QLineEdit(os.path.basename(path))
        form.addRow("Label", self.label)
        self.embed = QCheckBox(f"Embed a copy in the assessment (<= {EMBED_LIMIT // 1048576} MB)")
        try:
            small = os.path.getsize(path) <= EMBED_LIMIT
        except OSError:
            small = False
        self.embed.setChecked(small)
        self.embed.setEnabled(small)
        if not small:
            self.embed.setToolTip("too large (or unreadable) to embed: it is attached by path and hash")
        form.addRow("", self.embed)
        self.reason = QLineEdit()
        if replacing is not None:
            self.setWindowTitle("Replace evidence")
            form.addRow("Replaces", QLabel(f"{replacing['label']} (#{replacing['id']}, SHA-256 "
                                           f"{replacing['sha256'][:12]}...)"))
            self.reason.setPlaceholderText("why (optional), e.g. re-run after the fix")
            form.addRow("Reason", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        fit_to_contents(self)


class RemoveDialog(QDialog):
    """The reason for taking an evidence file out of force (it stays in the history)."""

    def __init__(self, f: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Remove evidence")
        lay = QVBoxLayout(self)
        text = QLabel(f"Remove {f['label']} (#{f['id']}) from the evidence in force? Its links to checklist items "
                      "go; the record and its hash stay in the history and the audit trail.")
        text.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(f"Reason (at least {MIN_REMOVE_REASON} characters)")
        self.reason.setFixedHeight(64)
        self.error = QLabel("")
        self.error.setStyleSheet("color:#cf222e")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Remove")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        for w in (text, self.reason, self.error, buttons):
            lay.addWidget(w)

    def _check(self) -> None:
        if len(self.reason.toPlainText().strip()) < MIN_REMOVE_REASON:
            self.error.setText(f"Give a reason of at least {MIN_REMOVE_REASON} characters.")
            return
        self.accept()


class EvidencePanel(QWidget):
    attach_requested = Signal(str, str, bool)  # path, label, embed
    replace_requested = Signal(int, str, str, bool, str)  # file id, new path, label, embed, reason
    reverify_requested = Signal()
    title_changed = Signal(str)

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.checks: dict[int, tuple[str, str]] = {}
        self.model = EvidenceModel(self)
        self.table = read_only_table(self.model, (170, 330, 75, 120, 140, 75, 95), row_height=24)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.attach_button = QPushButton("Attach file...")
        self.attach_button.clicked.connect(self.choose_file)
        self.reverify_button = QPushButton("Re-verify")
        self.reverify_button.setToolTip("Re-hash every file and compare with the hash recorded when attached")
        self.reverify_button.clicked.connect(self.reverify_requested)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self.open_folder)
        self.folder_button.setEnabled(False)
        self.replace_button = QPushButton("Replace...")
        self.replace_button.setToolTip("Attach a new version in place of the selected file (it is hashed anew; "
                                       "the old record stays in the history)")
        self.replace_button.clicked.connect(self.choose_replacement)
        self.remove_button = QPushButton("Remove...")
        self.remove_button.setToolTip("Take the selected file out of the evidence, with a reason (it stays in "
                                      "the history)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.history = QCheckBox("Show replaced and removed")
        self.history.toggled.connect(lambda _on: self.refresh())
        self.summary = QLabel("")
        self.summary.setObjectName("evidenceSummary")
        self.summary.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        for b in (self.history, self.attach_button, self.replace_button, self.remove_button, self.reverify_button,
                  self.folder_button):
            bar.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        hint = QLabel("Each file is fixed by its SHA-256 when attached. Re-verify re-hashes it: CHANGED means the "
                      "file differs from what was attached, MISSING that it cannot be found or read. Embedded "
                      "files are checked from the copy stored in the assessment.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#57606a")
        lay.addWidget(hint)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        self.checks = {}
        self.refresh()

    def refresh(self) -> None:
        store = self.context.store
        if store is None:
            return
        files = store.evidence_files(include_retired=self.history.isChecked())
        ids = {f["id"] for f in files}
        self.checks = {k: v for k, v in self.checks.items() if k in ids}
        selected = self.selected_file()
        self.model.set_files(files, self.checks)
        if selected is not None:
            for row, f in enumerate(files):
                if f["id"] == selected["id"]:
                    self.table.selectRow(row)
        self._summarise()
        self._selection_changed()

    def show_reverification(self, results) -> None:
        """Record the statuses from core.handoff.signing.reverify_evidence (a list of Reverification)."""
        for r in results:
            self.checks[r.id] = (r.status, r.message)
        self.refresh()

    def mark_attached(self, file_id: int) -> None:
        self.checks[file_id] = ("ok", "hashed when attached just now")
        self.refresh()

    def _summarise(self) -> None:
        files = [f for f in self.model.files if not f.get("retired_utc")]
        flagged = [f for f in files if self.checks.get(f["id"], ("",))[0] in ("changed", "missing")]
        unchecked = [f for f in files if f["id"] not in self.checks]
        if not files:
            text, style = "No evidence files attached yet.", "color:#57606a"
        elif flagged:
            changed = sum(1 for f in flagged if self.checks[f["id"]][0] == "changed")
            missing = len(flagged) - changed
            parts = [f"{changed} changed" if changed else "", f"{missing} missing" if missing else ""]
            text = (f"{len(files)} file(s): {' and '.join(p for p in parts if p)} since attached - "
                    "the evidence no longer matches what was recorded")
            style = "color:#cf222e;font-weight:bold"
        elif unchecked:
            text, style = f"{len(files)} file(s), {len(unchecked)} not re-verified yet", "color:#57606a"
        else:
            text, style = f"{len(files)} file(s), all unchanged since attached", "color:#1b7f3b;font-weight:bold"
        self.summary.setText(text)
        self.summary.setStyleSheet(style)
        self.title_changed.emit(f"Evidence ({len(flagged)} flagged)" if flagged else "Evidence")

    def selected_file(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.files[rows[0].row()] if rows else None

    def _selection_changed(self, *_args) -> None:
        f = self.selected_file()
        self.folder_button.setEnabled(f is not None)
        for b in (self.replace_button, self.remove_button):
            b.setEnabled(f is not None and not f.get("retired_utc"))

    # ---------------------------------------------------------------- actions
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach evidence file")
        if path:
            self.attach_dialog(path)

    def attach_dialog(self, path: str) -> AttachDialog:
        """Open (not exec) the label/embed dialog for ``path``; accepting it requests the attach."""
        dialog = AttachDialog(path, self)
        dialog.accepted.connect(lambda: self.attach_requested.emit(path, dialog.label.text().strip(),
                                                                   dialog.embed.isChecked()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def choose_replacement(self) -> None:
        f = self.selected_file()
        if f is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, f"New version of {f['label']}", os.path.dirname(f["path"]))
        if path:
            self.replace_dialog(f, path)

    def replace_dialog(self, f: dict, path: str) -> AttachDialog:
        """Open (not exec) the dialog for replacing ``f`` by ``path``; accepting it requests the replacement."""
        dialog = AttachDialog(path, self, replacing=f)
        dialog.label.setText(f["label"])
        dialog.accepted.connect(lambda: self.replace_requested.emit(
            f["id"], path, dialog.label.text().strip(), dialog.embed.isChecked(), dialog.reason.text().strip()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def remove_selected(self) -> None:
        f = self.selected_file()
        if f is None:
            return
        dialog = RemoveDialog(f, self)
        if dialog.exec() == QDialog.Accepted:
            self.remove_file(f["id"], dialog.reason.toPlainText())

    def remove_file(self, file_id: int, reason: str) -> bool:
        """Remove an evidence file with ``reason`` (audited); False with the reason shown when refused."""
        store = self.context.store
        locked = self.context.edit_lock_message()
        try:
            if locked:
                raise PreflightError(locked)
            store.remove_evidence_file(file_id, reason)
        except PreflightError as exc:
            self.summary.setText(f"Not removed: {exc}")
            self.summary.setStyleSheet("color:#cf222e;font-weight:bold")
            return False
        self.checks.pop(file_id, None)
        self.context.notify()
        self.context.status_message.emit("Evidence file removed (kept in the history)")
        self.refresh()
        return True

    def open_folder(self) -> None:
        f = self.selected_file()
        if f is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(f["path"])))

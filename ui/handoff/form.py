"""The production handoff form: one widget per core.handoff.form field, grouped, saved on every edit.

Each field shows its own problem right beside it: a value the handoff refuses
(from :meth:`Handoff.from_dict`) or a handoff rule it fails (from
:func:`validate_handoff`).  Values the handoff refuses are never saved.  The
line under each field keeps its place while empty, so rows do not move as the
user types and messages come and go.  "Pre-fill from runs" appears only once
a performance or load run exists.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from core.handoff import approval, signing
from core.errors import PreflightError
from core.handoff.form import (FIELDS, GROUPS, Handoff, load_test_preset, prefill_kinds, split_list,
                               validate_handoff)

ERROR_STYLE = "color:#cf222e"
OK_STYLE = "color:#1b7f3b;font-weight:bold"
FAIL_STYLE = "color:#cf222e;font-weight:bold"
NOTE_STYLE = "color:#57606a"
LEFT_GROUPS = ("Model", "Baselines", "Environment")
#: Fields set only through "Hash file..." so the path and its hash always belong together.
READ_ONLY = ("training_data_path", "training_data_hash")
#: Run kinds the handoff can be pre-filled from (the features' pre-fill modules, see core.handoff.prefilling).
PREFILL_KINDS = prefill_kinds()


def _number_text(value) -> str:
    return "" if value is None else format(value, ".15g")


def _parse_number(text: str):
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise PreflightError(f"{text!r} is not a number") from None


class AmendDialog(QDialog):
    """Asks for the reason to change an approved assessment, after saying which signatures it will void."""

    def __init__(self, prompt: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Amend the approved assessment")
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(f"Why it must change (at least {approval.MIN_AMEND_REASON} characters)")
        self.reason.setFixedHeight(72)
        self.error = QLabel("")
        self.error.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Amend")
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for w in (self.prompt, self.reason, self.error, self.buttons):
            lay.addWidget(w)

    def _check(self) -> None:
        if len(self.reason.toPlainText().strip()) < approval.MIN_AMEND_REASON:
            self.error.setText(f"Give a reason of at least {approval.MIN_AMEND_REASON} characters.")
            return
        self.accept()


class HandoffForm(QWidget):
    """Edits the handoff of ``context.store``.  ``hash_requested(path)`` asks the tab to hash a training file."""

    hash_requested = Signal(str)

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.kinds = {name: kind for name, _label, _group, kind in FIELDS}
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.input_errors: dict[str, str] = {}  # field -> why the typed value was refused
        self.handoff = Handoff()

        self.summary = QLabel("")
        self.summary.setObjectName("handoffSummary")
        self.prefill_button = QPushButton("Pre-fill from runs")
        self.prefill_button.setToolTip("Take the baselines and monitoring settings from the newest performance "
                                       "and load-test runs")
        self.prefill_button.clicked.connect(self.prefill)
        self.prefill_button.setVisible(False)
        self.prefill_notes = QLabel("")
        self.prefill_notes.setWordWrap(True)
        self.prefill_notes.setStyleSheet(NOTE_STYLE)
        self.lock_note = QLabel("")
        self.lock_note.setObjectName("handoffLocked")
        self.lock_note.setWordWrap(True)
        self.lock_note.setStyleSheet(NOTE_STYLE)
        self.amend_button = QPushButton("Amend...")
        self.amend_button.setToolTip("Change the approved assessment; you give a reason and its signatures "
                                     "become invalid")
        self.amend_button.clicked.connect(self.request_amend)
        self.buttons: list[QPushButton] = []  # Hash file / Browse: disabled with the fields while locked
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.prefill_button)
        lock_bar = QHBoxLayout()
        lock_bar.addWidget(self.lock_note, 1)
        lock_bar.addWidget(self.amend_button)

        body = QWidget()
        grid = QGridLayout(body)
        columns = {0: 0, 1: 0}
        for group in GROUPS:
            col = 0 if group in LEFT_GROUPS else 1
            grid.addWidget(self._group_box(group), columns[col], col)
            columns[col] += 1
        grid.setRowStretch(max(columns.values()), 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(lock_bar)
        lay.addWidget(self.prefill_notes)
        lay.addWidget(scroll, 1)
        self.prefill_notes.setVisible(False)

    # ------------------------------------------------------------------ build
    def _group_box(self, group: str) -> QGroupBox:
        box = QGroupBox(group)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for name, label, field_group, kind in FIELDS:
            if field_group == group:
                form.addRow(label if kind != "bool" else "", self._field_row(name, label, kind))
        return box

    def _field_row(self, name: str, label: str, kind: str) -> QWidget:
        row = QWidget()
        col = QVBoxLayout(row)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        line = QHBoxLayout()
        if kind == "bool":
            widget = QCheckBox(label)
            widget.toggled.connect(lambda checked, n=name: self.commit(n, checked))
        else:
            widget = QLineEdit()
            if name in READ_ONLY:
                widget.setReadOnly(True)
                widget.setPlaceholderText("set by Hash file...")
            else:
                widget.editingFinished.connect(lambda n=name: self.commit_text(n))
            if kind == "float":
                widget.setPlaceholderText("not set")
            elif kind == "list":
                widget.setPlaceholderText("comma-separated")
            elif kind == "url":
                widget.setPlaceholderText("https://...")
        widget.setObjectName(f"field_{name}")
        line.addWidget(widget, 1)
        if name == "training_data_hash":
            self.hash_button = QPushButton("Hash file...")
            self.hash_button.clicked.connect(self._choose_training_file)
            line.addWidget(self.hash_button)
            self.buttons.append(self.hash_button)
        elif kind == "path" and name not in READ_ONLY:
            browse = QPushButton("Browse...")
            browse.clicked.connect(lambda _c=False, n=name: self._browse(n))
            line.addWidget(browse)
            self.buttons.append(browse)
        col.addLayout(line)
        error = self._message_line(f"error_{name}", ERROR_STYLE)
        col.addWidget(error)
        if name == "expected_qps":
            self.preset_label = self._message_line("loadPreset", NOTE_STYLE)
            col.addWidget(self.preset_label)
        self.fields[name] = widget
        self.errors[name] = error
        return row

    @staticmethod
    def _message_line(object_name: str, style: str) -> QLabel:
        """A message line under a field: always laid out, one text line high even when empty."""
        label = QLabel("")
        label.setObjectName(object_name)
        label.setStyleSheet(style)
        label.setWordWrap(True)
        label.setMinimumHeight(label.fontMetrics().lineSpacing())
        return label

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        """Re-read the handoff from the store; fields holding a refused value keep what was typed."""
        store = self.context.store
        if store is None:
            return
        try:
            self.handoff = signing.load_handoff(store)
        except PreflightError as exc:  # a damaged stored handoff: show it rather than fail
            self.handoff = Handoff()
            self.summary.setText(f"The stored handoff cannot be read: {exc}")
            self.summary.setStyleSheet(FAIL_STYLE)
            return
        self.prefill_button.setVisible(any(r["kind"] in PREFILL_KINDS for r in store.runs(with_result=False)))
        self._show_lock()
        for name, kind in self.kinds.items():
            if name in self.input_errors:
                continue
            widget = self.fields[name]
            value = getattr(self.handoff, name)
            if kind == "bool":
                widget.blockSignals(True)
                widget.setChecked(bool(value))
                widget.blockSignals(False)
            elif not (widget.hasFocus() and widget.isModified()):  # never overwrite what is being typed
                text = _number_text(value) if kind == "float" else (
                    ", ".join(value) if kind == "list" else str(value or ""))
                if widget.text() != text:
                    widget.setText(text)
                    widget.setCursorPosition(0)
        self._show_validation()

    def _show_lock(self) -> None:
        """While the assessment is approved (and not being amended) the fields cannot be changed."""
        locked = self.context.edit_lock_message()
        self.locked = locked is not None
        for widget in list(self.fields.values()) + self.buttons + [self.prefill_button]:
            widget.setEnabled(not self.locked)
        self.lock_note.setText("Approved: the handoff is locked. Choose Amend to change it (you give a reason, and "
                               "every signature becomes invalid)." if self.locked else "")
        self.lock_note.setVisible(self.locked)
        self.amend_button.setVisible(self.locked)

    locked = False

    def amend_prompt(self) -> str:
        voided = approval.signatures_an_edit_voids(self.context.store)
        names = "; ".join(f"{s.user_name} ({s.meaning})" for s in voided)
        return (f"This assessment is approved. Amending it will invalidate {len(voided)} valid "
                f"signature{'s' if len(voided) != 1 else ''}" + (f": {names}" if names else "") +
                ". They must sign again after the change. The reason is recorded in the audit trail "
                "and printed in the report.")

    def request_amend(self) -> bool:
        dialog = AmendDialog(self.amend_prompt(), self)
        if dialog.exec() != QDialog.Accepted:
            return False
        return self.amend(dialog.reason.toPlainText())

    def amend(self, reason: str) -> bool:
        """Open an amendment with ``reason`` (audited); the form can then be edited."""
        try:
            self.context.amendment = approval.amend(self.context.store, reason)
        except PreflightError as exc:
            self.summary.setText(f"Cannot amend: {exc}")
            self.summary.setStyleSheet(FAIL_STYLE)
            return False
        self.context.status_message.emit("Amendment recorded; the next change invalidates the signatures.")
        self.context.notify("handoff")
        self.refresh()
        return True

    def reset(self) -> None:
        """A different assessment was opened: forget refused values and notes."""
        self.input_errors.clear()
        self.prefill_notes.setVisible(False)
        self.refresh()

    def _show_validation(self) -> None:
        result = validate_handoff(self.handoff)
        failing = {}
        for rule in result.failed():
            failing.setdefault(rule.field, []).append(rule.message)
        for name, label in self.errors.items():
            messages = ([self.input_errors[name]] if name in self.input_errors else []) + failing.get(name, [])
            label.setText("\n".join(messages))
        total = len(result.results)
        failed = len(result.failed())
        if failed:
            text = f"Handoff validation: {failed} of {total} rules failed"
            self.summary.setStyleSheet(FAIL_STYLE)
        else:
            text = f"Handoff validation: passed (all {total} rules)"
            self.summary.setStyleSheet(OK_STYLE)
        if self.input_errors:
            text += f" · {len(self.input_errors)} value(s) not saved"
        self.summary.setText(text)
        preset = load_test_preset(self.handoff)
        self.preset_label.setText("" if preset is None else
                                  f"Load-test preset: {preset['label']} = {preset['target_qps']:g} requests/s")

    # ------------------------------------------------------------------ edits
    def commit_pending(self) -> None:
        """Save line edits typed into but not yet left (before the assessment closes)."""
        for name, widget in self.fields.items():
            if isinstance(widget, QLineEdit) and widget.isModified() and not widget.isReadOnly():
                self.commit_text(name)

    def commit_text(self, name: str) -> None:
        self.fields[name].setModified(False)
        text = self.fields[name].text()
        kind = self.kinds[name]
        try:
            value = _parse_number(text) if kind == "float" else (list(split_list(text)) if kind == "list" else text)
        except PreflightError as exc:
            self._refuse(name, str(exc))
            return
        self.commit(name, value)

    def commit(self, name: str, value) -> bool:
        """Save one field; a value the handoff refuses is shown beside the field and not saved."""
        store = self.context.store
        if store is None:
            return False
        data = self.handoff.to_dict()
        data[name] = value
        try:
            updated = Handoff.from_dict(data)
        except PreflightError as exc:
            self._refuse(name, str(exc))
            return False
        self.input_errors.pop(name, None)
        if updated == self.handoff:
            self._show_validation()
            return False
        return self._save(updated)

    def _save(self, updated: Handoff) -> bool:
        locked = self.context.edit_lock_message()
        if locked:  # a stray click on an approved assessment changes nothing
            self.refresh()
            self.summary.setText(f"Not saved: {locked}")
            self.summary.setStyleSheet(FAIL_STYLE)
            return False
        try:
            signing.save_handoff(self.context.store, updated)
        except PreflightError as exc:
            self.summary.setText(f"Cannot save the handoff: {exc}")
            self.summary.setStyleSheet(FAIL_STYLE)
            return False
        self.handoff = updated
        self.context.notify("handoff")  # refresh() follows through handoff_changed
        self._show_validation()
        return True

    def _refuse(self, name: str, message: str) -> None:
        prefix = "handoff field " + name + ": "
        self.input_errors[name] = "Not saved: " + (message[len(prefix):] if message.startswith(prefix) else message)
        self._show_validation()

    def prefill(self) -> list[str]:
        """Fill the baselines from the latest runs and say what was taken from where."""
        store = self.context.store
        if store is None:
            return []
        updated, notes = signing.prefill_handoff(store)
        if not notes:
            self.prefill_notes.setText("Nothing to pre-fill: the performance and load runs hold no baseline or "
                                       "monitoring value.")
        else:
            self.prefill_notes.setText("Pre-filled from runs:\n" + "\n".join(notes))
            for name, label, _group, _kind in FIELDS:
                if any(n.startswith(label + ":") for n in notes):
                    self.input_errors.pop(name, None)
            if updated != self.handoff:
                self._save(updated)
        self.prefill_notes.setVisible(True)
        return notes

    def _choose_training_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Training data file to hash", self.handoff.training_data_path)
        if path:
            self.hash_requested.emit(path)

    def _browse(self, name: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose file", getattr(self.handoff, name))
        if path:
            self.fields[name].setText(path)
            self.commit(name, path)


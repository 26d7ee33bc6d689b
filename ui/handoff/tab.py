"""Handoff & Sign-off tab: the handoff form, evidence locker, model card, signatures and audit log.

Each part is its own widget (ui/handoff/form.py, ui/handoff/evidence_panel.py,
ui/handoff/modelcard_panel.py, ui/handoff/signoff_panel.py, ui/handoff/audit_view.py) shown as a
sub-tab.  This module wires them to the assessment context and runs the long
tasks (hashing training data, attaching and re-verifying evidence, reading the
audit log) one at a time through the task pipeline (ui/common/tasks.py), with
the tab's own progress bar and Cancel button.  A failed task is shown once,
beside that bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from core.assessment import evidence
from core.errors import PreflightError

from core.handoff import form as handoff, signing
from ui.handoff.audit_view import AuditView
from ui.handoff.evidence_panel import EvidencePanel
from ui.handoff.form import HandoffForm
from ui.handoff.modelcard_panel import ModelCardPanel
from ui.handoff.signoff_panel import SignoffPanel
from ui.common.tasks import TaskBar, TaskQueue


def read_audit_events(store, since=None, progress=None, cancelled=None) -> tuple[list[dict], object]:
    """The audit events and the chain's verification (only the events after ``since`` are re-checked).

    Runs in the worker, on a read-only connection of its own, in one read transaction.
    """
    with store.open_reader() as reader, reader.snapshot():
        return reader.audit_events(), reader.verify_audit(since)


class HandoffTab(QWidget):
    title = "Handoff & Sign-off"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self._reverified_store = None  # the store whose evidence was re-verified when the tab was shown
        self.last_error = ""
        self._audit_dirty = True

        self.form = HandoffForm(context)
        self.evidence = EvidencePanel(context)
        self.model_card = ModelCardPanel(context)
        self.signoff = SignoffPanel(context)
        self.audit = AuditView(context)
        self.sub_tabs = QTabWidget()
        self.sub_tabs.setDocumentMode(True)
        for widget, title in ((self.form, "Handoff"), (self.evidence, "Evidence"), (self.model_card, "Model card"),
                              (self.signoff, "Sign-off"), (self.audit, "Audit log")):
            self.sub_tabs.addTab(widget, title)
        self.sub_tabs.currentChanged.connect(self._refresh_audit_if_shown)
        self.evidence.title_changed.connect(lambda t: self._set_sub_title(self.evidence, t))
        self.signoff.title_changed.connect(lambda t: self._set_sub_title(self.signoff, t))

        self.task_bar = TaskBar()
        self.task_message = QLabel("")
        self.task_message.setObjectName("taskMessage")
        self.task_message.setWordWrap(True)
        self.task_message.setStyleSheet("color:#cf222e")
        self.task_message.setVisible(False)
        self.tasks = TaskQueue(self.task_bar, context, on_error=self._failed, parent=self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.task_bar, 1)
        bottom.addWidget(self.task_message, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.sub_tabs, 1)
        lay.addLayout(bottom)

        self.form.hash_requested.connect(self.hash_training_data)
        self.evidence.attach_requested.connect(self.attach_evidence)
        self.evidence.replace_requested.connect(self.replace_evidence)
        self.evidence.reverify_requested.connect(self.reverify_evidence)

        # Signature validity depends on everything signed, so the stored views refresh after any write;
        # one refresh per event-loop turn however many signals a write sends.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_stored_views)
        context.opened.connect(self._on_opened)
        context.handoff_changed.connect(self.form.refresh)
        context.runs_changed.connect(self.form.refresh)  # "Pre-fill from runs" shows once such a run exists
        for signal in (context.handoff_changed, context.runs_changed, context.meta_changed):
            signal.connect(self.model_card.refresh)
        for signal in (context.audit_changed, context.checklist_changed, context.runs_changed,
                       context.handoff_changed):
            signal.connect(self._refresh_timer.start)
        if context.store is not None:
            self._on_opened()

    # ------------------------------------------------------------------ state
    def _on_opened(self) -> None:
        self._cancel_tasks()
        self._reverified_store = None
        self.task_message.setVisible(False)
        self.form.reset()
        self.evidence.reset()
        self.model_card.reset()
        self.refresh_stored_views()
        self._auto_reverify()  # evidence is re-hashed (in the worker) whenever a file is opened

    def refresh_stored_views(self) -> None:
        """Re-read signatures, evidence and the audit log (quick store reads)."""
        self._refresh_timer.stop()
        if self.context.store is None:
            return
        self.signoff.refresh()
        self.evidence.refresh()
        self._audit_dirty = True  # verifying the whole chain is the slow part: only when the log is on screen
        self._refresh_audit_if_shown()

    def _refresh_audit_if_shown(self, *_args) -> None:
        if self._audit_dirty and self.isVisible() and self.sub_tabs.currentWidget() is self.audit:
            self._audit_dirty = False
            self.run_task("Reading the audit log", read_audit_events, self.context.store, self.context.chain,
                          on_result=self.audit.show_events, replace="audit")

    def refresh(self) -> None:
        self.form.refresh()
        self.model_card.refresh()
        self.refresh_stored_views()

    def _set_sub_title(self, widget: QWidget, title: str) -> None:
        self.sub_tabs.setTabText(self.sub_tabs.indexOf(widget), title)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh_audit_if_shown()
        self._auto_reverify()

    def _auto_reverify(self) -> None:
        store = self.context.store
        if store is None or self._reverified_store is store:
            return
        self._reverified_store = store
        if store.evidence_files():
            self.reverify_evidence()

    # ------------------------------------------------------------------ tasks
    def run_task(self, label: str, fn, *args, **kwargs) -> None:
        """Queue a worker task (see :meth:`ui.common.tasks.TaskQueue.run`).  Workers only read files and
        hash; the store is written on the UI thread."""
        self.task_message.setVisible(False)
        kwargs.setdefault("error_title", f"{label} failed")
        self.tasks.run(label, fn, *args, **kwargs)

    def _failed(self, title: str, message: str) -> None:
        """The one place a failed task of this tab is shown: beside its progress bar."""
        self.last_error = f"{title}: {message}"
        self.task_message.setText(self.last_error)
        self.task_message.setVisible(True)

    def _cancel_tasks(self) -> None:
        self.tasks.cancel_all()

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        """Save text still being edited and stop the running task before the window closes the assessment."""
        if self.context.store is not None:
            self.form.commit_pending()
            self.model_card.save_sections()
        self.tasks.shutdown()

    # ---------------------------------------------------------------- actions
    def hash_training_data(self, path) -> None:
        """Hash the training data file in the worker and record its path and SHA-256 in the handoff."""
        self.run_task(f"Hashing {Path(path).name}", handoff.hash_training_data, str(path),
                      on_result=lambda digest_size, p=str(path): self._hashed(p, digest_size[0]))

    def _hashed(self, path: str, digest: str) -> None:
        signing.record_training_data(self.context.store, path, digest)
        self.context.notify("handoff")

    def attach_evidence(self, path, label: str = "", embed: bool = False) -> None:
        """Hash (and optionally embed) a file in the worker and add it to the evidence locker."""
        self.run_task(f"Attaching {Path(path).name}", evidence.describe_file, str(path), label, embed=embed,
                      on_result=self._attached)

    def _attached(self, described) -> None:
        locked = self.context.edit_lock_message()
        if locked:
            self._failed("Evidence not attached", locked)
            return
        file_id = signing.store_evidence(self.context.store, described)
        self.evidence.mark_attached(file_id)
        self.context.notify()
        self.context.status_message.emit("Evidence file attached")

    def replace_evidence(self, file_id: int, path, label: str = "", embed: bool = False, reason: str = "") -> None:
        """Hash the new version in the worker, then put it in place of evidence file ``file_id``."""
        self.run_task(f"Hashing {Path(path).name}", evidence.describe_file, str(path), label, embed=embed,
                      on_result=lambda described: self._replaced(file_id, described, reason))

    def _replaced(self, file_id: int, described, reason: str) -> None:
        locked = self.context.edit_lock_message()
        if locked:
            self._failed("Evidence not replaced", locked)
            return
        info, blob = described
        try:
            new_id = self.context.store.replace_evidence_file(file_id, label=info.label, path=info.path,
                                                              sha256=info.sha256, size=info.size, blob=blob,
                                                              reason=reason)
        except PreflightError as exc:
            self._failed("Evidence not replaced", str(exc))
            return
        self.evidence.mark_attached(new_id)
        self.context.notify()
        self.context.status_message.emit("Evidence file replaced (the old version stays in the history)")

    def reverify_evidence(self) -> None:
        """Re-hash every evidence file in the worker and show ok / changed / missing."""
        files, blobs = signing.evidence_snapshot(self.context.store)
        self.run_task("Re-verifying evidence", evidence.reverify, files, blobs, on_result=self._reverified)

    def _reverified(self, results) -> None:
        self.evidence.show_reverification(results)
        flagged = [r for r in results if r.status != "ok"]
        if flagged and not self.isVisible():  # on this tab the evidence summary already says so
            self.context.status_message.emit(
                f"{len(flagged)} evidence file(s) changed or missing since attached - see Handoff & Sign-off")

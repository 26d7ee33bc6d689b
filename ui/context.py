"""The open assessment, shared by all tabs, with change signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.assessment.store import Assessment


class AssessmentContext(QObject):
    """Holds the open :class:`Assessment`; tabs listen to its signals and re-read what they show."""

    opened = Signal()           # a different file is now open
    checklist_changed = Signal()
    runs_changed = Signal()
    meta_changed = Signal()
    handoff_changed = Signal()
    audit_changed = Signal()    # any write (every write appends an audit event)
    status_message = Signal(str)
    chain_checked = Signal()    # ``chain`` holds a new audit-chain verification
    task_failed = Signal(str, str)  # (title, message) of a failed task whose queue has no place of its own

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store: Assessment | None = None
        self.chain = None           # the latest ChainVerification of the open store (None: not checked yet)

    def set_store(self, store: Assessment) -> None:
        old = self.store
        self.store = store
        self.chain = None  # the new file's chain is verified from its start
        self.opened.emit()
        if old is not None and old is not store:
            old.close()

    def notify(self, *what: str) -> None:
        """Tell listeners what changed: 'checklist', 'runs', 'meta', 'handoff'."""
        for name in what:
            getattr(self, f"{name}_changed").emit()
        self.audit_changed.emit()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

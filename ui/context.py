"""The open assessment, shared by all tabs, with change signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from core.assessment.store import Assessment

#: how often the open file is checked for writes by other programs (also on regaining focus and before an edit)
OUTSIDE_CHECK_MS = 2000


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
    outside_change = Signal()   # another program wrote to the open file; everything was re-read

    def __init__(self, parent=None):
        super().__init__(parent)
        self.store: Assessment | None = None
        self.chain = None           # the latest ChainVerification of the open store (None: not checked yet)
        self.amendment = None       # core.handoff.approval.Amendment the user opened on an approved assessment
        self._data_version: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(OUTSIDE_CHECK_MS)
        self._timer.timeout.connect(self.check_outside_changes)
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._on_app_state)

    def set_store(self, store: Assessment) -> None:
        old = self.store
        self.store = store
        self.chain = None  # the new file's chain is verified from its start
        self.amendment = None
        self._data_version = self._read_version()
        self._timer.start()
        self.opened.emit()
        if old is not None and old is not store:
            old.close()

    def notify(self, *what: str) -> None:
        """Tell listeners what changed: 'checklist', 'runs', 'meta', 'handoff'.

        Called after this program's own writes (worker connections included), so their commits are
        not taken for another program's afterwards.
        """
        self._data_version = self._read_version()
        for name in what:
            getattr(self, f"{name}_changed").emit()
        self.audit_changed.emit()

    # ------------------------------------------------------------ approved: edit only after Amend
    def edit_lock_message(self) -> str | None:
        """Why an edit of the signed content is refused now (None: it may go ahead).

        An approved assessment is changed only after the user chose Amend and gave a reason (here, or with
        ``python main.py amend``: the amendment is in the audit trail); it stays open until a new signature
        is made.
        """
        if self.store is None:
            return None
        from core.handoff import approval

        n = approval.signatures_locking_edits(self.store, self.amendment)
        if not n:
            return None
        return (f"This assessment is approved ({n} valid signature{'s' if n != 1 else ''}); "
                "nothing was changed. To change it, choose Amend on the Handoff tab and give a reason: the change "
                "will invalidate those signatures.")

    # ------------------------------------------------------------ outside writes
    def _read_version(self) -> int | None:
        if self.store is None:
            return None
        try:
            return self.store.data_version()
        except Exception:  # a closed or vanished file: nothing to compare
            return None

    def _on_app_state(self, state) -> None:
        from PySide6.QtCore import Qt

        if state == Qt.ApplicationActive:
            self.check_outside_changes()

    def check_outside_changes(self) -> bool:
        """Re-read everything when another program committed to the open file since the last look.

        Returns True when it did.  Writes of this program's own worker connections count too
        (re-reading after them is harmless).
        """
        version = self._read_version()
        if version is None or version == self._data_version:
            return False
        self._data_version = version
        self.chain = None
        self.notify("checklist", "runs", "meta", "handoff")
        self.status_message.emit("The file was changed by another program; what you see was re-read.")
        self.outside_change.emit()
        return True

    def close(self) -> None:
        self._timer.stop()
        if self.store is not None:
            self.store.close()
            self.store = None

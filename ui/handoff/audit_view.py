"""Audit log viewer: every event of the hash chain, its before/after data, and the chain state.

An assessment can hold tens of thousands of events, so the model sorts and
filters its Python list itself (one pass) instead of through a proxy model
that would call back into Python for every comparison.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from ui.common.table_models import ListTableModel, read_only_table

COLUMNS = (("seq", "Seq"), ("ts_utc", "Time (UTC)"), ("actor", "Actor"), ("action", "Action"),
           ("entity", "Entity"), ("hash", "Hash"))
FAILED_ACTIONS = {"sign_failed"}


def pretty_json(value) -> str:
    """Indented JSON for a stored before/after value (text, parsed data or None)."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


class AuditModel(ListTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.events: list[dict] = []  # all events, in seq order
        self.shown: list[dict] = []   # the rows on screen: filtered and sorted
        self.first_bad_seq: int | None = None
        self.filter_text = ""
        self.sort_column, self.sort_order = 0, Qt.DescendingOrder
        self._haystacks: list[str] = []

    def set_events(self, events: list[dict], first_bad_seq: int | None = None) -> None:
        self.beginResetModel()
        self.events = list(events)
        self.first_bad_seq = first_bad_seq
        self._haystacks = [" ".join(str(e.get(key) or "") for key, _label in COLUMNS).lower() for e in self.events]
        self._arrange()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self.filter_text = text.strip().lower()
        self._arrange()
        self.endResetModel()

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self.sort_column, self.sort_order = column, order
        self._arrange()
        self.layoutChanged.emit()

    def _arrange(self) -> None:
        needle = self.filter_text
        rows = [e for e, hay in zip(self.events, self._haystacks) if needle in hay] if needle else list(self.events)
        key = COLUMNS[self.sort_column][0]
        if key == "seq":
            rows.sort(key=lambda e: e.get("seq") or 0, reverse=self.sort_order == Qt.DescendingOrder)
        else:
            rows.sort(key=lambda e: str(e.get(key) or ""), reverse=self.sort_order == Qt.DescendingOrder)
        self.shown = rows

    HEADERS = tuple(label for _key, label in COLUMNS)

    def rows(self) -> list:
        return self.shown

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        event = self.shown[index.row()]
        key = COLUMNS[index.column()][0]
        value = event.get(key)
        if role == Qt.DisplayRole:
            if key == "ts_utc":
                return str(value or "")[:19].replace("T", " ")
            if key == "hash":
                return str(value or "")[:12]
            return "" if value is None else str(value)
        if role == Qt.ToolTipRole and key in ("hash", "ts_utc"):
            return str(value)
        if role == Qt.ForegroundRole and event.get("action") in FAILED_ACTIONS:
            return QBrush(QColor("#cf222e"))
        if role == Qt.BackgroundRole and self.first_bad_seq is not None and \
                isinstance(event.get("seq"), int) and event["seq"] >= self.first_bad_seq:
            return QBrush(QColor("#ffebe9"))
        return None


class AuditView(QWidget):
    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.model = AuditModel(self)

        self.chain_label = QLabel("")
        self.chain_label.setObjectName("auditChainState")
        self.chain_label.setWordWrap(True)
        self.filter = QLineEdit(placeholderText="Filter events (actor, action, entity...)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(300)
        self.filter.textChanged.connect(self.model.set_filter)
        top = QHBoxLayout()
        top.addWidget(self.chain_label, 1)
        top.addWidget(self.filter)

        self.table = read_only_table(self.model, (55, 150, 120, 95, 170), row_height=24)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.DescendingOrder)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)

        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.before = QPlainTextEdit(readOnly=True)
        self.after = QPlainTextEdit(readOnly=True)
        self.event_title = QLabel("Select an event to see its data before and after.")
        self.event_title.setWordWrap(True)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.event_title)
        for title, edit in (("Before", self.before), ("After", self.after)):
            edit.setFont(mono)
            edit.setLineWrapMode(QPlainTextEdit.NoWrap)
            dl.addWidget(QLabel(title))
            dl.addWidget(edit, 1)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([760, 560])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(splitter, 1)

    def show_events(self, read) -> None:
        """Show ``(events, verification)`` as read in the worker by :func:`ui.handoff.tab.read_audit_events`."""
        events, result = read
        selected = self.selected_event()
        self.model.set_events(events, None if result.ok else result.first_bad_seq)
        if result.ok:
            self.chain_label.setText(f"Audit chain intact: {result.count} events · head hash {result.head_hash}")
            self.chain_label.setStyleSheet("color:#1b7f3b;font-weight:bold")
        else:
            self.chain_label.setText(f"Audit chain BROKEN: {result.problem}")
            self.chain_label.setStyleSheet("color:#cf222e;font-weight:bold")
        if selected is not None:
            self.select_seq(selected.get("seq"))
        else:
            self._show_selected()

    def selected_event(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.model.shown):
            return None
        return self.model.shown[rows[0].row()]

    def select_seq(self, seq) -> None:
        for row, event in enumerate(self.model.shown):
            if event.get("seq") == seq:
                self.table.selectRow(row)
                return

    def _show_selected(self, *_args) -> None:
        event = self.selected_event()
        if event is None:
            self.event_title.setText("Select an event to see its data before and after.")
            self.before.setPlainText("")
            self.after.setPlainText("")
            return
        self.event_title.setText(f"Event {event['seq']}: {event['action']} {event['entity']} by {event['actor']} "
                                 f"at {event['ts_utc']}\nhash {event['hash']}\nprevious {event['prev_hash']}")
        self.before.setPlainText(pretty_json(event.get("before")))
        self.after.setPlainText(pretty_json(event.get("after")))

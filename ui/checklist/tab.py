"""Checklist tab: the grouped, editable item table, filters, undo, and the score panel."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QMessageBox,
                               QPushButton, QSplitter, QStyledItemDelegate, QTableView, QVBoxLayout, QWidget)

from core.assessment.checklist import PRIORITIES, STATUSES, Item, maturity_changes, score, validate_fields
from core.errors import PreflightError
from ui.checklist.commands import AddItemCommand, DeleteItemCommand, EditItemCommand, push_after_write
from ui.checklist.model import (CHOICES, COLUMNS, PRIORITY_LABELS, STATUS_LABELS, ChecklistFilter, ChecklistModel,
                                choice_label)
from ui.checklist.score_panel import ScorePanel
from ui.common.dialogs import message_label, set_message


UNDO_KEYS = (QKeySequence("Ctrl+Z"),)
REDO_KEYS = (QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y"))


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box editor for the enumerated columns (status, priority, maturity)."""

    def createEditor(self, parent, option, index):
        field = COLUMNS[index.column()][0]
        if field not in CHOICES:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        for value in CHOICES[field]:
            combo.addItem(choice_label(field, value), value)
        # a choice applies at once: the score moves without clicking elsewhere first
        combo.activated.connect(lambda _i, c=combo: self._commit(c))
        return combo

    def _commit(self, combo) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QStyledItemDelegate.NoHint)

    def setEditorData(self, editor, index):
        if isinstance(editor, QComboBox):
            found = editor.findData(str(index.data(Qt.EditRole) or ""))
            editor.setCurrentIndex(max(found, 0))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.EditRole)
        else:
            super().setModelData(editor, model, index)


class ChecklistTab(QWidget):
    title = "Checklist"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.undo_stack = QUndoStack(self)
        self.model = ChecklistModel(self)
        self.model.edit_handler = self.edit_item
        self.proxy = ChecklistFilter(self)
        self.proxy.setSourceModel(self.model)

        self.filter_text = QLineEdit(placeholderText="Filter items...")
        self.filter_text.setClearButtonEnabled(True)
        self.filter_text.textChanged.connect(lambda t: self.proxy.set_filter(text=t))
        self.filter_status = QComboBox()
        self.filter_status.addItem("All statuses", "")
        for s in STATUSES:
            self.filter_status.addItem(STATUS_LABELS[s], s)
        self.filter_status.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(status=self.filter_status.currentData()))
        self.filter_priority = QComboBox()
        self.filter_priority.addItem("All priorities", "")
        for p in PRIORITIES:
            self.filter_priority.addItem(PRIORITY_LABELS[p], p)
        self.filter_priority.currentIndexChanged.connect(
            lambda _i: self.proxy.set_filter(priority=self.filter_priority.currentData()))
        self.add_button = QPushButton("Add item")
        self.add_button.clicked.connect(self.add_item)
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)

        bar = QHBoxLayout()
        for w in (self.filter_text, self.filter_status, self.filter_priority):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.add_button, self.duplicate_button, self.delete_button):
            bar.addWidget(w)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(ChoiceDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                                   | QAbstractItemView.SelectedClicked)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((115, 240, 75, 95, 70, 70, 80, 80, 300, 300)):
            self.table.setColumnWidth(col, width)

        self.message = message_label("checklist_message", "color: #cf222e;")

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(bar)
        lv.addWidget(self.message)
        lv.addWidget(self.table)
        self.score_panel = ScorePanel()
        self.score_panel.blocker_clicked.connect(self.select_item_named)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.score_panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1000, 340])
        lay = QVBoxLayout(self)
        lay.addWidget(splitter)

        context.opened.connect(self._on_opened)
        context.checklist_changed.connect(self.refresh)
        context.meta_changed.connect(self.refresh)
        if context.store is not None:
            self._on_opened()

    # ---------------------------------------------------------------- state
    def _on_opened(self) -> None:
        self.undo_stack.clear()
        set_message(self.message, "")
        self.refresh()

    def show_write_error(self, text: str) -> None:
        """Say that a checklist write did not happen (it stays until the next successful edit)."""
        set_message(self.message, text)
        self.context.status_message.emit(text)

    def _push(self, command) -> bool:
        locked = self.context.edit_lock_message()
        if locked:
            self.show_write_error(locked)
            return False
        ok = push_after_write(self.undo_stack, command, self.show_write_error)
        if ok:
            set_message(self.message, "")
        return ok

    def refresh(self) -> None:
        store = self.context.store
        if store is None:
            return
        items = store.items()
        self.table.setColumnHidden(4, all(i.maturity is None for i in items))
        counts = Counter(link["item_id"] for link in store.links())
        self.model.set_items(items, dict(counts))
        self.current_score = score(items, store.meta()["readiness_threshold"])
        self.score_panel.show_score(self.current_score)

    def selected_item(self) -> Item | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.item_at(self.proxy.mapToSource(rows[0]).row())

    def select_item_named(self, category: str, name: str) -> None:
        for row, item in enumerate(self.model.items):
            if item.category == category and item.name == name:
                index = self.proxy.mapFromSource(self.model.index(row, 1))
                if not index.isValid():  # hidden by a filter: clear the filters first
                    self.filter_text.clear()
                    self.filter_status.setCurrentIndex(0)
                    self.filter_priority.setCurrentIndex(0)
                    index = self.proxy.mapFromSource(self.model.index(row, 1))
                self.table.selectRow(index.row())
                self.table.scrollTo(index)
                return

    # ---------------------------------------------------------------- edits
    def edit_item(self, item: Item, field: str, value) -> bool:
        if getattr(item, field) == value:
            return False
        # another program may have changed the file since it was shown: re-read first; the edit
        # then states the values it replaces, and the store refuses it if they are gone
        self.context.check_outside_changes()
        changes = maturity_changes(item, value) if field == "maturity" else {field: value}
        try:
            validate_fields(changes, where=f"'{item.name}'")
        except PreflightError as exc:
            QMessageBox.warning(self, "Invalid value", str(exc))
            return False
        return self._push(EditItemCommand(self.context, item, changes))

    def add_item(self) -> None:
        current = self.selected_item()
        category = current.category if current else "General"
        item = Item(category=category, name="New item", priority="medium", status="open",
                    position=(current.position if current else 0))
        self._push(AddItemCommand(self.context, item, "Add item"))

    def duplicate_selected(self) -> None:
        item = self.selected_item()
        if item is not None:
            copy = replace(item, name=f"{item.name} (copy)", position=0)
            self._push(AddItemCommand(self.context, copy, f"Duplicate '{item.name}'"))

    def delete_selected(self) -> None:
        item = self.selected_item()
        if item is not None:
            self._push(DeleteItemCommand(self.context, item))

    def install_shortcuts(self, undo_action, redo_action) -> None:
        """Bind undo to Ctrl+Z and redo to Ctrl+Shift+Z and Ctrl+Y, each key exactly once.

        The platform's standard Redo binding already contains Ctrl+Shift+Z on most desktops, so
        adding it again made the key ambiguous and Qt then fired neither binding."""
        undo_action.setShortcuts(list(UNDO_KEYS))
        redo_action.setShortcuts(list(REDO_KEYS))

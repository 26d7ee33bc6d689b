"""Attaching a stored run as evidence to a checklist item: one dialog and one flow for every tab.

A tab says which items its run is evidence for (``suggested``: some of the checklist's items, in order,
with an optional note per item name); they are listed first, marked ★ and in bold, and the first one is
preselected. The user may pick any item.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout

from core.errors import PreflightError

MARK = "★ "
NOTE_ROLE = Qt.UserRole + 1


class AttachEvidenceDialog(QDialog):
    """Choose the checklist item that ``what`` (e.g. "code audit run #4") is evidence for."""

    def __init__(self, items, what: str, *, suggested=(), notes: dict | None = None, hint_if_none: str = "",
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Attach {what} as evidence")
        self.resize(560, 460)
        items = list(items)
        order = {id(item): n for n, item in enumerate(suggested)}
        ranked = sorted(enumerate(items), key=lambda p: (order.get(id(p[1]), len(order)), p[0]))
        bold = QFont()
        bold.setBold(True)
        self.list = QListWidget()
        for _n, item in ranked:
            chosen = id(item) in order
            entry = QListWidgetItem((MARK if chosen else "") + f"{item.category} — {item.name}")
            note = (notes or {}).get(item.name, "")
            entry.setData(Qt.UserRole, item.id)
            entry.setData(NOTE_ROLE, note)
            entry.setToolTip(note or getattr(item, "requirement", "") or item.name)
            if chosen:
                entry.setFont(bold)
            self.list.addItem(entry)
        if any(id(item) in order for item in items):
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#1f2328;background:#eef6ff;padding:4px")
        self.list.currentRowChanged.connect(self._current_changed)
        self._current_changed(self.list.currentRow())
        hint = ("Suggested items are marked ★ and listed first." if order and self.list.currentRow() == 0
                else hint_if_none)
        intro = QLabel(f"Link {what} to a checklist item. {hint}".strip())
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.note)
        lay.addWidget(buttons)

    def _current_changed(self, row: int) -> None:
        self.ok_button.setEnabled(row >= 0)
        entry = self.list.currentItem()
        note = entry.data(NOTE_ROLE) if row >= 0 and entry is not None else ""
        self.note.setText(f"What this run says about it: {note}" if note else "")
        self.note.setVisible(bool(note))

    def selected_item_id(self) -> int | None:
        entry = self.list.currentItem()
        return None if entry is None else entry.data(Qt.UserRole)


def attach_run(context, run_id: int, what: str, make_dialog: Callable[[], AttachEvidenceDialog | None],
               on_error: Callable[[str, str], None], item_id: int | None = None) -> int | None:
    """Link run ``run_id`` to a checklist item (asked with ``make_dialog()`` when not given).

    Returns the link id, or None when the user cancelled or the store refused (``on_error(title, message)``).
    """
    if item_id is None:
        dialog = make_dialog()
        if dialog is None or not dialog.exec():
            return None
        item_id = dialog.selected_item_id()
        if item_id is None:
            return None
    try:
        link = context.store.link_evidence(item_id, run_id=run_id)
        item = context.store.item(item_id)
    except PreflightError as exc:
        on_error("Cannot attach the run", str(exc))
        return None
    context.notify("checklist", "runs")
    context.status_message.emit(f"{what[:1].upper()}{what[1:]} attached as evidence to '{item.name}'")
    return link


def named(items, names) -> list:
    """The items called ``names``, in the order of ``names`` (names not in the checklist are skipped)."""
    by_name: dict = {}
    for item in items:
        by_name.setdefault(item.name, item)
    return [by_name[n] for n in names if n in by_name]

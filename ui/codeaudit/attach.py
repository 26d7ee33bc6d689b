"""Attach a code-audit run to a checklist item, the items the run is evidence for suggested first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout

#: checklist items a code audit speaks to, in the order they are suggested (seed and ML Test Score templates)
PREFERRED_ITEMS = ("Error handling", "Backward compatibility", "API documentation", "Training is reproducible")


def suggested_items(summary: dict) -> list[str]:
    """The run's suggested items (only "Training is reproducible" when nothing unseeded was found)."""
    names = [e.get("item") for e in summary.get("suggested_evidence") or [] if isinstance(e, dict)]
    return [n for n in names if n] or list(PREFERRED_ITEMS[:3])


class AttachDialog(QDialog):
    def __init__(self, items, run_id: int, summary: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Attach code audit run #{run_id} as evidence")
        self.resize(560, 460)
        self.list = QListWidget()
        suggested = suggested_items(summary)
        notes = {e.get("item"): e.get("note") for e in summary.get("suggested_evidence") or [] if isinstance(e, dict)}
        ordered = sorted(items, key=lambda i: (suggested.index(i.name) if i.name in suggested else len(suggested)))
        bold = QFont()
        bold.setBold(True)
        self.notes = {}
        for item in ordered:
            label = f"{item.category} — {item.name}" + ("   (suggested)" if item.name in suggested else "")
            entry = QListWidgetItem(label)
            entry.setData(Qt.UserRole, item.id)
            self.notes[item.id] = notes.get(item.name) or ""
            entry.setToolTip(self.notes[item.id] or label)
            if item.name in suggested:
                entry.setFont(bold)
                if self.list.currentRow() < 0:
                    self.list.addItem(entry)
                    self.list.setCurrentItem(entry)
                    continue
            self.list.addItem(entry)
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
        intro = QLabel(f"Link code audit run #{run_id} to a checklist item. Suggested items are listed first, "
                       "in bold.")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.note)
        lay.addWidget(buttons)

    def _current_changed(self, row: int) -> None:
        self.ok_button.setEnabled(row >= 0)
        note = self.notes.get(self.selected_item_id(), "") if row >= 0 else ""
        self.note.setText(f"What this run says about it: {note}" if note else "")
        self.note.setVisible(bool(note))

    def selected_item_id(self) -> int | None:
        entry = self.list.currentItem()
        return None if entry is None else entry.data(Qt.UserRole)

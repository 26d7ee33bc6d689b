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
        self.resize(520, 440)
        self.list = QListWidget()
        suggested = suggested_items(summary)
        notes = {e.get("item"): e.get("note") for e in summary.get("suggested_evidence") or [] if isinstance(e, dict)}
        ordered = sorted(items, key=lambda i: (suggested.index(i.name) if i.name in suggested else len(suggested)))
        bold = QFont()
        bold.setBold(True)
        for item in ordered:
            label = f"{item.category} — {item.name}"
            if item.name in suggested:
                label += "   (suggested" + (f": {notes[item.name]}" if notes.get(item.name) else "") + ")"
            entry = QListWidgetItem(label)
            entry.setData(Qt.UserRole, item.id)
            entry.setToolTip(label)
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
        self.ok_button.setEnabled(self.list.currentRow() >= 0)
        self.list.currentRowChanged.connect(lambda r: self.ok_button.setEnabled(r >= 0))
        intro = QLabel(f"Link code audit run #{run_id} to a checklist item. Suggested items are listed first, "
                       "in bold.")
        intro.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)

    def selected_item_id(self) -> int | None:
        entry = self.list.currentItem()
        return None if entry is None else entry.data(Qt.UserRole)

"""Attach a canary run as evidence: every checklist item, the canary and rollback ones first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout

#: the ML Test Score 2017 tests a canary run is evidence for, then words that mark a related item in any template
SUGGESTED = ("Models are tested via a canary process before entering production", "Serving models can be rolled back")
RELATED_WORDS = ("canary", "rollback", "rolled back", "roll back", "rollout", "staged")


def rank(item) -> int:
    """0 for the named ML Test Score tests, 1 for items that mention canaries or rollbacks, 2 otherwise."""
    if item.name in SUGGESTED:
        return 0
    text = f"{item.name} {getattr(item, 'requirement', '') or ''}".lower()
    return 1 if any(w in text for w in RELATED_WORDS) else 2


def ordered_items(items) -> list:
    return [item for _r, _n, item in sorted((rank(item), n, item) for n, item in enumerate(items))]


class AttachCanaryDialog(QDialog):
    """Choose the checklist item the run is evidence for; suggested items are listed first and marked."""

    def __init__(self, items, run_id: int, summary: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Attach canary run #{run_id} as evidence")
        self.resize(520, 440)
        self.list = QListWidget()
        items = list(items)
        for item in ordered_items(items):
            mark = "★ " if rank(item) < 2 else ""
            entry = QListWidgetItem(f"{mark}{item.category} — {item.name}")
            entry.setData(Qt.UserRole, item.id)
            entry.setToolTip(getattr(item, "requirement", "") or item.name)
            self.list.addItem(entry)
        if self.list.count() and rank(ordered_items(items)[0]) < 2:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setEnabled(self.list.currentRow() >= 0)
        self.list.currentRowChanged.connect(lambda r: self.ok_button.setEnabled(r >= 0))
        suggested = any(rank(item) < 2 for item in items)
        hint = ("Items about canarying and rolling back are marked ★ and listed first." if suggested else
                "No item of this checklist is about canarying or rolling back: choose the closest one, or add "
                "one on the Checklist tab first.")
        text = QLabel(f"Link canary run #{run_id} ({summary}) to a checklist item. {hint}")
        text.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)

    def selected_item_id(self) -> int | None:
        entry = self.list.currentItem()
        return None if entry is None else entry.data(Qt.UserRole)

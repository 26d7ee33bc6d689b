"""Table model over the assessment's checklist items, grouped by category."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core.assessment.checklist import PRIORITIES, STATUSES, Item
from ui.common.table_models import ListTableModel

COLUMNS = (
    ("category", "Category"), ("name", "Item"), ("priority", "Priority"), ("status", "Status"),
    ("maturity", "Maturity"), ("evidence", "Evidence"), ("owner", "Owner"), ("due_date", "Due"),
    ("notes", "Notes"), ("requirement", "Requirement"),
)
EDITABLE = {"name", "priority", "status", "maturity", "owner", "due_date", "notes", "requirement", "category"}
CHOICES = {"priority": PRIORITIES, "status": STATUSES, "maturity": ("", "0", "0.5", "1")}
# What people read for the stored values (the stored values themselves never change).
STATUS_LABELS = {"open": "Open", "done": "Done", "not_applicable": "Not applicable"}
PRIORITY_LABELS = {p: p.capitalize() for p in PRIORITIES}
STATUS_COLOURS = {"done": QColor("#1b7f3b"), "open": QColor("#9a6700"), "not_applicable": QColor("#6e7781")}
PRIORITY_COLOURS = {"critical": QColor("#cf222e"), "high": QColor("#bc4c00"), "medium": QColor("#6e7781"),
                    "low": QColor("#8c959f")}
GROUP_SHADES = (QColor("#ffffff"), QColor("#f4f6f8"))


def display_value(field: str, value) -> str:
    if field == "maturity":
        return "" if value is None else f"{value:g}"
    if field == "status":
        return STATUS_LABELS.get(value, "" if value is None else str(value))
    if field == "priority":
        return PRIORITY_LABELS.get(value, "" if value is None else str(value))
    return "" if value is None else str(value)


def choice_label(field: str, value: str) -> str:
    """The label a combo box shows for one stored choice."""
    if field == "maturity":
        return value or "(none)"
    return display_value(field, value)


class ChecklistModel(ListTableModel):
    """Rows are items ordered by category (first appearance) then position."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[Item] = []
        self.evidence: dict[int, int] = {}
        self.group_index: list[int] = []
        self.first_in_group: list[bool] = []
        self.edit_handler = None  # callable(item, field, value) -> bool, set by the tab

    # ------------------------------------------------------------------ data
    def set_items(self, items: list[Item], evidence_counts: dict[int, int] | None = None) -> None:
        order: dict[str, int] = {}
        for it in items:
            order.setdefault(it.category, len(order))
        items = sorted(items, key=lambda i: (order[i.category], i.position, i.id or 0))
        same_rows = [i.id for i in items] == [i.id for i in self.items]
        self.items = items
        self.evidence = evidence_counts or {}
        self.group_index, self.first_in_group = [], []
        prev = None
        for it in items:
            self.group_index.append(order[it.category])
            self.first_in_group.append(it.category != prev)
            prev = it.category
        if same_rows and items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(items) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.endResetModel()

    def item_at(self, row: int) -> Item:
        return self.items[row]

    def row_of(self, item_id: int) -> int:
        for n, it in enumerate(self.items):
            if it.id == item_id:
                return n
        return -1

    # ------------------------------------------------------------- Qt model
    HEADERS = tuple(label for _key, label in COLUMNS)

    def rows(self) -> list:
        return self.items

    def flags(self, index):
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if COLUMNS[index.column()][0] in EDITABLE:
            base |= Qt.ItemIsEditable
        return base

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        item = self.items[index.row()]
        field = COLUMNS[index.column()][0]
        value = self.evidence.get(item.id, 0) if field == "evidence" else getattr(item, field)
        if role == Qt.DisplayRole:
            if field == "category" and not self.first_in_group[index.row()]:
                return ""
            if field == "evidence":
                return str(value) if value else ""
            return display_value(field, value)
        if role == Qt.EditRole:
            return value if field in ("status", "priority") else display_value(field, value)
        if role == Qt.ToolTipRole and field in ("requirement", "notes", "name"):
            return item.requirement if field == "name" else (value or None)
        if role == Qt.ForegroundRole:
            if field == "status":
                return QBrush(STATUS_COLOURS[item.status])
            if field == "priority":
                return QBrush(PRIORITY_COLOURS[item.priority])
        if role == Qt.BackgroundRole:
            return QBrush(GROUP_SHADES[self.group_index[index.row()] % 2])
        if role == Qt.FontRole and (field == "category" or (field == "priority" and item.priority == "critical")):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.UserRole:
            return value
        return None

    def setData(self, index, value, role=Qt.EditRole):
        if role != Qt.EditRole or not index.isValid() or self.edit_handler is None:
            return False
        field = COLUMNS[index.column()][0]
        if field == "maturity":
            value = None if value in ("", None) else float(value)
        return bool(self.edit_handler(self.items[index.row()], field, value))


class ChecklistFilter(QSortFilterProxyModel):
    """Filter by free text, status and priority."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = ""
        self.status = ""
        self.priority = ""

    def set_filter(self, *, text=None, status=None, priority=None) -> None:
        if text is not None:
            self.text = text.strip().lower()
        if status is not None:
            self.status = status
        if priority is not None:
            self.priority = priority
        self.invalidate()

    def filterAcceptsRow(self, row, parent):
        item = self.sourceModel().item_at(row)
        if self.status and item.status != self.status:
            return False
        if self.priority and item.priority != self.priority:
            return False
        if self.text:
            hay = " ".join((item.category, item.name, item.requirement, item.notes, item.owner)).lower()
            return self.text in hay
        return True

"""Table models for the Data tab's inputs: a preview of a data table and its column kinds."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate

from core.data.tables import KINDS

INFERRED = "(inferred)"
MUTED = QColor("#6e7781")
OVERRIDDEN = QColor("#fff8c5")


def cell_text(value) -> str:
    """A preview cell as text; missing values are shown empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    try:
        if value != value:  # NaT, pd.NA-like values that are not equal to themselves
            return ""
    except (TypeError, ValueError):
        return "" if str(value) in ("<NA>", "NaT") else str(value)
    return str(value)


class DataFrameModel(QAbstractTableModel):
    """Read-only view of the first rows of a DataFrame; the header shows each column's kind."""

    def __init__(self, parent=None, max_rows: int = 200):
        super().__init__(parent)
        self.max_rows = max_rows
        self.columns: list[str] = []
        self.kinds: dict[str, str] = {}
        self.rows: list[list[str]] = []

    def set_frame(self, df, kinds: dict | None = None) -> None:
        self.beginResetModel()
        if df is None:
            self.columns, self.kinds, self.rows = [], {}, []
        else:
            head = df.head(self.max_rows)
            self.columns = [str(c) for c in head.columns]
            self.kinds = {str(k): v for k, v in (kinds or {}).items()}
            self.rows = [[cell_text(v) for v in row] for row in head.itertuples(index=False, name=None)]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            name = self.columns[section]
            kind = self.kinds.get(name)
            return f"{name}\n{kind}" if kind else name
        return str(section + 1)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            return self.rows[index.row()][index.column()]
        if role == Qt.TextAlignmentRole and self.kinds.get(self.columns[index.column()]) == "numeric":
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class KindsModel(QAbstractTableModel):
    """One row per column of either table: its inferred kinds and the kind the user wants used."""

    HEADERS = ("Column", "Reference kind", "Current kind", "Use as")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.names: list[str] = []
        self.ref: dict[str, str] = {}
        self.cur: dict[str, str] = {}
        self.chosen: dict[str, str] = {}

    def set_kinds(self, ref: dict | None, cur: dict | None) -> None:
        """New inferred kinds; choices are kept for columns that are still there."""
        self.beginResetModel()
        self.ref, self.cur = dict(ref or {}), dict(cur or {})
        names = list(self.ref) + [c for c in self.cur if c not in self.ref]
        self.names = names
        self.chosen = {k: v for k, v in self.chosen.items() if k in names}
        self.endResetModel()

    def overrides(self) -> dict[str, str]:
        """{column: kind} for the columns whose kind the user chose (DriftSettings.kind_overrides)."""
        return dict(self.chosen)

    def set_override(self, name: str, kind: str | None) -> None:
        if kind in (None, "", INFERRED):
            self.chosen.pop(name, None)
        elif kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        else:
            self.chosen[name] = kind
        if name in self.names:
            row = self.names.index(name)
            self.dataChanged.emit(self.index(row, 0), self.index(row, 3))

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.names)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.HEADERS[section]
        if role == Qt.ToolTipRole and orientation == Qt.Horizontal and section == 3:
            return "Double-click to choose the kind the analyses use for this column"
        return None

    def flags(self, index):
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        return base | Qt.ItemIsEditable if index.column() == 3 else base

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        name = self.names[index.row()]
        col = index.column()
        if role in (Qt.DisplayRole, Qt.EditRole):
            if col == 0:
                return name
            if col in (1, 2):
                return (self.ref if col == 1 else self.cur).get(name, "—")
            return self.chosen.get(name, INFERRED if role == Qt.DisplayRole else "")
        if role == Qt.ForegroundRole and col == 3 and name not in self.chosen:
            return QBrush(MUTED)
        if role == Qt.BackgroundRole and name in self.chosen:
            return QBrush(OVERRIDDEN)
        if role == Qt.ToolTipRole and col in (1, 2) and name not in (self.ref if col == 1 else self.cur):
            return f"not in the {'reference' if col == 1 else 'current'} table"
        return None

    def setData(self, index, value, role=Qt.EditRole):
        if role != Qt.EditRole or index.column() != 3:
            return False
        self.set_override(self.names[index.row()], value)
        return True


class KindDelegate(QStyledItemDelegate):
    """A combo box of kinds for the "Use as" column."""

    def createEditor(self, parent, option, index):
        combo = QComboBox(parent)
        combo.addItems([INFERRED, *KINDS])
        return combo

    def setEditorData(self, editor, index):
        editor.setCurrentText(index.data(Qt.EditRole) or INFERRED)

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentText(), Qt.EditRole)

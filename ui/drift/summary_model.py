"""Table model of one drift column's summary statistics, reference and current side by side.

It renders ``column["summary"]`` of a drift result as core computed it (see core/drift/summary.py);
runs stored before summaries existed have none, and the table is then empty.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


NUMERIC_ROWS = (("count", "Count"), ("missing", "Missing"), ("mean", "Mean"), ("std", "Std"), ("min", "Min"),
                ("p5", "5%"), ("p25", "25%"), ("p50", "Median"), ("p75", "75%"), ("p95", "95%"), ("max", "Max"))
CATEGORICAL_ROWS = (("count", "Count"), ("missing", "Missing"), ("distinct", "Distinct"),
                    ("top", "Most frequent"), ("top_share", "Its share"))
HEADERS = ("Statistic", "Reference", "Current")


def number(value) -> str:
    value = float(value)
    if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:,.6g}"


def _date(value) -> str:
    try:
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return number(value)


def stat_text(key: str, value, kind: str) -> str:
    """One statistic for people: counts with separators, shares as percentages, datetimes as UTC dates."""
    if value is None:
        return "—"
    if key in ("count", "missing", "distinct"):
        return f"{int(value):,}"
    if key == "top_share":
        return f"{100 * value:.1f}%"
    if key == "top":
        return str(value)
    if kind == "datetime" and key != "std":
        return _date(value)
    if kind == "datetime":  # a spread of seconds
        return f"{value / 86400:.3g} days"
    return number(value)


class SummaryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = ""
        self.rows: tuple = ()
        self.reference: dict = {}
        self.current: dict = {}
        self.approximate = False

    def set_column(self, col: dict | None) -> None:
        """Show ``col["summary"]`` of a drift result column (None, or a column without one, clears)."""
        self.beginResetModel()
        summary = (col or {}).get("summary") or {}
        self.kind = (col or {}).get("kind") or ""
        self.reference = summary.get("reference") or {}
        self.current = summary.get("current") or {}
        self.approximate = bool(self.reference.get("approximate"))
        if not (self.reference or self.current):
            self.rows = ()
        elif self.kind in ("numeric", "datetime"):
            self.rows = NUMERIC_ROWS
        else:
            self.rows = CATEGORICAL_ROWS
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return HEADERS[section]
        if role == Qt.ToolTipRole and section == 1 and self.approximate:
            return "approximate: read off the reference profile's quantile sketch"
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        key, label = self.rows[index.row()]
        if role == Qt.DisplayRole:
            if index.column() == 0:
                return label
            side = self.reference if index.column() == 1 else self.current
            return stat_text(key, side.get(key), self.kind)
        if role == Qt.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

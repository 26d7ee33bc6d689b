"""Table models of the Performance tab: the per-segment table and the confusion matrix."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


def num(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


class _Rows(QAbstractTableModel):
    headers: tuple = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[list[str]] = []
        self.columns: list[str] = list(self.headers)

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and section < len(self.columns):
            return self.columns[section]
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.DisplayRole:
            return self.rows[index.row()][index.column()]
        if role == Qt.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class SegmentModel(_Rows):
    """One row per segment: rows, labelled and its metrics over the whole log."""

    def set_result(self, result: dict | None) -> None:
        self.beginResetModel()
        segments = (result or {}).get("segments") or {}
        keys = ("mae", "rmse", "r2") if (result or {}).get("task") == "regression" else \
            ("accuracy", "precision", "recall", "f1")
        self.columns = ["Segment", "Rows", "Labelled", *keys]
        self.rows = [[str(name), num(s.get("rows")), num(s.get("labelled"))]
                     + [num((s.get("metrics") or {}).get(k)) for k in keys] for name, s in segments.items()]
        self.endResetModel()


class ConfusionModel(_Rows):
    """The judged window's confusion matrix: rows are true labels, columns predictions."""

    def set_matrix(self, cm: dict | None) -> None:
        self.beginResetModel()
        labels, matrix = (cm or {}).get("labels") or [], (cm or {}).get("matrix") or []
        self.columns = ["true \\ predicted", *[str(c) for c in labels]]
        self.rows = [[str(labels[i]), *[num(int(v)) for v in row]] for i, row in enumerate(matrix)]
        self.endResetModel()

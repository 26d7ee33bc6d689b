"""The findings table: a model over the run's finding dicts and a filter proxy (severity, kind, text)."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from core.codeaudit.model import KIND_LABELS, SEVERITIES
from ui.common.table_models import ListTableModel

HEADERS = ("Severity", "File", "Cell", "Line", "Kind", "Finding")
SEVERITY_COLOUR = {"high": "#cf222e", "medium": "#9a6700", "low": "#0969da", "info": "#6e7781"}
SORT_ROLE = Qt.UserRole + 1


class FindingsModel(ListTableModel):
    """One row per finding (``{path, cell, line, kind, severity, message, suggestion}``)."""

    HEADERS = HEADERS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.findings: list[dict] = []

    def set_findings(self, findings: list[dict]) -> None:
        self.beginResetModel()
        self.findings = list(findings)
        self.endResetModel()

    def finding(self, row: int) -> dict:
        return self.findings[row]

    def rows(self) -> list:
        return self.findings

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        f = self.findings[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            return (f.get("severity"), f.get("path"), _blank(f.get("cell")), _blank(f.get("line")),
                    KIND_LABELS.get(f.get("kind"), f.get("kind")), f.get("message"))[col]
        if role == SORT_ROLE:
            if col == 0:
                return SEVERITIES.index(f["severity"]) if f.get("severity") in SEVERITIES else 9
            if col in (2, 3):
                return f.get("cell" if col == 2 else "line") or 0
            return str(self.data(index) or "").lower()
        if role == Qt.ToolTipRole:
            return f"{f.get('message')}\n\nSuggestion: {f.get('suggestion')}"
        if role == Qt.ForegroundRole and col == 0:
            return QBrush(QColor(SEVERITY_COLOUR.get(f.get("severity"), "#1f2328")))
        if role == Qt.TextAlignmentRole and col in (2, 3):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


def _blank(value):
    return "" if value is None else str(value)


class FindingsFilter(QSortFilterProxyModel):
    """Shows the findings at or above a severity, of one kind (or all), whose file or text contains a word."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.min_severity = "info"
        self.kind = ""
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filters(self, *, min_severity: str | None = None, kind: str | None = None, text: str | None = None):
        self.beginFilterChange()
        if min_severity is not None:
            self.min_severity = min_severity
        if kind is not None:
            self.kind = kind
        if text is not None:
            self.text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row, parent):
        f = self.sourceModel().finding(row)
        if f.get("severity") in SEVERITIES and SEVERITIES.index(f["severity"]) > SEVERITIES.index(self.min_severity):
            return False
        if self.kind and f.get("kind") != self.kind:
            return False
        if self.text:
            hay = " ".join(str(f.get(k) or "") for k in ("path", "message", "suggestion", "kind")).lower()
            return self.text in hay
        return True

    def finding(self, row: int) -> dict:
        return self.sourceModel().finding(self.mapToSource(self.index(row, 0)).row())

    def visible_findings(self) -> list[dict]:
        return [self.finding(r) for r in range(self.rowCount())]

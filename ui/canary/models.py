"""Table models of the Canary tab: the decision log (one row per step) and the Monte Carlo comparison."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from ui.common.table_models import ListTableModel

DECISION_COLOUR = {"rollback": "#cf222e", "pause": "#9a6700", "promote": "#1a7f37"}


def pct(value, digits: int = 2) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def num(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "∞"
    if abs(value) < 1e-3 and value != 0:
        return f"{value:.2e}"
    return f"{value:.{digits}g}"


def _counts(side: dict) -> str:
    return f"{side['total_errors']:,}/{side['total_requests']:,} ({pct(side['error_rate'])})"


class DecisionLogModel(ListTableModel):
    HEADERS = ("Step", "Weight", "Candidate errors", "Baseline errors", "Statistic", "p-value", "Decision",
               "Explanation")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.steps: list[dict] = []

    def set_steps(self, steps: list[dict]) -> None:
        self.beginResetModel()
        self.steps = list(steps or [])
        self.endResetModel()

    def rows(self) -> list:
        return self.steps

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        s = self.steps[index.row()]
        col = index.column()
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            if role == Qt.ToolTipRole and col != 7:
                return s["explanation"]
            return (str(s["step"]), f"{100 * s['weight']:g}%", _counts(s["candidate"]), _counts(s["baseline"]),
                    num(s["statistic"]), num(s["p_value"]), s["decision"], s["explanation"])[col]
        if role == Qt.ForegroundRole and col == 6:
            colour = DECISION_COLOUR.get(s["decision"]) or ("#9a6700" if s.get("failed") else None)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.TextAlignmentRole and col in (0, 1, 4, 5):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class MonteCarloModel(ListTableModel):
    HEADERS = ("Rule", "False rollback", "Detection", "Detected before 50%", "Requests to detect",
               "Steps to detect", "Exposed users")
    KEYS = ("false_rollback_rate", "detection_rate", "detection_before_half_rate", "mean_requests_to_detect",
            "mean_steps_to_detect", "exposed_users")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rules: list[tuple[str, dict]] = []
        self.chosen = ""

    def set_rules(self, rules: dict | None, chosen: str = "") -> None:
        self.beginResetModel()
        self.rules = list((rules or {}).items())
        self.chosen = chosen
        self.endResetModel()

    def rows(self) -> list:
        return self.rules

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        name, m = self.rules[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return f"{name} (chosen)" if name == self.chosen else name
            value = m.get(self.KEYS[col - 1])
            if col <= 3:
                return pct(value, 1)
            return "-" if value is None else f"{value:,.1f}" if col == 5 else f"{value:,.0f}"
        if role == Qt.ToolTipRole and col == 0:
            return m.get("label", name)
        if role == Qt.TextAlignmentRole and col > 0:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.FontRole and name == self.chosen:
            from PySide6.QtGui import QFont
            font = QFont()
            font.setBold(True)
            return font
        return None

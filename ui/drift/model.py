"""Table model of a drift result: one row per compared column, colour-coded verdicts, sortable."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

NUMERIC_KINDS = ("numeric", "datetime")
SORT_ROLE = Qt.UserRole

# (key, header, tooltip)
COLUMNS = (
    ("name", "Column", ""),
    ("kind", "Kind", ""),
    ("method", "Method", "The statistic that decided the verdict"),
    ("score", "Score", "Value of the deciding statistic (a raw p-value for KS / chi-square)"),
    ("threshold", "Threshold", "Drift when the score reaches it (p-value methods: adjusted p below it)"),
    ("verdict", "Verdict", "DRIFT, ok, or no verdict (no usable values in one table)"),
    ("psi", "PSI", "Population Stability Index on the reference deciles / categories"),
    ("psi_band", "PSI band", "stable below 0.1, moderate from 0.1 to 0.25, major above 0.25"),
    ("p_value", "p-value", "KS p-value for numeric columns, chi-square p-value for categorical ones (raw)"),
    ("effect", "Effect size", "Wasserstein / std for numeric columns, Jensen-Shannon distance otherwise"),
    ("missing_ref", "Missing ref", "Share of missing values in the reference table"),
    ("missing_cur", "Missing cur", "Share of missing values in the current table"),
    ("new_categories", "New categories", "Categories seen in the current table only"),
)
KEYS = [c[0] for c in COLUMNS]

VERDICT_COLOURS = {"DRIFT": ("#cf222e", "#ffebe9"), "ok": ("#1a7f37", "#dafbe1"),
                   "no verdict": ("#6e7781", "#f6f8fa")}
BAND_COLOURS = {"stable": ("#1a7f37", "#dafbe1"), "moderate": ("#9a6700", "#fff8c5"),
                "major": ("#cf222e", "#ffebe9")}
BAND_BAR_COLOURS = {"stable": (45, 164, 78, 210), "moderate": (212, 167, 44, 220), "major": (207, 34, 46, 210),
                    None: (140, 149, 159, 160)}


METHOD_LABELS = {"auto": "Auto", "psi": "PSI", "ks": "Kolmogorov-Smirnov", "wasserstein": "Wasserstein",
                 "jensenshannon": "Jensen-Shannon", "chi2": "Chi-square"}


def method_label(method) -> str:
    """What people read for a stored method name (jensenshannon -> Jensen-Shannon)."""
    return "" if method is None else METHOD_LABELS.get(method, str(method))


def verdict(col: dict) -> str:
    if col.get("method") is None:
        return "no verdict"
    return "DRIFT" if col.get("drifted") else "ok"


def p_value(col: dict):
    return col.get("ks_p_value") if col.get("kind") in NUMERIC_KINDS else col.get("chi2_p_value")


def effect_size(col: dict):
    if col.get("kind") in NUMERIC_KINDS and col.get("wasserstein") is not None:
        return col["wasserstein"]
    return col.get("jensen_shannon")


def number(value, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.{digits}g}"


def percent(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def new_categories_text(col: dict) -> str:
    count = col.get("new_categories_count")
    if not count:
        return "" if count is None else "none"
    names = [str(c) for c in (col.get("new_categories") or [])[:3]]
    more = ", ..." if count > len(names) else ""
    return f"{count}: {', '.join(names)}{more}"


def cell_value(col: dict, key: str):
    """The sortable value of one cell (None = empty)."""
    if key == "verdict":
        return verdict(col)
    if key == "p_value":
        return p_value(col)
    if key == "effect":
        return effect_size(col)
    if key == "missing_ref":
        return col.get("missing_share_reference")
    if key == "missing_cur":
        return col.get("missing_share_current")
    if key == "new_categories":
        return col.get("new_categories_count")
    return col.get(key)


def cell_text(col: dict, key: str) -> str:
    value = cell_value(col, key)
    if key in ("missing_ref", "missing_cur"):
        return percent(value)
    if key == "new_categories":
        return new_categories_text(col)
    if key == "method":
        return method_label(value)
    if key == "p_value":
        return number(value, 3)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return "" if value is None else str(value)


class DriftResultsModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns_: list[dict] = []

    def set_columns(self, columns: list[dict]) -> None:
        self.beginResetModel()
        self.columns_ = list(columns or [])
        self.endResetModel()

    def column_at(self, row: int) -> dict:
        return self.columns_[row]

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns_)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ToolTipRole:
            return COLUMNS[section][2] or None
        return None

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        col = self.columns_[index.row()]
        key = KEYS[index.column()]
        if role == Qt.DisplayRole:
            return cell_text(col, key)
        if role == SORT_ROLE:
            return cell_value(col, key)
        colours = None
        if key == "verdict":
            colours = VERDICT_COLOURS[verdict(col)]
        elif key == "psi_band" and col.get("psi_band") in BAND_COLOURS:
            colours = BAND_COLOURS[col["psi_band"]]
        if role == Qt.ForegroundRole and colours:
            return QBrush(QColor(colours[0]))
        if role == Qt.BackgroundRole and colours:
            return QBrush(QColor(colours[1]))
        if role == Qt.FontRole and key in ("verdict", "name") and col.get("drifted"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.TextAlignmentRole and key not in ("name", "kind", "method", "verdict", "psi_band",
                                                        "new_categories"):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:
            return self._tooltip(col, key)
        return None

    @staticmethod
    def _tooltip(col: dict, key: str):
        if key == "score" and col.get("p_value_adjusted") is not None:
            return f"raw p-value {number(col['score'], 3)}; Benjamini-Hochberg adjusted {number(col['p_value_adjusted'], 3)}"
        if key == "new_categories" and col.get("new_categories"):
            return ", ".join(map(str, col["new_categories"]))
        if key == "name" and col.get("approximate"):
            return "approximate: compared with a reference profile, not the raw reference values"
        if key == "effect" and col.get("kind") in NUMERIC_KINDS and col.get("wasserstein") is None:
            return "Jensen-Shannon distance (the reference is constant, so Wasserstein / std is undefined)"
        return None


class DriftSortProxy(QSortFilterProxyModel):
    """Sorts on the raw values; empty cells always go last."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left, right):
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            # empty last in both directions
            ascending = self.sortOrder() == Qt.AscendingOrder
            return (a is not None) if ascending else (a is None and b is not None)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a).lower() < str(b).lower()

"""Table models for the validation view: the editable schema, the violations and their example rows.

Every schema edit goes through :func:`edited_schema`, which rebuilds the schema with
``Schema.from_dict`` so core checks the new rule (a bad value raises PreflightError and
the edit is refused).
"""

from __future__ import annotations

import json

import yaml
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core.errors import PreflightError
from core.validation.schema import ORDERED_TYPES, Schema
from ui.common.table_models import ListTableModel

SCHEMA_COLUMNS = (("column", "Column"), ("type", "Type"), ("min", "Min"), ("max", "Max"),
                  ("max_missing_fraction", "Max missing %"), ("unique", "Unique"), ("allowed", "Allowed values"),
                  ("pattern", "Pattern"))
SEVERITY_COLOURS = {"critical": ("#ffffff", "#a40e26"), "high": ("#cf222e", "#ffebe9"),
                    "medium": ("#9a6700", "#fff8c5"), "low": ("#57606a", "#f6f8fa")}
SOURCE = "schema editor"
CHECK_LABELS = {"missing_column": "Missing column", "type_mismatch": "Type mismatch", "range": "Out of range",
                "missing_values": "Missing values", "uniqueness": "Not unique", "allowed_values": "Allowed values",
                "pattern": "Pattern", "length": "Length", "monotonic": "Not monotonic",
                "unexpected_column": "Unexpected column", "duplicate_rows": "Duplicate rows",
                "row_count": "Row count"}
RULE_LABELS = {"max_out_of_range_fraction": "Max out of range", "max_missing_fraction": "Max missing",
               "max_out_of_range_pct": "Max out of range", "max_missing_pct": "Max missing",
               "min_length": "Min length", "max_length": "Max length", "monotonic": "Monotonic",
               "required": "Required", "description": "Description"}


def check_label(check: str) -> str:
    """What people read for a stored check name (e.g. allowed_values -> Allowed values)."""
    return CHECK_LABELS.get(check, str(check).replace("_", " ").capitalize())


def rule_text(key: str, value) -> str:
    """One schema rule as "Label: value", fractions shown as percentages."""
    label = RULE_LABELS.get(key, key.replace("_", " ").capitalize())
    if key.endswith(("_fraction", "_pct")) and isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = f"{100 * value:.4g}%"
    elif isinstance(value, bool):
        shown = "yes" if value else "no"
    else:
        shown = str(value)
    return f"{label}: {shown}"


def _bound_text(v) -> str:
    if v is None:
        return ""
    return f"{v:g}" if isinstance(v, float) else str(v)


def allowed_text(values) -> str:
    if not values:
        return ""
    if any(isinstance(v, str) and ("," in v or v != v.strip()) for v in values):
        return json.dumps(list(values), ensure_ascii=False)
    return ", ".join("true" if v is True else "false" if v is False else _bound_text(v) for v in values)


def _number(text: str, what: str):
    try:
        value = float(text)
    except ValueError:
        raise PreflightError(f"{SOURCE}: {what}: {text!r} is not a number") from None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _allowed_values(text: str, ctype: str | None) -> list:
    if text.startswith("["):
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError:
            raise PreflightError(f"{SOURCE}: allowed values: {text!r} is not a list") from None
        return values
    values = [v.strip() for v in text.split(",") if v.strip()]
    if ctype in ("numeric", "integer"):
        return [_number(v, "allowed values") for v in values]
    if ctype == "boolean":
        return [v.lower() in ("true", "1", "yes") for v in values]
    return values


def edited_schema(schema: Schema, name: str, key: str, value) -> Schema:
    """A copy of ``schema`` with one rule of column ``name`` changed (``value`` as typed: text or bool)."""
    d = schema.to_dict()
    spec = dict(d["columns"].get(name, {}))
    text = value.strip() if isinstance(value, str) else value
    if key == "type":
        if text:
            spec["type"] = text
            if text not in ORDERED_TYPES:  # rules that only fit ordered types would now be refused
                spec.pop("range", None)
                spec.pop("monotonic", None)
            if text == "datetime":
                spec.pop("allowed", None)
        else:
            spec.pop("type", None)
    elif key in ("min", "max"):
        lo, hi = spec.get("range") or [None, None]
        bound = None
        if text:
            bound = text if spec.get("type") == "datetime" else _number(text, key)
        lo, hi = (bound, hi) if key == "min" else (lo, bound)
        if lo is None and hi is None:
            spec.pop("range", None)
        else:
            spec["range"] = [lo, hi]
    elif key in ("max_missing_fraction", "max_missing_pct"):
        spec.pop("max_missing_pct", None)  # the deprecated name of max_missing_fraction
        if text:
            spec["max_missing_fraction"] = _number(str(text).rstrip("%").strip(), "max missing %") / 100
        else:
            spec.pop("max_missing_fraction", None)
    elif key == "unique":
        spec["unique"] = bool(value)
    elif key == "allowed":
        if text:
            spec["allowed"] = _allowed_values(text, spec.get("type"))
        else:
            spec.pop("allowed", None)
    elif key == "pattern":
        if text:
            spec["pattern"] = text
        else:
            spec.pop("pattern", None)
    else:
        raise PreflightError(f"{SOURCE}: '{key}' cannot be edited here")
    d["columns"][name] = spec
    return Schema.from_dict(d, source=SOURCE)


class SchemaModel(QAbstractTableModel):
    """The schema's columns; edits are handed to ``edit_handler(name, key, value) -> bool``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.schema = Schema()
        self.names: list[str] = []
        self.edit_handler = None

    def set_schema(self, schema: Schema | None) -> None:
        self.beginResetModel()
        self.schema = schema or Schema()
        self.names = list(self.schema.columns)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.names)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(SCHEMA_COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return SCHEMA_COLUMNS[section][1]
        return None

    def flags(self, index):
        key = SCHEMA_COLUMNS[index.column()][0]
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if key == "unique":
            return base | Qt.ItemIsUserCheckable
        return base if key == "column" else base | Qt.ItemIsEditable

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        name = self.names[index.row()]
        spec = self.schema.columns[name]
        key = SCHEMA_COLUMNS[index.column()][0]
        if role == Qt.CheckStateRole and key == "unique":
            return Qt.Checked if spec.unique else Qt.Unchecked
        if role in (Qt.DisplayRole, Qt.EditRole):
            if key == "column":
                return name
            if key == "type":
                return spec.type or ""
            if key in ("min", "max"):
                return _bound_text((spec.range or (None, None))[0 if key == "min" else 1])
            if key == "max_missing_fraction":
                return "" if spec.max_missing_fraction is None else f"{100 * spec.max_missing_fraction:.4g}"
            if key == "allowed":
                return allowed_text(spec.allowed)
            if key == "pattern":
                return spec.pattern or ""
            return None
        if role == Qt.ToolTipRole and key == "column":
            extra = {k: v for k, v in spec.to_dict().items()
                     if k not in ("type", "range", "max_missing_fraction", "unique", "allowed", "pattern")}
            return "\n".join(rule_text(k, v) for k, v in extra.items()) or None
        if role == Qt.ToolTipRole and key == "allowed" and spec.allowed:
            return allowed_text(spec.allowed)
        if role == Qt.FontRole and key == "column":
            font = QFont()
            font.setBold(True)
            return font
        return None

    def setData(self, index, value, role=Qt.EditRole):
        key = SCHEMA_COLUMNS[index.column()][0]
        if self.edit_handler is None or not index.isValid():
            return False
        if key == "unique" and role == Qt.CheckStateRole:
            value = value in (Qt.Checked, Qt.Checked.value, 2)
        elif role != Qt.EditRole:
            return False
        return bool(self.edit_handler(self.names[index.row()], key, value))


class ViolationsModel(ListTableModel):
    HEADERS = ("Column", "Check", "Severity", "Count", "Fraction", "Threshold")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.violations: list[dict] = []

    def set_violations(self, violations: list[dict]) -> None:
        self.beginResetModel()
        self.violations = list(violations or [])
        self.endResetModel()

    def rows(self) -> list:
        return self.violations

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        v = self.violations[index.row()]
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return "(table)" if v["column"] is None else str(v["column"])
            if col == 1:
                return check_label(v["check"])
            if col == 2:
                return str(v["severity"]).capitalize()
            if col == 3:
                return f"{v['count']:,}"
            if col == 4:
                return "" if v.get("fraction") is None else f"{100 * v['fraction']:.3g}%"
            return threshold_text(v)
        if role == Qt.ToolTipRole:
            return v.get("message") or None
        if col == 2 and role in (Qt.ForegroundRole, Qt.BackgroundRole):
            fg, bg = SEVERITY_COLOURS.get(v["severity"], ("#24292f", "#ffffff"))
            return QBrush(QColor(fg if role == Qt.ForegroundRole else bg))
        if role == Qt.TextAlignmentRole and col >= 3:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


def threshold_text(v: dict) -> str:
    """A violation's threshold for people: fractions as percentages, a row-count range as "a to b"."""
    thr = v.get("threshold")
    if thr is None:
        return ""
    if v.get("check") == "row_count":
        if isinstance(thr, (list, tuple)) and len(thr) == 2:
            lo, hi = thr
            return f"{'0' if lo is None else f'{lo:,}'} to {'any' if hi is None else f'{hi:,}'} rows"
        return f"{thr:,} rows" if isinstance(thr, int) else str(thr)
    if isinstance(thr, (int, float)) and not isinstance(thr, bool):
        return f"{100 * thr:.3g}%"
    return str(thr)


class ExamplesModel(ListTableModel):
    HEADERS = ("Row", "Value")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.examples: list[dict] = []

    def set_examples(self, examples: list[dict]) -> None:
        self.beginResetModel()
        self.examples = list(examples or [])
        self.endResetModel()

    def rows(self) -> list:
        return self.examples

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or role not in (Qt.DisplayRole, Qt.ToolTipRole):
            return None
        e = self.examples[index.row()]
        value = e.get("row") if index.column() == 0 else e.get("value")
        if index.column() == 1 and value is None:
            return "(missing)"
        return "" if value is None else str(value)

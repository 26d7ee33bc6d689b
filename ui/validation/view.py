"""The validation view: the schema editor, the schema differences of the two inputs, and the violations.

Long work (inferring a schema from the reference, validating the current table, exporting
the failure table) is requested through signals and run by the Data tab in its worker;
loading and saving a schema file are quick and happen here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget,
                               QPushButton, QSplitter, QStyledItemDelegate, QVBoxLayout, QWidget)

from core.errors import PreflightError
from core.validation.schema import TYPES, Schema, load_schema, save_schema
from ui.validation.schema_model import ExamplesModel, SchemaModel, ViolationsModel, edited_schema
from ui.common.table_models import table_view

SCHEMA_FILTER = "Schemas (*.json *.yaml *.yml);;All files (*)"
ERROR_STYLE = "color:#cf222e"
HINT_STYLE = "color:#57606a"
WARN_STYLE = "color:#9a6700"


class TypeDelegate(QStyledItemDelegate):
    def createEditor(self, parent, option, index):
        combo = QComboBox(parent)
        combo.addItems(["", *TYPES])
        return combo

    def setEditorData(self, editor, index):
        editor.setCurrentText(index.data(Qt.EditRole) or "")

    def setModelData(self, editor, model, index):
        model.setData(index, editor.currentText(), Qt.EditRole)



ENGINE_NAMES = {"memory": "in memory (pandas)", "duckdb": "DuckDB, out of core"}


def engine_text(engine: dict) -> str:
    """Which validation engine ran and why, for the verdict line."""
    name = ENGINE_NAMES.get(engine.get("name"), str(engine.get("name")))
    reason = engine.get("reason")
    return f"Engine: {name}" + (f" ({reason})" if reason else "")


def _title(text: str) -> QLabel:
    return QLabel(f"<b>{text}</b>")


def diff_lines(diff: dict | None) -> list[str]:
    """A schema_diff dict as short lines for people."""
    if not diff:
        return []
    out = []
    if diff.get("added_columns"):
        out.append("new columns: " + ", ".join(diff["added_columns"]))
    if diff.get("removed_columns"):
        out.append("missing columns: " + ", ".join(diff["removed_columns"]))
    for t in diff.get("type_changes", []):
        out.append(f"{t['column']}: type {t['reference']} → {t['current']}")
    for col, values in diff.get("new_categories", {}).items():
        shown = ", ".join(map(str, values[:5])) + (", ..." if len(values) > 5 else "")
        out.append(f"{col}: {len(values)} new categor{'y' if len(values) == 1 else 'ies'} ({shown})")
    for m in diff.get("missing_rate_changes", []):
        out.append(f"{m['column']}: missing {100 * m['reference']:.1f}% → {100 * m['current']:.1f}%")
    return out or ["no differences"]


class ValidationView(QWidget):
    infer_requested = Signal()
    validate_requested = Signal()
    export_requested = Signal(str)
    schema_changed = Signal(object)  # a Schema, after an edit, a load or an inference
    schema_loaded = Signal()  # the user loaded a schema file (for the files chosen now)
    use_anyway_requested = Signal()  # validate the chosen current file with this schema although it was not made for it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.schema = Schema()
        self.schema_origin = ""  # "inferred", "loaded", "stored" (edits keep the origin)
        self.result: dict | None = None
        self.shown_run_id: int | None = None  # the stored run whose violations are shown
        self.infer_button = QPushButton("Infer from reference")
        self.infer_button.clicked.connect(self.infer_requested)
        self.load_button = QPushButton("Load schema...")
        self.load_button.clicked.connect(lambda: self.load_schema_file())
        self.save_button = QPushButton("Save schema...")
        self.save_button.clicked.connect(lambda: self.save_schema_file())
        self.validate_button = QPushButton("Validate current")
        self.validate_button.setDefault(True)
        self.validate_button.clicked.connect(self.validate_requested)
        self.export_button = QPushButton("Export failures...")
        self.export_button.clicked.connect(lambda: self.export_failures())
        self.export_button.setEnabled(False)
        self.schema_status = QLabel("No schema yet: infer one from the reference or load a schema file.")
        self.schema_status.setStyleSheet(HINT_STYLE)
        self.schema_error = QLabel("")
        self.schema_error.setObjectName("schemaError")
        self.schema_error.setWordWrap(True)
        self.schema_error.setStyleSheet(ERROR_STYLE)
        self.schema_error.setVisible(False)
        self.scope_note = QLabel("")
        self.scope_note.setObjectName("schemaScope")
        self.scope_note.setWordWrap(True)
        self.scope_note.setStyleSheet(WARN_STYLE)
        self.use_anyway_button = QPushButton("Use it for this file")
        self.use_anyway_button.setToolTip("Validate the chosen current file with this schema anyway")
        self.use_anyway_button.clicked.connect(self.use_anyway_requested)
        scope_row = QHBoxLayout()
        scope_row.setContentsMargins(0, 0, 0, 0)
        scope_row.addWidget(self.scope_note, 1)
        scope_row.addWidget(self.use_anyway_button, 0, Qt.AlignTop)
        self.scope_box = QWidget()
        self.scope_box.setLayout(scope_row)
        self.scope_box.setVisible(False)

        self.schema_model = SchemaModel(self)
        self.schema_model.edit_handler = self.edit_rule
        self.schema_view = table_view(self.schema_model, (150, 80, 70, 70, 95, 55, 140), editable=True)
        self.schema_view.setItemDelegateForColumn(1, TypeDelegate(self.schema_view))
        self.schema_view.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
                                         | QAbstractItemView.SelectedClicked)
        self.diff_title = _title("Schema differences, reference → current")
        self.diff_list = QListWidget()
        self.diff_list.setMaximumHeight(120)

        self.verdict = QLabel("")
        self.verdict.setObjectName("validationVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.RichText)
        self.violations_model = ViolationsModel(self)
        self.violations_view = table_view(self.violations_model, (120, 115, 70, 70, 75), editable=True)
        self.violations_view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.violations_view.selectionModel().currentRowChanged.connect(lambda cur, _p: self._show_examples(cur))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.PlainText)  # violation messages carry column names: never markup
        self.examples_model = ExamplesModel(self)
        self.examples_view = table_view(self.examples_model, (80,), editable=True)
        self.examples_view.setEditTriggers(QAbstractItemView.NoEditTriggers)

        buttons = QHBoxLayout()
        for b in (self.infer_button, self.load_button, self.save_button):
            buttons.addWidget(b)
        buttons.addSpacing(16)
        buttons.addWidget(self.validate_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(3)
        ll.addWidget(_title("Schema"))
        ll.addWidget(self.schema_status)
        ll.addWidget(self.schema_error)
        ll.addWidget(self.scope_box)
        ll.addWidget(self.schema_view, 1)
        ll.addWidget(self.diff_title)
        ll.addWidget(self.diff_list)
        right = QSplitter(Qt.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(3)
        tl.addWidget(_title("Violations"))
        tl.addWidget(self.verdict)
        tl.addWidget(self.violations_view, 1)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(3)
        bl.addWidget(_title("Example rows of the selected violation"))
        bl.addWidget(self.message)
        bl.addWidget(self.examples_view, 1)
        right.addWidget(top)
        right.addWidget(bottom)
        right.setSizes([330, 220])
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([760, 560])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(split, 1)
        self.show_diff(None)

    # ---------------------------------------------------------------- schema
    def set_schema(self, schema: Schema | None, status: str = "", *, emit: bool = False, origin: str = "") -> None:
        """Show ``schema``; ``origin`` ("inferred", "loaded", "stored") says where it came from (kept on edits)."""
        self.schema = schema or Schema()
        if origin or schema is None:
            self.schema_origin = origin if schema is not None else ""
        self.schema_model.set_schema(self.schema)
        self.schema_error.setVisible(False)
        n = len(self.schema.columns)
        self.schema_status.setText(status or (f"{n} column rule{'s' if n != 1 else ''}" if n else
                                   "No schema yet: infer one from the reference or load a schema file."))
        if emit:
            self.schema_changed.emit(self.schema)

    def show_schema_error(self, message: str) -> None:
        self.schema_error.setText(message)
        self.schema_error.setVisible(True)

    def edit_rule(self, name: str, key: str, value) -> bool:
        try:
            schema = edited_schema(self.schema, name, key, value)
        except PreflightError as exc:
            self.show_schema_error(str(exc))
            return False
        if schema == self.schema:
            return False
        self.set_schema(schema, f"{len(schema.columns)} column rules · edited", emit=True)
        return True

    def load_schema_file(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Load schema", "", SCHEMA_FILTER)
            if not path:
                return False
        try:
            schema = load_schema(path)
        except PreflightError as exc:
            self.show_schema_error(str(exc))
            return False
        self.set_schema(schema, f"{len(schema.columns)} column rules · loaded from {path}", emit=True,
                        origin="loaded")
        self.schema_loaded.emit()
        return True

    def save_schema_file(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Save schema", "schema.yaml", SCHEMA_FILTER)
            if not path:
                return False
        try:
            save_schema(self.schema, path)
        except PreflightError as exc:
            self.show_schema_error(str(exc))
            return False
        self.schema_status.setText(f"{len(self.schema.columns)} column rules · saved to {path}")
        return True

    def show_scope(self, reason: str) -> None:
        """Say why the schema may not validate the chosen current file ("" hides the note)."""
        self.scope_note.setText(reason)
        self.scope_box.setVisible(bool(reason))
        self.use_anyway_button.setVisible(bool(reason) and not reason.startswith("Reading"))

    def show_diff(self, diff: dict | None, note: str = "") -> None:
        self.diff_list.clear()
        lines = diff_lines(diff)
        self.diff_list.addItems(lines or ["load both files to compare their columns"])
        self.diff_title.setText("<b>Schema differences, reference → current</b>"
                                + (f" <span style='color:#57606a'>({note})</span>" if note else ""))

    # ------------------------------------------------------------ violations
    def show_result(self, result: dict | None, origin: str = "", run_id: int | None = None) -> None:
        """Show a validation result dict ({"passed", "rows", "violations", ...}) of stored run ``run_id``;
        None clears."""
        self.result = result
        self.shown_run_id = run_id if result is not None else None
        violations = (result or {}).get("violations", [])
        self.violations_model.set_violations(violations)
        self.examples_model.set_examples([])
        self.message.setText("")
        self.export_button.setEnabled(self.shown_run_id is not None and bool(violations))
        if result is None:
            self.verdict.setText(origin)
        elif result.get("passed"):
            self.verdict.setText(f"<b style='color:#1a7f37'>PASSED</b>: {result['rows']:,} rows, no violation"
                                 + (f" · {origin}" if origin else ""))
        else:
            crit = sum(1 for v in violations if v["severity"] == "critical")
            self.verdict.setText(f"<b style='color:#cf222e'>FAILED</b>: {len(violations)} violation"
                                 f"{'s' if len(violations) != 1 else ''} ({crit} critical) in {result['rows']:,} rows"
                                 + (f" · {origin}" if origin else ""))
        engine = (result or {}).get("engine")
        if isinstance(engine, dict) and engine.get("name"):
            self.verdict.setText(self.verdict.text() + "<br>" + html.escape(engine_text(engine)))
        if result is not None and result.get("schema_diff") is not None:
            self.show_diff(result["schema_diff"], "stored with the run")
        if violations:
            self.violations_view.selectRow(0)

    def _show_examples(self, index) -> None:
        if not index.isValid():
            return
        v = self.violations_model.violations[index.row()]
        self.message.setText(v.get("message", ""))
        self.examples_model.set_examples(v.get("examples", []))

    def export_failures(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getSaveFileName(self, "Export failing rows", "failures.csv", "CSV (*.csv)")
            if not path:
                return
        self.export_requested.emit(path)

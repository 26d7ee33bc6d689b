"""Data tab: reference and current data files, drift, validation against a schema, and the stored runs.

The parts are separate widgets: the inputs (ui/data/inputs.py), the drift results
(ui/drift/view.py), the validation view (ui/validation/view.py) and the run history
(ui/data/run_history.py).  This module wires them to the assessment and runs every long
task (previews, drift, schema inference, validation, export) one at a time in the
worker with the tab's own progress bar and Cancel button.  Finished runs are stored
on the UI thread (a quick write) and announced with ``context.notify("runs")``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from core.drift.run import DriftSettings, record_drift, run_drift
from core.validation.run import record_validation, run_validation
from core.errors import PreflightError
from core.validation.schema import Schema
from ui.data import tasks as data_tasks
from ui.data.inputs import FileBox, InputsPanel
from ui.data.options import DriftOptions
from ui.common.dialogs import show_error
from ui.drift.view import DriftView
from ui.data.run_history import RunHistory
from ui.common.task_queue import TaskQueue
from ui.validation.view import ValidationView
from ui.common.worker import TaskBar

SCHEMA_NAME = "default"
ERROR_STYLE = "color:#cf222e;font-weight:bold"


class DataTab(QWidget):
    title = "Data"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.tables: dict[str, object] = {"reference": None, "current": None}  # previews (LoadedTable)
        self.more_rows = {"reference": False, "current": False}  # the file is longer than its preview
        self.last_validation: tuple[int, object] | None = None  # (run id, ValidationRun) kept for export
        self.last_error = ""

        self.ref_box = FileBox("Reference data")
        self.cur_box = FileBox("Current data")
        self.ref_box.path_chosen.connect(lambda p: self.load_preview("reference", p))
        self.cur_box.path_chosen.connect(lambda p: self.load_preview("current", p))
        self.options = DriftOptions()
        self.options.run_button.clicked.connect(self.run_drift)
        self.error_label = QLabel("")
        self.error_label.setObjectName("dataError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)

        self.inputs = InputsPanel()
        self.drift_view = DriftView()
        self.validation = ValidationView()
        self.history = RunHistory(context)
        self.sub_tabs = QTabWidget()
        self.sub_tabs.setDocumentMode(True)
        for widget, label in ((self.inputs, "Preview && kinds"), (self.drift_view, "Drift"),
                              (self.validation, "Validation"), (self.history, "Runs")):
            self.sub_tabs.addTab(widget, label)
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)

        top = QWidget()
        tl = QHBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.ref_box, 3)
        tl.addWidget(self.cur_box, 3)
        tl.addWidget(self.options, 4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(top)
        lay.addWidget(self.error_label)
        lay.addWidget(self.sub_tabs, 1)
        lay.addWidget(self.task_bar)

        self.validation.infer_requested.connect(self.infer_schema)
        self.validation.validate_requested.connect(self.validate_current)
        self.validation.export_requested.connect(self.export_failures)
        self.validation.schema_changed.connect(self._save_schema)
        self.history.run_selected.connect(self.show_run)
        self.history.show_requested.connect(lambda run_id: self.show_run(run_id, switch=True))
        context.opened.connect(self._on_opened)
        context.runs_changed.connect(self.history.refresh)
        if context.store is not None:
            self._on_opened()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.last_validation = None
        self.drift_view.show_result(None)
        self.validation.show_result(None)
        stored = self.context.store.schemas().get(SCHEMA_NAME)
        try:
            schema = Schema.from_dict(stored, source="stored schema") if stored else None
        except PreflightError as exc:
            schema = None
            self.validation.show_schema_error(str(exc))
        self.validation.set_schema(schema, f"{len(schema.columns)} column rules · stored in the assessment"
                                   if schema is not None else "")
        self.history.reset()
        self._show_latest_runs()

    def _show_latest_runs(self) -> None:
        """Show the newest stored drift and validation results, and their input files when still on disk."""
        store = self.context.store
        latest = {}
        for run in store.runs(with_result=False):
            if run["kind"] in ("drift", "validation"):
                latest[run["kind"]] = run
        for kind in ("validation", "drift"):
            if kind in latest:
                self.show_run(latest[kind]["id"], switch=True)
        drift = latest.get("drift")
        if drift:
            paths = {i.get("role"): i.get("path") for i in drift.get("inputs") or []}
            ref, cur = paths.get("reference"), paths.get("current")
            if ref and cur and Path(ref).is_file() and Path(cur).is_file():
                self.set_paths(ref, cur)

    def set_paths(self, reference: str | None = None, current: str | None = None) -> None:
        """Choose the input files (as a drop or the Browse... dialog would) and preview them."""
        if reference:
            self.ref_box.set_path(str(reference))
        if current:
            self.cur_box.set_path(str(current))

    @property
    def reference_path(self) -> str:
        return self.ref_box.path

    @property
    def current_path(self) -> str:
        return self.cur_box.path

    def _update_buttons(self) -> None:
        busy = self.busy
        both = bool(self.reference_path and self.current_path)
        self.options.run_button.setEnabled(both and not busy)
        self.validation.infer_button.setEnabled(bool(self.reference_path) and not busy)
        self.validation.validate_button.setEnabled(bool(self.current_path) and bool(self.validation.schema.columns)
                                                   and not busy)

    def show_error(self, title: str, message: str) -> None:
        """The error in the tab's red label and in a message box."""
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ tasks
    def run_task(self, label: str, fn, *args, **kwargs) -> None:
        """Queue a worker task (see TaskQueue.run)."""
        self.tasks.run(label, fn, *args, **kwargs)

    @property
    def busy(self) -> bool:
        """A task of this tab is running or waiting."""
        return self.tasks.busy

    def shutdown(self) -> None:
        """Stop the running task before the window closes the assessment."""
        self.tasks.shutdown()

    # --------------------------------------------------------------- previews
    def load_preview(self, role: str, path: str) -> None:
        box = self.ref_box if role == "reference" else self.cur_box
        self.error_label.setVisible(False)
        box.set_info("reading...")
        self.tables[role] = None
        self.validation.show_diff(None)
        self.run_task(f"Reading {Path(path).name}", data_tasks.preview_input, path,
                      on_result=lambda r: self._preview_done(role, path, *r),
                      on_error=lambda m: self._preview_failed(role, path, m),
                      error_title=f"Cannot read the {role} file", replace=f"preview:{role}")
        self._update_buttons()

    def _preview_done(self, role: str, path: str, table, more: bool) -> None:
        box = self.ref_box if role == "reference" else self.cur_box
        if box.path != path:
            return  # another file was chosen meanwhile
        self.tables[role] = table
        self.inputs.show_table(role, table)
        self.more_rows[role] = more
        box.set_info(data_tasks.describe_preview(table, more))
        ref, cur = self.tables["reference"], self.tables["current"]
        if ref is not None and cur is not None:
            self.run_task("Comparing the columns", data_tasks.compare_inputs, ref, cur,
                          on_result=lambda diff: self._diff_done(ref, cur, diff),
                          error_title="Cannot compare the columns", replace="diff")

    def _diff_done(self, ref, cur, diff: dict) -> None:
        if self.tables["reference"] is ref and self.tables["current"] is cur:
            big = self.more_rows["reference"] or self.more_rows["current"]
            self.validation.show_diff(diff, f"first {data_tasks.PREVIEW_ROWS:,} rows of each file" if big else "")

    def _preview_failed(self, role: str, path: str, message: str) -> None:
        box = self.ref_box if role == "reference" else self.cur_box
        if box.path == path:
            box.set_info("cannot be read: see the message above", error=True)
            self.inputs.show_table(role, None)

    # ------------------------------------------------------------------ drift
    def drift_settings(self) -> DriftSettings:
        return self.options.settings(self.inputs.overrides())

    def run_drift(self) -> None:
        self.error_label.setVisible(False)
        if not (self.reference_path and self.current_path):
            self.show_error("Cannot run drift", "choose both the reference and the current data file")
            return
        try:
            settings = self.drift_settings()
        except PreflightError as exc:
            self.show_error("Cannot run drift", str(exc))
            return
        self.run_task("Computing drift", run_drift, self.reference_path, self.current_path, settings,
                      on_result=self._drift_done, error_title="Drift failed")

    def _drift_done(self, run) -> None:
        store = self.context.store
        run_id = record_drift(store, run)
        self.context.notify("runs")
        self.drift_view.show_result(run.result, f"stored as run #{run_id}")
        self.history.select_run_quietly(run_id)
        self.sub_tabs.setCurrentWidget(self.drift_view)
        self.context.status_message.emit(f"Drift run #{run_id} stored")

    # ------------------------------------------------------------- validation
    def _present_overrides(self, role: str) -> dict:
        table = self.tables.get(role)
        names = set(table.kinds) if table is not None else set()
        return {k: v for k, v in self.inputs.overrides().items() if k in names}

    def infer_schema(self) -> None:
        self.error_label.setVisible(False)
        if not self.reference_path:
            self.show_error("Cannot infer a schema", "choose the reference data file first")
            return
        path = self.reference_path
        self.run_task(f"Inferring a schema from {Path(path).name}", data_tasks.infer_from, path,
                      self._present_overrides("reference"),
                      on_result=lambda s: self.validation.set_schema(
                          s, f"{len(s.columns)} column rules · inferred from {Path(path).name}", emit=True),
                      error_title="Cannot infer a schema")

    def _save_schema(self, schema: Schema) -> None:
        if self.context.store is not None:
            self.context.store.save_schema(SCHEMA_NAME, schema.to_dict())
            self.context.notify()
        self._update_buttons()

    def validate_current(self) -> None:
        self.error_label.setVisible(False)
        schema = self.validation.schema
        if not self.current_path or not schema.columns:
            self.show_error("Cannot validate", "choose the current data file and infer or load a schema first")
            return
        self.run_task(f"Validating {Path(self.current_path).name}", run_validation, self.current_path,
                      schema=schema, kind_overrides=self._present_overrides("current") or None,
                      schema_source=f"assessment schema '{SCHEMA_NAME}'",
                      on_result=self._validation_done, error_title="Validation failed")

    def _validation_done(self, run) -> None:
        run_id = record_validation(self.context.store, run)
        self.last_validation = (run_id, run)
        self.context.notify("runs")
        self.validation.show_result(run.result, f"stored as run #{run_id}", run_id)
        self.history.select_run_quietly(run_id)
        self.sub_tabs.setCurrentWidget(self.validation)
        self.context.status_message.emit(f"Validation run #{run_id} stored")

    def export_failures(self, path: str) -> None:
        self.error_label.setVisible(False)
        shown = self.validation.shown_run_id
        if self.last_validation is not None and self.last_validation[0] == shown:
            run = self.last_validation[1]
            self.run_task("Exporting failing rows", data_tasks.export_run, run, path,
                          on_result=lambda n: self._exported(n, path), error_title="Cannot export failures")
        elif shown is not None:
            stored = self.context.store.run(shown)
            self.run_task("Exporting failing rows", data_tasks.export_stored, stored, path,
                          on_result=lambda n: self._exported(n, path), error_title="Cannot export failures")

    def _exported(self, rows: int, path: str) -> None:
        self.context.status_message.emit(f"Wrote {rows:,} failing rows to {path}")

    # ---------------------------------------------------------------- history
    def show_run(self, run_id: int, switch: bool = False) -> None:
        """Show a stored run's result in its view (and bring that view forward when ``switch``)."""
        try:
            run = self.context.store.run(run_id)
        except PreflightError as exc:
            self.show_error("Cannot show the run", str(exc))
            return
        origin = f"stored run #{run_id}, {(run.get('finished_utc') or '')[:19].replace('T', ' ')} UTC"
        if run["kind"] == "drift":
            self.drift_view.show_result(run["result"], origin)
            view = self.drift_view
        else:
            self.validation.show_result(run["result"], origin, run_id)
            view = self.validation
        if switch:
            self.sub_tabs.setCurrentWidget(view)

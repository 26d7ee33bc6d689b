"""Data tab: reference and current data files, drift, validation against a schema, and the stored runs.

The parts are separate widgets: the inputs (ui/data/inputs.py), the drift results
(ui/drift/view.py), the validation view (ui/validation/view.py) and the run history
(ui/data/run_history.py); the validation actions live in ui/data/validation_actions.py.
Results on screen always belong to the chosen files: choosing another file clears the
results of the old ones (they stay under Runs).  A file that cannot be read says so once,
under its path.  This module wires them to the assessment and runs every long
task (previews, drift, schema inference, validation, export) one at a time in the
worker with the tab's own progress bar and Cancel button.  Finished runs are stored
on the UI thread (a quick write) and announced with ``context.notify("runs")``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QVBoxLayout, QWidget

from core.drift.run import DriftSettings, record_drift, run_drift
from core.errors import PreflightError
from core.validation.schema import Schema
from ui.common.tasks import TaskBar, TaskQueue
from ui.data import tasks as data_tasks
from ui.data.inputs import FileBox, InputsPanel
from ui.data.options import DriftOptions
from ui.data.profile_actions import ProfileActions
from ui.data.profile_reference import ProfileReference
from ui.data.run_history import RunHistory
from ui.data.schema_scope import SchemaScope, file_name, same_file
from ui.data.validation_actions import SCHEMA_NAME, ValidationActions
from ui.drift.view import DriftView
from ui.validation.view import ValidationView
from ui.common.dialogs import message_label

ERROR_STYLE = "color:#cf222e;font-weight:bold"


class DataTab(ProfileActions, ProfileReference, ValidationActions, QWidget):
    title = "Data"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.tables: dict[str, object] = {"reference": None, "current": None}  # previews (LoadedTable)
        self.more_rows = {"reference": False, "current": False}  # the file is longer than its preview
        self.row_counts: dict[str, int | None] = {"reference": None, "current": None}  # exact, once known
        self.unreadable = {"reference": "", "current": ""}  # why the chosen file cannot be read
        self.last_validation: tuple[int, object] | None = None  # (run id, ValidationRun) kept for export
        self.last_error = ""
        self.scope = SchemaScope()
        # the input files of the results on screen: drift (reference, current), validation (data file)
        self.shown_drift_files: tuple[str, str] | None = None
        self.shown_validation_file: str | None = None

        self.ref_box = FileBox("Reference data")
        self.cur_box = FileBox("Current data")
        self.ref_box.path_chosen.connect(lambda p: self.load_preview("reference", p))
        self.cur_box.path_chosen.connect(lambda p: self.load_preview("current", p))
        self.options = DriftOptions()
        self.options.run_button.clicked.connect(self.run_drift)
        self.error_label = message_label("dataError", ERROR_STYLE)  # one line, shown where the tab is
        self.setup_profile_actions()

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
        lay.addWidget(self.profile_note)
        lay.addWidget(self.sub_tabs, 1)
        lay.addWidget(self.task_bar)

        self.validation.infer_requested.connect(self.infer_schema)
        self.validation.validate_requested.connect(self.validate_current)
        self.validation.export_requested.connect(self.export_failures)
        self.validation.schema_changed.connect(self._save_schema)
        self.validation.use_anyway_requested.connect(self._use_schema_anyway)
        self.validation.schema_loaded.connect(self._schema_loaded)
        self.history.run_selected.connect(self.show_run)
        self.history.show_requested.connect(lambda run_id: self.show_run(run_id, switch=True))
        context.opened.connect(self._on_opened)
        context.meta_changed.connect(self._meta_changed)
        context.runs_changed.connect(self.history.refresh)
        if context.store is not None:
            self._on_opened()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.last_validation = None
        self._show_drift(None)
        self._show_validation(None)
        self._meta_changed()
        stored = self.context.store.schemas().get(SCHEMA_NAME)
        try:
            schema = Schema.from_dict(stored, source="stored schema") if stored else None
        except PreflightError as exc:
            schema = None
            self.validation.show_schema_error(str(exc))
        self.validation.set_schema(schema, f"{len(schema.columns)} column rules · stored in the assessment"
                                   if schema is not None else "", origin="stored")
        self.scope = SchemaScope(origin="stored" if schema is not None else "")
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

    def _meta_changed(self) -> None:
        """The assessment's dataset drift share is the default of the Drift share box."""
        if self.context.store is not None:
            self.options.set_default_share(self.context.store.meta().get("drift_share_threshold"))

    def set_paths(self, reference: str | None = None, current: str | None = None) -> None:
        """Choose the input files (as a drop or the Browse... dialog would) and preview them."""
        chosen = [(role, box, str(path)) for role, box, path in (("reference", self.ref_box, reference),
                                                                   ("current", self.cur_box, current)) if path]
        for _role, box, path in chosen:  # both paths first, so neither preview sees a half-chosen pair
            box.set_path(path, emit=False)
        for role, _box, path in chosen:
            self.load_preview(role, path)

    @property
    def reference_path(self) -> str:
        return self.ref_box.path

    @property
    def current_path(self) -> str:
        return self.cur_box.path

    def _update_buttons(self) -> None:
        busy = self.busy
        ref_ok = bool(self.reference_path) and not self.unreadable["reference"]
        cur_ok = bool(self.current_path) and not self.unreadable["current"]
        self.options.run_button.setEnabled(ref_ok and cur_ok and not busy)
        self.options.run_button.setToolTip("" if ref_ok and cur_ok else
                                           "Choose a readable reference and current data file first")
        self.validation.infer_button.setEnabled(ref_ok and self.ref_profile is None and not busy)
        fits, why = self.schema_verdict()
        self.validation.show_scope(why if cur_ok else "")
        self.validation.validate_button.setEnabled(cur_ok and fits and not busy)

    def show_error(self, title: str, message: str) -> None:
        """A failure, shown once: in the red line under the file boxes and options, where the user just acted."""
        self.last_error = message
        self.profile_note.setVisible(False)
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)

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
    def _box(self, role: str) -> FileBox:
        return self.ref_box if role == "reference" else self.cur_box

    def load_preview(self, role: str, path: str) -> None:
        box = self._box(role)
        self.error_label.setVisible(False)
        self.profile_note.setVisible(False)
        box.set_info("reading...")
        self.tables[role] = None
        self.row_counts[role] = None
        self.unreadable[role] = ""
        self.validation.show_diff(None)
        self._clear_stale_results()
        if role == "reference" and self.load_profile(path):  # a reference profile file, not a table
            return
        self.run_task(f"Reading {Path(path).name}", data_tasks.preview_input, path,
                      on_result=lambda r: self._preview_done(role, path, *r),
                      error_title=f"Cannot read the {role} file", replace=f"preview:{role}")
        self._update_buttons()

    def _clear_stale_results(self) -> None:
        """Results on screen that belong to other files than the chosen ones are cleared (they stay under Runs)."""
        if self.shown_drift_files is not None and not (same_file(self.shown_drift_files[0], self.reference_path)
                                                       and same_file(self.shown_drift_files[1], self.current_path)):
            self._show_drift(None, "New files chosen: press Run drift to compare them. "
                                   "Earlier results are kept under Runs.")
        if self.shown_validation_file is not None and not same_file(self.shown_validation_file, self.current_path):
            self._show_validation(None, f"The violations shown were for {file_name(self.shown_validation_file)}, "
                                        "not the current file chosen now: validate it, or find them under Runs.")

    def _show_drift(self, result: dict | None, origin: str = "", files: tuple[str, str] | None = None) -> None:
        self.shown_drift_files = files if result is not None else None
        if result is None:
            self.drift_view.show_result(None, origin)
        else:
            self.drift_view.show_result(result, origin)

    def _show_validation(self, result: dict | None, origin: str = "", run_id: int | None = None,
                         file: str | None = None) -> None:
        self.shown_validation_file = file if result is not None else None
        self.validation.show_result(result, origin, run_id)

    def _preview_done(self, role: str, path: str, table, more: bool, problem: str = "") -> None:
        box = self._box(role)
        if box.path != path:
            return  # another file was chosen meanwhile
        if problem:
            self._preview_failed(role, path, problem)
            return
        self.tables[role] = table
        self.inputs.show_table(role, table)
        self.more_rows[role] = more
        self.row_counts[role] = None if more else table.rows
        self._describe(role)
        if more:
            self.run_task(f"Counting the rows of {Path(path).name}", data_tasks.count_input, path,
                          on_result=lambda n: self._counted(role, path, n),
                          error_title=f"Cannot count the rows of {Path(path).name}", replace=f"count:{role}")
        self._update_buttons()
        ref, cur = self.tables["reference"], self.tables["current"]
        if ref is not None and cur is not None:
            self.run_task("Comparing the columns", data_tasks.compare_inputs, ref, cur,
                          on_result=lambda diff: self._diff_done(ref, cur, diff),
                          error_title="Cannot compare the columns", replace="diff")

    def _diff_done(self, ref, cur, diff: dict) -> None:
        if self.tables["reference"] is ref and self.tables["current"] is cur:
            big = self.more_rows["reference"] or self.more_rows["current"]
            self.validation.show_diff(diff, f"first {data_tasks.PREVIEW_ROWS:,} rows of each file" if big else "")

    def _describe(self, role: str) -> None:
        table = self.tables.get(role)
        if table is not None:
            self._box(role).set_info(data_tasks.describe_preview(table, self.row_counts[role]))

    def _counted(self, role: str, path: str, rows: int | None) -> None:
        if rows is not None:
            self.learn_rows(path, rows)
        elif self._box(role).path == path and self.row_counts[role] is None:
            table = self.tables.get(role)
            if table is not None:
                self._box(role).set_info(data_tasks.describe_preview(table, None).replace(
                    "(counting...)", "(exact count after a run reads it)"))

    def learn_rows(self, path: str, rows) -> None:
        """A task read ``path`` in full: show its exact row count in the box that holds it."""
        if not isinstance(rows, int):
            return
        for role in ("reference", "current"):
            if same_file(self._box(role).path, path):
                self.row_counts[role] = rows
                self._describe(role)

    def _preview_failed(self, role: str, path: str, message: str) -> None:
        """The reason a chosen file cannot be read, shown once: under its path, naming the file."""
        box = self._box(role)
        if box.path != path:
            return
        name = file_name(path)
        text = message.replace(str(path), name)
        if name not in text:
            text = f"{name}: {text}"
        self.unreadable[role] = text
        box.set_info(f"Cannot read {text}" if text.startswith(name) else f"Cannot read this file: {text}",
                     error=True)
        self.inputs.show_table(role, None)
        self._update_buttons()

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
        if self.ref_profile is not None:
            self.run_drift_on_profile(settings)
            return
        self.run_task("Computing drift", run_drift, self.reference_path, self.current_path, settings,
                      on_result=self._drift_done, error_title="Drift failed")

    def _drift_done(self, run) -> None:
        store = self.context.store
        run_id = record_drift(store, run)
        self.context.notify("runs")
        self._show_drift(run.result, f"stored as run #{run_id}", self._run_files(run.inputs))
        for side in ("reference", "current"):
            info = run.result.get(side) or {}
            self.learn_rows(info.get("path"), info.get("rows"))
        self.history.select_run_quietly(run_id)
        self.sub_tabs.setCurrentWidget(self.drift_view)
        self.context.status_message.emit(f"Drift run #{run_id} stored")

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
            self._show_drift(run["result"], origin, self._run_files(run.get("inputs")))
            view = self.drift_view
        else:
            self._show_validation(run["result"], origin, run_id, self._run_files(run.get("inputs"), ("data",))[0])
            view = self.validation
        if switch:
            self.sub_tabs.setCurrentWidget(view)

    @staticmethod
    def _run_files(inputs, roles=("reference", "current")) -> tuple:
        """The paths of a run's inputs in the order of ``roles`` (None when the run does not record one)."""
        paths = {i.get("role"): i.get("path") for i in inputs or ()}
        if "reference" in roles and "reference" not in paths:
            paths["reference"] = paths.get("reference_profile")
        return tuple(paths.get(r) for r in roles)

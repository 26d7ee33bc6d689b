"""The Data tab's validation actions: infer a schema, tie it to its files, validate, export failures.

A mixin of :class:`ui.data.tab.DataTab` (it uses the tab's inputs, task queue and views).  The
schema on screen validates only a current file it was chosen for (see ui/data/schema_scope.py).
"""

from __future__ import annotations

from pathlib import Path

from core.validation.run import record_validation, run_validation
from core.validation.schema import Schema
from ui.data import tasks as data_tasks
from ui.data.schema_scope import SchemaScope

SCHEMA_NAME = "default"


class ValidationActions:
    def schema_verdict(self) -> tuple[bool, str]:
        """(the schema may validate the chosen current file, why not)."""
        table = self.tables.get("current")
        columns = list(table.kinds) if table is not None else None
        return self.scope.verdict(list(self.validation.schema.columns), self.reference_path, self.current_path,
                                  columns)

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
                      on_result=lambda r: self._inferred(path, *r), error_title="Cannot infer a schema")

    def _inferred(self, path: str, schema: Schema, rows: int) -> None:
        self.scope = SchemaScope(origin="inferred", reference=path)
        self.validation.set_schema(schema, f"{len(schema.columns)} column rules · inferred from {Path(path).name}",
                                   emit=True, origin="inferred")
        self.learn_rows(path, rows)

    def _schema_loaded(self) -> None:
        """A schema file the user loaded is meant for the current file chosen now."""
        self.scope = SchemaScope(origin="loaded", accepted_for=self.current_path or None)
        self._update_buttons()

    def _use_schema_anyway(self) -> None:
        """The user chose the schema on screen for the chosen current file."""
        self.scope.accepted_for = self.current_path
        self._update_buttons()

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
        fits, why = self.schema_verdict()
        if not fits:
            self.show_error("Cannot validate", why)
            return
        self.run_task(f"Validating {Path(self.current_path).name}", run_validation, self.current_path,
                      schema=schema, kind_overrides=self._present_overrides("current") or None,
                      schema_source=f"assessment schema '{SCHEMA_NAME}'",
                      on_result=self._validation_done, error_title="Validation failed")

    def _validation_done(self, run) -> None:
        run_id = record_validation(self.context.store, run)
        self.last_validation = (run_id, run)
        self.context.notify("runs")
        data = self._run_files(run.inputs, ("data",))[0]
        self._show_validation(run.result, f"stored as run #{run_id}", run_id, data)
        self.learn_rows(data, run.result.get("rows"))
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

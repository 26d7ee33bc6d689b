"""A validation run: read the table, take or infer the schema, validate, record.

The CLI (``validate``) and the Data tab call :func:`run_validation`, then
:func:`record_validation` to store the run with its inputs' SHA-256 and the schema it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.canonical import utc_now
from core.data.tables import LoadedTable, read_table
from core.errors import PreflightError, check_cancel
from core.progress import scaled
from core.validation.infer import infer_schema, schema_diff
from core.validation.schema import Schema
from core.validation.validate import ValidationResult, validate, write_failures_csv


@dataclass(frozen=True)
class ValidationRun:
    result: dict                 # {"passed", "rows", "violations": [...]}
    schema: dict
    settings: dict
    inputs: tuple
    table: LoadedTable = field(repr=False, compare=False)
    schema_diff: dict | None
    started_utc: str
    finished_utc: str
    validation: ValidationResult | None = field(default=None, repr=False, compare=False)

    def write_failures(self, path) -> int:
        """The full failure table of this run as CSV, from the result in memory (no second validation)."""
        return write_failures_csv(self.table.df, Schema.from_dict(self.schema), self.validation, path,
                                  kinds=self.table.kinds)

    @property
    def summary(self) -> dict:
        v = self.result["violations"]
        return {"passed": self.result["passed"], "rows": self.result["rows"], "violations": len(v),
                "critical": sum(1 for x in v if x.get("severity") == "critical")}


def run_validation(data_path, *, schema: Schema | None = None, infer_from=None, kind_overrides: dict | None = None,
                   schema_source: str = "", progress=None, cancelled=None) -> ValidationRun:
    """Validate a table against a schema, or against one inferred from a reference table."""
    started = utc_now()
    if (schema is None) == (infer_from is None):
        raise PreflightError("give either a schema or a reference table to infer one from")
    inputs = []
    diff = None
    data = read_table(data_path, kind_overrides=kind_overrides or None, progress=scaled(progress, 0.0, 0.4),
                      cancelled=cancelled)
    if infer_from is not None:
        ref = read_table(infer_from, kind_overrides=kind_overrides or None, progress=scaled(progress, 0.4, 0.6),
                         cancelled=cancelled)
        schema = infer_schema(ref.df, ref.kinds)
        schema_source = f"inferred from {ref.path}"
        inputs.append(ref.input_record("reference"))
        diff = schema_diff(ref.df, data.df, ref.kinds, data.kinds)
    inputs.insert(0, data.input_record("data"))
    check_cancel(cancelled)
    result = validate(data.df, schema, kinds=data.kinds, progress=scaled(progress, 0.6, 1.0), cancelled=cancelled)
    out = result.to_dict()
    if data.warnings:
        out["warnings"] = list(data.warnings)
    return ValidationRun(result=out, schema=schema.to_dict(), settings={"schema_source": schema_source},
                         inputs=tuple(inputs), table=data, schema_diff=diff, started_utc=started,
                         finished_utc=utc_now(), validation=result)


def record_validation(store, run: ValidationRun) -> int:
    result = dict(run.result)
    result["schema"] = run.schema
    if run.schema_diff is not None:
        result["schema_diff"] = run.schema_diff
    return store.record_run("validation", run, result=result)

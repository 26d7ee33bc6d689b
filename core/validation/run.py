"""A validation run: read the table, take or infer the schema, validate, record.

The CLI (``validate``) and the Data tab call :func:`run_validation`, then
:func:`record_validation` to store the run with its inputs' SHA-256 and the schema it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.canonical import utc_now
from core.data.footprint import engine_by_size
from core.data.tables import LoadedTable, read_table
from core.errors import PreflightError, check_cancel
from core.progress import scaled
from core.validation.infer import infer_schema, schema_diff
from core.validation.schema import Schema
from core.validation.validate import ValidationResult, validate, write_failures_csv

ENGINES = ("auto", "memory", "duckdb")
#: measured (benchmarks/validation_engines.py): validating a loaded table takes about 5.5 times its
#: uncompressed size (853 MB for 148 MB of Parquet data, 3.9 GB for 739 MB)
FOOTPRINT_FACTOR = 5.5


@dataclass(frozen=True)
class ValidationRun:
    result: dict                 # {"passed", "rows", "violations": [...]}
    schema: dict
    settings: dict
    inputs: tuple
    table: LoadedTable | None = field(repr=False, compare=False)
    schema_diff: dict | None
    started_utc: str
    finished_utc: str
    validation: ValidationResult | None = field(default=None, repr=False, compare=False)
    ooc: object = field(default=None, repr=False, compare=False)  # the DuckDB run, for its failure table

    def write_failures(self, path) -> int:
        """The full failure table of this run as CSV (no second validation): from the result in memory,
        or streamed from DuckDB when the out-of-core engine ran."""
        if self.ooc is not None:
            return self.ooc.write_failures(path)
        return write_failures_csv(self.table.df, Schema.from_dict(self.schema), self.validation, path,
                                  kinds=self.table.kinds)

    @property
    def summary(self) -> dict:
        v = self.result["violations"]
        return {"passed": self.result["passed"], "rows": self.result["rows"], "violations": len(v),
                "critical": sum(1 for x in v if x.get("severity") == "critical")}


    def close(self) -> None:
        """Release the DuckDB connection of an out-of-core run (nothing to do for the in-memory one)."""
        if self.ooc is not None:
            self.ooc.close()


def auto_limit_bytes(memory_limit=None) -> int:
    """The memory an in-memory validation may take before ``auto`` picks DuckDB: the memory limit
    (by default half the RAM, at most 4 GB), as for drift."""
    from core.data import duckdb_source as dsrc

    return int(memory_limit or dsrc.default_memory_limit())


def choose_engine(engine: str, data_path, infer_from=None, memory_limit=None) -> tuple[str, str]:
    """(engine, reason): ``memory`` or ``duckdb`` for a run asked with ``engine``.

    ``auto`` keeps the in-memory engine unless the tables would not fit: their estimated footprint,
    :data:`FOOTPRINT_FACTOR` times their uncompressed data size, exceeds the memory limit.  A folder
    of Parquet files always goes to DuckDB (the in-memory reader takes single files)."""
    if engine not in ENGINES:
        raise PreflightError(f"unknown engine {engine!r} (use one of: {', '.join(ENGINES)})")
    if engine != "auto":
        return engine, f"--engine {engine} was asked for"
    paths = [data_path] + ([infer_from] if infer_from is not None else [])
    if any(Path(p).is_dir() for p in paths):
        return "duckdb", "auto: a table is a folder of Parquet files, which only the out-of-core engine reads"
    return engine_by_size(paths, FOOTPRINT_FACTOR, auto_limit_bytes(memory_limit))


def run_validation(data_path, *, schema: Schema | None = None, infer_from=None, kind_overrides: dict | None = None,
                   schema_source: str = "", progress=None, cancelled=None, engine: str = "auto",
                   memory_limit=None) -> ValidationRun:
    """Validate a table against a schema, or against one inferred from a reference table.

    ``engine``: ``memory`` (the whole table in pandas), ``duckdb`` (every check as a query, for
    tables larger than memory; CSV and Parquet only) or ``auto`` (DuckDB above a size limit).
    The result says which engine ran and why (``engine``: ``{"name", "reason"}``).
    """
    started = utc_now()
    if (schema is None) == (infer_from is None):
        raise PreflightError("give either a schema or a reference table to infer one from")
    name, reason = choose_engine(engine, data_path, infer_from, memory_limit)
    if name == "duckdb":
        return _run_duckdb(data_path, schema, infer_from, kind_overrides, schema_source, progress, cancelled,
                           memory_limit, started, reason)
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
    out["engine"] = {"name": "memory", "reason": reason}
    return ValidationRun(result=out, schema=schema.to_dict(), settings={"schema_source": schema_source},
                         inputs=tuple(inputs), table=data, schema_diff=diff, started_utc=started,
                         finished_utc=utc_now(), validation=result)


def _run_duckdb(data_path, schema, infer_from, kind_overrides, schema_source, progress, cancelled, memory_limit,
                started, reason) -> ValidationRun:
    from core.validation.ooc import validate_file
    from core.validation.ooc_inputs import input_record

    ooc = validate_file(data_path, schema, infer_from=infer_from, memory_limit=memory_limit,
                        kind_overrides=kind_overrides, progress=progress, cancelled=cancelled)
    out = ooc.result.to_dict()
    out["engine"] = {"name": "duckdb", "reason": reason}
    try:
        inputs = [input_record(data_path, ooc.result.rows, cancelled=cancelled)]
        if infer_from is not None:
            inputs.append(input_record(infer_from, ooc.reference.rows, "reference", cancelled=cancelled))
            schema_source = f"inferred from {ooc.reference.path}"
    except BaseException:
        ooc.close()
        raise
    return ValidationRun(result=out, schema=ooc.schema.to_dict(), settings={"schema_source": schema_source},
                         inputs=tuple(inputs), table=None, schema_diff=ooc.schema_diff, started_utc=started,
                         finished_utc=utc_now(), validation=ooc.result, ooc=ooc)


def record_validation(store, run: ValidationRun) -> int:
    result = dict(run.result)
    result["schema"] = run.schema
    if run.schema_diff is not None:
        result["schema_diff"] = run.schema_diff
    return store.record_run("validation", run, result=result)

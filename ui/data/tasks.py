"""The Data tab's worker tasks: small wrappers that call core with ``progress`` and ``cancelled``.

They run on a pool thread (see ui/common/worker.py), so they touch no widget.
"""

from __future__ import annotations

from dataclasses import replace

from core.data.tables import count_rows, preview, read_table
from core.errors import PreflightError, check_cancel
from core.validation.infer import infer_schema, schema_diff
from core.validation.schema import Schema
from core.validation.validate import write_failures_csv

PREVIEW_ROWS = 5000


def preview_input(path, *, progress=None, cancelled=None):
    """(LoadedTable of the first PREVIEW_ROWS rows of an input file, whether the file has more rows,
    "" or the reason the file cannot be read).  A file that cannot be read is a normal outcome here:
    the Data tab shows the reason next to the file, once."""
    try:
        table = preview(path, n=PREVIEW_ROWS + 1)
    except PreflightError as exc:
        return None, False, str(exc)
    more = table.rows > PREVIEW_ROWS
    if more:
        table = replace(table, df=table.df.head(PREVIEW_ROWS))
    if progress:
        progress(1.0)
    return table, more, ""


def count_input(path, *, progress=None, cancelled=None) -> int | None:
    """The exact number of data rows of an input file (None when core cannot count it without a full read)."""
    rows = count_rows(path, cancelled=cancelled)
    if progress:
        progress(1.0)
    return rows


def compare_inputs(reference, current, *, progress=None, cancelled=None) -> dict:
    """core.validation.infer.schema_diff of two previews (LoadedTable), reference -> current."""
    check_cancel(cancelled)
    return schema_diff(reference.df, current.df, reference.kinds, current.kinds)


def describe_preview(table, rows: int | None) -> str:
    """One line about an input file; ``rows`` is its exact row count, None while it is not known."""
    counted = f"{rows:,} rows" if rows is not None else f"more than {PREVIEW_ROWS:,} rows (counting...)"
    text = f"{table.format} · {table.df.shape[1]} columns · {counted} · {_size(table.size)}"
    if table.warnings:
        text += f" · {len(table.warnings)} warning(s) in the first rows"
    return text


def _size(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 104858 else f"{size / 1024:.1f} KB"


def infer_from(path, kind_overrides=None, *, progress=None, cancelled=None) -> tuple[Schema, int]:
    """Read the reference table and infer a schema from it: (schema, the table's row count)."""
    scaled = (lambda f: progress(0.8 * f)) if progress else None
    table = read_table(path, kind_overrides=kind_overrides or None, progress=scaled, cancelled=cancelled)
    later = (lambda f: progress(0.8 + 0.2 * f)) if progress else None
    return infer_schema(table.df, table.kinds, progress=later, cancelled=cancelled), table.rows


def export_run(run, path, *, progress=None, cancelled=None) -> int:
    """Write the failure table of a ValidationRun still in memory; returns the number of rows written."""
    check_cancel(cancelled)
    return run.write_failures(path)


def export_stored(run: dict, path, *, progress=None, cancelled=None) -> int:
    """Write the failure table of a stored validation run: re-read its data file (which must be
    unchanged: same SHA-256) and validate it again with the run's schema."""
    data = next((i for i in run.get("inputs") or [] if i.get("role") == "data"), None)
    schema = (run.get("result") or {}).get("schema")
    if data is None or schema is None:
        raise PreflightError(f"run {run['id']} does not record its data file and schema")
    scaled = (lambda f: progress(0.7 * f)) if progress else None
    table = read_table(data["path"], progress=scaled, cancelled=cancelled)
    if data.get("sha256") and table.sha256 != data["sha256"]:
        raise PreflightError(f"{data['path']}: the file has changed since run {run['id']} "
                             "(its SHA-256 differs), so its failing rows cannot be exported")
    check_cancel(cancelled)
    return write_failures_csv(table.df, Schema.from_dict(schema, source=f"run {run['id']}"), None, path,
                              kinds=table.kinds)

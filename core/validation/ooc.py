"""Validation on DuckDB, for tables larger than memory: every check of the schema runs as a query.

The file is copied once into a temporary DuckDB table (which spills to disk under the memory limit)
in file order, so ``rowid + 1`` is the 1-based data row number the in-memory engine reports.  Each
check is a ``count`` plus the first :data:`~core.validation.validate.MAX_EXAMPLES` failing rows;
the full failure table is streamed from DuckDB in batches (:meth:`OocValidation.write_failures`).
Counts, fractions, severities and messages follow :mod:`core.validation.checks`.

Known differences from the in-memory engine: dates written as text are read with the formats the
in-memory engine guesses from the same sample (up to five), but values in none of them are
mismatches (the in-memory engine also tries up to 2,000 such values one by one); ``pattern`` runs
on DuckDB's RE2, which rejects look-arounds and back-references (a clear error names the column) and
whose ``\\b`` is ASCII-only (``\\d``, ``\\w`` and ``\\s`` are rewritten to match Python's Unicode
classes, see :func:`core.validation.ooc_sql.re2_pattern`); the text of a non-whole float (for
``allowed``, ``pattern`` and length checks) is DuckDB's shortest rendering; the reader's warnings
(values read as missing, constant columns) are not repeated.
"""

from __future__ import annotations

import csv
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.data import duckdb_source as src
from core.errors import InputFileError, PreflightError
from core.validation import ooc_sql as q
from core.validation.checks import EPS, UNIQUE_THRESHOLD, _ARTICLE, _pct, _share_severity
from core.validation.column_values import text_of
from core.validation.schema import Schema
from core.validation.validate import MAX_EXAMPLES, ValidationResult, Violation, _cell, jsonable

TABLE = "preflight_validation_rows"
REF_TABLE = "preflight_validation_reference_rows"
DUP_TABLE = "preflight_validation_repeats"
_BATCH = 65536


def _value(v):
    if isinstance(v, _dt.date) and not isinstance(v, _dt.datetime):
        v = _dt.datetime(v.year, v.month, v.day)
    return jsonable(v)


@dataclass
class _Check:
    """A row-level check: the rows failing ``where``, shown with ``value`` (SQL)."""
    where: str
    value: str


@dataclass
class OocValidation:
    """A finished out-of-core validation; keeps its connection to stream the failure table."""
    result: ValidationResult
    conn: object = field(repr=False)
    checks: list = field(default_factory=list, repr=False)  # (violation, _Check | None)
    source: src.SourceView | None = None
    schema: Schema | None = None
    schema_diff: dict | None = None
    reference: src.SourceView | None = None

    def write_failures(self, path) -> int:
        path = Path(path)
        n = 0
        try:
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["column", "check", "severity", "row", "value"])
                for v, chk in self.checks:
                    if chk is None:
                        for e in v.examples or ({"row": None, "value": None},):
                            w.writerow([_cell(v.column), v.check, v.severity,
                                        "" if e["row"] is None else e["row"], _cell(e["value"])])
                            n += 1
                        continue
                    cur = self.conn.execute(f"SELECT rowid + 1, {chk.value} FROM {TABLE} WHERE {chk.where} "
                                            "ORDER BY rowid")
                    while True:
                        batch = cur.fetchmany(_BATCH)
                        if not batch:
                            break
                        for row, val in batch:
                            w.writerow([_cell(v.column), v.check, v.severity, row, _cell(_value(val))])
                        n += len(batch)
        except OSError as exc:
            raise InputFileError(path, f"cannot write the failure table: {exc}") from None
        return n

    def close(self):
        try:
            self.conn.close()
        except duckdb.Error:
            pass


class _Runner:
    def __init__(self, runner: src.Interruptible, rows: int):
        self.x, self.rows = runner, rows
        self.out: list = []

    def one(self, sql: str):
        return self.x.sql(sql)[0]

    def examples(self, where: str, value: str) -> tuple:
        got = self.x.sql(f"SELECT rowid + 1, {value} FROM {TABLE} WHERE {where} ORDER BY rowid LIMIT {MAX_EXAMPLES}")
        return tuple({"row": int(r), "value": _value(v)} for r, v in got)

    def add(self, column, check, severity, count, fraction, threshold, message, where=None, value="NULL"):
        chk = None if where is None else _Check(where, value)
        examples = () if chk is None else self.examples(where, value)
        self.out.append((Violation(column, check, severity, count, fraction, threshold, examples, message), chk))


def _column(r: _Runner, name: str, spec, dtype: str, kind: str | None) -> None:
    rows = r.rows
    c = q.quote(name)
    fam = q.family(dtype)
    m = q.missing_expr(c, fam, dtype)
    text_dates = spec.type == "datetime" and fam == "text"
    tz = text_dates and _has_offsets(r.x, TABLE, c)
    value, bad = q.typed(c, fam, spec.type, m, tz, _date_formats(r.x, c, m) if text_dates else None)
    valid = f"(NOT {m} AND NOT {bad})"
    n_bad, n_missing = r.one(f"SELECT count(*) FILTER (WHERE {bad}), count(*) FILTER (WHERE {m}) FROM {TABLE}")
    if n_bad:
        first = r.x.sql(f"SELECT {c} FROM {TABLE} WHERE {bad} ORDER BY rowid LIMIT 1")[0][0]
        seen = f" (the reader saw the column as {kind})" if kind else ""
        r.add(name, "type_mismatch", "critical", n_bad, n_bad / rows, 0.0,
              f"'{name}': {n_bad} of {rows} values are not {_ARTICLE.get(spec.type, spec.type)}"
              f"{seen}, e.g. {text_of(_value(first) if not isinstance(first, str) else first)!r}", bad, c)
    if spec.range is not None and value is not None:
        lo, hi = spec.range
        parts = []
        for bound, op in ((lo, "<"), (hi, ">")):
            if bound is None:
                continue
            if spec.type == "datetime":
                import pandas as pd
                ts = pd.Timestamp(bound)
                if ts.tzinfo is not None:
                    ts = ts.tz_convert("UTC").tz_localize(None)
                parts.append(f"{value} {op} TIMESTAMP {q.literal(ts.isoformat(sep=' '))}")
            else:
                parts.append(f"{value} {op} {float(bound)!r}")
        where = f"({valid} AND ({' OR '.join(parts)}))"
        count = r.one(f"SELECT count(*) FILTER (WHERE {where}) FROM {TABLE}")[0]
        frac = count / rows
        if frac > spec.max_out_of_range_fraction + EPS:
            r.add(name, "range", _share_severity(frac), count, frac, spec.max_out_of_range_fraction,
                  f"'{name}': {count} of {rows} rows ({_pct(frac)}) fall outside "
                  f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]; "
                  f"at most {_pct(spec.max_out_of_range_fraction)} may", where, c)
    if spec.max_missing_fraction is not None:
        frac = n_missing / rows
        if frac > spec.max_missing_fraction + EPS:
            r.add(name, "missing_values", _share_severity(frac), n_missing, frac, spec.max_missing_fraction,
                  f"'{name}' is missing in {n_missing} of {rows} rows ({_pct(frac)}); "
                  f"at most {_pct(spec.max_missing_fraction)} may be missing", m, "NULL")
    key = f"(CASE WHEN {m} THEN NULL ELSE {c} END)"
    if spec.unique:
        n_unique = r.one(f"SELECT count(DISTINCT {key}) FROM {TABLE}")[0]
        frac = n_unique / rows
        if frac < UNIQUE_THRESHOLD - EPS:
            clash = (f"(NOT {m} AND {key} IN (SELECT {key} FROM {TABLE} WHERE NOT {m} "
                     f"GROUP BY {key} HAVING count(*) > 1))")
            r.add(name, "uniqueness", "high", rows - n_unique, frac, UNIQUE_THRESHOLD,
                  f"'{name}' should be unique but has {n_unique} distinct values in {rows} rows "
                  f"({_pct(frac)}, at least {_pct(UNIQUE_THRESHOLD)} needed)", clash, c)
    text = q.text_expr(c, fam)
    rules = []
    if spec.allowed is not None:
        rules.append(("allowed_values", "high", _allowed_fail(spec, fam, c, m, value, valid, text),
                      "are not among the allowed values"))
    if spec.pattern is not None:
        rules.append(("pattern", "medium",
                      f"({valid} AND NOT coalesce(regexp_full_match({text}, {q.literal(q.re2_pattern(spec.pattern))}), false))",
                      f"do not match the pattern {spec.pattern!r}"))
    if spec.min_length is not None or spec.max_length is not None:
        parts = ([f"length({text}) < {int(spec.min_length)}"] if spec.min_length is not None else []) + \
                ([f"length({text}) > {int(spec.max_length)}"] if spec.max_length is not None else [])
        lo, hi = spec.min_length, spec.max_length
        limits = f"{lo if lo is not None else 0} to {hi if hi is not None else 'any'} characters"
        rules.append(("length", "medium", f"({valid} AND ({' OR '.join(parts)}))",
                      f"have a length outside {limits}"))
    if spec.monotonic is not None and value is not None:
        op = "<" if spec.monotonic == "increasing" else ">"
        word = "smaller" if spec.monotonic == "increasing" else "larger"
        inner = (f"SELECT rowid AS rid, {value} AS v, lag({value}) OVER (ORDER BY rowid) AS prev "
                 f"FROM {TABLE} WHERE {valid}")
        rules.append(("monotonic", "medium",
                      f"rowid IN (SELECT rid FROM ({inner}) WHERE v {op} prev)",
                      f"are {word} than the value before them (the column should be {spec.monotonic})"))
    for check, severity, where, what in rules:
        try:
            count = r.one(f"SELECT count(*) FILTER (WHERE {where}) FROM {TABLE}")[0]
        except duckdb.Error as exc:
            raise PreflightError(f"column '{name}': the {check} check cannot run as a query "
                                 f"({str(exc).splitlines()[0]})") from None
        if count:
            r.add(name, check, severity, count, count / rows, 0.0, f"'{name}': {count} of {rows} values {what}",
                  where, c)


def _allowed_fail(spec, fam, c, m, value, valid, text) -> str:
    allowed = spec.allowed
    numbers = []
    for a in allowed:
        if isinstance(a, bool):
            numbers = None
            break
        try:
            numbers.append(float(a))
        except (TypeError, ValueError):
            numbers = None
            break
    if spec.type == "boolean":
        from core.validation.column_values import FALSE_TOKENS, TRUE_TOKENS
        keys = [1.0 if str(a).strip().lower() in TRUE_TOKENS else 0.0 if str(a).strip().lower() in FALSE_TOKENS
                else None for a in allowed]
        keys = [k for k in keys if k is not None] or [float("nan")]
        return f"({valid} AND NOT coalesce({value} IN ({', '.join(repr(k) for k in keys)}), false))"
    if numbers is not None and (spec.type in ("numeric", "integer") or fam == "number"):
        if value is None:
            value, _ = q.typed(c, fam, "numeric", m)
        lits = ", ".join(f"CAST({q.literal(repr(x))} AS DOUBLE)" for x in numbers) or "NULL"
        return f"({valid} AND NOT coalesce({value} IN ({lits}), false))"
    keys = ", ".join(q.literal(text_of(a)) for a in allowed) or "NULL"
    return f"({valid} AND NOT coalesce({text} IN ({keys}), false))"


def _duplicates(r: _Runner, columns: list, types: dict, threshold: float) -> None:
    rows = r.rows
    keys = []
    for col in columns:
        c = q.quote(col)
        fam = q.family(types[col])
        keys.append(f"(CASE WHEN {q.missing_expr(c, fam, types[col])} THEN NULL ELSE {c} END)")
    part = ", ".join(keys)
    groups = r.one(f"SELECT count(*) FROM (SELECT DISTINCT {part} FROM {TABLE})")[0]
    count = rows - groups
    frac = count / rows
    if frac <= threshold + EPS:
        return
    # each repeat with the first row of its group, kept for the examples and the failure table
    r.x.sql(f"CREATE TEMP TABLE {DUP_TABLE} AS SELECT rid, first FROM (SELECT rowid AS rid, "
            f"min(rowid) OVER (PARTITION BY {part}) AS first FROM {TABLE}) WHERE rid > first")
    where = f"rowid IN (SELECT rid FROM {DUP_TABLE})"
    value = f"'same as row ' || CAST((SELECT first FROM {DUP_TABLE} WHERE rid = {TABLE}.rowid) + 1 AS VARCHAR)"
    r.add(None, "duplicate_rows", "medium", count, frac, threshold,
          f"{count} of {rows} rows ({100 * frac:.4g}%) repeat an earlier row; at most {100 * threshold:.4g}% may",
          where, value)


def _date_formats(x: src.Interruptible, c: str, m: str) -> list:
    """The date formats the in-memory engine guesses for a text column, from the same sample of
    up to 200 present values spread over the column (:func:`core.validation.column_values.to_datetimes`)."""
    import warnings

    import numpy as np
    import pandas as pd

    from core.validation.column_values import _FORMAT_SAMPLE, _date_formats

    n = x.sql(f"SELECT count(*) FILTER (WHERE NOT {m}) FROM {TABLE}")[0][0]
    if not n:
        return []
    at = np.unique(np.linspace(0, n - 1, num=min(_FORMAT_SAMPLE, n)).astype(int)).tolist()
    rows = x.sql(f"SELECT v FROM (SELECT {c} AS v, row_number() OVER (ORDER BY rowid) - 1 AS k FROM {TABLE} "
                 f"WHERE NOT {m}) WHERE k IN ({', '.join(map(str, at))}) ORDER BY k")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _date_formats(pd.Series([r[0] for r in rows], dtype=object)) or ["ISO8601"]


def _has_offsets(x: src.Interruptible, table: str, c: str) -> bool:
    return bool(x.sql(f"SELECT coalesce(bool_or(regexp_matches({c}, {q.literal(q.OFFSET_RE)})), false) "
                      f"FROM {table}")[0][0])


def _types(x: src.Interruptible, table: str) -> dict:
    return {r[0]: str(r[1]).upper() for r in x.sql(f"DESCRIBE {table}")}


def _select_list(x: src.Interruptible, view: src.SourceView) -> str:
    """The source's columns coerced to their kinds, as the in-memory reader does."""
    out = []
    for col in view.columns:
        c, dtype, kind = q.quote(col), view.types[col], view.kinds.get(col)
        whole = False
        if kind == "categorical" and dtype.upper() in q.FLOAT_TYPES:
            whole = bool(x.sql(f"SELECT coalesce(bool_and({c} = floor({c}) AND abs({c}) <= 9007199254740992.0), "
                               f"true) FROM {src.ident(view.view)} WHERE isfinite({c})")[0][0])
        tz = kind == "datetime" and q.family(dtype) == "text" and _has_offsets(x, src.ident(view.view), c)
        out.append(f"{q.coerced(c, dtype, kind, whole, tz)} AS {c}")
    return ", ".join(out)


def _load(x: src.Interruptible, view: src.SourceView, table: str) -> None:
    """Copy the registered file into ``table`` in file order, columns coerced to their kinds."""
    try:
        x.sql(f"CREATE TEMP TABLE {table} AS SELECT {_select_list(x, view)} FROM {src.ident(view.view)}")
    except duckdb.Error as exc:
        raise InputFileError(view.path, f"cannot be read by the out-of-core engine: "
                                        f"{str(exc).splitlines()[0]}") from None


def validate_file(path, schema: Schema | None = None, *, infer_from=None, memory_limit=None, kind_overrides=None,
                  progress=None, cancelled=None) -> OocValidation:
    """Validate the CSV/Parquet file (or Parquet folder) ``path`` with DuckDB, against ``schema`` or
    against the schema inferred from the table ``infer_from`` (then ``schema_diff`` compares the two)."""
    from core.validation import ooc_infer

    if (schema is None) == (infer_from is None):
        raise PreflightError("give either a schema or a reference table to infer one from")
    if schema is not None and not isinstance(schema, Schema):
        raise PreflightError("validation needs a Schema (see core.validation.schema.load_schema)")
    conn = src.connect(memory_limit)
    try:
        conn.execute("SET preserve_insertion_order = true")  # rowid follows file order
        conn.execute("SET TimeZone = 'UTC'")  # instants with UTC offsets are shown in UTC, as the reader does
        view = src.register(conn, path, "preflight_validation_source", cancelled=cancelled,
                            kind_overrides=kind_overrides)
        ref_view = diff = None
        if infer_from is not None:
            ref_view = src.register(conn, infer_from, "preflight_validation_reference", cancelled=cancelled,
                                    kind_overrides=kind_overrides)
        passes = 3 + (len(schema.columns) if schema is not None else 2 * len(ref_view.columns) + 1)
        with src.Interruptible(conn, cancelled, progress, passes=passes) as x:
            _load(x, view, TABLE)
            x.pass_done()
            if ref_view is not None:
                _load(x, ref_view, REF_TABLE)
                x.pass_done()
                schema, ref_facts = ooc_infer.infer_schema_sql(x, REF_TABLE, ref_view)
                cur_facts = {n: ooc_infer.column_facts(x, TABLE, n, t, view.kinds.get(n), view.rows)
                             for n, t in _types(x, TABLE).items()}
                diff = ooc_infer.schema_diff_sql(x, REF_TABLE, ref_view, ref_facts, TABLE, view, cur_facts)
                x.pass_done()
            ds = schema.dataset
            rows = view.rows
            types = _types(x, TABLE)
            r = _Runner(x, rows)
            present = set(view.columns)
            required = set(ds.required_columns)
            for name, spec in schema.columns.items():
                if name not in present:
                    if spec.required or name in required:
                        r.add(name, "missing_column", "critical", rows, 1.0, None,
                              f"the required column '{name}' is not in the table")
                else:
                    _column(r, name, spec, types[name], view.kinds.get(name))
                x.pass_done()
            reported = {v.column for v, _ in r.out if v.check == "missing_column"}
            for name in ds.required_columns:
                if name not in present and name not in reported:
                    r.add(name, "missing_column", "critical", rows, 1.0, None,
                          f"the required column '{name}' is not in the table")
            if not ds.allow_unexpected_columns:
                known = set(schema.columns) | required
                for name in view.columns:
                    if name not in known:
                        r.add(name, "unexpected_column", "low", rows, 1.0, None,
                              f"the column '{name}' is not in the schema")
            if ds.max_duplicate_rows_fraction is not None and view.columns:
                _duplicates(r, view.columns, types, ds.max_duplicate_rows_fraction)
            if ds.row_count is not None:
                lo, hi = ds.row_count
                if lo is not None and rows < lo:
                    r.add(None, "row_count", "high", rows, None, lo, f"the table has {rows} rows; at least {lo} expected")
                elif hi is not None and rows > hi:
                    r.add(None, "row_count", "high", rows, None, hi, f"the table has {rows} rows; at most {hi} expected")
            x.pass_done()
        violations = tuple(v for v, _ in r.out)
        return OocValidation(ValidationResult(not violations, rows, violations), conn, r.out, view,
                             schema=schema, schema_diff=diff, reference=ref_view)
    except BaseException:
        conn.close()
        raise

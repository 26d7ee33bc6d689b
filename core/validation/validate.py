"""Validating a table against a :class:`core.validation.schema.Schema`.

Every check runs over whole columns at once (no Python loop over rows), so a million rows by
25 columns takes about a second.  All failures are collected (nothing stops at the first), each
as a :class:`Violation` with up to 20 example rows; :func:`write_failures_csv` exports every
failing row.

Checks and severities
=====================

=================  ========  =====================================================================
check              severity  fails when
=================  ========  =====================================================================
missing_column     critical  a required column (``required: true`` or ``required_columns``) is absent
type_mismatch      critical  any non-missing value is not of the declared type (text in a numeric
                             column, 2.5 in an integer column, "maybe" in a boolean column)
range              high/med  MORE than ``max_out_of_range_fraction`` (default 1%) of all rows lie outside
                             ``range``; "high" when more than 20% of rows do
missing_values     high/med  the missing share exceeds ``max_missing_fraction``; "high" above 20%
uniqueness         high      ``unique: true`` and distinct non-missing values / rows < 0.95
allowed_values     high      any value is not in ``allowed``
pattern            medium    any value's text does not fully match ``pattern``
length             medium    any value's text is shorter than ``min_length`` or longer than
                             ``max_length``
monotonic          medium    any value is smaller (increasing) / larger (decreasing) than the
                             previous non-missing value; equal neighbours are fine
unexpected_column  low       ``allow_unexpected_columns: false`` and the table has a column the
                             schema does not name (with the default ``true`` nothing is reported)
duplicate_rows     medium    the share of rows repeating an earlier row exceeds
                             ``max_duplicate_rows_fraction`` (``no_duplicate_rows`` means 0)
row_count          high      the row count is outside ``row_count: [min, max]``
=================  ========  =====================================================================

Rules: a missing value (NaN, None, NaT, empty string) is missing, never out of range nor a type
mismatch; a value with the wrong type is reported once as ``type_mismatch`` and skipped by the
range, allowed, pattern, length and monotonic checks.  ``fraction`` is always ``count / rows``
(for ``uniqueness`` it is distinct values / rows and ``count`` is rows - distinct values, and the
examples are the rows whose value occurs more than once).  A fraction exactly equal to its
threshold passes.  Thresholds of the any-row checks are 0.  Column-level checks
(missing/unexpected column) report ``count = rows``, ``fraction = 1``; dataset checks use
``column = None``.  ``passed`` is true only when there is no violation at all.

Row numbers: ``row`` in examples and in the failure table is the 1-based data row number, row 1
being the first data row after the header (pandas position + 1, whatever the index).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import csv
import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from core.errors import InputFileError, PreflightError, check_cancel
from core.validation.schema import Schema
from core.validation.bulk import clean_float_columns
from core.validation.checks import EPS, Finding, column_findings

CHECKS = ("missing_column", "type_mismatch", "range", "missing_values", "uniqueness", "allowed_values",
          "pattern", "length", "monotonic", "unexpected_column", "duplicate_rows", "row_count")
SEVERITIES = ("critical", "high", "medium", "low")
MAX_EXAMPLES = 20
_CHUNK = 65536
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


WORKERS = 2  # columns checked in parallel


def jsonable(v):
    """A cell value as plain JSON: str, int, float, bool or None (inf becomes "inf")."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    elif isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, (_dt.date, _dt.datetime, _dt.time)):
        return None if pd.isna(v) else v.isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


@dataclass(frozen=True)
class Violation:
    """One failed check.  ``failing_rows`` (0-based positions of every failing row) and
    ``failing_values`` (aligned values, or the whole column to take them from) are kept in
    memory for :meth:`failures`; they are not part of :meth:`to_dict`."""

    column: str | None
    check: str
    severity: str
    count: int
    fraction: float | None
    threshold: float | None
    examples: tuple = ()
    message: str = ""
    failing_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    failing_values: object = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"column": self.column, "check": self.check, "severity": self.severity,
                "count": int(self.count),
                "fraction": None if self.fraction is None else float(self.fraction),
                "threshold": None if self.threshold is None else jsonable(self.threshold),
                "examples": [dict(e) for e in self.examples], "message": self.message}

    @classmethod
    def from_dict(cls, d: dict) -> "Violation":
        return cls(d["column"], d["check"], d["severity"], d["count"], d.get("fraction"),
                   d.get("threshold"), tuple(dict(e) for e in d.get("examples", ())), d.get("message", ""))

    @property
    def complete(self) -> bool:
        """True when every failing row is known (not just the examples)."""
        return self.failing_rows is not None or not self.examples

    def failures(self) -> Iterator[dict]:
        """Rows ``{"column","check","severity","row","value"}``; one row with ``row=None`` for
        column- and dataset-level violations."""
        base = {"column": self.column, "check": self.check, "severity": self.severity}
        if self.failing_rows is None:
            for e in self.examples or ({"row": None, "value": None},):
                yield {**base, "row": e["row"], "value": e["value"]}
            return
        source = self.failing_values
        for start in range(0, len(self.failing_rows), _CHUNK):
            pos = self.failing_rows[start:start + _CHUNK]
            if isinstance(source, pd.Series):
                vals = source.iloc[pos].tolist()
            else:
                vals = list(source[start:start + _CHUNK])
            for p, v in zip(pos.tolist(), vals):
                yield {**base, "row": p + 1, "value": jsonable(v)}


@dataclass(frozen=True)
class ValidationResult:
    passed: bool
    rows: int
    violations: tuple = ()

    def to_dict(self) -> dict:
        return {"passed": bool(self.passed), "rows": int(self.rows),
                "violations": [v.to_dict() for v in self.violations]}

    @classmethod
    def from_dict(cls, d: dict) -> "ValidationResult":
        return cls(bool(d["passed"]), int(d["rows"]), tuple(Violation.from_dict(v) for v in d["violations"]))

    @property
    def complete(self) -> bool:
        return all(v.complete for v in self.violations)

    def failures(self) -> Iterator[dict]:
        """Every failing row of every violation (the full failure table), in violation order."""
        for v in self.violations:
            yield from v.failures()


def _violation(column: str | None, f: Finding, s: pd.Series | None) -> Violation:
    pos = f.positions
    if pos is None:
        return Violation(column, f.check, f.severity, f.count, f.fraction, f.threshold, (), f.message)
    values = f.values if f.values is not None else s
    head = pos[:MAX_EXAMPLES]
    head_vals = values.iloc[head].tolist() if isinstance(values, pd.Series) else list(values[:MAX_EXAMPLES])
    examples = tuple({"row": int(p) + 1, "value": jsonable(v)} for p, v in zip(head.tolist(), head_vals))
    return Violation(column, f.check, f.severity, f.count, f.fraction, f.threshold, examples,
                     f.message, pos, values)


def _column_level(name: str, check: str, severity: str, rows: int, message: str) -> Violation:
    return Violation(name, check, severity, rows, 1.0, None, (), message)


def _duplicate_rows(df: pd.DataFrame, threshold: float) -> Violation | None:
    rows = len(df)
    if rows == 0 or df.shape[1] == 0:
        return None
    try:
        hashes = pd.util.hash_pandas_object(df, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        df = df.astype(str)
        hashes = pd.util.hash_pandas_object(df, index=False).to_numpy()
    # equal rows have equal hashes; only rows sharing a hash are compared exactly
    candidates = np.flatnonzero(pd.Series(hashes).duplicated(keep=False).to_numpy())
    dup = np.zeros(rows, dtype=bool)
    if candidates.size:
        dup[candidates] = df.iloc[candidates].duplicated(keep="first").to_numpy()
    count = int(dup.sum())
    frac = count / rows
    if frac <= threshold + EPS:
        return None
    pos = np.flatnonzero(dup)
    # label each repeat with the first row of its hash group (64-bit hashes: collisions ~1e-8)
    first = pd.Series(candidates).groupby(hashes[candidates], sort=False).transform("min")
    first = dict(zip(candidates.tolist(), first.tolist()))
    values = np.array([f"same as row {first[p] + 1}" for p in pos.tolist()], dtype=object)
    f = Finding("duplicate_rows", "medium", count, frac, threshold,
                f"{count} of {rows} rows ({100 * frac:.4g}%) repeat an earlier row; "
                f"at most {100 * threshold:.4g}% may", pos, values)
    return _violation(None, f, None)


def _row_count(rows: int, bounds) -> Violation | None:
    lo, hi = bounds
    if lo is not None and rows < lo:
        return Violation(None, "row_count", "high", rows, None, lo, (),
                         f"the table has {rows} rows; at least {lo} expected")
    if hi is not None and rows > hi:
        return Violation(None, "row_count", "high", rows, None, hi, (),
                         f"the table has {rows} rows; at most {hi} expected")
    return None


def _expected_cost(item) -> int:
    """Sort key: checks that scan text or hash values come first (lower keys start earlier)."""
    spec = item[1]
    return -(2 * (spec.pattern is not None) + 2 * bool(spec.unique) + (spec.type in ("string", "category"))
             + (spec.min_length is not None or spec.max_length is not None))


def validate(df, schema: Schema, *, kinds=None, progress=None, cancelled=None) -> ValidationResult:
    """Run every check of ``schema`` on ``df`` and collect all violations.

    ``kinds`` (column -> numeric/categorical/boolean/datetime/text, as the table reader saw it)
    only enriches messages: types are judged from the values, so a numeric column the reader
    left as text is still checked value by value.
    """
    if not isinstance(df, pd.DataFrame):
        raise PreflightError("validation needs a table (a pandas DataFrame)")
    if not isinstance(schema, Schema):
        raise PreflightError("validation needs a Schema (see core.validation.schema.load_schema)")
    kinds = kinds or {}
    by_name: dict[str, object] = {}
    for col in df.columns:
        if str(col) in by_name:
            raise PreflightError(f"the table has more than one column named '{col}'")
        by_name[str(col)] = col
    rows = len(df)
    violations: list[Violation] = []
    required = set(schema.dataset.required_columns)  # a set: looked up once per column

    def check(name, spec):
        check_cancel(cancelled)
        if name not in by_name:
            if spec.required or name in required:
                return [_column_level(name, "missing_column", "critical", rows,
                                      f"the required column '{name}' is not in the table")]
            return []
        s = df[by_name[name]]
        try:
            found = column_findings(name, s, spec, kinds.get(name))
        except (TypeError, ValueError) as exc:  # e.g. lists or dicts inside cells
            raise PreflightError(f"column '{name}': its values cannot be checked ({exc})") from None
        return [_violation(name, f, s) for f in found]

    # columns are checked on both cores (numpy, pandas and Arrow kernels release the GIL); results are
    # collected in schema order so the report does not depend on thread timing
    clean = clean_float_columns(df, schema.columns, by_name, cancelled)  # passing float columns, settled at once
    todo = [(name, spec) for name, spec in schema.columns.items() if name not in clean]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        # the slowest checks (patterns, uniqueness, text) start first, so no long one runs alone at the end
        started = {name: pool.submit(check, name, spec) for name, spec in sorted(todo, key=_expected_cost)}
        futures = [started[name] for name, _spec in todo]
        total = len(futures) + 1
        try:
            for i, fut in enumerate(futures):
                violations.extend(fut.result())
                if progress is not None:
                    progress((i + 1) / total)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    reported_missing = {v.column for v in violations if v.check == "missing_column"}
    check_cancel(cancelled)
    ds = schema.dataset
    for name in ds.required_columns:
        if name not in by_name and name not in reported_missing:
            violations.append(_column_level(name, "missing_column", "critical", rows,
                                            f"the required column '{name}' is not in the table"))
    if not ds.allow_unexpected_columns:
        known = set(schema.columns) | set(ds.required_columns)
        for name in by_name:
            if name not in known:
                violations.append(_column_level(name, "unexpected_column", "low", rows,
                                                f"the column '{name}' is not in the schema"))
    if ds.max_duplicate_rows_fraction is not None:
        v = _duplicate_rows(df, ds.max_duplicate_rows_fraction)
        if v is not None:
            violations.append(v)
    if ds.row_count is not None:
        v = _row_count(rows, ds.row_count)
        if v is not None:
            violations.append(v)
    if progress is not None:
        progress(1.0)
    return ValidationResult(not violations, rows, tuple(violations))


def _cell(v) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading quote."""
    if v is None:
        return ""
    text = v if isinstance(v, str) else str(v)
    if isinstance(v, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_failures_csv(df, schema: Schema, result_or_none, path, *, kinds=None) -> int:
    """Write every failing row as ``column,check,severity,row,value``; returns the number of rows.

    ``result_or_none`` may be a result of :func:`validate` on the same ``df``; when it is None (or
    was rebuilt from a dict and only knows its examples) the table is validated again.
    """
    result = result_or_none
    if result is None or not result.complete:
        result = validate(df, schema, kinds=kinds)
    path = Path(path)
    n = 0
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["column", "check", "severity", "row", "value"])
            for r in result.failures():
                writer.writerow([_cell(r["column"]), r["check"], r["severity"],
                                 "" if r["row"] is None else r["row"], _cell(r["value"])])
                n += 1
    except OSError as exc:
        raise InputFileError(path, f"cannot write the failure table: {exc}") from None
    return n

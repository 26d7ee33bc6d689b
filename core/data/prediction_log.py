"""Reading a prediction log: one row per served request, with the label, the prediction and more.

Built on :func:`core.data.tables.read_table` (so every format it reads works and the file is
hashed), with the columns found by name (case-insensitive; the first match wins):

==============  ============================================================  ==========
role            accepted names                                                needed
==============  ============================================================  ==========
``timestamp``   timestamp, time, ts, datetime, event_time                     no
``request_id``  request_id, request, req_id, id                               no
``y_true``      y_true, label, target, actual, truth                          usually
``y_pred``      y_pred, prediction, pred, predicted                           see below
``y_score``     y_score, score, proba, probability, y_prob, confidence        no
``latency_ms``  latency_ms, latency, duration_ms, response_time_ms, elapsed_ms no
``latency_s``   latency_s, duration_s, response_time_s (converted to ms)      no
``failed``      failed, failure, error, is_error, status_code (>= 500 fails)   no
==============  ============================================================  ==========

When there is no prediction column but there is a score and the labels are binary (0/1 or
true/false), the prediction is ``score >= 0.5``.  ``columns={"y_true": "my_label", ...}``
names a column explicitly.  A missing column, a missing label, a non-numeric latency or
score raises :class:`~core.errors.InputFileError` naming the file, the column and the row
(rows are numbered from 1, as in a spreadsheet without its header).

:meth:`PredictionLog.errors` is what a served request counts as an error: a misprediction
(labels compared as numbers when both sides are numeric, else as text) or a logged failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.tables import LoadedTable, read_table
from core.errors import InputFileError

ROLES = {
    "timestamp": ("timestamp", "time", "ts", "datetime", "event_time"),
    "request_id": ("request_id", "request", "req_id", "id"),
    "y_true": ("y_true", "label", "target", "actual", "truth"),
    "y_pred": ("y_pred", "prediction", "pred", "predicted"),
    "y_score": ("y_score", "score", "proba", "probability", "y_prob", "confidence"),
    "latency_ms": ("latency_ms", "latency", "duration_ms", "response_time_ms", "elapsed_ms"),
    "latency_s": ("latency_s", "duration_s", "response_time_s"),
    "failed": ("failed", "failure", "error", "is_error", "status_code"),
}
TRUE_TEXT = frozenset({"true", "yes", "y", "t", "1", "1.0", "error", "failed", "fail"})
FALSE_TEXT = frozenset({"false", "no", "n", "f", "0", "0.0", "ok", "", "none", "success"})


def find_columns(names, explicit: dict | None = None) -> dict[str, str]:
    """Map roles to column names: explicit ones first, then the first accepted name present."""
    by_lower = {}
    for n in names:
        by_lower.setdefault(str(n).strip().lower(), str(n))
    found = {}
    for role, column in (explicit or {}).items():
        if role not in ROLES:
            raise ValueError(f"unknown prediction-log role {role!r}")
        if column:
            found[role] = str(column)
    taken = set(found.values())
    for role, accepted in ROLES.items():
        if role in found:
            continue
        for name in accepted:
            col = by_lower.get(name)
            if col is not None and col not in taken:
                found[role] = col
                taken.add(col)
                break
    if "latency_s" in found and "latency_ms" in found:
        del found["latency_s"]
    return found


@dataclass(frozen=True)
class PredictionLog:
    """One log's columns as arrays (``None`` for a role the log does not have)."""

    table: LoadedTable = field(repr=False)
    columns: dict                         # role -> column name in the file
    y_true: np.ndarray | None             # labels (object array)
    y_pred: np.ndarray | None             # predictions (object array), or derived from y_score
    y_score: np.ndarray | None            # float
    latency_ms: np.ndarray | None         # float, milliseconds
    failed: np.ndarray                    # bool: the request failed (all False without a failure column)
    timestamp: np.ndarray | None = None   # datetime64
    request_id: np.ndarray | None = None  # object
    prediction_from_score: bool = False

    @property
    def rows(self) -> int:
        return self.table.rows

    @property
    def path(self) -> str:
        return self.table.path

    def input_record(self, role: str) -> dict:
        return {**self.table.input_record(role), "columns": dict(self.columns)}

    def mispredicted(self) -> np.ndarray:
        if self.y_true is None or self.y_pred is None:
            raise InputFileError(self.path, "needs a label (y_true) and a prediction (y_pred) column to count "
                                            "mispredictions")
        return ~same_labels(self.y_true, self.y_pred)

    def errors(self) -> np.ndarray:
        """Misprediction (where the prediction is known) or a logged failure, per row."""
        wrong = np.zeros(self.rows, bool)
        if self.y_true is not None and self.y_pred is not None:
            known = ~pd.isna(self.y_pred)
            wrong = known & self.mispredicted()
        return wrong | self.failed


def _numbers(values: np.ndarray) -> np.ndarray | None:
    out = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    present = ~pd.isna(pd.Series(values, dtype=object)).to_numpy()
    return out if np.all(np.isfinite(out[present])) else None


def same_labels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise label equality: as numbers when both sides are numeric, else as stripped text."""
    na, nb = _numbers(a), _numbers(b)
    if na is not None and nb is not None:
        return na == nb
    sa = pd.Series(a, dtype=object).map(lambda v: "" if v is None or v is pd.NA else str(v).strip().lower())
    sb = pd.Series(b, dtype=object).map(lambda v: "" if v is None or v is pd.NA else str(v).strip().lower())
    return (sa.to_numpy() == sb.to_numpy())


def _first_bad_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0]) + 1


def _objects(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return s.to_numpy(dtype=object)


def _float_column(table: LoadedTable, column: str) -> np.ndarray:
    s = table.df[column]
    values = pd.to_numeric(_objects(s) if not pd.api.types.is_numeric_dtype(s) else s, errors="coerce")
    arr = np.asarray(values, float)
    bad = np.isnan(arr) & ~pd.isna(s).to_numpy()
    if bad.any():
        row = _first_bad_row(bad)
        raise InputFileError(table.path, f"column {column!r}, row {row}: {s.iloc[row - 1]!r} is not a number")
    return arr


def _failed_column(table: LoadedTable, column: str) -> np.ndarray:
    s = table.df[column]
    if column.strip().lower() == "status_code":
        codes = _float_column(table, column)
        return np.nan_to_num(codes, nan=0.0) >= 500
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).to_numpy(bool)
    if pd.api.types.is_numeric_dtype(s):
        return np.nan_to_num(s.to_numpy(float), nan=0.0) != 0
    text = pd.Series(_objects(s)).map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                      else str(v).strip().lower())
    unknown = ~text.isin(TRUE_TEXT | FALSE_TEXT)
    if unknown.any():
        row = _first_bad_row(unknown.to_numpy())
        raise InputFileError(table.path, f"column {column!r}, row {row}: {text.iloc[row - 1]!r} is not a "
                                         "failure flag (use true/false, 1/0 or error/ok)")
    return text.isin(TRUE_TEXT).to_numpy()


def _binary(labels: np.ndarray) -> bool:
    values = {str(v).strip().lower() for v in labels if not pd.isna(v)}
    return bool(values) and values <= {"0", "1", "0.0", "1.0", "true", "false"}


def read_prediction_log(path, *, require: tuple[str, ...] = ("y_true",), columns: dict | None = None,
                        missing_labels: bool = False, progress=None, cancelled=None) -> PredictionLog:
    """Read a prediction log and find its columns (see the module docstring); ``require`` names needed roles.

    ``require`` may hold ``"y_true"``, ``"y_pred"`` (a prediction or a binary score), ``"latency_ms"``.
    With ``missing_labels`` a row may lack its label (it has not arrived yet); it is ``None`` in ``y_true``.
    """
    table = read_table(path, progress=progress, cancelled=cancelled)
    found = find_columns(table.df.columns, columns)
    for role, column in found.items():
        if column not in table.df.columns:
            raise InputFileError(table.path, f"has no column {column!r} (given for {role}); columns: "
                                             + ", ".join(map(str, table.df.columns)))
    have = ", ".join(map(str, table.df.columns))
    y_true = _objects(table.df[found["y_true"]]) if "y_true" in found else None
    if y_true is not None:
        missing = pd.isna(pd.Series(y_true, dtype=object)).to_numpy()
        if missing.any() and not missing_labels:
            raise InputFileError(table.path, f"column {found['y_true']!r}, row {_first_bad_row(missing)}: the label "
                                             "is missing")
    y_score = _float_column(table, found["y_score"]) if "y_score" in found else None
    y_pred, from_score = None, False
    if "y_pred" in found:
        y_pred = _objects(table.df[found["y_pred"]])
    elif y_score is not None and y_true is not None and _binary(y_true):
        y_pred = np.where(np.isnan(y_score), None, (y_score >= 0.5).astype(int)).astype(object)
        from_score = True
    latency = None
    if "latency_ms" in found:
        latency = _float_column(table, found["latency_ms"])
    elif "latency_s" in found:
        latency = _float_column(table, found["latency_s"]) * 1000.0
    failed = _failed_column(table, found["failed"]) if "failed" in found else np.zeros(table.rows, bool)
    needs = {"y_true": (y_true, "a label column (y_true, label, target, actual or truth)"),
             "y_pred": (y_pred, "a prediction column (y_pred, prediction, pred or predicted), or a score "
                                "(y_score, score, proba, probability, y_prob, confidence) with binary labels"),
             "latency_ms": (latency, "a latency column (latency_ms, latency, duration_ms, response_time_ms, "
                                     "elapsed_ms, or latency_s)")}
    for role in require:
        value, text = needs[role]
        if value is None:
            raise InputFileError(table.path, f"has no {text}; columns: {have}")
    ts = None
    if "timestamp" in found:
        # UTC as naive datetime64 (a tz-aware Series would become an object array of Timestamps)
        ts = pd.to_datetime(table.df[found["timestamp"]], errors="coerce", utc=True).dt.tz_convert(None).to_numpy()
    rid = _objects(table.df[found["request_id"]]) if "request_id" in found else None
    used = {r: c for r, c in found.items() if not (r == "y_pred" and from_score)}
    return PredictionLog(table=table, columns=used, y_true=y_true, y_pred=y_pred, y_score=y_score,
                         latency_ms=latency, failed=failed, timestamp=ts, request_id=rid,
                         prediction_from_score=from_score)

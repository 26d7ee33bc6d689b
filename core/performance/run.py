"""A performance run: read a prediction log, evaluate it window by window, store the result.

The CLI (``performance``) and the Performance tab call :func:`run_performance`, then
:func:`record_performance` to store the run (settings, the log's SHA-256, the result) in one transaction
with its audit event.

The result (``PerformanceRun.result``) is a JSON-able dict:

* ``task`` (``binary``, ``multiclass``, ``regression``), ``classes``, ``window``, ``rows``, ``labelled``;
* ``windows``: ``[{start, end, rows, labelled, too_few_labels, metrics, estimated}]``; ``metrics`` is null
  without labels, else ``accuracy``, ``precision``/``recall``/``f1`` (weighted), ``*_macro``, ``roc_auc``
  (and ``roc_auc_macro`` with per-class probabilities) and ``confusion_matrix`` (``labels``, ``matrix``), or
  ``mae``/``rmse``/``r2`` (definitions in :mod:`core.performance.grouped`); ``estimated`` is the CBPE
  estimate (``accuracy``, ``precision``, ``recall``, ``f1`` with ``*_low``/``*_high``) or null;
* ``metrics``: over every labelled row; ``accuracy``: the baseline accuracy (what the handoff pre-fills);
* ``baseline`` (``{metric: value}``), ``baseline_source``, ``current_window`` (index of the judged window),
  ``degradation`` (``{metric: {baseline, current, drop, alert}}``), ``alert``, ``alert_text``,
  ``drift_run_id``, ``threshold``, ``reference`` (the CBPE calibration rows), ``segments``, ``warnings``;
* ``class_probabilities``: whether per-class probability columns (``proba_<class>``, ``prob_<class>``,
  ``probability_<class>``, ``score_<class>``, ``y_prob_<class>``, ``y_score_<class>``, or a given prefix) gave
  the ROC AUC: one-vs-rest, weighted by class support (``roc_auc``) and unweighted (``roc_auc_macro``);
* ``roi`` (see :func:`core.performance.business.roi`) when the log has ``business_value``, ``coldstart``
  (see :func:`core.performance.business.coldstart`) when it has user_id, global_score and personal_score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.canonical import utc_now
from core.data.prediction_log import read_prediction_log
from core.errors import InputFileError, PreflightError, check_cancel
from core.performance.business_run import coldstart_of_table, roi_of_table
from core.performance.evaluate import MIN_LABELS, Columns, evaluate
from core.performance.metrics import DEFAULT_THRESHOLD
from core.progress import scaled

KIND = "performance"


@dataclass(frozen=True)
class PerformanceSettings:
    window: str = "1D"
    baseline: dict | None = None
    baseline_file: str | None = None
    baseline_windows: int | None = None
    threshold: float = DEFAULT_THRESHOLD
    min_labels: int = MIN_LABELS
    segment: str | None = None
    timestamp_col: str | None = None
    y_true_col: str | None = None
    y_pred_col: str | None = None
    score_col: str | None = None
    drift_run_id: int | None = None
    proba_prefix: str | None = None

    def columns(self) -> dict:
        return {role: col for role, col in (("timestamp", self.timestamp_col), ("y_true", self.y_true_col),
                                            ("y_pred", self.y_pred_col), ("y_score", self.score_col)) if col}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PerformanceRun:
    result: dict
    settings: dict
    inputs: tuple
    started_utc: str
    finished_utc: str

    @property
    def summary(self) -> dict:
        r = self.result
        dropped = sorted(m for m, d in r["degradation"].items() if d["alert"])
        return {"task": r["task"], "windows": len(r["windows"]), "rows": r["rows"], "labelled": r["labelled"],
                "alert": r["alert"], "dropped": dropped}


def load_baseline(path) -> dict:
    """A baseline JSON: ``{metric: value}``, or a performance result / CLI output with a ``baseline`` key."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(p, "not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(p, f"is not a baseline JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("baseline"), dict):
        data = data["baseline"]
    if not isinstance(data, dict):
        raise InputFileError(p, "must hold an object such as {\"accuracy\": 0.92}")
    bad = [k for k, v in data.items() if not isinstance(v, (int, float)) or isinstance(v, bool)]
    if bad:
        raise InputFileError(p, f"metric {bad[0]!r} is not a number")
    return {k: float(v) for k, v in data.items()}


def log_columns(log, segment: str | None, timestamp_col: str | None) -> Columns:
    """The arrays :func:`evaluate` needs, with unparsable timestamps and a missing segment column refused."""
    df = log.table.df
    ts = log.timestamp
    if ts is not None:
        col = log.columns["timestamp"]
        bad = pd.isna(ts) & ~pd.isna(df[col]).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputFileError(log.path, f"column {col!r}, row {row}: {df[col].iloc[row - 1]!r} is not a "
                                           "timestamp")
        if pd.isna(ts).any():
            row = int(np.flatnonzero(pd.isna(ts))[0]) + 1
            raise InputFileError(log.path, f"column {col!r}, row {row}: the timestamp is missing")
    elif timestamp_col:
        raise InputFileError(log.path, f"has no column {timestamp_col!r}")
    seg = None
    if segment:
        if segment not in df.columns:
            raise InputFileError(log.path, f"has no segment column {segment!r}; columns: "
                                           + ", ".join(map(str, df.columns)))
        seg = df[segment].astype(object).to_numpy()
    return Columns(y_true=log.y_true, y_pred=log.y_pred, y_score=log.y_score, timestamp=ts, segment=seg)


#: prefixes of per-class probability columns found without being named (``proba_<class>`` ...), in this order
PROBA_PREFIXES = ("proba_", "prob_", "probability_", "score_", "y_prob_", "y_score_")


def class_probability_columns(log, prefix: str | None = None) -> dict[str, str]:
    """``{class as text: column}`` of the per-class probability columns: those starting with ``prefix``, or
    with the first of :data:`PROBA_PREFIXES` that at least two columns share (case-insensitive)."""
    used = set(log.columns.values())
    names = [str(c) for c in log.table.df.columns if str(c) not in used]
    for pre in ([prefix] if prefix else PROBA_PREFIXES):
        found = {n[len(pre):]: n for n in names if n.lower().startswith(pre.lower()) and len(n) > len(pre)}
        if prefix or len(found) >= 2:
            if prefix and not found:
                raise InputFileError(log.path, f"has no column starting with {prefix!r} (per-class probabilities); "
                                               "columns: " + ", ".join(map(str, log.table.df.columns)))
            return found
    return {}


def _probability_column(log, column: str) -> np.ndarray:
    """A per-class probability column as floats, refusing text and values outside [0, 1] (file row named)."""
    s = log.table.df[column]
    values = pd.to_numeric(s.astype(object) if not pd.api.types.is_numeric_dtype(s) else s, errors="coerce")
    arr = np.asarray(values, float)
    bad = (np.isnan(arr) & ~pd.isna(s).to_numpy()) | (arr < 0) | (arr > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        value = s.iloc[row - 1]
        shown = f"{float(arr[row - 1]):g}" if np.isfinite(arr[row - 1]) else repr(value)
        raise InputFileError(log.path, f"column {column!r}, row {row}: {shown} is not a probability in [0, 1]")
    return arr


def run_performance(log_path, settings: PerformanceSettings = PerformanceSettings(), *, progress=None,
                    cancelled=None) -> PerformanceRun:
    """Read ``log_path`` and evaluate it (see the module docstring for the result)."""
    started = utc_now()
    baseline = settings.baseline
    if settings.baseline_file:
        baseline = load_baseline(settings.baseline_file)
    if baseline is not None and settings.baseline_windows:
        raise PreflightError("give the baseline either as numbers (or a file) or as the first N windows, not both")
    log = read_prediction_log(log_path, require=("y_true", "y_pred"), columns=settings.columns(),
                              missing_labels=True, progress=scaled(progress, 0.0, 0.3), cancelled=cancelled)
    check_cancel(cancelled)
    cols = log_columns(log, settings.segment, settings.timestamp_col)
    proba_cols = class_probability_columns(log, settings.proba_prefix)
    class_scores = {cls: _probability_column(log, col) for cls, col in proba_cols.items()}
    window = int(settings.window) if str(settings.window).isdigit() else settings.window
    try:
        result = evaluate(cols, window=window, baseline=baseline, baseline_windows=settings.baseline_windows,
                          threshold=settings.threshold, min_labels=settings.min_labels,
                          drift_run_id=settings.drift_run_id, class_scores=class_scores,
                          require_class_scores=bool(settings.proba_prefix),
                          score_column=log.columns.get("y_score", "score"), progress=scaled(progress, 0.3, 1.0),
                          cancelled=cancelled)
    except PreflightError as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(log.path, str(exc)) from None
    result["roi"] = roi_of_table(log.table)
    result["coldstart"] = coldstart_of_table(log.table)
    result["warnings"] = [*log.table.warnings, *result["warnings"]]
    result["columns"] = dict(log.columns)
    if result["class_probabilities"]:
        result["columns"]["class_probabilities"] = dict(proba_cols)
    return PerformanceRun(result=result, settings=settings.to_dict(), inputs=(log.input_record("prediction_log"),),
                          started_utc=started, finished_utc=utc_now())


def record_performance(store, run: PerformanceRun) -> int:
    """Store the run in the assessment (one transaction with its audit event); returns the run id."""
    return store.record_run(KIND, run)


def latest_drift_run_id(store) -> int | None:
    """The drift run that counts for the verdict (the one the alert text points to), or None."""
    from core.assessment.counted import counted_runs

    found = counted_runs(store.runs(), store.links(), store.counted_run_choices(), ["drift"])
    return found.get("drift", {}).get("run_id")


def log_column_names(path, *, progress=None, cancelled=None) -> dict:
    """The log's columns and the ones auto-detection picks (for the tab's column mapping)."""
    from core.data.prediction_log import find_columns
    from core.data.tables import read_table

    table = read_table(path, progress=progress, cancelled=cancelled)
    names = [str(c) for c in table.df.columns]
    return {"columns": names, "detected": find_columns(names)}

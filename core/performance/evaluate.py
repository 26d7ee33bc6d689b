"""Performance over time: a prediction log cut into windows, metrics per window (overall and per segment),
the baseline, the degradation of the latest judged window and the CBPE estimate where scores exist.

:func:`evaluate` is pure: it takes the log's columns as arrays and returns the result dict documented in
:mod:`core.performance.run`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import PreflightError, check_cancel
from core.performance import cbpe, grouped
from core.performance.metrics import CLASSIFICATION_KEYS, DEFAULT_THRESHOLD, REGRESSION_KEYS, alert_text, degradation

MIN_LABELS = 30
MAX_SEGMENTS = 50
REGRESSION_MIN_UNIQUE = 20


@dataclass(frozen=True)
class Columns:
    """A log's columns as arrays, rows in log order; ``y_true`` holds None where the label has not arrived."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray | None = None
    timestamp: np.ndarray | None = None
    segment: np.ndarray | None = None


def _missing(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "biu":
        return np.zeros(len(values), bool)
    if values.dtype.kind == "f":
        return np.isnan(values)
    return pd.isna(pd.Series(values, dtype=object)).to_numpy()


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """The values as floats (missing ones NaN), or None when a present value is not a finite number."""
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return values.astype(float)
    try:
        fast = values.astype(float)
    except (TypeError, ValueError):
        fast = None
    if fast is not None:
        bad = ~np.isfinite(fast)
        if not bad.any():
            return fast
        return fast if not (bad & ~_missing(values)).any() else None
    s = pd.Series(values, dtype=object)
    if s.map(lambda v: isinstance(v, str) and v.strip().lower() in ("true", "false")).any():
        s = s.map(lambda v: {"true": 1, "false": 0}.get(v.strip().lower(), v) if isinstance(v, str) else v)
    num = pd.to_numeric(s, errors="coerce").to_numpy(float)
    present = ~s.isna().to_numpy()
    return num if np.all(np.isfinite(num[present])) else None


def detect_task(y_true: np.ndarray) -> str:
    """``binary``, ``multiclass`` or ``regression`` (numeric labels that are not integers or have > 20 values)."""
    present = y_true[~_missing(y_true)]
    return _task(present, _as_numbers(present))


def _task(present: np.ndarray, nums: np.ndarray | None) -> str:
    if len(present) == 0:
        raise PreflightError("the log has no labelled row, so the task cannot be told; give at least some labels")
    distinct = len(set(present.tolist())) if nums is None else len(np.unique(nums))
    if nums is not None and (distinct > REGRESSION_MIN_UNIQUE or not np.all(nums == np.round(nums))):
        return "regression"
    return "binary" if distinct <= 2 else "multiclass"


def _labels(values: np.ndarray, nums: np.ndarray | None) -> np.ndarray:
    """Labels as integers or floats (``nums``, the values as numbers, when both sides are numeric), else text."""
    if nums is not None:
        return nums.astype(np.int64) if np.all(nums == np.round(nums)) else nums
    return pd.Series(values, dtype=object).map(lambda v: str(v).strip()).to_numpy(dtype=object)


def _window_keys(cols: Columns, window) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Per row its window number, and per window its (start, end) text."""
    n = len(cols.y_pred)
    if isinstance(window, int) or str(window).isdigit():
        size = int(window)
        if size < 1:
            raise PreflightError("a row window needs at least 1 row")
        keys = np.arange(n) // size
        bounds = []
        for k in range(int(keys.max()) + 1 if n else 0):
            lo, hi = k * size, min(n, (k + 1) * size) - 1
            if cols.timestamp is not None:
                bounds.append((_ts_text(cols.timestamp[lo]), _ts_text(cols.timestamp[hi])))
            else:
                bounds.append((f"row {lo + 1}", f"row {hi + 1}"))
        return keys, bounds
    if cols.timestamp is None:
        raise PreflightError(f"a time window ({window}) needs a timestamp column; use a row count instead")
    try:
        offset = pd.tseries.frequencies.to_offset(str(window))
        starts = pd.DatetimeIndex(cols.timestamp).floor(str(window))
    except (ValueError, TypeError) as exc:
        raise PreflightError(f"window {window!r} is neither a row count nor a time period such as 1D or 7D "
                             f"({exc})") from None
    _, first, keys = np.unique(starts.asi8, return_index=True, return_inverse=True)
    bounds = [(_ts_text(starts[i]), _ts_text(starts[i] + offset)) for i in first]
    return keys, bounds


def _ts_text(value) -> str:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalars(metrics: dict | None) -> dict:
    return {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


class _Metrics:
    """The log's labelled rows, ready for :mod:`core.performance.grouped` (any grouping of them)."""

    def __init__(self, task, y_true, y_pred, labelled, score, proba, classes):
        self.task, self.classes = task, classes
        self.rows = np.flatnonzero(labelled)
        self.y_true, self.y_pred = y_true[self.rows], y_pred[self.rows]
        self.score = None if score is None else score[self.rows]
        self.proba = None if proba is None else proba[self.rows]

    def of(self, group, n_groups: int, select=None) -> list[dict | None]:
        """Per group metrics; ``group`` per labelled row, ``select`` a mask of the labelled rows to use."""
        sel = (lambda a: a) if select is None else (lambda a: None if a is None else a[select])
        group = sel(np.asarray(group, np.int64))
        if self.task == "regression":
            return grouped.regression(group, n_groups, sel(self.y_true), sel(self.y_pred))
        return grouped.classification(group, n_groups, sel(self.y_true), sel(self.y_pred), len(self.classes),
                                      score=sel(self.score), proba=sel(self.proba), names=self.classes)

    def one(self, select=None) -> dict | None:
        """The metrics of all labelled rows (or those ``select`` picks) together; None without rows."""
        if len(self.rows) == 0 or (select is not None and not np.any(select)):
            return None
        return self.of(np.zeros(len(self.rows), np.int64), 1, select)[0]


def _class_probabilities(class_scores: dict | None, classes: list, required: bool, order) -> np.ndarray | None:
    """The per-class probability columns as a rows x classes matrix in the classes' order (None without them)."""
    if not class_scores:
        return None
    by_name = {str(k).strip(): v for k, v in class_scores.items()}
    missing = [str(c) for c in classes if str(c) not in by_name]
    if missing:
        if required:
            raise PreflightError(f"no probability column for class(es) {', '.join(missing[:5])}; the per-class "
                                 f"columns name {', '.join(sorted(by_name)[:10])}")
        return None
    cols = []
    for c in classes:
        values = np.asarray(by_name[str(c)], float)[order]
        bad = (values < 0) | (values > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PreflightError(f"the probability of class {c} is {values[i]:g} in row {int(order[i]) + 1}, "
                                 "not in [0, 1]")
        cols.append(values)
    return np.column_stack(cols)


def evaluate(cols: Columns, *, window="1D", baseline: dict | None = None, baseline_windows: int | None = None,
             threshold: float = DEFAULT_THRESHOLD, min_labels: int = MIN_LABELS, drift_run_id: int | None = None,
             class_scores: dict | None = None, require_class_scores: bool = False, score_column: str = "score",
             progress=None, cancelled=None) -> dict:
    """Metrics per window, the baseline, the degradation of the latest judged window and the alert.

    ``class_scores`` maps class names (as text) to per-class probability columns (rows in log order); with all
    classes covered they give the one-vs-rest ROC AUC (``require_class_scores``: refuse them otherwise).
    ``score_column`` names the score in error messages.
    """
    if not 0 < threshold < 1:
        raise PreflightError(f"the threshold is a relative drop between 0 and 1 (got {threshold:g})")
    if baseline is None and not baseline_windows:
        baseline_windows = 1
    n = len(cols.y_pred)
    if n == 0:
        raise PreflightError("the log has no rows")
    check_cancel(cancelled)
    order = np.arange(n)
    if cols.timestamp is not None:
        ts = np.asarray(cols.timestamp)
        in_order = ts.dtype.kind == "M" and not np.any(ts[1:] < ts[:-1])
        if not in_order:
            order = np.argsort(ts, kind="stable")
            cols = Columns(*(None if a is None else np.asarray(a)[order] for a in
                             (cols.y_true, cols.y_pred, cols.y_score, cols.timestamp, cols.segment)))
    labelled = ~_missing(cols.y_true)
    present = cols.y_true[labelled]
    true_nums = _as_numbers(present)
    task = _task(present, true_nums)
    pred_missing = _missing(cols.y_pred)
    if pred_missing.any():
        raise PreflightError(f"row {int(order[np.flatnonzero(pred_missing)[0]]) + 1} has no prediction")
    pred_nums = _as_numbers(cols.y_pred) if true_nums is not None else None
    numeric = true_nums is not None and pred_nums is not None
    if task == "regression" and not numeric:
        raise PreflightError("a numeric target needs numeric predictions")
    true_values = _labels(present, true_nums if numeric else None)
    y_pred = _labels(cols.y_pred, pred_nums if numeric else None)
    classes = None
    if task == "regression":
        y_true = np.full(n, np.nan)
        y_true[labelled] = true_values
    else:
        known = set(pd.unique(true_values).tolist())
        predicted = set(pd.unique(y_pred).tolist())
        unknown = sorted({str(v) for v in predicted - known})
        if unknown and task == "binary" and len(known | predicted) > 2:
            raise PreflightError(f"the predictions hold label value(s) {', '.join(unknown[:5])} that the labels "
                                 f"never take ({', '.join(sorted(map(str, known)))})")
        classes = sorted(known | predicted, key=lambda v: (str(type(v)), v))
        # labels as codes 0..k-1 (the classes' order)
        y_true = np.full(n, -1, np.int64)
        y_true[labelled] = pd.Categorical(true_values, categories=classes).codes
        y_pred = pd.Categorical(y_pred, categories=classes).codes.astype(np.int64)
    score = cols.y_score
    if score is not None and task != "regression":
        bad = (score < 0) | (score > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PreflightError(f"column {score_column!r}, row {int(order[i]) + 1}: {score[i]:g} is not a probability "
                                 "in [0, 1]")
    proba = None
    warnings = []
    if task != "regression":
        proba = _class_probabilities(class_scores, classes, require_class_scores, order)
    used_proba = proba is not None
    if proba is not None:
        sums = proba.sum(axis=1)
        off = np.isfinite(sums) & (np.abs(sums - 1) > 0.01)
        if off.any():
            warnings.append(f"the per-class probabilities of {int(off.sum()):,} row(s) do not sum to 1 (first: row "
                            f"{int(order[np.flatnonzero(off)[0]]) + 1}, sum {sums[off][0]:.4g})")
    if proba is not None and task == "binary":
        used_proba = score is None
        score = proba[:, 1] if score is None else score
        proba = None
    if progress:
        progress(0.3)
    check_cancel(cancelled)
    keys, bounds = _window_keys(cols, window)
    n_windows = len(bounds)
    ref_count = baseline_windows or 1
    est = [None] * n_windows
    reference = None
    if task == "binary" and score is not None:
        ref = (keys < ref_count) & labelled & np.isfinite(score)
        try:
            calibrator = cbpe.Calibrator(score[ref], y_true[ref] == len(classes) - 1)
        except ValueError:
            calibrator = None
        if calibrator is not None:
            reference = {"windows": ref_count, "rows": calibrator.rows}
            ok = np.isfinite(score)
            sums = cbpe.window_sums(keys[ok], n_windows, calibrator(score[ok]), y_pred[ok] == len(classes) - 1)
            est = [cbpe.estimate_from_sums(*(s[k] for s in sums), seed=k) for k in range(n_windows)]
    if progress:
        progress(0.45)
    check_cancel(cancelled)
    m = _Metrics(task, y_true, y_pred, labelled, score if task == "binary" else None, proba, classes)
    lab_keys = keys[m.rows]
    per_window = m.of(lab_keys, n_windows)
    rows_per_window = np.bincount(keys, minlength=n_windows)
    labelled_per_window = np.bincount(lab_keys, minlength=n_windows)
    windows = [{"start": start, "end": end, "rows": int(rows_per_window[k]), "labelled": int(labelled_per_window[k]),
                "too_few_labels": bool(labelled_per_window[k] < min_labels), "metrics": per_window[k],
                "estimated": est[k]} for k, (start, end) in enumerate(bounds)]
    if progress:
        progress(0.7)
    check_cancel(cancelled)
    if baseline is not None:
        base = {k: float(v) for k, v in baseline.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not base:
            raise PreflightError("the baseline holds no numeric metric")
        base_source = "given"
    else:
        if baseline_windows > len(windows):
            raise PreflightError(f"the baseline needs {baseline_windows} window(s) but the log has {len(windows)}")
        in_base = lab_keys < baseline_windows
        if not in_base.any():
            raise PreflightError(f"the first {baseline_windows} window(s) hold no labelled row for a baseline")
        keys_wanted = REGRESSION_KEYS if task == "regression" else CLASSIFICATION_KEYS
        base = {k: v for k, v in _scalars(m.one(in_base)).items() if k in keys_wanted and v is not None}
        base_source = f"first {baseline_windows} window(s)"
    judged = [i for i, w in enumerate(windows) if w["labelled"] >= min_labels] or \
        [i for i, w in enumerate(windows) if w["labelled"] > 0]
    current_index = judged[-1] if judged else None
    if current_index is not None and windows[current_index]["too_few_labels"]:
        warnings.append(f"no window has {min_labels} labels; the latest labelled one is judged anyway")
    current = _scalars(windows[current_index]["metrics"]) if current_index is not None else {}
    degr = degradation(base, current, threshold)
    alert = any(d["alert"] for d in degr.values())
    label = None if current_index is None else f"{windows[current_index]['start']} .. {windows[current_index]['end']}"
    overall = m.one()
    segments = _segments(cols.segment, keys, n_windows, labelled, m, min_labels) if cols.segment is not None \
        else None
    if progress:
        progress(1.0)
    return {"task": task, "classes": [c.item() if isinstance(c, np.generic) else c for c in classes or []],
            "window": str(window), "min_labels": min_labels, "threshold": threshold, "rows": n,
            "labelled": int(labelled.sum()), "windows": windows, "metrics": overall,
            "accuracy": base.get("accuracy"), "baseline": base, "baseline_source": base_source,
            "current_window": current_index, "degradation": degr, "alert": alert,
            "alert_text": alert_text(degr, threshold, drift_run_id, label), "drift_run_id": drift_run_id,
            "reference": reference, "segments": segments, "warnings": warnings,
            "class_probabilities": used_proba}


def _segments(segment, keys, n_windows: int, labelled, m: _Metrics, min_labels: int) -> dict:
    """The top segments (by rows): per segment its metrics overall and per window."""
    seg = pd.Series(segment, dtype=object).fillna("(missing)").map(str).to_numpy()
    values, inverse, counts = np.unique(seg, return_inverse=True, return_counts=True)
    top = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))[:MAX_SEGMENTS]
    code = np.full(len(values), -1, np.int64)
    code[top] = np.arange(len(top))
    row_code = code[inverse]
    s = len(top)
    in_top = row_code >= 0
    cell = row_code * n_windows + keys
    rows_cell = np.bincount(cell[in_top], minlength=s * n_windows)
    lab_code = row_code[m.rows]
    lab_top = lab_code >= 0
    lab_cell = lab_code * n_windows + keys[m.rows]
    labelled_cell = np.bincount(lab_cell[lab_top], minlength=s * n_windows)
    per_cell = m.of(np.where(lab_top, lab_cell, 0), s * n_windows, lab_top)
    per_segment = m.of(np.where(lab_top, lab_code, 0), s, lab_top)
    out = {}
    for j, v in enumerate(top):
        cells = range(j * n_windows, (j + 1) * n_windows)
        out[str(values[v])] = {
            "rows": int(counts[v]), "labelled": int(labelled_cell[j * n_windows:(j + 1) * n_windows].sum()),
            "metrics": per_segment[j],
            "windows": [{"rows": int(rows_cell[c]), "labelled": int(labelled_cell[c]),
                         "too_few_labels": bool(labelled_cell[c] < min_labels),
                         "metrics": _scalars(per_cell[c]) or None} for c in cells]}
    return out

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
from core.performance import cbpe
from core.performance.metrics import (CLASSIFICATION_KEYS, DEFAULT_THRESHOLD, REGRESSION_KEYS, alert_text,
                                      classification_metrics, degradation, regression_metrics)

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
    return pd.isna(pd.Series(values, dtype=object)).to_numpy()


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return values.astype(float)
    s = pd.Series(values, dtype=object)
    fast = pd.to_numeric(s, errors="coerce").to_numpy(float)
    if not np.isnan(fast).any():
        return fast
    if s.map(lambda v: isinstance(v, str) and v.strip().lower() in ("true", "false")).any():
        s = s.map(lambda v: {"true": 1, "false": 0}.get(v.strip().lower(), v) if isinstance(v, str) else v)
    num = pd.to_numeric(s, errors="coerce").to_numpy(float)
    present = ~s.isna().to_numpy()
    return num if np.all(np.isfinite(num[present])) else None


def detect_task(y_true: np.ndarray) -> str:
    """``binary``, ``multiclass`` or ``regression`` (numeric labels that are not integers or have > 20 values)."""
    present = y_true[~_missing(y_true)]
    if len(present) == 0:
        raise PreflightError("the log has no labelled row, so the task cannot be told; give at least some labels")
    nums = _as_numbers(present)
    distinct = len(set(present.tolist())) if nums is None else len(np.unique(nums))
    if nums is not None and (distinct > REGRESSION_MIN_UNIQUE or not np.all(nums == np.round(nums))):
        return "regression"
    return "binary" if distinct <= 2 else "multiclass"


def _labels(values: np.ndarray, numeric: bool) -> np.ndarray:
    if numeric:
        nums = _as_numbers(values)
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


class _Scorer:
    def __init__(self, task, y_true, y_pred, score, classes):
        self.task, self.y_true, self.y_pred, self.score, self.classes = task, y_true, y_pred, score, classes

    def metrics(self, idx: np.ndarray) -> dict | None:
        if len(idx) == 0:
            return None
        if self.task == "regression":
            return regression_metrics(self.y_true[idx], self.y_pred[idx])
        score = self.score[idx] if self.score is not None else None
        return classification_metrics(self.y_true[idx], self.y_pred[idx], score, range(len(self.classes)),
                                      names=self.classes)


def _scalars(metrics: dict | None) -> dict:
    return {k: v for k, v in (metrics or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def evaluate(cols: Columns, *, window="1D", baseline: dict | None = None, baseline_windows: int | None = None,
             threshold: float = DEFAULT_THRESHOLD, min_labels: int = MIN_LABELS, drift_run_id: int | None = None,
             progress=None, cancelled=None) -> dict:
    """Metrics per window, the baseline, the degradation of the latest judged window and the alert."""
    if not 0 < threshold < 1:
        raise PreflightError(f"the threshold is a relative drop between 0 and 1 (got {threshold:g})")
    if baseline is None and not baseline_windows:
        baseline_windows = 1
    n = len(cols.y_pred)
    if n == 0:
        raise PreflightError("the log has no rows")
    order = np.argsort(cols.timestamp, kind="stable") if cols.timestamp is not None else np.arange(n)
    cols = Columns(*(None if a is None else np.asarray(a)[order] for a in
                     (cols.y_true, cols.y_pred, cols.y_score, cols.timestamp, cols.segment)))
    task = detect_task(cols.y_true)
    labelled = ~_missing(cols.y_true)
    pred_missing = _missing(cols.y_pred)
    if pred_missing.any():
        raise PreflightError(f"row {int(np.flatnonzero(pred_missing)[0]) + 1} (in time order) has no prediction")
    numeric = _as_numbers(cols.y_true[labelled]) is not None and _as_numbers(cols.y_pred) is not None
    if task == "regression" and not numeric:
        raise PreflightError("a numeric target needs numeric predictions")
    true_values = _labels(cols.y_true[labelled], numeric)
    y_pred = _labels(cols.y_pred, numeric)
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
        # labels as codes 0..k-1 (the classes' order), so scikit-learn works on integers
        y_true = np.full(n, -1, np.int64)
        y_true[labelled] = pd.Categorical(true_values, categories=classes).codes
        y_pred = pd.Categorical(y_pred, categories=classes).codes.astype(np.int64)
    score = cols.y_score
    if score is not None:
        bad = (score < 0) | (score > 1)
        if bad.any() and task != "regression":
            raise PreflightError(f"score {score[bad][0]:g} (row {int(np.flatnonzero(bad)[0]) + 1} in time order) "
                                 "is not a probability in [0, 1]")
    keys, bounds = _window_keys(cols, window)
    scorer = _Scorer(task, y_true, y_pred, score if task == "binary" else None, classes)
    groups = np.split(np.argsort(keys, kind="stable"), np.cumsum(np.bincount(keys, minlength=len(bounds)))[:-1])
    calibrator, reference = None, None
    ref_count = baseline_windows or 1
    if task == "binary" and score is not None:
        ref_idx = np.concatenate(groups[:ref_count])
        ref_idx = ref_idx[labelled[ref_idx] & np.isfinite(score[ref_idx])]
        try:
            calibrator = cbpe.Calibrator(score[ref_idx], y_true[ref_idx] == len(classes) - 1)
            reference = {"windows": ref_count, "rows": calibrator.rows}
        except ValueError:
            calibrator = None
    windows = []
    for k, (idx, (start, end)) in enumerate(zip(groups, bounds)):
        check_cancel(cancelled)
        lab = idx[labelled[idx]]
        est = None
        if calibrator is not None:
            ok = idx[np.isfinite(score[idx])]
            est = cbpe.estimate(calibrator(score[ok]), y_pred[ok] == len(classes) - 1, seed=k)
        windows.append({"start": start, "end": end, "rows": int(len(idx)), "labelled": int(len(lab)),
                        "too_few_labels": bool(len(lab) < min_labels), "metrics": scorer.metrics(lab),
                        "estimated": est})
        if progress:
            progress(0.9 * (k + 1) / len(groups))
    if baseline is not None:
        base = {k: float(v) for k, v in baseline.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if not base:
            raise PreflightError("the baseline holds no numeric metric")
        base_source = "given"
    else:
        if baseline_windows > len(windows):
            raise PreflightError(f"the baseline needs {baseline_windows} window(s) but the log has {len(windows)}")
        idx = np.concatenate(groups[:baseline_windows])
        idx = idx[labelled[idx]]
        if len(idx) == 0:
            raise PreflightError(f"the first {baseline_windows} window(s) hold no labelled row for a baseline")
        keys_wanted = REGRESSION_KEYS if task == "regression" else CLASSIFICATION_KEYS
        base = {k: v for k, v in _scalars(scorer.metrics(idx)).items() if k in keys_wanted and v is not None}
        base_source = f"first {baseline_windows} window(s)"
    judged = [i for i, w in enumerate(windows) if w["labelled"] >= min_labels] or \
        [i for i, w in enumerate(windows) if w["labelled"] > 0]
    current_index = judged[-1] if judged else None
    warnings = []
    if current_index is not None and windows[current_index]["too_few_labels"]:
        warnings.append(f"no window has {min_labels} labels; the latest labelled one is judged anyway")
    current = _scalars(windows[current_index]["metrics"]) if current_index is not None else {}
    degr = degradation(base, current, threshold)
    alert = any(d["alert"] for d in degr.values())
    label = None if current_index is None else f"{windows[current_index]['start']} .. {windows[current_index]['end']}"
    overall = scorer.metrics(np.flatnonzero(labelled))
    segments = _segments(cols.segment, groups, labelled, scorer, min_labels) if cols.segment is not None else None
    if progress:
        progress(1.0)
    return {"task": task, "classes": [c.item() if isinstance(c, np.generic) else c for c in classes or []],
            "window": str(window), "min_labels": min_labels, "threshold": threshold, "rows": n,
            "labelled": int(labelled.sum()), "windows": windows, "metrics": overall,
            "accuracy": base.get("accuracy"), "baseline": base, "baseline_source": base_source,
            "current_window": current_index, "degradation": degr, "alert": alert,
            "alert_text": alert_text(degr, threshold, drift_run_id, label), "drift_run_id": drift_run_id,
            "reference": reference, "segments": segments, "warnings": warnings}


def _segments(segment, groups, labelled, scorer, min_labels) -> dict:
    seg = pd.Series(segment, dtype=object).fillna("(missing)").map(str).to_numpy()
    values, counts = np.unique(seg, return_counts=True)
    top = [v for _, v in sorted(zip(-counts, values))][:MAX_SEGMENTS]
    out = {}
    for value in top:
        mask = seg == value
        rows = np.flatnonzero(mask & labelled)
        per_window = []
        for idx in groups:
            lab = idx[mask[idx] & labelled[idx]]
            m = _scalars(scorer.metrics(lab))
            per_window.append({"rows": int(mask[idx].sum()), "labelled": int(len(lab)),
                               "too_few_labels": bool(len(lab) < min_labels), "metrics": m or None})
        out[value] = {"rows": int(mask.sum()), "labelled": int(len(rows)), "metrics": scorer.metrics(rows),
                      "windows": per_window}
    return out

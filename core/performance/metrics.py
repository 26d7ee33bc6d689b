"""Model metrics of one set of predictions, and the degradation of current metrics against a baseline.

Classification metrics (scikit-learn's definitions, computed per window in :mod:`core.performance.grouped`):
``accuracy``; ``precision``, ``recall`` and ``f1`` weighted by class support (the article's choice) and
``precision_macro``, ``recall_macro``, ``f1_macro`` (over the classes present in the labels or predictions);
``roc_auc`` for binary labels with a score, or the support-weighted one-vs-rest AUC with per-class
probabilities (plus ``roc_auc_macro``); the confusion matrix over the log's classes.
Regression: ``mae``, ``rmse``, ``r2``.

Degradation: for every baseline metric the relative drop ``(baseline - current) / baseline`` (for an error
metric such as MAE or RMSE, where lower is better, the rise ``(current - baseline) / baseline``); a drop above
the threshold (default 0.05) is an alert.
"""

from __future__ import annotations

import numpy as np

from core.performance import grouped

#: metrics where a lower value is better: their "drop" is the relative rise
LOWER_IS_BETTER = frozenset({"mae", "rmse"})
DEFAULT_THRESHOLD = 0.05
#: the article's recommended actions when the model has degraded
ACTIONS = ("Check for data drift", "Analyse the recent production data distribution", "Consider retraining the model",
           "Review recent system changes")
CLASSIFICATION_KEYS = ("accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro")
REGRESSION_KEYS = ("mae", "rmse", "r2")


def classification_metrics(y_true, y_pred, y_score=None, classes=None, names=None) -> dict:
    """Accuracy, weighted and macro precision/recall/F1, ROC AUC (binary, with scores) and the confusion matrix
    of one set of predictions (see :mod:`core.performance.grouped` for the definitions).

    ``classes`` fixes the label order (the second of two is the positive one for ROC AUC); ``names`` are the
    labels the confusion matrix reports for them (default: the classes themselves).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if classes is None:
        classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    classes = list(classes)
    code = {c: i for i, c in enumerate(classes)}
    yt = np.array([code[v] for v in y_true.tolist()], np.int64)
    yp = np.array([code[v] for v in y_pred.tolist()], np.int64)
    score = None if y_score is None else np.asarray(y_score, float)
    return grouped.classification(np.zeros(len(yt), np.int64), 1, yt, yp, len(classes), score=score,
                                  names=classes if names is None else names)[0]


def regression_metrics(y_true, y_pred) -> dict:
    """MAE, RMSE and R² (R² is None for fewer than two rows)."""
    y_true = np.asarray(y_true, float)
    return grouped.regression(np.zeros(len(y_true), np.int64), 1, y_true, y_pred)[0]


def relative_drop(metric: str, baseline: float, current: float) -> float | None:
    """(baseline - current) / baseline; for MAE/RMSE the relative rise.  None for a zero baseline."""
    if baseline == 0:
        return None
    if metric in LOWER_IS_BETTER:
        return (current - baseline) / abs(baseline)
    return (baseline - current) / abs(baseline)


def degradation(baseline: dict, current: dict, threshold: float = DEFAULT_THRESHOLD) -> dict:
    """``{metric: {baseline, current, drop, alert}}`` for every numeric baseline metric the current one has."""
    out = {}
    for metric, base in baseline.items():
        cur = current.get(metric)
        if not isinstance(base, (int, float)) or isinstance(base, bool) or not isinstance(cur, (int, float)):
            continue
        drop = relative_drop(metric, float(base), float(cur))
        out[metric] = {"baseline": float(base), "current": float(cur), "drop": drop,
                       "alert": drop is not None and drop > threshold}
    return out


def alert_text(degr: dict, threshold: float = DEFAULT_THRESHOLD, drift_run_id: int | None = None,
               window: str | None = None) -> str:
    """The alert: the dropped metrics with baseline, current and drop, then the recommended actions ('' if none)."""
    dropped = [(m, d) for m, d in degr.items() if d["alert"]]
    if not dropped:
        return ""
    where = f" in the window {window}" if window else ""
    lines = [f"Model performance degraded{where}: {len(dropped)} metric(s) dropped more than "
             f"{threshold * 100:g}% below the baseline."]
    for m, d in dropped:
        lines.append(f"- {m}: baseline {d['baseline']:.4g}, current {d['current']:.4g}, drop {d['drop'] * 100:.1f}%")
    lines.append("Recommended actions:")
    for i, action in enumerate(ACTIONS, 1):
        if i == 1 and drift_run_id is not None:
            action += f" (latest drift run: #{drift_run_id})"
        lines.append(f"{i}. {action}")
    return "\n".join(lines)

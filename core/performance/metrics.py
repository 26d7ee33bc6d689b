"""Model metrics of one set of predictions, and the degradation of current metrics against a baseline.

Classification metrics come from scikit-learn: ``accuracy``; ``precision``, ``recall`` and ``f1`` weighted by
class support (the article's choice) and ``precision_macro``, ``recall_macro``, ``f1_macro``; ``roc_auc`` for
binary labels with a score (or a one-vs-rest AUC with per-class probabilities is left out); the confusion
matrix over the log's classes.  Regression: ``mae``, ``rmse``, ``r2``.

Degradation: for every baseline metric the relative drop ``(baseline - current) / baseline`` (for an error
metric such as MAE or RMSE, where lower is better, the rise ``(current - baseline) / baseline``); a drop above
the threshold (default 0.05) is an alert.
"""

from __future__ import annotations

import math

import numpy as np

#: metrics where a lower value is better: their "drop" is the relative rise
LOWER_IS_BETTER = frozenset({"mae", "rmse"})
DEFAULT_THRESHOLD = 0.05
#: the article's recommended actions when the model has degraded
ACTIONS = ("Check for data drift", "Analyse the recent production data distribution", "Consider retraining the model",
           "Review recent system changes")
CLASSIFICATION_KEYS = ("accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro")
REGRESSION_KEYS = ("mae", "rmse", "r2")


def _f(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def classification_metrics(y_true, y_pred, y_score=None, classes=None, names=None) -> dict:
    """Accuracy, weighted and macro precision/recall/F1, ROC AUC (binary, with scores) and the confusion matrix.

    ``classes`` fixes the label order (the second of two is the positive one for ROC AUC); ``names`` are the
    labels the confusion matrix reports for them (default: the classes themselves).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if classes is None:
        classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    classes = list(classes)
    # one pass per window: per-class precision/recall/F1 and support, averaged here exactly as scikit-learn's
    # average="weighted" (by true support) and average="macro" (over the classes given) do
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, average=None,
                                                       zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=classes)
    total = support.sum()
    out = {"accuracy": _f(np.trace(cm) / cm.sum()) if cm.sum() else None}
    for name, values in (("precision", p), ("recall", r), ("f1", f)):
        out[name] = _f(np.dot(values, support) / total) if total else 0.0
    for name, values in (("precision", p), ("recall", r), ("f1", f)):
        out[f"{name}_macro"] = _f(values.mean())
    out["roc_auc"] = None
    if y_score is not None and len(classes) == 2 and len(set(y_true.tolist())) == 2:
        score = np.asarray(y_score, float)
        ok = np.isfinite(score)
        if ok.all() or len(set(y_true[ok].tolist())) == 2:
            out["roc_auc"] = _f(roc_auc_score(y_true[ok] == classes[1], score[ok]))
    out["confusion_matrix"] = {"labels": [_plain(c) for c in (classes if names is None else names)],
                               "matrix": cm.tolist()}
    return out


def regression_metrics(y_true, y_pred) -> dict:
    """MAE, RMSE and R² (R² is None for fewer than two rows)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    return {"mae": _f(mean_absolute_error(y_true, y_pred)),
            "rmse": _f(math.sqrt(mean_squared_error(y_true, y_pred))),
            "r2": _f(r2_score(y_true, y_pred)) if len(y_true) >= 2 else None}


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


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

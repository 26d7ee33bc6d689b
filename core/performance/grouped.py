"""Model metrics for many groups of rows at once (windows, segments, segment x window), in a few numpy passes.

Every function takes ``group``, a non-negative integer per row (the row's window, say), and ``n_groups``, and
returns one entry per group.  The definitions are scikit-learn's, and the tests hold them equal to it:

* classification, from the per-group confusion matrices (one ``np.bincount`` over
  ``(group * K + true) * K + pred``): ``accuracy``; ``precision``, ``recall`` and ``f1`` per class with
  ``zero_division=0`` (F1 is ``2 TP / (2 TP + FP + FN)``), averaged by true support (``average="weighted"``) and
  over the classes present in the group's labels or predictions (``average="macro"`` without ``labels``);
* ROC AUC from ranks (the Mann-Whitney statistic, ties at their average rank), per group, for a binary
  score; for per-class probabilities the one-vs-rest AUC of every class, averaged by true support
  (``roc_auc``, which is scikit-learn's ``multi_class="ovr", average="weighted"``) and unweighted
  (``roc_auc_macro``, ``average="macro"``).  A class absent from a group's labels has no AUC there: it weighs
  nothing in ``roc_auc`` (so that stays defined) and makes ``roc_auc_macro`` None;
* regression, from per-group sums: MAE, RMSE and R² (``r2_score``'s ``force_finite`` convention: 1.0 for a
  constant target predicted exactly, 0.0 otherwise; None below two rows).
"""

from __future__ import annotations

import math

import numpy as np

#: the largest number of confusion cells counted in one bincount pass (groups are taken in chunks above it)
MAX_CELLS = 20_000_000


def _f(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def confusion_matrices(group, n_groups: int, y_true, y_pred, k: int) -> np.ndarray:
    """``(n_groups, k, k)`` counts: ``[g, t, p]`` rows of group g with label t predicted as p."""
    group, y_true, y_pred = (np.asarray(a, np.int64) for a in (group, y_true, y_pred))
    cells = y_true * k + y_pred
    step = max(1, MAX_CELLS // (k * k))
    if n_groups <= step:
        return np.bincount(group * (k * k) + cells, minlength=n_groups * k * k).reshape(n_groups, k, k)
    out = np.empty((n_groups, k, k), np.int64)
    for lo in range(0, n_groups, step):
        hi = min(n_groups, lo + step)
        sel = (group >= lo) & (group < hi)
        out[lo:hi] = np.bincount((group[sel] - lo) * (k * k) + cells[sel],
                                 minlength=(hi - lo) * k * k).reshape(hi - lo, k, k)
    return out


def scores_from_confusion(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Per group: accuracy and the weighted and macro precision, recall and F1 (``zero_division=0``)."""
    cm = np.asarray(cm, float)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    support = cm.sum(axis=2)          # true count per class
    predicted = cm.sum(axis=1)        # predicted count per class
    n = support.sum(axis=1)
    present = (support + predicted) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = {"precision": np.where(predicted > 0, tp / predicted, 0.0),
                     "recall": np.where(support > 0, tp / support, 0.0),
                     "f1": np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)}
        out = {"accuracy": np.where(n > 0, tp.sum(axis=1) / n, np.nan)}
        n_present = present.sum(axis=1)
        for name, values in per_class.items():
            out[name] = np.where(n > 0, (values * support).sum(axis=1) / n, 0.0)
            out[f"{name}_macro"] = np.where(n_present > 0, (values * present).sum(axis=1) / n_present, np.nan)
    return out


def _sorted_auc(group, n_groups: int, positive, score):
    """Per group: ROC AUC of ``score`` for ``positive`` (NaN where a group lacks either class), positives."""
    order = np.argsort(score)
    if n_groups > 1:
        # the groups in order, the scores sorted within each (a radix sort when the group numbers are small)
        by = group[order]
        by = by.astype(np.uint16) if n_groups <= 65535 else by
        order = order[np.argsort(by, kind="stable")]
    g, s, pos = group[order], score[order], positive[order]
    n = len(s)
    npos = np.bincount(g, weights=pos, minlength=n_groups)
    count = np.bincount(g, minlength=n_groups)
    if n == 0:
        return np.full(n_groups, np.nan), npos
    new = np.empty(n, bool)
    new[0] = True
    new[1:] = (g[1:] != g[:-1]) | (s[1:] != s[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    # 1-based average rank of each tie run within the whole array, then within its group
    run_rank = (starts + ends + 1) / 2.0
    group_start = np.searchsorted(g, np.arange(n_groups))
    rank = run_rank[np.cumsum(new) - 1] - group_start[g]
    rank_sum = np.bincount(g, weights=rank * pos, minlength=n_groups)
    nneg = count - npos
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg)
    return np.where((npos > 0) & (nneg > 0), auc, np.nan), npos


def binary_auc(group, n_groups: int, positive, score) -> np.ndarray:
    """Per group the ROC AUC of a score (rows with a non-finite score left out); NaN without both classes."""
    group, positive, score = np.asarray(group, np.int64), np.asarray(positive, bool), np.asarray(score, float)
    ok = np.isfinite(score)
    if not ok.all():
        group, positive, score = group[ok], positive[ok], score[ok]
    return _sorted_auc(group, n_groups, positive, score)[0]


def ovr_auc(group, n_groups: int, y_true, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group the one-vs-rest ROC AUC of per-class probabilities ``proba`` (rows x classes, class order
    as the codes in ``y_true``): (weighted by true support, macro).  NaN where it is not defined."""
    group, y_true = np.asarray(group, np.int64), np.asarray(y_true, np.int64)
    proba = np.asarray(proba, float)
    ok = np.isfinite(proba).all(axis=1)
    if not ok.all():
        group, y_true, proba = group[ok], y_true[ok], proba[ok]
    k = proba.shape[1]
    aucs = np.empty((n_groups, k))
    support = np.empty((n_groups, k))
    for c in range(k):
        aucs[:, c], support[:, c] = _sorted_auc(group, n_groups, y_true == c, proba[:, c])
    defined = np.isfinite(aucs)
    weights = np.where(defined, support, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = (np.where(defined, aucs, 0.0) * weights).sum(axis=1) / total
    # weighted is defined when at least two classes occur in the group's labels
    classes_seen = (support > 0).sum(axis=1)
    weighted = np.where(classes_seen >= 2, weighted, np.nan)
    macro = np.where(defined.all(axis=1), aucs.mean(axis=1), np.nan)
    return weighted, macro


def classification(group, n_groups: int, y_true, y_pred, k: int, *, score=None, proba=None,
                   names=None) -> list[dict | None]:
    """Per group the classification metrics dict (None for a group without rows).

    ``y_true``/``y_pred`` are class codes ``0..k-1``; ``score`` a binary score for class code 1; ``proba``
    per-class probabilities (rows x k).  ``names`` label the confusion matrix (default the codes).
    """
    group = np.asarray(group, np.int64)
    cm = confusion_matrices(group, n_groups, y_true, y_pred, k)
    scores = scores_from_confusion(cm)
    auc = auc_macro = None
    if proba is not None:
        auc, auc_macro = ovr_auc(group, n_groups, y_true, proba)
    elif score is not None and k == 2:
        auc = binary_auc(group, n_groups, np.asarray(y_true) == 1, score)
    labels = [_plain(c) for c in (range(k) if names is None else names)]
    rows = cm.sum(axis=(1, 2))
    out = []
    for g in range(n_groups):
        if rows[g] == 0:
            out.append(None)
            continue
        m = {key: _f(values[g]) for key, values in scores.items()}
        m["roc_auc"] = None if auc is None else _f(auc[g])
        if auc_macro is not None:
            m["roc_auc_macro"] = _f(auc_macro[g])
        m["confusion_matrix"] = {"labels": labels, "matrix": cm[g].tolist()}
        out.append(m)
    return out


def regression(group, n_groups: int, y_true, y_pred) -> list[dict | None]:
    """Per group MAE, RMSE and R² (None for a group without rows)."""
    group = np.asarray(group, np.int64)
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    count = np.bincount(group, minlength=n_groups).astype(float)
    err = y_pred - y_true
    with np.errstate(divide="ignore", invalid="ignore"):
        sse = np.bincount(group, weights=err * err, minlength=n_groups)
        mae = np.bincount(group, weights=np.abs(err), minlength=n_groups) / count
        mean = np.bincount(group, weights=y_true, minlength=n_groups) / count
        dev = y_true - mean[group]
        sst = np.bincount(group, weights=dev * dev, minlength=n_groups)
        r2 = np.where(sst > 0, 1.0 - sse / sst, np.where(sse == 0, 1.0, 0.0))
        rmse = np.sqrt(sse / count)
    return [None if count[g] == 0 else
            {"mae": _f(mae[g]), "rmse": _f(rmse[g]), "r2": _f(r2[g]) if count[g] >= 2 else None}
            for g in range(n_groups)]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value

"""Confidence-based performance estimation (CBPE) for binary classification, without labels.

The scores are calibrated on a labelled reference period with isotonic regression, so a calibrated score
is the chance the row is positive.  For a window without labels the expected confusion matrix follows:
``TP = sum p`` and ``FP = sum (1 - p)`` over the rows predicted positive, ``FN = sum p`` and ``TN = sum (1 - p)``
over the rows predicted negative.  From it come the estimated accuracy and the support-weighted precision,
recall and F1 (the same definitions as the realised ``precision``/``recall``/``f1``).

The sampling band: even with exact probabilities the realised metric varies, because each label is a coin
flip.  The positives among the predicted-positive rows and among the predicted-negative rows are sums of
independent Bernoulli variables; :func:`estimate` draws both (normal approximation with their exact means
and variances), recomputes every metric per draw, and reports ``<metric>_low``/``<metric>_high`` as the
estimate plus or minus three standard deviations of those draws (clipped to [0, 1]).
"""

from __future__ import annotations

import numpy as np

BAND_SIGMAS = 3.0
DRAWS = 400
KEYS = ("accuracy", "precision", "recall", "f1")


class Calibrator:
    """Isotonic map from a raw score to the chance of the positive class, fitted on labelled reference rows."""

    def __init__(self, scores, positives):
        from sklearn.isotonic import IsotonicRegression

        scores, positives = np.asarray(scores, float), np.asarray(positives, float)
        if len(scores) < 2 or len(set(positives.tolist())) < 2:
            raise ValueError("calibration needs labelled reference rows of both classes")
        self.model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, positives)
        self.rows = int(len(scores))

    def __call__(self, scores) -> np.ndarray:
        return np.clip(self.model.predict(np.asarray(scores, float)), 0.0, 1.0)


def _metrics(tp, fp, fn, tn) -> dict:
    """Accuracy and support-weighted precision/recall/F1 from (arrays of) confusion counts."""
    tp, fp, fn, tn = (np.asarray(v, float) for v in (tp, fp, fn, tn))
    n = tp + fp + fn + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = (tp + tn) / n
        p1, p0 = np.where(tp + fp > 0, tp / (tp + fp), 0.0), np.where(tn + fn > 0, tn / (tn + fn), 0.0)
        r1, r0 = np.where(tp + fn > 0, tp / (tp + fn), 0.0), np.where(tn + fp > 0, tn / (tn + fp), 0.0)
        f1_1 = np.where(p1 + r1 > 0, 2 * p1 * r1 / (p1 + r1), 0.0)
        f1_0 = np.where(p0 + r0 > 0, 2 * p0 * r0 / (p0 + r0), 0.0)
        w1, w0 = (tp + fn) / n, (tn + fp) / n
    return {"accuracy": acc, "precision": w1 * p1 + w0 * p0, "recall": w1 * r1 + w0 * r0,
            "f1": w1 * f1_1 + w0 * f1_0}


def estimate(calibrated, predicted_positive, *, seed: int = 0) -> dict | None:
    """The CBPE estimate of one window: ``accuracy``, ``precision``, ``recall``, ``f1`` and their bands."""
    p = np.asarray(calibrated, float)
    pos = np.asarray(predicted_positive, bool)
    if len(p) == 0:
        return None
    return estimate_from_sums(p[pos].sum(), p[~pos].sum(), (p[pos] * (1 - p[pos])).sum(),
                              (p[~pos] * (1 - p[~pos])).sum(), int(pos.sum()), int((~pos).sum()), seed=seed)


def window_sums(window, n_windows: int, calibrated, predicted_positive) -> tuple[np.ndarray, ...]:
    """Per window the sums :func:`estimate_from_sums` takes: expected positives among the predicted-positive
    and the predicted-negative rows, their variances, and the two row counts."""
    w = np.asarray(window, np.int64)
    p = np.asarray(calibrated, float)
    pos = np.asarray(predicted_positive, bool)
    var = p * (1 - p)

    def s(weights):
        return np.bincount(w, weights=weights, minlength=n_windows)
    return (s(p * pos), s(p * ~pos), s(var * pos), s(var * ~pos),
            np.bincount(w[pos], minlength=n_windows), np.bincount(w[~pos], minlength=n_windows))


def estimate_from_sums(tp, fn, var_tp, var_fn, n_pos: int, n_neg: int, *, seed: int = 0) -> dict | None:
    """The estimate from a window's sums: ``tp``/``fn`` the expected positives among the rows predicted
    positive/negative, ``var_*`` their variances, ``n_pos``/``n_neg`` those rows' counts."""
    n_pos, n_neg = int(n_pos), int(n_neg)
    if n_pos + n_neg == 0:
        return None
    point = {k: float(v) for k, v in _metrics(tp, n_pos - tp, fn, n_neg - fn).items()}
    rng = np.random.default_rng(seed)
    tp_d = np.clip(rng.normal(tp, np.sqrt(var_tp), DRAWS), 0, n_pos)
    fn_d = np.clip(rng.normal(fn, np.sqrt(var_fn), DRAWS), 0, n_neg)
    draws = _metrics(tp_d, n_pos - tp_d, fn_d, n_neg - fn_d)
    out = {}
    for k in KEYS:
        sd = float(np.nanstd(draws[k]))
        out[k] = point[k]
        out[f"{k}_low"] = max(0.0, point[k] - BAND_SIGMAS * sd)
        out[f"{k}_high"] = min(1.0, point[k] + BAND_SIGMAS * sd)
    return out

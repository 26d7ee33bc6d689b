"""Business impact of predictions (value per prediction, by confidence, by outcome, over time) and the
cold-start policy for users with little history.

ROI: every row carries a ``business_value`` (what the prediction earned or saved), optionally a
``business_outcome`` (e.g. fraud_confirmed), a confidence and a timestamp.  The high-confidence value is the
value of the rows whose confidence is strictly above the threshold (0.7).

Cold start: a user with ``n`` earlier interactions is served the personal score when ``n >= min_data_points``
(50), the global score when ``n == 0``, and between the two the blend ``w * personal + (1 - w) * global`` with
``w = n / min_data_points``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import PreflightError, check_cancel

DEFAULT_CONFIDENCE = 0.7
DEFAULT_MIN_DATA_POINTS = 50
REGIMES = ("global", "blend", "personal")
#: history-length bins of the cold-start chart: [lo, hi) in interactions
HISTORY_BINS = ((0, 1), (1, 10), (10, 25), (25, 50), (50, None))


def roi(values, *, outcomes=None, confidence=None, timestamps=None,
        confidence_threshold: float = DEFAULT_CONFIDENCE) -> dict:
    """``{predictions, total_value, value_per_prediction, high_confidence_value, by_outcome, cumulative}``."""
    v = np.asarray(values, float)
    n = len(v)
    if n == 0:
        raise PreflightError("the log has no rows")
    if not np.all(np.isfinite(v)):
        row = int(np.flatnonzero(~np.isfinite(v))[0]) + 1
        raise PreflightError(f"row {row}: business_value is missing")
    total = float(v.sum())
    high = None
    if confidence is not None:
        c = np.asarray(confidence, float)
        high = float(v[np.nan_to_num(c, nan=-1.0) > confidence_threshold].sum())
    by_outcome = {}
    if outcomes is not None:
        s = pd.Series(v).groupby(pd.Series(outcomes, dtype=object).fillna("(none)").map(str).to_numpy()).sum()
        by_outcome = {str(k): float(x) for k, x in s.items()}
    cumulative = []
    if timestamps is not None:
        order = np.argsort(timestamps, kind="stable")
        ts = pd.DatetimeIndex(np.asarray(timestamps)[order]).floor("1D")
        daily = pd.Series(v[order]).groupby(ts).sum().cumsum()
        cumulative = [{"time": t.strftime("%Y-%m-%d"), "value": float(x)} for t, x in daily.items()]
    else:
        step = max(1, n // 200)
        cs = np.cumsum(v)
        cumulative = [{"time": int(i + 1), "value": float(cs[i])} for i in range(step - 1, n, step)]
        if cumulative[-1]["time"] != n:
            cumulative.append({"time": n, "value": total})
    return {"predictions": n, "total_value": total, "value_per_prediction": total / n,
            "high_confidence_value": high, "confidence_threshold": confidence_threshold,
            "by_outcome": by_outcome, "cumulative": cumulative}


def history_counts(user_id, timestamps=None) -> np.ndarray:
    """Per row, how many earlier rows (in time order, else log order) the same user has."""
    n = len(user_id)
    order = np.argsort(timestamps, kind="stable") if timestamps is not None else np.arange(n)
    counts = np.empty(n, np.int64)
    counts[order] = pd.Series(np.asarray(user_id, dtype=object)[order]).groupby(
        pd.Series(np.asarray(user_id, dtype=object)[order]).map(str)).cumcount().to_numpy()
    return counts


def policy_weight(history, min_data_points: int = DEFAULT_MIN_DATA_POINTS) -> np.ndarray:
    """Weight of the personal score: 0 without history, n/min in between, 1 from ``min_data_points`` on."""
    h = np.asarray(history, float)
    return np.clip(h / min_data_points, 0.0, 1.0)


def regime(history, min_data_points: int = DEFAULT_MIN_DATA_POINTS) -> np.ndarray:
    h = np.asarray(history)
    return np.where(h >= min_data_points, "personal", np.where(h <= 0, "global", "blend"))


def _score_metric(y, score, binary: bool) -> float | None:
    if len(y) == 0:
        return None
    if binary:
        return float(np.mean((score >= 0.5).astype(int) == y))
    return float(np.mean(np.abs(score - y)))


def coldstart(user_id, global_score, personal_score, *, history=None, y_true=None, timestamps=None,
              min_data_points: int = DEFAULT_MIN_DATA_POINTS, cancelled=None) -> dict:
    """Simulate the policy: regime shares (users and predictions), metrics per regime, gain of blend over global."""
    if min_data_points < 1:
        raise PreflightError("min_data_points must be at least 1")
    g, p = np.asarray(global_score, float), np.asarray(personal_score, float)
    users = pd.Series(user_id, dtype=object).map(str).to_numpy()
    n = len(users)
    if n == 0:
        raise PreflightError("the log has no rows")
    h = np.asarray(history, float) if history is not None else history_counts(users, timestamps)
    w = policy_weight(h, min_data_points)
    served = w * p + (1 - w) * g
    reg = regime(h, min_data_points)
    last = pd.Series(reg).groupby(users).last()
    user_share = {r: float((last == r).mean()) for r in REGIMES}
    pred_share = {r: float((reg == r).mean()) for r in REGIMES}
    check_cancel(cancelled)
    out = {"rows": n, "users": int(len(last)), "min_data_points": min_data_points, "users_share": user_share,
           "predictions_share": pred_share, "metric": None, "per_regime": {}, "gain": None, "by_history": []}
    if y_true is not None:
        yt = pd.to_numeric(pd.Series(y_true, dtype=object), errors="coerce").to_numpy(float)
        known = np.isfinite(yt)
        binary = bool(known.any()) and set(np.unique(yt[known]).tolist()) <= {0.0, 1.0}
        out["metric"] = "accuracy" if binary else "mae"
        for r in REGIMES:
            m = known & (reg == r)
            out["per_regime"][r] = {"labelled": int(m.sum()), "policy": _score_metric(yt[m], served[m], binary),
                                    "global_only": _score_metric(yt[m], g[m], binary)}
        pol, glo = _score_metric(yt[known], served[known], binary), _score_metric(yt[known], g[known], binary)
        if pol is not None:
            out["gain"] = {"policy": pol, "global_only": glo, "gain": (pol - glo) if binary else (glo - pol)}
        for lo, hi in HISTORY_BINS:
            m = known & (h >= lo) & ((h < hi) if hi is not None else True)
            out["by_history"].append({"bin": f"{lo}+" if hi is None else f"{lo}-{hi - 1}", "labelled": int(m.sum()),
                                      "policy": _score_metric(yt[m], served[m], binary),
                                      "global_only": _score_metric(yt[m], g[m], binary)})
    return out

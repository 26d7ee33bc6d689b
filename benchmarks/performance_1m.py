"""Performance over time on a 1M-row prediction log with daily windows.

Times Preflight's ``evaluate`` (in-process, all metrics, CBPE) and ``run_performance`` (reading a Parquet file
too) against a naive pandas loop that groups by day and calls scikit-learn's metric functions per window.

    python benchmarks/performance_1m.py [ROWS] [DAYS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.performance.evaluate import Columns, evaluate  # noqa: E402
from core.performance.run import PerformanceSettings, run_performance  # noqa: E402


def make_log(n: int, days: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    x = rng.normal(0, 1.2, n) * np.where(np.arange(n) > 0.7 * n, 0.5, 1.0)
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    return pd.DataFrame({"timestamp": ts, "y_true": y, "y_score": p, "y_pred": (p >= 0.5).astype(int)})


def naive(df: pd.DataFrame) -> list[dict]:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, roc_auc_score

    out = []
    for day, g in df.groupby(df["timestamp"].dt.floor("1D")):
        m = {"accuracy": accuracy_score(g.y_true, g.y_pred)}
        for avg in ("weighted", "macro"):
            m[avg] = precision_recall_fscore_support(g.y_true, g.y_pred, average=avg, zero_division=0)[:3]
        m["roc_auc"] = roc_auc_score(g.y_true, g.y_score)
        m["cm"] = confusion_matrix(g.y_true, g.y_pred).tolist()
        out.append(m)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 90
    df = make_log(n, days)
    import sklearn.isotonic  # noqa: F401 - imported before timing, for both sides
    import sklearn.metrics  # noqa: F401
    cols = Columns(df.y_true.to_numpy(object), df.y_pred.to_numpy(object), df.y_score.to_numpy(),
                   df.timestamp.dt.tz_convert(None).to_numpy())
    repeats = 3
    t_eval, t_naive, t_run = [], [], []
    c_eval, c_naive, c_run = [], [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        r = evaluate(cols, window="1D", baseline_windows=7)
        t_eval.append(time.perf_counter() - t)
        c_eval.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        ref = naive(df)
        t_naive.append(time.perf_counter() - t)
        c_naive.append(time.process_time() - c)
    assert len(ref) == len(r["windows"])
    for a, w in zip(ref, r["windows"]):
        m = w["metrics"]
        assert abs(a["accuracy"] - m["accuracy"]) < 1e-12 and abs(a["roc_auc"] - m["roc_auc"]) < 1e-12
        assert all(abs(x - m[k]) < 1e-12 for x, k in zip(a["weighted"], ("precision", "recall", "f1")))
        assert all(abs(x - m[k]) < 1e-12 for x, k in zip(a["macro"], ("precision_macro", "recall_macro", "f1_macro")))
        assert a["cm"] == m["confusion_matrix"]["matrix"]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "log.parquet"
        df.to_parquet(path, index=False)
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            run_performance(path, PerformanceSettings(window="1D", baseline_windows=7))
            t_run.append(time.perf_counter() - t)
            c_run.append(time.process_time() - c)
    print(f"{n:,} rows, {len(r['windows'])} daily windows, best of {repeats} (median in brackets) wall time, and "
          f"the best CPU time; every window's metrics equal the naive loop's to 1e-12; load average "
          f"{os.getloadavg()[0]:.1f}")
    for label, ts, cs in (("preflight evaluate (all metrics + CBPE)", t_eval, c_eval),
                          ("preflight run_performance (Parquet read included)", t_run, c_run),
                          ("naive pandas groupby + scikit-learn per window (no CBPE)", t_naive, c_naive)):
        print(f"{label}: {min(ts):.2f} s ({sorted(ts)[len(ts) // 2]:.2f} s), CPU {min(cs):.2f} s")


if __name__ == "__main__":
    main()

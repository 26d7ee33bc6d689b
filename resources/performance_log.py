"""Generate the demo's prediction log: a breast-cancer classifier served for 12 weeks, drifting in the last 4.

A logistic regression is trained on half of scikit-learn's bundled breast-cancer data.  Production
requests are resampled from the other half with measurement noise; from week 9 on a recalibrated scanner
reads every size and texture feature 12-25 % larger (a covariate drift the model never saw), so benign
cases start to look malignant and accuracy falls.  Labels (the biopsy result, 1 = benign as in the data set)
arrive late: the last five days have none.  Each row also carries a channel, a model version, a latency and
the business value of the decision.

Run ``python resources/performance_log.py OUT.csv`` to write it; :func:`generate` returns the table.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

WEEKS = 12
DRIFT_FROM_WEEK = 9
PER_DAY = 60
START = pd.Timestamp("2026-08-03T00:00:00Z")


def generate(seed: int = 7) -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    x_train, x_pool, y_train, y_pool = train_test_split(data.data, data.target, test_size=0.5, random_state=seed,
                                                        stratify=data.target)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.05)).fit(x_train, y_train)
    rng = np.random.default_rng(seed)
    n = WEEKS * 7 * PER_DAY
    pick = rng.integers(0, len(x_pool), n)
    x = x_pool[pick] * rng.normal(1.0, 0.04, (n, x_pool.shape[1]))
    y = y_pool[pick]
    seconds = np.sort(rng.uniform(0, WEEKS * 7 * 86400, n))
    ts = START + pd.to_timedelta(seconds, unit="s")
    week = (seconds // (7 * 86400)).astype(int) + 1
    drifted = week >= DRIFT_FROM_WEEK
    growth = np.linspace(1.12, 1.25, WEEKS - DRIFT_FROM_WEEK + 1)[np.clip(week - DRIFT_FROM_WEEK, 0, None)]
    x[drifted] *= growth[drifted, None]
    score = model.predict_proba(x)[:, 1]
    pred = (score >= 0.5).astype(int)
    labels = pd.array(y, dtype="Int64")
    labels[seconds > seconds.max() - 5 * 86400] = pd.NA
    outcome = np.where(pred == y, np.where(y == 0, "malignant_caught", "benign_cleared"),
                       np.where(y == 0, "malignant_missed", "false_alarm"))
    value = np.select([outcome == "malignant_caught", outcome == "benign_cleared", outcome == "malignant_missed"],
                      [1200.0, 40.0, -5000.0], default=-300.0)
    return pd.DataFrame({
        "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "y_true": labels, "y_score": np.round(score, 5),
        "y_pred": pred, "channel": rng.choice(["hospital", "clinic", "mobile_unit"], n, p=[0.5, 0.35, 0.15]),
        "model_version": "v2.3", "latency_ms": np.round(rng.gamma(3.0, 12.0, n), 2),
        "confidence": np.round(np.maximum(score, 1 - score), 5), "business_outcome": outcome,
        "business_value": value})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python resources/performance_log.py OUT.csv")
    generate().to_csv(sys.argv[1], index=False)

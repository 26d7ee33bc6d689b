"""Domain-classifier (multivariate) drift."""

import json

import numpy as np
import pandas as pd
import pytest

from core.drift.compute import compute_drift
from core.errors import Cancelled, PreflightError
from core.drift.multivariate import domain_classifier


def _table(rng, n, shift=0.0, cat_p=(0.5, 0.3, 0.2)):
    df = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(5)})
    df["n2"] += shift
    df["c"] = pd.Categorical(rng.choice(["x", "y", "z"], size=n, p=list(cat_p)))
    df["b"] = rng.random(n) < 0.5
    df.loc[::11, "n0"] = np.nan
    return df


KINDS = {**{f"n{i}": "numeric" for i in range(5)}, "c": "categorical", "b": "boolean"}


def test_shifted_column_is_detected_and_named_top():
    rng = np.random.default_rng(0)
    out = domain_classifier(_table(rng, 3000), _table(rng, 3000, shift=0.8), list(KINDS), KINDS)
    assert out["method"] == "domain_classifier" and out["threshold"] == 0.55
    assert out["auc"] > 0.6 and out["drifted"]
    assert out["top_features"][0]["name"] == "n2"
    assert out["top_features"][0]["importance"] > 5 * abs(out["top_features"][1]["importance"])
    assert len(out["top_features"]) == 5 and len(out["auc_folds"]) == 3
    assert out["rows_used"] == {"reference": 3000, "current": 3000}
    json.dumps(out, allow_nan=False)


def test_identical_distributions_give_auc_near_half():
    rng = np.random.default_rng(1)
    out = domain_classifier(_table(rng, 3000), _table(rng, 3000), list(KINDS), KINDS)
    assert abs(out["auc"] - 0.5) < 0.04 and not out["drifted"]


def test_categorical_shift_is_found_through_codes():
    rng = np.random.default_rng(2)
    out = domain_classifier(_table(rng, 3000), _table(rng, 3000, cat_p=(0.2, 0.3, 0.5)),
                            list(KINDS), KINDS)
    assert out["drifted"] and out["top_features"][0]["name"] == "c"


def test_broken_correlation_is_seen_although_each_column_is_unchanged():
    rng = np.random.default_rng(3)
    x = rng.normal(size=4000)
    ref = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.1, 4000)})
    cur = pd.DataFrame({"x": rng.normal(size=4000), "y": rng.normal(0, 1.005, 4000)})
    kinds = {"x": "numeric", "y": "numeric"}
    res = compute_drift(ref, cur, kinds)
    assert res.drifted_share == 0.0  # no single column moved
    assert res.multivariate["drifted"] and res.multivariate["auc"] > 0.8


def test_max_rows_high_cardinality_and_datetime():
    rng = np.random.default_rng(4)
    n = 2500

    def table():
        t0 = pd.Timestamp("2024-01-01")
        return pd.DataFrame({"id": [f"u{i}" for i in rng.integers(0, 600, n)], "v": rng.normal(size=n),
                             "t": t0 + pd.to_timedelta(rng.integers(0, 9999, n), "s")})

    ref, cur = table(), table()
    kinds = {"id": "categorical", "v": "numeric", "t": "datetime"}
    out = domain_classifier(ref, cur, list(kinds), kinds, max_rows=1000)
    assert out["rows_used"] == {"reference": 1000, "current": 1000}
    assert 0.4 < out["auc"] < 0.6


def test_too_few_rows_and_cancellation():
    rng = np.random.default_rng(5)
    small = _table(rng, 10)
    with pytest.raises(PreflightError, match="at least 20 rows"):
        domain_classifier(small, small, list(KINDS), KINDS)
    res = compute_drift(small, small.copy(), KINDS)
    assert res.multivariate is None and any("multivariate drift skipped" in w for w in res.warnings)
    big = _table(rng, 500)
    with pytest.raises(Cancelled):
        domain_classifier(big, big, list(KINDS), KINDS, cancelled=lambda: True)
    with pytest.raises(PreflightError, match="at least one numeric"):
        domain_classifier(big.assign(t="x"), big, ["t"], {"t": "text"})

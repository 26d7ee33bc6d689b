"""The drift chart's histogram: whole numbers get bins centred on the integers (no empty bars between
values), other values equal-width bins between the pooled 0.5% and 99.5% quantiles; both engines agree."""

import numpy as np
import pandas as pd
import pytest

from core.drift.compute import compute_drift
from core.drift.columns import HIST_BINS, histogram_edges


def _hist(ref, cur, kind="numeric"):
    res = compute_drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), {"x": kind}, multivariate=False)
    return res.to_dict()["columns"][0]["histogram"]


def test_hours_get_one_bin_per_hour_and_no_empty_bar():
    rng = np.random.default_rng(3)
    h = _hist(rng.integers(0, 24, 5000), rng.integers(0, 24, 5000))
    assert h["edges"] == [k - 0.5 for k in range(25)]
    assert all(c > 0 for c in h["reference"]) and all(c > 0 for c in h["current"])
    assert sum(h["reference"]) + h["clipped"]["reference"]["below"] + h["clipped"]["reference"]["above"] == 5000


def test_a_wide_integer_range_uses_whole_widths_centred_on_integers():
    rng = np.random.default_rng(4)
    h = _hist(rng.integers(300, 851, 20000), rng.integers(300, 851, 20000))
    edges = np.asarray(h["edges"])
    width = edges[1] - edges[0]
    assert width == int(width) and len(edges) - 1 <= HIST_BINS
    assert np.allclose(edges % 1, 0.5) and np.allclose(np.diff(edges), width)
    assert all(c > 0 for c in h["reference"][1:-1])  # every inner bin holds values
    lo, hi = h["range"]
    assert lo == int(lo) and hi == int(hi) and edges[0] == lo - 0.5 and edges[-1] >= hi + 0.5


def test_fractional_values_keep_equal_width_bins():
    rng = np.random.default_rng(5)
    ref, cur = rng.normal(size=3000), rng.normal(0.3, 1, 3000)
    h = _hist(ref, cur)
    pooled = np.sort(np.concatenate([ref, cur]))
    lo, hi = np.quantile(pooled, [0.005, 0.995])
    assert h["edges"] == pytest.approx(np.linspace(lo, hi, HIST_BINS + 1).tolist(), rel=1e-12)


def test_edges_for_a_single_value_and_huge_integers():
    lo, hi, edges = histogram_edges(7.0, 7.0 + 0, True)
    assert (lo, hi) == (7.0, 7.0) and edges.tolist() == [6.5, 7.5]
    lo, hi, edges = histogram_edges(1.0, 2.0 ** 60, True)  # beyond exact doubles: equal widths
    assert len(edges) == HIST_BINS + 1

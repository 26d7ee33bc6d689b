"""Properties of the drift statistics that must hold for any data (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from scipy import stats as st

from core.drift import stattests
from core.drift.compute import compute_drift

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

counts = hs.lists(hs.integers(0, 1000), min_size=1, max_size=12).filter(lambda c: sum(c) > 0)
# coarse values so that ties and duplicate decile edges are common
values = hs.lists(hs.one_of(hs.integers(-5, 5).map(float),
                            hs.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
                  min_size=2, max_size=120)
labels = hs.lists(hs.sampled_from(["a", "b", "c", "d", "e"]), min_size=2, max_size=120)


@SETTINGS
@given(hs.data())
def test_psi_is_never_negative_and_zero_on_itself(data):
    r = data.draw(counts)
    c = data.draw(hs.lists(hs.integers(0, 1000), min_size=len(r), max_size=len(r))
                  .filter(lambda x: sum(x) > 0))
    assert stattests.psi(r, c) >= 0
    assert stattests.psi(r, r) == 0
    assert stattests.jensen_shannon(r, r) == 0


@SETTINGS
@given(values, values)
def test_ks_and_wasserstein_equal_scipy_for_any_samples(a, b):
    d, p, w, _ = stattests.ks_wasserstein(np.sort(a), np.sort(b))
    ref = st.ks_2samp(a, b)
    assert d == pytest.approx(float(ref.statistic), rel=1e-12, abs=1e-15)
    assert p == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-300)
    assert w == pytest.approx(st.wasserstein_distance(a, b), rel=1e-9, abs=1e-9)


@SETTINGS
@given(values, hs.lists(hs.floats(-2e6, 2e6, allow_nan=False), min_size=0, max_size=40))
def test_bin_counts_equal_searchsorted_rule(ref, x):
    edges = np.quantile(ref, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    expected = np.bincount(np.searchsorted(edges, np.asarray(x, dtype=float), side="right"),
                           minlength=10)
    assert stattests.bin_counts(np.sort(np.asarray(x, dtype=float)), edges).tolist() == expected.tolist()


def _frames(xr, xc, cr, cc):
    return (pd.DataFrame({"x": pd.Series(xr, dtype=float)}), pd.DataFrame({"x": pd.Series(xc, dtype=float)}),
            pd.DataFrame({"c": cr}), pd.DataFrame({"c": cc}))


def _stats(ref, cur, kinds):
    res = compute_drift(ref, cur, kinds, multivariate=False, workers=1)
    col = res.columns[0]
    return col.psi, col.ks_statistic, col.ks_p_value, col.jensen_shannon, col.chi2_p_value, col.wasserstein


@SETTINGS
@given(values, values, labels, labels, hs.randoms(use_true_random=False))
def test_row_order_does_not_matter(xr, xc, cr, cc, rnd):
    xr_p, xc_p, cr_p, cc_p = (rnd.sample(v, len(v)) for v in (xr, xc, cr, cc))
    r1, c1, r2, c2 = _frames(xr, xc, cr, cc)
    p1, q1, p2, q2 = _frames(xr_p, xc_p, cr_p, cc_p)
    assert _stats(r1, c1, {"x": "numeric"}) == _stats(p1, q1, {"x": "numeric"})
    assert _stats(r2, c2, {"c": "categorical"}) == _stats(p2, q2, {"c": "categorical"})


@SETTINGS
@given(values, labels)
def test_psi_of_a_table_against_itself_is_zero(x, c):
    nr, _, cr, _ = _frames(x, x, c, c)
    num = compute_drift(nr, nr.copy(), {"x": "numeric"}, multivariate=False).columns[0]
    cat = compute_drift(cr, cr.copy(), {"c": "categorical"}, multivariate=False).columns[0]
    assert num.psi == 0 and num.jensen_shannon == 0 and num.ks_statistic == 0
    assert cat.psi == 0 and cat.jensen_shannon == 0 and not cat.drifted
    assert num.psi_band == cat.psi_band == "stable"


@SETTINGS
@given(values, hs.lists(hs.floats(0, 1), min_size=1, max_size=30))
def test_sorted_quantiles_equal_np_quantile_bit_for_bit(x, probs):
    from core.drift.profile import decile_edges, sorted_quantiles

    a = np.sort(np.asarray(x, dtype=float))
    p = np.asarray(probs + [0.1, 0.5, 0.9])
    assert np.array_equal(sorted_quantiles(a, p), np.quantile(a, p))
    assert np.array_equal(decile_edges(a), np.quantile(a, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))

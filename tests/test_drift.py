"""Drift engine: statistics against scipy, hand-computed PSI, verdict rules, profiles."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from scipy.spatial.distance import jensenshannon

from core.drift import stattests
from core.drift.compute import compute_drift
from core.errors import Cancelled, PreflightError
from core.drift.profile import ReferenceProfile, build_profile

DEC = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def run(ref, cur, kinds, **kw):
    kw.setdefault("multivariate", False)
    return compute_drift(ref, cur, kinds, **kw)


def decile_shares(ref, x):
    edges = np.quantile(ref, DEC)
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=10)
    return counts / counts.sum()


def psi_by_hand(r, c):
    r = np.where(np.asarray(r) == 0, 1e-4, r)
    c = np.where(np.asarray(c) == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r)))


# ---------------------------------------------------------------- statistics vs scipy

@pytest.mark.parametrize("n1,n2,rounded", [(40, 70, False), (300, 300, True), (2000, 9000, False),
                                           (12000, 3000, False), (15000, 20000, True)])
def test_ks_and_wasserstein_equal_scipy(n1, n2, rounded):
    rng = np.random.default_rng(n1 + n2)
    a, b = rng.normal(size=n1), rng.normal(0.05, 1.1, size=n2)
    if rounded:  # many ties
        a, b = np.round(a, 1), np.round(b, 1)
    d, p, w, merged = stattests.ks_wasserstein(np.sort(a), np.sort(b))
    ref = st.ks_2samp(a, b)
    assert d == pytest.approx(float(ref.statistic), rel=1e-12, abs=0)
    assert p == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-300)
    assert w == pytest.approx(st.wasserstein_distance(a, b), rel=1e-12)
    assert np.array_equal(merged, np.sort(np.concatenate([a, b])))


def test_ks_asymptotic_branch_matches_scipy_statistic_exactly():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=30000), rng.normal(0.02, 1, size=11000)
    d, p, _, _ = stattests.ks_wasserstein(np.sort(a), np.sort(b))
    ref = st.ks_2samp(a, b)
    assert d == float(ref.statistic)
    assert p == pytest.approx(float(ref.pvalue), rel=1e-12)


def test_chi2_and_jensen_shannon_equal_scipy():
    r, c = np.array([30, 50, 20, 7]), np.array([25, 40, 40, 1])
    res = st.chi2_contingency(np.vstack([r, c]))
    assert stattests.chi2(r, c) == pytest.approx((res.statistic, res.pvalue), rel=1e-12)
    two = st.chi2_contingency(np.array([[30, 70], [45, 55]]))  # Yates correction at dof 1
    assert stattests.chi2([30, 70], [45, 55]) == pytest.approx((two.statistic, two.pvalue), rel=1e-12)
    assert stattests.chi2([10], [5]) == (0.0, 1.0)
    assert stattests.jensen_shannon(r, c) == pytest.approx(
        jensenshannon(r / r.sum(), c / c.sum(), base=2), rel=1e-12)


def test_bin_counts_follow_searchsorted_right_rule():
    rng = np.random.default_rng(0)
    x = np.sort(np.concatenate([rng.integers(0, 5, 500), [-10.0, 99.0]]).astype(float))
    edges = np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 4.0])
    expected = np.bincount(np.searchsorted(edges, x, side="right"), minlength=10)
    assert stattests.bin_counts(x, edges).tolist() == expected.tolist()


def test_column_statistics_match_scipy_on_generated_data():
    rng = np.random.default_rng(11)
    ref = pd.DataFrame({"x": rng.gamma(2.0, 1.0, 4000), "c": rng.choice(list("abcde"), 4000,
                                                                       p=[.4, .3, .1, .1, .1])})
    cur = pd.DataFrame({"x": rng.gamma(2.2, 1.0, 3000), "c": rng.choice(list("abcdf"), 3000)})
    ref.loc[::7, "x"] = np.nan
    cur.loc[::5, "c"] = None
    res = run(ref, cur, {"x": "numeric", "c": "categorical"})
    x, c = res.column("x"), res.column("c")
    a, b = ref["x"].dropna().to_numpy(), cur["x"].dropna().to_numpy()
    ks = st.ks_2samp(a, b)
    assert x.ks_statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert x.ks_p_value == pytest.approx(ks.pvalue, rel=1e-9)
    assert x.wasserstein == pytest.approx(st.wasserstein_distance(a, b) / np.std(a), rel=1e-12)
    assert x.jensen_shannon == pytest.approx(
        jensenshannon(decile_shares(a, a), decile_shares(a, b), base=2), rel=1e-12)
    assert x.psi == pytest.approx(psi_by_hand(decile_shares(a, a), decile_shares(a, b)), rel=1e-12)
    assert x.reference_std == pytest.approx(np.std(a)) and x.current_mean == pytest.approx(b.mean())
    assert x.missing_share_reference == pytest.approx(ref["x"].isna().mean())
    assert x.psi_bins["edges"] == pytest.approx(np.quantile(a, DEC).tolist(), rel=0, abs=0)
    labels = ["a", "b", "c", "d", "e", "f"]
    rc = ref["c"].value_counts().reindex(labels, fill_value=0).to_numpy()
    cc = cur["c"].value_counts().reindex(labels, fill_value=0).to_numpy()
    chi = st.chi2_contingency(np.vstack([rc, cc]))
    assert (c.chi2_statistic, c.chi2_p_value) == pytest.approx((chi.statistic, chi.pvalue), rel=1e-12)
    assert c.jensen_shannon == pytest.approx(jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))
    assert c.psi == pytest.approx(psi_by_hand(rc / rc.sum(), cc / cc.sum()), rel=1e-12)
    assert c.new_categories == ("f",) and c.new_categories_count == 1
    assert c.missing_share_current == pytest.approx(0.2, abs=1e-3)
    assert sum(x.histogram["current"]) <= len(b) and len(x.histogram["edges"]) == 31


# ---------------------------------------------------------------- PSI by hand

def test_psi_hand_computed_outer_bins_and_edge_value():
    ref = pd.DataFrame({"x": np.arange(11.0)})  # deciles are exactly 1, 2, ..., 9
    cur = pd.DataFrame({"x": [-3.0, 1.0, 1.0, 20.0]})  # 1.0 sits on an edge -> upper bin
    col = run(ref, cur, {"x": "numeric"}).column("x")
    assert col.psi_bins["edges"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert col.psi_bins["current"] == [0.25, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.25]
    r = [1 / 11] * 9 + [2 / 11]
    c = [0.25, 0.5] + [1e-4] * 7 + [0.25]
    expected = sum((ci - ri) * math.log(ci / ri) for ci, ri in zip(c, r))
    assert col.psi == pytest.approx(expected, rel=1e-12)
    assert col.psi_band == "major"


def test_psi_categorical_zero_share_replaced_not_renormalised():
    ref = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50})
    cur = pd.DataFrame({"c": ["a"] * 50 + ["c"] * 50})
    col = run(ref, cur, {"c": "categorical"}).column("c")
    assert col.psi == pytest.approx(2 * (0.5 - 1e-4) * math.log(0.5 / 1e-4), rel=1e-12)
    assert col.new_categories == ("c",)


def test_psi_with_duplicate_edges_does_not_crash():
    ref = np.r_[np.zeros(800), np.arange(1.0, 201.0)]
    cur = np.r_[np.zeros(300), np.arange(1.0, 701.0)]
    col = run(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), {"x": "numeric"}).column("x")
    assert col.psi == pytest.approx(psi_by_hand(decile_shares(ref, ref), decile_shares(ref, cur)))
    assert col.psi_bins["reference"][:7] == [0] * 7  # empty bins between equal edges


def test_psi_band_limits():
    assert [stattests.psi_band(v) for v in (0.0, 0.0999, 0.1, 0.25, 0.2501)] == \
        ["stable", "stable", "moderate", "moderate", "major"]


# ---------------------------------------------------------------- verdict rules

def test_bh_adjustment_by_hand_and_scipy():
    p = [0.01, 0.04, 0.03, 0.5]
    assert stattests.bh_adjust(p) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert stattests.bh_adjust(p) == pytest.approx(st.false_discovery_control(p).tolist())


def test_auto_uses_bh_adjusted_p_values_at_small_n():
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({f"x{i}": rng.normal(size=300) for i in range(3)})
    cur = pd.DataFrame({f"x{i}": rng.normal(0.12 * i, 1, 200) for i in range(3)})
    res = run(ref, cur, {c: "numeric" for c in ref})
    raw = [st.ks_2samp(ref[c], cur[c]).pvalue for c in ref]
    adj = st.false_discovery_control(raw)
    for col, p, q in zip(res.columns, raw, adj):
        assert col.method == "ks" and col.score == pytest.approx(p)
        assert col.p_value_adjusted == pytest.approx(q)
        assert col.drifted == (q < 0.05)


@pytest.mark.parametrize("n,numeric_method,cat_method", [(1000, "ks", "chi2"),
                                                         (1001, "wasserstein", "jensenshannon")])
def test_auto_rule_switches_at_1000_reference_values(n, numeric_method, cat_method):
    rng = np.random.default_rng(n)
    ref = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("ab"), n)})
    cur = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    res = run(ref, cur, {"x": "numeric", "c": "categorical"})
    assert res.column("x").method == numeric_method
    assert res.column("c").method == cat_method
    assert (res.column("x").p_value_adjusted is None) == (numeric_method == "wasserstein")


def test_auto_low_cardinality_numeric_uses_chi2_on_values():
    ref = pd.DataFrame({"k": [0.0, 1.0, 2.0] * 100})
    cur = pd.DataFrame({"k": [0.0] * 150 + [1.0] * 100 + [2.0] * 50 + [3.0] * 10})
    col = run(ref, cur, {"k": "numeric"}).column("k")
    chi = st.chi2_contingency(np.array([[100, 100, 100, 0], [150, 100, 50, 10]]))
    assert col.method == "chi2"
    assert (col.chi2_statistic, col.score) == pytest.approx((chi.statistic, chi.pvalue))


def test_method_overrides_thresholds_and_fallbacks():
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(list("abc"), 2000)})
    cur = pd.DataFrame({"x": rng.normal(0.3, 1, 2000), "c": rng.choice(list("abc"), 2000)})
    kinds = {"x": "numeric", "c": "categorical"}
    res = run(ref, cur, kinds, method="psi")
    assert res.method == "psi" and res.column("x").threshold == 0.2
    assert res.column("x").score == res.column("x").psi
    assert res.column("x").drifted == (res.column("x").psi >= 0.2)
    low = run(ref, cur, kinds, method="psi", threshold=0.0001)
    assert low.column("c").threshold == 0.0001 and low.column("c").drifted
    ks = run(ref, cur, kinds, method="ks", threshold=0.01)
    assert ks.column("x").method == "ks" and ks.column("x").threshold == 0.01
    assert ks.column("c").method == "jensenshannon" and ks.column("c").threshold == 0.1
    assert any("'ks' does not apply to categorical" in w for w in ks.warnings)
    chi = run(ref, cur, kinds, method="chi2")
    assert chi.column("x").method == "wasserstein" and chi.column("c").method == "chi2"
    assert chi.column("c").p_value_adjusted == pytest.approx(chi.column("c").score)
    js = run(ref, cur, kinds, method="jensenshannon")
    assert js.column("x").score == js.column("x").jensen_shannon
    with pytest.raises(PreflightError, match="unknown drift method"):
        run(ref, cur, kinds, method="magic")
    with pytest.raises(PreflightError, match="out of range"):
        run(ref, cur, kinds, method="ks", threshold=2)


def test_constant_reference_has_no_wasserstein_and_falls_back():
    ref = pd.DataFrame({"x": np.full(2000, 3.0)})
    cur = pd.DataFrame({"x": np.r_[np.full(1000, 3.0), np.full(1000, 4.0)]})
    res = run(ref, cur, {"x": "numeric"}, method="wasserstein")
    col = res.column("x")
    assert col.wasserstein is None and col.method == "ks_statistic" and col.drifted
    assert col.score == col.ks_statistic == 0.5
    assert any("constant" in w for w in res.warnings)


def test_dataset_drift_share():
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({f"x{i}": rng.normal(size=3000) for i in range(4)})
    cur = pd.DataFrame({f"x{i}": rng.normal(1.0 if i == 0 else 0, 1, 3000) for i in range(4)})
    kinds = {c: "numeric" for c in ref}
    res = run(ref, cur, kinds)
    assert [c.drifted for c in res.columns] == [True, False, False, False]
    assert res.drifted_share == 0.25 and not res.dataset_drift and res.drift_share_threshold == 0.5
    assert run(ref, cur, kinds, drift_share=0.25).dataset_drift


def test_large_n_tiny_effect_warning():
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(size=40000)})
    cur = pd.DataFrame({"x": rng.normal(0.06, 1, 40000)})
    res = run(ref, cur, {"x": "numeric"}, method="ks")
    assert res.column("x").drifted and res.column("x").wasserstein < 0.1
    assert any("statistically significant" in w for w in res.warnings)
    auto = run(ref, cur, {"x": "numeric"})
    assert auto.column("x").method == "wasserstein" and not auto.column("x").drifted
    assert auto.column("x").ks_p_value < 1e-6
    assert any("'x' have test p-values below 0.05 but negligible" in w for w in auto.warnings)


# ---------------------------------------------------------------- columns, errors, progress

def test_missing_columns_all_missing_and_text():
    ref = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [np.nan] * 4, "t": list("wxyz"), "r": [1, 2, 3, 4]})
    cur = pd.DataFrame({"a": [1.0, 2, 5, 6], "b": [1.0, 2, 3, 4], "t": list("wxyz"), "n": [1] * 4})
    kinds = {"a": "numeric", "b": "numeric", "t": "text", "r": "numeric"}
    res = run(ref, cur, kinds)
    assert [c.name for c in res.columns] == ["a", "b"]
    b = res.column("b")
    assert b.score is None and not b.drifted and b.method is None
    text = " | ".join(res.warnings)
    for part in ("'r' is only in the reference", "'n' is only in the current", "'t'",
                 "'b' has no usable values in the reference"):
        assert part in text
    assert res.drifted_share == float(res.column("a").drifted)
    json.dumps(res.to_dict(), allow_nan=False)
    with pytest.raises(PreflightError, match="no comparable columns"):
        run(ref[["r"]], cur[["n"]], {"r": "numeric", "n": "numeric"})


def test_text_in_numeric_column_is_a_clear_error():
    ref = pd.DataFrame({"a": ["1", "2", "x"]})
    with pytest.raises(PreflightError, match=r"'a' in the reference table .* row 3 holds 'x'"):
        run(ref, pd.DataFrame({"a": [1.0, 2.0]}), {"a": "numeric"})


def test_new_categories_capped_and_booleans():
    ref = pd.DataFrame({"c": ["base"] * 100, "b": [True, False] * 50})
    cur = pd.DataFrame({"c": [f"n{i:03d}" for i in range(80)] + ["base"] * 20,
                        "b": pd.array([True] * 90 + [None] * 10, dtype="boolean")})
    res = run(ref, cur, {"c": "categorical", "b": "boolean"})
    c, b = res.column("c"), res.column("b")
    assert c.new_categories_count == 80 and len(c.new_categories) == 50
    assert c.new_categories[0] == "n000" and len(c.categories["labels"]) == 30
    assert b.categories["labels"] == ["True", "False"] and b.missing_share_current == 0.1


def test_datetime_is_compared_on_epoch_seconds():
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-01-01")
    ref = pd.DataFrame({"t": start + pd.to_timedelta(rng.integers(0, 10**6, 400), unit="s")})
    cur = pd.DataFrame({"t": start + pd.to_timedelta(rng.integers(10**5, 2 * 10**6, 300), unit="s")})
    col = run(ref, cur, {"t": "datetime"}).column("t")
    secs = lambda s: (s - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)  # noqa: E731
    assert col.ks_statistic == pytest.approx(st.ks_2samp(secs(ref["t"]), secs(cur["t"])).statistic)
    assert col.kind == "datetime" and col.drifted


def test_progress_per_column_and_cancellation():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({f"x{i}": rng.normal(size=200) for i in range(6)})
    kinds = {c: "numeric" for c in ref}
    calls = []
    run(ref, ref.copy(), kinds, progress=calls.append)
    assert len(calls) >= 6 and calls == sorted(calls) and calls[-1] == 1.0
    with pytest.raises(Cancelled):
        run(ref, ref.copy(), kinds, cancelled=lambda: True)
    seen = []
    with pytest.raises(Cancelled):
        run(ref, ref.copy(), kinds, workers=1, progress=seen.append, cancelled=lambda: len(seen) >= 2)
    assert 2 <= len(seen) < 6


# ---------------------------------------------------------------- reference profile

def _tables(n_ref, seed=0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.lognormal(size=n_ref), "c": rng.choice(list("abcd"), n_ref),
                        "f": rng.random(n_ref) < 0.2, "t": ["txt"] * n_ref})
    ref.loc[::9, "x"] = np.nan
    cur = pd.DataFrame({"x": rng.lognormal(0.1, 1, 3000), "c": rng.choice(list("abcde"), 3000),
                        "f": rng.random(3000) < 0.3, "t": ["txt"] * 3000})
    return ref, cur, {"x": "numeric", "c": "categorical", "f": "boolean", "t": "text"}


@pytest.mark.parametrize("n_ref", [800, 20000])
def test_profile_round_trip_gives_same_psi_js_chi2(n_ref):
    ref, cur, kinds = _tables(n_ref)
    profile = build_profile(ref, kinds)
    text = json.dumps(profile.to_dict(), allow_nan=False)
    again = ReferenceProfile.from_dict(json.loads(text))
    assert again.to_dict() == profile.to_dict() and again.rows == n_ref
    raw, prof = run(ref, cur, kinds), run(again, cur, kinds, multivariate=True)
    for a, b in zip(raw.columns, prof.columns):
        assert (a.psi, a.jensen_shannon, a.chi2_p_value) == (b.psi, b.jensen_shannon, b.chi2_p_value)
        assert a.psi_bins == b.psi_bins and a.reference_mean == b.reference_mean
    x_raw, x_prof = raw.column("x"), prof.column("x")
    if n_ref <= 5000:  # every value stored: KS and Wasserstein exact too
        assert (x_prof.ks_p_value, x_prof.wasserstein) == (x_raw.ks_p_value, x_raw.wasserstein)
        assert not x_prof.approximate
    else:
        assert x_prof.approximate and any("approximate" in w for w in prof.warnings)
        assert x_prof.ks_statistic == pytest.approx(x_raw.ks_statistic, abs=2e-3)
        assert x_prof.wasserstein == pytest.approx(x_raw.wasserstein, rel=0.02)
        assert x_prof.method == x_raw.method and x_prof.drifted == x_raw.drifted
    assert any("multivariate drift needs the raw reference" in w for w in prof.warnings)


def test_profile_kind_mismatch_and_damaged_profile():
    ref, cur, kinds = _tables(300)
    profile = build_profile(ref, kinds)
    with pytest.raises(PreflightError, match="profiled as categorical"):
        run(profile, cur.assign(c=1.0), {**kinds, "c": "numeric"})
    with pytest.raises(PreflightError, match="damaged"):
        ReferenceProfile.from_dict({"rows": 3})


def test_profile_progress_and_truncated_categories(monkeypatch):
    import core.drift.profile as profile_mod

    monkeypatch.setattr(profile_mod, "MAX_PROFILE_CATEGORIES", 3)
    ref = pd.DataFrame({"c": list("aaaabbbccd"), "x": np.arange(10.0)})
    cur = pd.DataFrame({"c": list("aabbcdeeee"), "x": np.arange(10.0)})
    kinds = {"c": "categorical", "x": "numeric"}
    calls = []
    profile = build_profile(ref, kinds, progress=calls.append)
    assert calls == [0.5, 1.0]
    stored = profile.to_dict()["columns"]["c"]
    assert stored["truncated"] and stored["categories"] == {"a": 4, "b": 3, "c": 2}
    assert stored["other_count"] == 1
    col = run(profile, cur, kinds).column("c")
    assert col.approximate and col.new_categories is None
    other = {"a": (4, 2), "b": (3, 2), "c": (2, 1), "(other)": (1, 5)}
    r = np.array([v[0] for v in other.values()]) / 10
    c = np.array([v[1] for v in other.values()]) / 10
    assert col.psi == pytest.approx(psi_by_hand(r, c))
    with pytest.raises(Cancelled):
        build_profile(ref, kinds, cancelled=lambda: True)


def test_profile_from_a_drift_run_equals_a_fresh_profile():
    from core.drift.profile import build_profile, profile_from_summaries, sorted_quantiles

    rng = np.random.default_rng(3)
    n = 12_000  # above the exact-sketch limit, so the quantile sketch is used
    ref = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Categorical(rng.choice(list("abc"), n))})
    cur = pd.DataFrame({"x": rng.normal(0.2, 1, n), "c": pd.Categorical(rng.choice(list("abcd"), n))})
    kinds = {"x": "numeric", "c": "categorical"}
    result = compute_drift(ref, cur, kinds, multivariate=False)
    assert profile_from_summaries(result.reference_summaries, kinds, n).to_dict() == \
        build_profile(ref, kinds).to_dict()
    a = np.sort(rng.normal(size=5001))
    probs = np.linspace(0, 1, 97)
    assert np.array_equal(sorted_quantiles(a, probs), np.quantile(a, probs))  # bit for bit


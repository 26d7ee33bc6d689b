"""Drift result additions: small-sample flags, per-column summaries, histogram clipping and log bins,
unknown column names, and the multivariate warning beside the dataset verdict."""

import json

import numpy as np
import pandas as pd
import pytest

from core.drift.compute import compute_drift
from core.drift.profile import ReferenceProfile, build_profile
from core.errors import PreflightError


def run(ref, cur, kinds, **kw):
    kw.setdefault("multivariate", False)
    return compute_drift(ref, cur, kinds, **kw)


# ---------------------------------------------------------------- small samples

def test_two_row_table_is_flagged_small_sample_with_a_warning():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("ab"), 500)})
    cur = pd.DataFrame({"x": [40.0, 41.0], "c": ["z", "z"]})
    res = run(ref, cur, {"x": "numeric", "c": "categorical"})
    for name in ("x", "c"):
        col = res.column(name)
        assert col.small_sample and col.score is not None  # verdict still computed, but flagged
        assert col.to_dict()["small_sample"] is True
        msg = [w for w in res.warnings if f"column '{name}'" in w and "small sample" in w]
        assert len(msg) == 1 and "500 reference and 2 current" in msg[0] and "unreliable" in msg[0]
    assert res.to_dict()["columns"][0]["small_sample"] is True


def test_small_sample_limit_is_30_non_missing_values_in_either_table():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=200)})
    cur30 = pd.DataFrame({"x": np.r_[rng.normal(size=30), [np.nan] * 10]})
    cur29 = pd.DataFrame({"x": np.r_[rng.normal(size=29), [np.nan] * 10]})
    assert not run(ref, cur30, {"x": "numeric"}).column("x").small_sample
    res = run(ref, cur29, {"x": "numeric"})
    assert res.column("x").small_sample and any("small sample" in w for w in res.warnings)
    res = run(cur29, ref, {"x": "numeric"})  # the reference side counts too
    assert res.column("x").small_sample
    assert not any("small sample" in w for w in run(ref, ref, {"x": "numeric"}).warnings)


# ---------------------------------------------------------------- summaries

def _expected_numeric(x):
    x = pd.Series(x, dtype=float)
    v = x.dropna().to_numpy()
    q = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {"count": int(v.size), "missing": int(x.isna().sum()), "mean": float(np.mean(v)),
            "std": float(np.std(v)), "min": float(v.min()), "p5": q[0], "p25": q[1], "p50": q[2],
            "p75": q[3], "p95": q[4], "max": float(v.max())}


def _tables(n_ref, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(3, 1, n_ref)
    x[::7] = np.nan
    ref = pd.DataFrame({"x": x, "c": rng.choice(["a", "b", "c"], n_ref, p=[0.6, 0.3, 0.1])})
    ref.loc[::11, "c"] = None
    cur = pd.DataFrame({"x": rng.lognormal(3.2, 1.1, 3000), "c": rng.choice(["a", "b", "d"], 3000, p=[0.2, 0.7, 0.1])})
    cur.loc[::5, "x"] = np.nan
    return ref, cur, {"x": "numeric", "c": "categorical"}


def _expected_categorical(s):
    vc = s.value_counts(dropna=True)
    return {"count": int(vc.sum()), "missing": int(s.isna().sum()), "distinct": int(vc.size),
            "top": vc.index[0], "top_share": float(vc.iloc[0] / vc.sum())}


def test_summaries_match_numpy_and_pandas_on_a_raw_run():
    ref, cur, kinds = _tables(2000)
    res = run(ref, cur, kinds).to_dict()
    cols = {c["name"]: c for c in res["columns"]}
    for role, df in (("reference", ref), ("current", cur)):
        got = cols["x"]["summary"][role]
        for key, value in _expected_numeric(df["x"]).items():
            assert got[key] == pytest.approx(value, rel=1e-12), (role, key)
        assert cols["c"]["summary"][role] == pytest.approx(_expected_categorical(df["c"]))


def test_summaries_from_a_reference_profile_exact_and_sketched():
    for n_ref in (1500, 20_000):  # all values stored / quantile sketch
        ref, cur, kinds = _tables(n_ref, seed=n_ref)
        profile = ReferenceProfile.from_dict(json.loads(json.dumps(build_profile(ref, kinds).to_dict())))
        res = run(profile, cur, kinds).to_dict()
        cols = {c["name"]: c for c in res["columns"]}
        got, want = cols["x"]["summary"]["reference"], _expected_numeric(ref["x"])
        for key in ("count", "missing", "mean", "std", "min", "max"):
            assert got[key] == pytest.approx(want[key], rel=1e-12), key
        for key in ("p5", "p25", "p50", "p75", "p95"):
            assert got[key] == pytest.approx(want[key], rel=1e-12 if n_ref <= 5000 else 1e-2), key
        assert got.get("approximate", False) is (n_ref > 5000)
        assert cols["x"]["summary"]["current"] == pytest.approx(_expected_numeric(cur["x"]))
        assert cols["c"]["summary"]["reference"] == pytest.approx(_expected_categorical(ref["c"]))


def test_summary_of_a_truncated_profile_leaves_distinct_unknown(monkeypatch):
    import core.drift.profile as profile_mod

    monkeypatch.setattr(profile_mod, "MAX_PROFILE_CATEGORIES", 2)
    ref = pd.DataFrame({"c": list("aaaabbbccd") * 5})
    profile = build_profile(ref, {"c": "categorical"})
    col = run(profile, ref, {"c": "categorical"}).column("c")
    assert col.summary["reference"] == {"count": 50, "missing": 0, "distinct": None, "top": "a",
                                        "top_share": 0.4}
    assert col.summary["current"]["distinct"] == 4


# ---------------------------------------------------------------- histogram clipping and log bins

def test_histogram_says_what_it_clips_and_log_histogram_keeps_everything():
    rng = np.random.default_rng(5)
    ref = rng.lognormal(4, 0.6, 5000)
    cur = np.r_[rng.lognormal(4, 0.6, 4000), np.full(30, 25_000.0)]  # outliers past the 99.5th percentile
    col = run(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), {"x": "numeric"}).column("x")
    h = col.histogram
    lo, hi = np.quantile(np.concatenate([ref, cur]), [0.005, 0.995])
    assert h["range"] == [lo, hi] and h["edges"][0] == lo and h["edges"][-1] == hi
    for role, x in (("reference", ref), ("current", cur)):
        below, above = int(np.sum(x < lo)), int(np.sum(x > hi))
        assert h["clipped"][role] == {"below": below, "above": above}
        assert sum(h[role]) + below + above == x.size
        assert h[role] == np.histogram(x, h["edges"])[0].tolist()
    assert h["clipped"]["current"]["above"] >= 30
    log = col.histogram_log
    assert log["edges"][0] == min(ref.min(), cur.min()) and log["edges"][-1] == 25_000.0
    assert np.allclose(np.diff(np.log(log["edges"])), np.log(log["edges"][1] / log["edges"][0]))
    assert sum(log["reference"]) == ref.size and sum(log["current"]) == cur.size
    assert log["current"] == np.histogram(cur, log["edges"])[0].tolist()


def test_no_log_histogram_when_a_value_is_not_positive():
    x = pd.DataFrame({"x": np.linspace(0, 100, 200)})
    col = run(x, x, {"x": "numeric"}).column("x")
    assert col.histogram_log is None and col.histogram["clipped"]["current"]["below"] == 1


# ---------------------------------------------------------------- column names

def test_unknown_column_says_neither_table_and_suggests_near_matches():
    df = pd.DataFrame({"age": [1.0, 2.0] * 20, "income": [3.0, 4.0] * 20})
    kinds = {"age": "numeric", "income": "numeric"}
    with pytest.raises(PreflightError) as exc:
        run(df, df, kinds, columns=["age", "incme"])
    msg = str(exc.value)
    assert "column 'incme' is in neither" in msg and "did you mean 'income'?" in msg
    assert "no kind is known" not in msg
    with pytest.raises(PreflightError, match="neither.*the columns are 'age', 'income'"):
        run(df, df, kinds, columns=["zzz"])


# ---------------------------------------------------------------- multivariate: a warning, not the verdict

def test_classifier_drift_is_a_separate_warning_and_the_gate_warns():
    from core.drift.report import drift_gate

    rng = np.random.default_rng(2)
    n = 3000
    a = rng.normal(size=n)
    ref = pd.DataFrame({"a": a, "b": a + rng.normal(0, 0.1, n)})
    b = rng.normal(size=n)  # same marginals, the correlation is broken
    cur = pd.DataFrame({"a": b, "b": rng.permutation(b) + rng.normal(0, 0.1, n)})
    res = compute_drift(ref, cur, {"a": "numeric", "b": "numeric"}).to_dict()
    assert res["multivariate"]["drifted"] and res["multivariate"]["auc"] > 0.55
    assert res["dataset_drift"] is False and res["drifted_share"] == 0.0
    assert res["multivariate_warning"] is True
    gate = drift_gate({"id": 1, "result": res})
    assert gate["state"] == "warn" and any("domain classifier" in r for r in gate["reasons"])
    same = compute_drift(ref, ref.sample(frac=1, random_state=0), {"a": "numeric", "b": "numeric"}).to_dict()
    assert same["multivariate_warning"] is False and drift_gate({"id": 2, "result": same})["state"] == "pass"


# ---------------------------------------------------------------- the report kind, from real runs

def _report(result):
    from core.drift.report import render

    return render({"id": 1, "kind": "drift", "result": result})


def test_report_labels_the_classifier_a_warning_and_flags_small_samples(tmp_path):
    from core.drift.report import drift_gate
    from core.drift.run import DriftSettings, run_drift

    rng = np.random.default_rng(4)
    n = 3000
    a, b = rng.normal(size=n), rng.normal(size=n)
    pd.DataFrame({"a": a, "b": a + rng.normal(0, 0.1, n)}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"a": b, "b": rng.permutation(b) + rng.normal(0, 0.1, n)}).to_csv(tmp_path / "cur.csv", index=False)
    result = run_drift(tmp_path / "ref.csv", tmp_path / "cur.csv").result
    html = _report(result)
    assert "not detected" in html and "warning: the tables can be told apart" in html
    assert "Multivariate (warning only)" in html and ">drift<" not in html
    assert drift_gate({"id": 1, "result": result})["state"] == "warn"

    pd.DataFrame({"a": [5.0, 6.0, 7.0], "b": [9.0, 9.5, 8.0]}).to_csv(tmp_path / "tiny.csv", index=False)
    small = run_drift(tmp_path / "ref.csv", tmp_path / "tiny.csv", DriftSettings(multivariate=False)).result
    html = _report(small)
    assert html.count("small sample*") == 2 and "fewer than 30 non-missing values" in html


def test_report_chart_says_how_many_values_the_axis_leaves_out():
    rng = np.random.default_rng(8)
    ref = pd.DataFrame({"x": rng.lognormal(4, 0.5, 4000)})
    cur = pd.DataFrame({"x": np.r_[rng.lognormal(4.6, 0.5, 4000), np.full(25, 25_000.0)]})
    result = compute_drift(ref, cur, {"x": "numeric"}, multivariate=False).to_dict()
    col = result["columns"][0]
    assert col["drifted"] and col["histogram"]["clipped"]["current"]["above"] >= 25
    html = _report(result)
    clipped = col["histogram"]["clipped"]
    lo, hi = col["histogram"]["range"]
    assert clipped["reference"]["below"] + clipped["current"]["below"] > 0  # pins the lower side too
    parts = [f"{role} {clipped[role]['below']} below, {clipped[role]['above']} above" for role in ("reference", "current")]
    assert f"values outside left out: {'; '.join(parts)}." in html


# ---------------------------------------------------------------- PSI bands: one definition

def test_psi_bands_agree_between_result_and_report():
    from core.drift import stattests
    from core.drift.bands import PSI_MAJOR, PSI_MODERATE

    assert (PSI_MODERATE, PSI_MAJOR) == (0.1, 0.25)
    assert [stattests.psi_band(v) for v in (0.0999, 0.1, 0.2, 0.25, 0.2501)] == \
        ["stable", "moderate", "moderate", "moderate", "major"]
    rng = np.random.default_rng(9)
    ref = pd.DataFrame({f"x{i}": rng.normal(size=2000) for i in range(3)})
    cur = pd.DataFrame({"x0": rng.normal(size=2000), "x1": rng.normal(0.35, 1, 2000), "x2": rng.normal(1, 1, 2000)})
    result = compute_drift(ref, cur, {c: "numeric" for c in ref}, multivariate=False).to_dict()
    assert [c["psi_band"] for c in result["columns"]] == ["stable", "moderate", "major"]
    html = _report(result)
    assert "above 0.25 a major shift" in html and "0.2 a major" not in html
    assert html.count('<span class="warn">moderate</span>') == 1 and html.count('<span class="fail">major</span>') == 1

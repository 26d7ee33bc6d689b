"""The out-of-core drift engine (DuckDB): the same JSON as the in-memory engine on tables that fit,
PSI edges equal to numpy's quantiles where DuckDB's own quantile_cont is an ulp off, engine choice."""

import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.drift.ooc_engine import choose
from core.drift.run import DriftSettings, run_drift
from core.errors import PreflightError

IGNORED = {"engine", "engine_reason", "sample"}


def assert_same(a, b, path="$"):
    """Equal JSON, numbers to 1e-12 relative, ignoring the engine keys."""
    if isinstance(a, dict):
        assert isinstance(b, dict), path
        ka, kb = set(a) - IGNORED, set(b) - IGNORED
        assert ka == kb, (path, ka ^ kb)
        for k in ka:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool) and isinstance(b, (int, float)):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0) or a == b, (path, a, b)
    else:
        assert a == b, (path, a, b)


def _frame(rng, n, shift):
    df = pd.DataFrame({
        "age": rng.normal(40 + 8 * shift, 10, n),
        "income": rng.lognormal(10 + 0.6 * shift, 0.5, n),
        "rating": rng.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1] if not shift else [0.1, 0.2, 0.3, 0.4]),
        "ties": rng.integers(0, 40, n).astype(float),          # many duplicates, decile edges repeat
        "city": rng.choice(["Oslo", "Lima", "Pune"] + (["Nuuk"] if shift else []), n),
        "flag": rng.choice(["yes", "no"], n),
        "when": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
        "user_id": [f"u{i}" for i in rng.permutation(n)]})
    df.loc[3, "age"] = np.inf
    df.loc[[4, 9, 11], "age"] = np.nan
    df.loc[7, "income"] = -np.inf
    df.loc[[5, 6], "city"] = None
    return df


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("ooc")
    rng = np.random.default_rng(11)
    for name, n in (("small", 400), ("large", 3000)):
        ref, cur = _frame(rng, n, 0), _frame(rng, n, 1)
        ref.to_csv(d / f"{name}_ref.csv", index=False)
        cur.to_csv(d / f"{name}_cur.csv", index=False)
        ref.to_parquet(d / f"{name}_ref.parquet")
        cur.to_parquet(d / f"{name}_cur.parquet")
    return d


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_both_engines_give_the_same_json(tables, size, fmt):
    ref, cur = tables / f"{size}_ref.{fmt}", tables / f"{size}_cur.{fmt}"
    mem = run_drift(ref, cur, engine="memory")
    ooc = run_drift(ref, cur, engine="duckdb")
    assert mem.result["engine"] == "memory" and ooc.result["engine"] == "duckdb"
    names = [c["name"] for c in ooc.result["columns"]]
    assert {"age", "income", "rating", "ties", "city", "flag", "when"} <= set(names)
    assert any("infinite" in w for w in ooc.result["warnings"])
    assert_same(mem.result, ooc.result)
    assert_same(mem.profile, ooc.profile)
    assert [dict(i, path=None) for i in mem.inputs] == [dict(i, path=None) for i in ooc.inputs]


def test_same_json_with_settings(tables):
    s = DriftSettings(method="psi", columns=("age", "city", "ties"), kind_overrides={"rating": "numeric"},
                      multivariate=False)
    ref, cur = tables / "large_ref.csv", tables / "large_cur.csv"
    assert_same(run_drift(ref, cur, s, engine="memory").result, run_drift(ref, cur, s, engine="duckdb").result)


def test_psi_edges_are_numpys_quantiles_even_where_duckdb_is_an_ulp_off(tmp_path):
    x = np.random.default_rng(0).normal(size=200_000)
    pd.DataFrame({"x": x}).to_parquet(tmp_path / "r.parquet")
    pd.DataFrame({"x": x[:50_000] + 0.5}).to_parquet(tmp_path / "c.parquet")
    probs = [i / 10 for i in range(1, 10)]
    theirs = duckdb.connect().execute("SELECT quantile_cont(x, ?) FROM read_parquet(?)",
                                      [probs, str(tmp_path / "r.parquet")]).fetchone()[0]
    want = np.quantile(x, probs)
    assert any(a != b for a, b in zip(theirs, want))  # the case this test is about
    out = run_drift(tmp_path / "r.parquet", tmp_path / "c.parquet",
                    DriftSettings(multivariate=False), engine="duckdb").result
    edges = out["columns"][0]["psi_bins"]["edges"]
    assert [float(e).hex() for e in edges] == [float(e).hex() for e in want]


def test_auto_keeps_small_tables_in_memory_and_switches_over_the_limit(tables):
    ref, cur = tables / "large_ref.parquet", tables / "large_cur.parquet"
    engine, why = choose("auto", ref, cur, None, None)
    assert engine == "memory" and "within" in why
    engine, why = choose("auto", ref, cur, None, 1000)
    assert engine == "duckdb" and "over the memory limit" in why
    out = run_drift(ref, cur, DriftSettings(multivariate=False), memory_limit=1000).result
    assert out["engine"] == "duckdb" and out["engine_reason"] == why
    with pytest.raises(PreflightError, match="unknown engine"):
        choose("spark", ref, cur, None, None)


def test_cli_engine_flags(tables):
    import subprocess
    import sys
    from pathlib import Path
    main = Path(__file__).resolve().parent.parent / "main.py"
    args = [sys.executable, str(main), "drift", str(tables / "large_ref.csv"), str(tables / "large_cur.csv"),
            "--no-multivariate"]
    proc = subprocess.run(args + ["--engine", "duckdb", "--memory-limit", "512MB", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    assert out["engine"] == "duckdb" and "--engine duckdb" in out["engine_reason"]
    text = subprocess.run(args, capture_output=True, text=True, timeout=300).stdout
    assert "engine: memory (auto:" in text
    bad = subprocess.run(args + ["--memory-limit", "plenty"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: memory limit 'plenty': write a size such as 2GB or 512MB"]


@pytest.mark.parametrize("seed", [1, 2])
def test_block_merge_equals_the_one_shot_merge(monkeypatch, seed):
    from core.drift import ooc_stats, stattests
    monkeypatch.setattr(ooc_stats, "BLOCK", 700)  # many blocks, with ties across block edges
    rng = np.random.default_rng(seed)
    cases = [(rng.normal(size=20000), rng.normal(0.1, 1, 15000)),
             (rng.integers(0, 30, 20000).astype(float), rng.integers(0, 33, 25000).astype(float)),
             (np.r_[np.zeros(5000), rng.normal(size=3000)], rng.normal(size=7000))]
    for a, b in cases:
        a, b = np.sort(a), np.sort(b)
        d, w, merged = stattests._cdf_differences(a, b)
        d2, w2, q, first, last = ooc_stats.merged_statistics(a, b)
        assert d2 == d and math.isclose(w2, w, rel_tol=1e-12)
        assert q == [float(v) for v in np.quantile(merged, [0.005, 0.995])]
        assert (first, last) == (merged[0], merged[-1])

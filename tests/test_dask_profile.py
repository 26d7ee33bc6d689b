"""The Dask profile builder gives the in-memory builder's profile, on a real local Dask cluster."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("distributed")

from core.data.tables import read_table  # noqa: E402
from core.drift import dask_parts as dp  # noqa: E402
from core.drift.profile import interpolate, quantile_plan  # noqa: E402
from core.drift.dask_profile import build_dask_profile  # noqa: E402
from core.drift.profile_file import build_profile_data, make_profile_file  # noqa: E402
from core.drift.profile_merge import merge_profiles  # noqa: E402
from core.errors import Cancelled, InputFileError  # noqa: E402

CLOSE = ("mean", "std", "sum", "m2")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True,
                                  scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"}) as c:
        yield c.scheduler_address


def _big_frame(n: int = 12_000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ties = np.round(rng.normal(size=n), 1)  # many equal values
    ties[rng.random(n) < 0.05] = np.nan
    ties[[5, 900, 7000]] = [np.inf, -np.inf, np.inf]
    heavy = rng.standard_cauchy(n)
    heavy[rng.random(n) < 0.02] = np.nan
    labels = rng.choice(np.array(["red", "green", "blue", None], dtype=object), n, p=[.5, .3, .15, .05])
    flags = pd.array(rng.random(n) < 0.3, dtype="boolean")
    flags[rng.random(n) < 0.1] = pd.NA
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10 ** 7, n), unit="s")
    when = pd.Series(when).mask(rng.random(n) < 0.03)
    return pd.DataFrame({"ties": ties, "heavy": heavy, "rating": rng.integers(1, 6, n), "colour": labels,
                         "flag": flags, "when": when, "user_id": np.arange(n) * 3,
                         "order_id": rng.integers(0, n // 2, n), "note": [f"note {i}" for i in range(n)],
                         "grade": pd.Categorical(rng.choice(["A", "B", "C"], n))})


def _small_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    x = np.round(rng.gamma(2.0, size=n), 3)
    x[:4] = [np.nan, np.inf, -np.inf, np.nan]
    return pd.DataFrame({"x": x, "empty": np.full(n, np.nan), "code": rng.choice([0.5, 1.5, 2.5], n),
                         "word": rng.choice(["yes", "no"], n)})


def _write(df: pd.DataFrame, path, pieces: int = 1):
    table = pa.Table.from_pandas(df, preserve_index=False)
    if pieces == 1:
        pq.write_table(table, path)
        return path
    path.mkdir()
    step = math.ceil(len(df) / pieces)
    for i in range(pieces):
        pq.write_table(table.slice(i * step, step), path / f"part-{i}.parquet")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask_profile")
    big = _big_frame()
    return {"whole": _write(big, root / "whole.parquet"), "folder": _write(big, root / "folder", pieces=4),
            "small": _write(_small_frame(), root / "small.parquet"), "root": root, "big": big}


def _local(path, **kw):
    table = read_table(path, kind_overrides=kw.get("overrides"))
    names = kw.get("columns") or list(table.kinds)
    return build_profile_data(table.df, {n: table.kinds[n] for n in names}, edges_from=kw.get("edges_from"))


def assert_same_profile(expected: dict, got: dict):
    assert got["rows"] == expected["rows"]
    assert list(got["columns"]) == list(expected["columns"])
    for name, want in expected["columns"].items():
        have = got["columns"][name]
        assert set(have) == set(want), name
        for key, value in want.items():
            if key in CLOSE and value is not None:
                assert have[key] == pytest.approx(value, rel=1e-12, abs=1e-300), (name, key)
            else:
                assert have[key] == value, (name, key)  # deciles, sketch, counts: exactly


def test_folder_profile_equals_in_memory_profile(cluster, data):
    expected = _local(data["whole"])
    kinds = {n: c["kind"] for n, c in expected["columns"].items()}
    assert kinds["user_id"] == "text" and kinds["rating"] == "categorical" and kinds["order_id"] == "numeric"
    assert expected["columns"]["ties"]["sketch"]["type"] == "quantiles"
    progress = []
    got, extra = build_dask_profile(data["folder"], scheduler=cluster, progress=progress.append)
    assert_same_profile(expected, got)
    assert extra["partitions"] == 4 and extra["scheduler"] == cluster and extra["engine"].startswith("dask-")
    assert progress == sorted(progress) and progress[-1] == 1.0
    ties = got["columns"]["ties"]
    finite = data["big"]["ties"].to_numpy()
    finite = finite[np.isfinite(finite)]
    assert ties["deciles"] == np.quantile(finite, np.arange(1, 10) / 10).tolist()
    assert ties["missing"] == int(np.count_nonzero(~np.isfinite(data["big"]["ties"])))  # inf read as missing


def test_small_table_values_sketch_with_the_default_local_cluster(data):
    expected = _local(data["small"])
    assert expected["columns"]["x"]["sketch"]["type"] == "values"
    assert expected["columns"]["empty"]["count"] == 0
    got, extra = build_dask_profile(data["small"])
    assert_same_profile(expected, got)
    assert extra["scheduler"].startswith("local cluster")


def test_overrides_and_columns_on_a_glob_of_files(cluster, data):
    kw = {"overrides": {"rating": "numeric", "user_id": "numeric", "ties": "categorical"},
          "columns": ["rating", "user_id", "ties", "when"]}
    expected = _local(data["whole"], **kw)
    got, _ = build_dask_profile(data["folder"] / "part-*.parquet", scheduler=cluster, **kw)
    assert {n: c["kind"] for n, c in got["columns"].items()} == \
        {"rating": "numeric", "user_id": "numeric", "ties": "categorical", "when": "datetime"}
    assert_same_profile(expected, got)


def test_csv_table(cluster, data):
    csv = data["root"] / "small.csv"
    _small_frame().drop(columns=["empty"]).to_csv(csv, index=False, sep=";")
    assert_same_profile(_local(csv), build_dask_profile(csv, scheduler=cluster)[0])
    gz = data["root"] / "small.csv.gz"
    _small_frame().to_csv(gz, index=False)
    assert_same_profile(_local(gz), build_dask_profile(gz, scheduler=cluster)[0])


def test_parts_built_on_the_whole_tables_edges_merge_to_its_bin_counts(cluster, data):
    whole = make_profile_file(_local(data["whole"]), engine="test", source="whole", edges="own")
    parts = []
    for f in sorted(data["folder"].glob("*.parquet"))[:3]:
        part, _ = build_dask_profile(f, scheduler=cluster, edges_from=whole)
        assert_same_profile(_local(f, edges_from=whole), part)
        parts.append((make_profile_file(part, engine="dask", source=str(f), edges="given"), str(f)))
    rest = sorted(data["folder"].glob("*.parquet"))[3]
    parts.append((make_profile_file(_local(rest, edges_from=whole), engine="pandas", source=str(rest),
                                    edges="given"), str(rest)))
    merged = merge_profiles(parts)
    for name, col in whole["columns"].items():
        if col["kind"] in ("numeric", "datetime"):
            assert merged["columns"][name]["bin_counts"] == col["bin_counts"], name
            assert merged["columns"][name]["count"] == col["count"]


def test_bad_inputs_name_the_file_and_column(cluster, data, tmp_path):
    with pytest.raises(InputFileError, match="nowhere.parquet"):
        build_dask_profile(tmp_path / "nowhere.parquet", scheduler=cluster)
    with pytest.raises(InputFileError, match="no column 'height'"):
        build_dask_profile(data["folder"], columns=["ties", "height"], scheduler=cluster)
    with pytest.raises(InputFileError, match="no column 'height'"):
        build_dask_profile(data["folder"], overrides={"height": "numeric"}, scheduler=cluster)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    pq.write_table(pa.table({"a": [1.5, 2.5], "b": ["x", "y"]}), mixed / "one.parquet")
    pq.write_table(pa.table({"a": ["p", "q"], "b": ["x", "y"]}), mixed / "two.parquet")
    with pytest.raises(InputFileError, match=r"two\.parquet.*'a'"):
        build_dask_profile(mixed, scheduler=cluster)
    with pytest.raises(InputFileError, match=r"two\.parquet.*'a'"):
        build_dask_profile(mixed / "*.parquet", scheduler=cluster)
    with pytest.raises(InputFileError, match="no file matches"):
        build_dask_profile(mixed / "*.csv", scheduler=cluster)
    dates = tmp_path / "dates.parquet"
    pq.write_table(pa.table({"t": pa.array([1.0, 2.0, 3.0])}), dates)
    with pytest.raises(InputFileError, match=r"dates\.parquet.*'t'"):
        build_dask_profile(dates, overrides={"t": "datetime"}, scheduler=cluster)


def test_cancel_stops_the_build_and_the_cluster_stays_usable(cluster, data):
    seen = []
    with pytest.raises(Cancelled):
        build_dask_profile(data["folder"], scheduler=cluster, progress=seen.append, cancelled=lambda: bool(seen))
    assert seen and max(seen) < 1.0
    with pytest.raises(Cancelled):
        build_dask_profile(data["folder"], scheduler=cluster, cancelled=lambda: True)
    got, _ = build_dask_profile(data["small"], scheduler=cluster)
    assert got["rows"] == 300


@pytest.mark.parametrize("seed", range(4))
def test_value_ranges_are_the_sorted_column_and_quantiles_are_numpys(seed):
    rng = np.random.default_rng(seed)
    digits = [0, 1, 2, 15][seed]  # ties, or (15) hardly any
    parts = [np.sort(np.round(rng.normal(size=rng.integers(0, 3000)), digits)) for _ in range(int(rng.integers(1, 9)))]
    whole = np.sort(np.concatenate(parts))
    cuts = dp.splitters([dp.run_info(p) for p in parts], int(rng.integers(1, 12)))
    splits = [dp.split_sorted(p, cuts) for p in parts]
    ranges = [dp.merge_runs(*[s[j] for s in splits]) for j in range(cuts.size + 1)]
    assert np.array_equal(np.concatenate(ranges), whole)
    assert all(a[-1] < b[0] for a, b in zip(ranges, ranges[1:]) if a.size and b.size)  # value-disjoint
    assert sum(dp.range_info(r, None)["unique"] for r in ranges) == np.unique(whole).size
    if whole.size:
        probs = np.concatenate([np.linspace(0, 1, 101), rng.random(50_000)])
        lo, hi, gamma = quantile_plan(whole.size, probs)
        assert interpolate(whole[lo], whole[hi], gamma).tolist() == np.quantile(whole, probs).tolist()

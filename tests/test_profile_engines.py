"""``profile DATA`` on the in-memory and the out-of-core (DuckDB) engine: the same profile file."""

import json

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.drift.profile_build import build_profile_file, choose
from core.drift.profile_file import read_profile_file
from test_drift_duckdb import _frame, assert_same


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("profile-engines")
    rng = np.random.default_rng(5)
    small, big = _frame(rng, 600, 0), _frame(rng, 7000, 0)  # values sketch / quantile sketch
    small.to_csv(d / "small.csv", index=False)
    big.to_csv(d / "big.csv", index=False)
    big.to_parquet(d / "big.parquet", index=False)
    (d / "parts").mkdir()
    for i in range(3):
        big.iloc[i::3].to_parquet(d / "parts" / f"part-{i}.parquet", index=False)
    return d


def _body(path):
    doc, _sha = read_profile_file(path)
    return {"rows": doc["rows"], "columns": doc["columns"], "edges": doc["edges"]}


@pytest.mark.parametrize("name", ["small.csv", "big.csv", "big.parquet"])
def test_duckdb_engine_writes_the_in_memory_profile(data, tmp_path, name):
    mem = build_profile_file(data / name, tmp_path / "mem.json", engine="memory")
    ooc = build_profile_file(data / name, tmp_path / "ooc.json", engine="duckdb")
    assert (mem["engine"], ooc["engine"]) == ("memory", "duckdb")
    a, b = _body(tmp_path / "mem.json"), _body(tmp_path / "ooc.json")
    assert set(a["columns"]) == {"age", "income", "rating", "ties", "city", "flag", "when", "user_id"}
    assert_same(a, b)
    # the sketch type follows the size: all values up to 5,000, quantiles above
    assert a["columns"]["age"]["sketch"]["type"] == ("values" if name == "small.csv" else "quantiles")
    prov = read_profile_file(tmp_path / "ooc.json")[0]["provenance"]
    assert prov["engine"] == "preflight-duckdb" and "--engine duckdb" in prov["engine_reason"]
    assert prov["rows"] == b["rows"] and len(prov["source_sha256"]) == 64


def test_a_parquet_folder_goes_out_of_core_and_equals_the_single_file(data, tmp_path):
    assert choose("auto", data / "parts", None)[0] == "duckdb"
    assert choose("auto", data / "big.csv", None)[0] == "memory"
    assert choose("auto", data / "big.csv", 64 << 20)[0] == "memory"  # 1 MB of CSV fits in 64 MB
    out = build_profile_file(data / "parts", tmp_path / "folder.json")
    assert out["engine"] == "duckdb" and "folder" in out["engine_reason"]
    whole = build_profile_file(data / "big.parquet", tmp_path / "whole.json", engine="memory")
    a, b = _body(tmp_path / "whole.json"), _body(tmp_path / "folder.json")
    assert a["rows"] == b["rows"] == 7000
    for name, col in a["columns"].items():  # row order differs, so compare the order-free parts
        other = b["columns"][name]
        for key in ("kind", "count", "missing", "deciles", "bin_counts", "min", "max", "unique",
                    "categories", "sketch"):
            assert col.get(key) == other.get(key), (name, key)
        if col.get("sum") is not None:
            assert other["sum"] == pytest.approx(col["sum"], rel=1e-12)
            assert other["m2"] == pytest.approx(col["m2"], rel=1e-12)


def test_cli_engine_edges_and_parts_merge_to_the_whole(data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "profile", data / "big.parquet", "--engine", "duckdb", "--memory-limit",
                          "256MB", "--out", "whole.json", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["engine"] == "duckdb" and summary["rows"] == 7000
    for i in range(3):
        code, _, err = _run(capsys, "profile", data / "parts" / f"part-{i}.parquet", "--engine", "duckdb",
                            "--edges-from", "whole.json", "--out", f"p{i}.json")
        assert code == 0, err
    assert _run(capsys, "profile", "merge", "p0.json", "p1.json", "p2.json", "--out", "u.json")[0] == 0
    whole, union = _body(tmp_path / "whole.json"), _body(tmp_path / "u.json")
    for name, col in whole["columns"].items():
        assert union["columns"][name]["count"] == col["count"]
        if col["kind"] == "numeric":
            assert union["columns"][name]["bin_counts"] == col["bin_counts"], name
        if col["kind"] == "categorical":
            assert union["columns"][name]["categories"] == col["categories"], name


def test_datetime_override_and_bad_inputs_write_nothing(data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"day": ["3/1/2024", "4/2/2024", "5/3/2024"], "x": [1.5, 2.5, 3.5]}).to_csv("d.csv", index=False)
    assert _run(capsys, "profile", "d.csv", "--datetime", "day", "--out", "d.json")[0] == 0
    assert _body(tmp_path / "d.json")["columns"]["day"]["kind"] == "datetime"
    for argv, needle in (
            (("profile", data / "big.csv", "--engine", "duckdb", "--columns", "nope", "--out", "x.json"),
             "no column 'nope'"),
            (("profile", "missing.parquet", "--engine", "duckdb", "--out", "x.json"), "does not exist"),
            (("profile", "d.csv", "--engine", "memory", "--scheduler", "tcp://127.0.0.1:1", "--out", "x.json"),
             "--scheduler is for the dask engine"),
            (("profile", "d.csv", "--numeric", "day", "--datetime", "day", "--out", "x.json"), "both")):
        code, _, err = _run(capsys, *argv)
        assert code == 2 and err.startswith("error: ") and needle in err and len(err.strip().splitlines()) == 1
        assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("profile_from", ["memory", "duckdb"])
def test_out_of_core_drift_against_a_profile_equals_the_in_memory_drift(data, tmp_path, profile_from):
    from core.drift.cli_profile import drift_with_profile_file

    rng = np.random.default_rng(9)
    _frame(rng, 7000, 1).to_parquet(tmp_path / "cur.parquet", index=False)
    build_profile_file(data / "big.parquet", tmp_path / "ref.json", engine=profile_from)
    runs = {engine: drift_with_profile_file(tmp_path / "cur.parquet", tmp_path / "ref.json", engine=engine).result
            for engine in ("memory", "duckdb")}
    mem, ooc = runs["memory"], runs["duckdb"]
    assert (mem["engine"], ooc["engine"]) == ("memory", "duckdb")
    assert_same({k: v for k, v in mem.items() if k != "current"}, {k: v for k, v in ooc.items() if k != "current"})
    assert mem["current"]["rows"] == ooc["current"]["rows"] == 7000
    assert mem["current"]["sha256"] == ooc["current"]["sha256"]
    assert ooc["reference"]["profile"]["engine"] == ("preflight-pandas" if profile_from == "memory"
                                                    else "preflight-duckdb")
    assert {c["name"] for c in ooc["columns"] if c["drifted"]} >= {"age", "income", "rating", "city"}
    assert any("multivariate drift needs the raw reference" in w for w in ooc["warnings"])


def test_out_of_core_drift_checks_the_profile_against_the_table(data, tmp_path, capsys):
    build_profile_file(data / "big.parquet", tmp_path / "ref.json", engine="memory")
    pd.DataFrame({"age": np.arange(50) + 0.5, "city": ["a", "b"] * 25}).to_parquet(tmp_path / "narrow.parquet")
    code, _, err = _run(capsys, "drift", tmp_path / "narrow.parquet", "--reference-profile-file",
                        tmp_path / "ref.json", "--engine", "duckdb", "--json")
    assert code == 2 and "is not in the current table" in err and "ref.json" in err


def test_cli_dask_engine_writes_the_in_memory_profile(data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "profile", data / "parts", "--engine", "dask", "--out", "dask.json", "--json")
    assert code == 0, err
    assert json.loads(out)["engine"] == "dask"
    build_profile_file(data / "parts", tmp_path / "ooc.json", engine="duckdb")
    dask_doc, ooc_doc = read_profile_file(tmp_path / "dask.json")[0], read_profile_file(tmp_path / "ooc.json")[0]
    assert dask_doc["provenance"]["engine"].startswith("dask-")
    assert dask_doc["provenance"]["scheduler"].startswith("local cluster")
    for name, col in ooc_doc["columns"].items():  # file order may differ: compare the order-free parts
        other = dask_doc["columns"][name]
        for key in ("kind", "count", "missing", "deciles", "bin_counts", "min", "max", "unique", "categories",
                    "sketch"):
            assert col.get(key) == other.get(key), (name, key)


def test_the_dask_engine_without_dask_is_a_one_line_error(data, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    code, _, err = _run(capsys, "profile", data / "big.csv", "--engine", "dask", "--out", "x.json")
    assert code == 2 and err.strip() == ("error: the dask engine needs Dask, and distributed is not installed: "
                                         "pip install 'preflight[dask]'")
    assert not (tmp_path / "x.json").exists()

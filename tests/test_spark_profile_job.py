"""resources/spark/profile_job.py: the Spark builder of reference profile files equals the local one.

One local Spark session (``local[2]``) serves the whole module; every scenario is one run of the job in it.
"""

import ast
import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli import main as cli_main
from core.drift import profile as core_profile
from core.drift.profile_file import read_profile_file

ROOT = Path(__file__).resolve().parent.parent
JOB = ROOT / "resources" / "spark" / "profile_job.py"
ROWS = 12_000
PARTS = 3
# PySpark 4.3 warns on start-up that it does not fully support pandas 3; the job never hands data to pandas
# (no toPandas, no pandas UDFs), so the warning is not about anything these tests run.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


def _load_job():
    spec = importlib.util.spec_from_file_location("preflight_spark_profile_job", JOB)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


job = _load_job()


# ---------------------------------------------------------------- pure helpers (no Spark)

def test_the_job_needs_only_pyspark_and_the_standard_library():
    tree = ast.parse(JOB.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    outside = {r for r in roots if r != "pyspark" and r not in sys.stdlib_module_names}
    assert not outside, outside


@pytest.mark.parametrize("n", [2, 3, 150, 401, 5001, 12_345, 200_001])
def test_sketch_probabilities_equal_preflights(n):
    assert job.sketch_probs(n) == core_profile.sketch_probs(n).tolist()


@pytest.mark.parametrize("n", [250_000, 1_000_003, 10 ** 8])
def test_log_spaced_tail_probabilities_are_within_an_ulp_of_preflights(n):
    """Above 200,001 values the sketch adds log-spaced tail probabilities, powers of ten that numpy computes
    with its own (CPU-dependent) power function: they agree to within about one unit in the last place."""
    ours, theirs = np.asarray(job.sketch_probs(n)), core_profile.sketch_probs(n)
    assert ours.size == theirs.size
    assert np.all(np.abs(ours - theirs) <= 4e-16 * theirs)


def test_interpolation_equals_numpy_quantile_bit_for_bit():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 1000, 6001):
        a = np.sort(np.round(rng.lognormal(0, 2, n), rng.integers(0, 4)))
        probs = list(core_profile.DECILES) + core_profile.sketch_probs(max(n, 2)).tolist()
        ours = job.quantiles_from(lambda k: float(a[k]), n, probs)
        assert ours == np.quantile(a, probs).tolist()


def test_exact_probabilities_hit_an_integer_position_of_the_order_statistic():
    """About one order statistic in nine has no probability p with (n-1)*p an integer; counting every value 3,
    5 or 7 times (percentile's frequency) gives other positions, and the pivot count is left for the rest."""
    misses_plain = misses_all = 0
    for n in (6_001, 12_000, 123_457, 10_000_019):
        for k in range(1, n - 1, max(1, n // 3000)):
            for f in job.FREQUENCIES:
                p = job.exact_probability(k, n, f)
                if p is not None:
                    pos = (f * n - 1) * p
                    assert pos == math.floor(pos) and f * k <= pos < f * (k + 1) and 0.0 <= p <= 1.0
                    break
                misses_plain += f == 1
            else:
                misses_all += 1
    assert misses_plain > 100 and misses_all == 0


def test_a_pivot_count_settles_an_order_statistic_that_has_no_exact_probability():
    a = sorted([1.0, 2.0, 2.0, 2.0, 3.5, 7.0, 7.0, 9.0])
    for k in range(len(a)):
        for v in sorted(set(a)) + [0.5, 2.5, 5.0, 8.0, 10.0]:
            st = job.OrderStats(len(a))
            st.pending[k] = v
            for _ in range(len(a) + 1):
                if k in st.known:
                    break
                piv = st.pending[k]
                below = [x for x in a if x < piv]
                above = [x for x in a if x > piv]
                st.settle(k, piv, len(below), sum(x <= piv for x in a), max(below, default=None),
                          min(above, default=None))
            assert st.known[k] == a[k], (k, v)


# ---------------------------------------------------------------- data

def _dataset(tmp: Path) -> dict:
    """Parts of a reference table as separate Parquet files (Spark reads the folder), the whole table as one
    Parquet file (Preflight reads it) and a current table as CSV."""
    rng = np.random.default_rng(11)
    n = ROWS
    amount = np.round(rng.lognormal(3, 1, n), 1)  # many ties
    amount[rng.choice(n, 40, replace=False)] = np.nan
    amount[:3] = [np.inf, -np.inf, np.inf]
    amount_null = np.zeros(n, bool)
    amount_null[rng.choice(n, 30, replace=False)] = True
    sparse = rng.normal(100, 5, n)
    sparse_null = rng.random(n) < 0.75  # about 3,000 values: an all-values sketch
    score = rng.integers(300, 850, n)
    grade = rng.integers(1, 6, n)
    grade_null = rng.random(n) < 0.05
    levels = np.round(rng.integers(0, 4, n).astype(float))  # whole floats, 4 distinct: categorical
    micros = 1_600_000_000_000_000 + rng.integers(0, 10 ** 14, n)
    days = rng.integers(18_000, 19_000, n)
    cities = np.array(["paris", "lyon", "nice", "lille", "brest"])
    city = cities[rng.integers(0, 5, n)].astype(object)
    city[rng.random(n) < 0.03] = None
    flag = (rng.random(n) < 0.3).astype(object)
    flag[rng.random(n) < 0.02] = None
    table = pa.table({
        "amount": pa.array(amount, mask=amount_null),
        "sparse": pa.array(sparse, mask=sparse_null),
        "score": pa.array(score, mask=rng.random(n) < 0.01),
        "grade": pa.array(grade, mask=grade_null),
        "levels": pa.array(levels),
        "user_id": pa.array(np.arange(n, dtype=np.int64) * 7 + 1),
        "city": pa.array(city.tolist(), type=pa.string()),
        "comment": pa.array([f"note {i} {rng.integers(10 ** 9)}" for i in range(n)]),
        "flag": pa.array(flag.tolist(), type=pa.bool_()),
        "ts": pa.array(micros, type=pa.timestamp("us", tz="UTC")),
        "day": pa.array(days.astype("int32"), type=pa.date32()),
    })
    parts = tmp / "parts"
    parts.mkdir()
    bounds = np.linspace(0, n, PARTS + 1).astype(int)
    for i in range(PARTS):
        pq.write_table(table.slice(bounds[i], bounds[i + 1] - bounds[i]), parts / f"part-{i}.parquet")
    whole = tmp / "whole.parquet"
    pq.write_table(table, whole)
    cur = table.to_pandas()
    cur["amount"] = cur["amount"] * 1.3
    cur["city"] = cur["city"].where(cur.index % 4 != 0, "paris")
    cur.to_csv(tmp / "cur.csv", index=False)
    return {"parts": parts, "whole": whole, "cur": tmp / "cur.csv"}


def _need_java():
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: the Spark profile job needs a JVM")


@pytest.fixture(scope="module")
def spark():
    _need_java()
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("preflight-profile-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _dataset(tmp_path_factory.mktemp("spark-profile"))


@pytest.fixture(scope="module")
def local_profile(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "local.json"
    assert cli_main(["profile", str(data["whole"]), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def spark_profile(spark, data, tmp_path_factory):
    out = tmp_path_factory.mktemp("spark") / "spark.json"
    summary = job.run(job.parse_args(["--input", str(data["parts"]), "--out", str(out)]), spark=spark)
    return out, summary


def _run_job(spark, *argv):
    return job.run(job.parse_args([str(a) for a in argv]), spark=spark)


def _close(a, b, rel=1e-12):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def _assert_same_column(name, ours, theirs, deciles=True):
    assert ours["kind"] == theirs["kind"], name
    for key in ("count", "missing", "infinite", "unique", "min", "max", "categories", "truncated",
                "other_count"):
        assert ours.get(key) == theirs.get(key), (name, key, ours.get(key), theirs.get(key))
    if theirs["kind"] in ("numeric", "datetime") and theirs["count"]:
        if deciles:
            assert ours["deciles"] == theirs["deciles"], name  # bit-equal floats
            assert ours["bin_counts"] == theirs["bin_counts"], name
        for key in ("mean", "std", "sum", "m2"):
            assert _close(ours[key], theirs[key]), (name, key, ours[key], theirs[key])
        assert ours["sketch"] == theirs["sketch"], name


# ---------------------------------------------------------------- Spark scenarios

def test_the_spark_profile_equals_the_local_profile(spark_profile, local_profile, data):
    path, summary = spark_profile
    ours, _ = read_profile_file(path)  # the reader checks header, hash and every column
    theirs, _ = read_profile_file(local_profile)
    assert ours["rows"] == theirs["rows"] == ROWS == summary["rows"]
    assert set(ours["columns"]) == set(theirs["columns"])
    kinds = {n: c["kind"] for n, c in theirs["columns"].items()}
    assert kinds["levels"] == kinds["grade"] == "categorical" and kinds["user_id"] == kinds["comment"] == "text"
    assert kinds["ts"] == kinds["day"] == "datetime" and kinds["flag"] == "boolean"
    for name in theirs["columns"]:
        _assert_same_column(name, ours["columns"][name], theirs["columns"][name])
    assert ours["columns"]["amount"]["sketch"]["type"] == "quantiles"
    assert summary["asked_by_frequency"].get("3", 0) > 0  # order statistics no plain probability reaches
    assert ours["columns"]["sparse"]["sketch"]["type"] == "values"
    assert theirs["columns"]["amount"]["missing"] == 73  # NaN, nulls and the three infinities
    prov = ours["provenance"]
    assert prov["engine"].startswith("spark-") and prov["deciles"] == "exact" and ours["edges"] == "own"
    assert prov["source"] == str(data["parts"]) and prov["rows"] == ROWS and prov["partitions"] >= 1


def test_drift_against_the_spark_file_equals_drift_against_the_local_file(spark_profile, local_profile, data,
                                                                          capsys):
    results = []
    for ref in (spark_profile[0], local_profile):
        code = cli_main(["drift", str(data["cur"]), "--reference-profile-file", str(ref), "--no-multivariate",
                         "--json"])
        out, _ = capsys.readouterr()
        assert code in (0, 1)
        results.append({c["name"]: c for c in json.loads(out)["columns"]})
    ours, theirs = results
    assert set(ours) == set(theirs) and ours
    for name in theirs:
        for key in ("method", "psi", "jensen_shannon", "chi2_statistic", "chi2_p_value", "drifted"):
            assert ours[name][key] == theirs[name][key], (name, key)
        assert _close(ours[name]["score"], theirs[name]["score"], 1e-9), name  # KS/Wasserstein read the std
    assert ours["amount"]["drifted"]


def test_deciles_settled_by_pivot_counts_are_still_exact(spark, data, local_profile, tmp_path):
    out = tmp_path / "pivot.json"
    summary = _run_job(spark, "--input", data["parts"], "--out", out, "--columns", "amount,ts,score",
                       "--force-pivot-deciles", "--cache")
    assert summary["pivot_rounds"] >= 1
    ours, theirs = json.loads(out.read_text()), json.loads(local_profile.read_text())
    for name in ("amount", "ts", "score"):
        _assert_same_column(name, ours["columns"][name], theirs["columns"][name])


def test_kind_overrides_give_the_local_profile_with_the_same_overrides(spark, data, tmp_path):
    options = ["--columns", "score,grade,levels,city,amount", "--categorical", "score", "--numeric", "grade,levels",
               "--text", "city"]
    ours_path, theirs_path = tmp_path / "spark.json", tmp_path / "local.json"
    _run_job(spark, "--input", data["parts"], "--out", ours_path, *options)
    assert cli_main(["profile", str(data["whole"]), "--out", str(theirs_path), *options]) == 0
    ours, theirs = read_profile_file(ours_path)[0], read_profile_file(theirs_path)[0]
    assert {n: c["kind"] for n, c in theirs["columns"].items()} == {
        "score": "categorical", "grade": "numeric", "levels": "numeric", "city": "text", "amount": "numeric"}
    assert set(ours["columns"]) == set(theirs["columns"])
    for name in theirs["columns"]:
        _assert_same_column(name, ours["columns"][name], theirs["columns"][name])


def test_partition_profiles_on_given_edges_merge_into_the_whole(spark, data, spark_profile, tmp_path, capsys):
    whole = spark_profile[0]
    parts = []
    for i, part in enumerate(sorted(data["parts"].iterdir())):
        parts.append(tmp_path / f"p{i}.json")
        _run_job(spark, "--input", part, "--out", parts[-1], "--edges-from", whole, "--kinds-from", whole)
        assert json.loads(parts[-1].read_text())["edges"] == "given"
    merged = tmp_path / "merged.json"
    assert cli_main(["profile", "merge", *map(str, parts), "--out", str(merged), "--json"]) == 0
    capsys.readouterr()
    ours, theirs = read_profile_file(merged)[0], read_profile_file(whole)[0]
    assert ours["rows"] == theirs["rows"] == ROWS
    for name, col in theirs["columns"].items():
        got = ours["columns"][name]
        for key in ("kind", "count", "missing", "deciles", "bin_counts", "min", "max", "categories"):
            assert got.get(key) == col.get(key), (name, key)
        if col["kind"] in ("numeric", "datetime"):
            assert _close(got["mean"], col["mean"], 1e-9) and _close(got["std"], col["std"], 1e-9), name


def test_the_job_on_a_csv_gives_the_local_profile_of_the_same_csv(spark, data, tmp_path):
    """CSV input, read by Spark's own CSV reader (the job's plain-python entry point, which starts and stops
    its own Spark, is exercised by the error and --help tests below: a second JVM here would cost ~30 s)."""
    ours_path, theirs_path = tmp_path / "spark.json", tmp_path / "local.json"
    summary = _run_job(spark, "--input", data["cur"], "--format", "csv", "--out", ours_path)
    assert summary["out"] == str(ours_path)
    assert cli_main(["profile", str(data["cur"]), "--out", str(theirs_path)]) == 0
    ours, theirs = read_profile_file(ours_path)[0], read_profile_file(theirs_path)[0]
    assert set(ours["columns"]) == set(theirs["columns"]) and ours["rows"] == theirs["rows"]
    for name in theirs["columns"]:
        _assert_same_column(name, ours["columns"][name], theirs["columns"][name])
    assert ours["columns"]["ts"]["kind"] == "datetime" and ours["provenance"]["datetime_resolution"] == "ns"


def test_approximate_deciles_say_so(spark, data, tmp_path):
    spark.read.parquet(str(data["parts"])).createOrReplaceTempView("reference_rows")
    out = tmp_path / "approx.json"
    _run_job(spark, "--table", "reference_rows", "--out", out, "--columns", "amount,sparse", "--approx-deciles",
             "--accuracy", "500")
    doc, _ = read_profile_file(out)
    assert doc["provenance"]["source"] == "reference_rows" and doc["rows"] == ROWS
    assert doc["provenance"]["deciles"] == "approximate: percentile_approx accuracy 500, rank error <= 1/500"
    amount = doc["columns"]["amount"]
    assert amount["sketch"]["rank_error"] > 1 / 500
    assert sum(amount["bin_counts"]) == amount["count"]


def test_a_missing_column_is_one_clear_error(spark, data, tmp_path):
    with pytest.raises(job.JobError, match="no column 'nope'"):
        _run_job(spark, "--input", data["parts"], "--out", tmp_path / "x.json", "--columns", "amount,nope")
    assert not list(tmp_path.iterdir())


def _one_line_error(*argv) -> str:
    proc = subprocess.run([sys.executable, str(JOB), *map(str, argv)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_a_bad_path_is_one_line_and_exit_2_and_writes_nothing(tmp_path):
    out = tmp_path / "ref.json"
    assert "not found" in _one_line_error("--input", tmp_path / "missing", "--out", out)
    assert not list(tmp_path.iterdir())
    assert "folder does not exist" in _one_line_error("--input", tmp_path, "--out", tmp_path / "no" / "x.json")
    bad = job.make_document({"a": {"kind": "weird", "count": 1, "missing": 0}}, 1, {"engine": "test"}, "own")
    job.write_document(bad, tmp_path / "bad.json")
    assert "unknown kind 'weird'" in _one_line_error("--input", tmp_path, "--out", out, "--kinds-from",
                                                      tmp_path / "bad.json")
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
    helped = subprocess.run([sys.executable, str(JOB), "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--edges-from" in helped.stdout and "--approx-deciles" in helped.stdout


def test_the_command_line_entry_point_writes_the_file_and_prints_its_summary(spark, data, tmp_path, monkeypatch,
                                                                              capsys):
    """main() as `python profile_job.py ...` runs it, with this module's local[2] session standing in for the
    one it would start (and left running for the other tests)."""
    monkeypatch.setattr(job, "spark_session", lambda args: spark)
    monkeypatch.setattr(spark, "stop", lambda: None)
    out = tmp_path / "cli.json"
    assert job.main(["--master", "local[2]", "--input", str(data["parts"]), "--out", str(out),
                     "--columns", "amount"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    doc, sha = read_profile_file(out)
    assert summary["out"] == str(out) and summary["sha256"] == sha and doc["rows"] == ROWS
    assert list(doc["columns"]) == ["amount"]

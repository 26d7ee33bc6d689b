"""The DuckDB validation engine gives the in-memory engine's answers: same JSON, examples and failure CSV."""

import math

import numpy as np
import pandas as pd
import pytest

from core.validation.run import run_validation
from core.validation.schema import Schema

pytest.importorskip("duckdb")

# (spec, failing values, passing values); one column "c" each
CASES = [
    ({"type": "numeric"}, ["1", "2", "x"], ["1", "2.5", "-3e2"]),
    ({"type": "integer"}, [1.0, 3.0, 2.5], [1.0, 2.0, np.nan]),
    ({"type": "boolean"}, ["yes", "no", "maybe"], ["yes", "No", "TRUE"]),
    ({"type": "datetime"}, ["2024-01-02", None, "soon"], ["2024-01-02", "2024-03-04", None]),
    ({"type": "datetime"}, ["01/02/2024", "03/04/2024", "x"], ["2024/03/04", "2024/03/05", None]),
    ({"type": "datetime", "range": ["2024-02-01", None]}, ["31.01.2024 10:00", "01.02.2024 09:30", ""],
     ["01.02.2024 10:00", "02.02.2024 10:00", None]),
    ({"type": "numeric", "range": [0, 10]}, [1, 2, 11], [0, 10, np.nan]),
    ({"type": "datetime", "range": ["2024-01-01", None]}, ["2024-05-01", "2024-06-01", "2023-12-31"],
     ["2024-01-01", "2024-05-01", None]),
    ({"max_missing_fraction": 0.2}, ["a", "b", ""], ["a", None, "b", "c", "d"]),
    ({"unique": True}, ["a", "b", "a"], ["a", "b", "c"]),
    ({"allowed": ["a", "b"]}, ["a", "b", "c"], ["a", "b", None]),
    ({"type": "integer", "allowed": [1, 2]}, [1, 2, 3], [1.0, 2, 2]),
    ({"pattern": r"[A-Z]\d{2}"}, ["A12", "C45", "B3"], ["A12", "B34", None]),
    ({"min_length": 2, "max_length": 3}, ["ab", "abc", "abcd"], ["ab", "abc", None]),
    ({"type": "numeric", "monotonic": True}, [1, 3, 2], [1, 1, 2]),
    ({"type": "integer", "monotonic": "decreasing"}, [3, 1, 2], [3, np.nan, 1]),
    ({"type": "datetime", "monotonic": True}, ["2024-01-01", "2024-01-03", "2024-01-02"],
     ["2024-01-01", None, "2024-01-01", "2024-01-02"]),
]


def _write(df, tmp_path, fmt, name="t"):
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    return path


def _close(a, b, where="$"):
    """a == b, floats to 1e-12 relative."""
    if isinstance(a, float) and isinstance(b, float):
        assert a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), f"{where}: {a} != {b}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items\n{a}\n{b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{where}[{i}]")
    else:
        assert a == b and type(a) is type(b), f"{where}: {a!r} != {b!r}"


def both(path, schema: dict, tmp_path=None):
    """Both engines' JSON (engine and reader-warning keys left out) and, with tmp_path, failure CSVs."""
    out = []
    for engine in ("memory", "duckdb"):
        run = run_validation(path, schema=Schema.from_dict(schema), engine=engine)
        try:
            assert run.result["engine"]["name"] == engine
            d = {k: v for k, v in run.result.items() if k not in ("engine", "warnings")}
            csv_text = None
            if tmp_path is not None:
                run.write_failures(tmp_path / f"failures-{engine}.csv")
                csv_text = (tmp_path / f"failures-{engine}.csv").read_bytes()
            out.append((d, csv_text))
        finally:
            run.close()
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("spec,bad,good", CASES)
def test_each_check_gives_the_same_json_on_both_engines(tmp_path, fmt, spec, bad, good):
    for values in (bad, good):
        path = _write(pd.DataFrame({"c": values}), tmp_path, fmt)
        (mem, _), (ooc, _) = both(path, {"columns": {"c": spec}})
        _close(mem, ooc)


def _mixed_table(n=3000, seed=7):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(50, 30, n), 1)  # rounded: many ties
    x[rng.choice(n, 40, replace=False)] = np.nan
    x[rng.choice(n, 5, replace=False)] = np.inf
    x[rng.choice(n, 5, replace=False)] = -np.inf
    cat = rng.choice(["red", "green", "blue", "=HYPERLINK(1)", "-5+x", ""], n)
    code = rng.choice([1, 2, 3, 4], n).astype(float)
    code[rng.choice(n, 30, replace=False)] = np.nan
    text_num = rng.choice(["1", "2.5", "abc", "", "7", "1e3"], n)
    flag = rng.choice(["yes", "no", "maybe", "TRUE"], n)
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 400, n)), unit="D")
    day_s = pd.Series(day.strftime("%Y-%m-%d"))
    day_s[rng.choice(n, 10, replace=False)] = None
    ident = np.arange(n).astype(str)
    ident[rng.choice(n, 300, replace=False)] = "dup"
    return pd.DataFrame({"x": x, "cat": cat, "code": code, "text_num": text_num, "flag": flag,
                         "day": day_s, "id": ident, "seq": np.cumsum(rng.choice([1, 1, 0, -1], n))})


MIXED_SCHEMA = {
    "columns": {
        "x": {"type": "numeric", "range": [0, 100], "max_missing_fraction": 0.001, "monotonic": "increasing"},
        "cat": {"allowed": ["red", "green"], "pattern": "[a-z]+", "max_length": 4, "max_missing_fraction": 0.0},
        "code": {"type": "integer", "allowed": [1, 2], "max_missing_fraction": 0.0},
        "text_num": {"type": "numeric", "range": [0, 5]},
        "flag": {"type": "boolean", "allowed": ["yes"]},
        "day": {"type": "datetime", "range": ["2024-02-01", "2024-12-31"], "monotonic": True},
        "id": {"unique": True, "min_length": 2},
        "seq": {"type": "integer", "monotonic": "increasing"},
        "absent": {"type": "numeric"},
    },
    "dataset": {"max_duplicate_rows_fraction": 0.0, "allow_unexpected_columns": False, "row_count": [5000, None],
                "required_columns": ["also_absent"]},
}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_mixed_table_with_ties_missing_infinities_and_categories(tmp_path, fmt):
    df = _mixed_table()
    df = pd.concat([df, df.iloc[[3, 3, 10]]], ignore_index=True)  # repeated rows
    path = _write(df, tmp_path, fmt)
    (mem, mem_csv), (ooc, ooc_csv) = both(path, MIXED_SCHEMA, tmp_path)
    _close(mem, ooc)
    checks = {(v["column"], v["check"]) for v in ooc["violations"]}
    for expected in [("x", "range"), ("x", "monotonic"), ("cat", "pattern"), ("code", "allowed_values"),
                     ("text_num", "type_mismatch"), ("flag", "type_mismatch"), ("id", "uniqueness"),
                     ("seq", "monotonic"), (None, "duplicate_rows"), ("absent", "missing_column")]:
        assert expected in checks
    assert all(len(v["examples"]) <= 20 for v in ooc["violations"])
    assert max(len(v["examples"]) for v in ooc["violations"]) == 20
    assert mem_csv == ooc_csv and b"'=HYPERLINK(1)" in ooc_csv and b"'-5+x" in ooc_csv


def _both_inferred(data, ref):
    out = []
    for engine in ("memory", "duckdb"):
        run = run_validation(data, infer_from=ref, engine=engine)
        try:
            d = {k: v for k, v in run.result.items() if k not in ("engine", "warnings")}
            out.append((d, run.schema, run.schema_diff, run.settings, list(run.inputs)))
        finally:
            run.close()
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_schema_inference_and_schema_diff_match(tmp_path, fmt):
    ref = _mixed_table(2000, seed=1)
    ref["ints"] = np.arange(len(ref))  # all distinct: inferred unique
    cur = _mixed_table(1500, seed=2)
    cur["ints"] = np.arange(len(cur)) % 700  # repeats, and a category the reference never saw
    cur.loc[cur.index[:50], "cat"] = "purple"
    cur.loc[cur.index[:200], "x"] = np.nan
    cur["new_col"] = 1.5
    ref_path, cur_path = _write(ref, tmp_path, fmt, "ref"), _write(cur.drop(columns=["flag"]), tmp_path, fmt, "cur")
    mem, ooc = _both_inferred(cur_path, ref_path)
    _close(mem[1], ooc[1])  # the schema
    _close(mem[2], ooc[2])  # the schema differences
    _close(mem[0], ooc[0])  # the validation
    assert mem[3] == ooc[3] and mem[4] == ooc[4] and len(ooc[4]) == 2  # same inputs, same SHA-256s
    assert ooc[2]["new_categories"]["cat"] == ["purple"] and ooc[2]["removed_columns"] == ["flag"]
    assert ooc[1]["columns"]["ints"].get("unique") is True and "allowed" in ooc[1]["columns"]["cat"]


def test_cancel_interrupts_a_running_query(tmp_path, monkeypatch):
    import threading

    from core.errors import Cancelled
    from core.validation import ooc

    path = _write(pd.DataFrame({"a": [1, 2, 3]}), tmp_path, "parquet")
    stop = threading.Event()
    seen = {}

    def endless(r, name, spec, dtype, kind):  # a query that would run for hours
        threading.Timer(0.2, stop.set).start()
        seen["started"] = True
        try:
            r.x.sql("SELECT sum(hash(range)) FROM range(1000000000000)")
        except Cancelled:
            seen["interrupted"] = True
            raise

    monkeypatch.setattr(ooc, "_column", endless)
    outcome = {}

    def work():
        try:
            ooc.validate_file(path, Schema.from_dict({"a": {"type": "integer"}}), cancelled=stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["exc"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(120)  # a guard against hanging, not a timing assertion
    assert not t.is_alive()
    assert isinstance(outcome.get("exc"), Cancelled) and seen == {"started": True, "interrupted": True}


def test_parquet_folder_with_mixed_schemas_names_file_and_column(tmp_path, capsys):
    from main import main as cli_main

    folder = tmp_path / "ds"
    folder.mkdir()
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(folder / "part-0.parquet", index=False)
    pd.DataFrame({"a": ["1", "2"], "b": ["x", "y"]}).to_parquet(folder / "part-1.parquet", index=False)
    schema = tmp_path / "s.json"
    schema.write_text('{"a": {"type": "integer"}}')
    out = tmp_path / "failures.csv"
    code = cli_main(["validate", str(folder), "--schema", str(schema), "--engine", "duckdb", "--json",
                     "--failures", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ")
    assert "part-1.parquet" in err[0] and "'a'" in err[0]
    assert not out.exists()  # nothing half-written


def test_cli_engines_give_the_same_json_and_failure_csv(tmp_path, capsys):
    import json

    from main import main as cli_main

    data = _write(pd.DataFrame({"a": [1, 2, 2, 9], "b": ["x", "=cmd", "=cmd", "y"]}), tmp_path, "csv")
    schema = tmp_path / "s.json"
    schema.write_text('{"columns": {"a": {"type": "integer", "range": [0, 5], "unique": true}, '
                      '"b": {"allowed": ["x"]}}, "dataset": {"no_duplicate_rows": true}}')
    got = {}
    for engine in ("memory", "duckdb", "auto"):
        failures = tmp_path / f"f-{engine}.csv"
        code = cli_main(["validate", str(data), "--schema", str(schema), "--json", "--engine", engine,
                         "--memory-limit", "256MB", "--failures", str(failures)])
        assert code == 1
        result = json.loads(capsys.readouterr().out)
        got[engine] = (result.pop("engine"), result, failures.read_bytes())
    assert got["memory"][1] == got["duckdb"][1] and got["memory"][2] == got["duckdb"][2]
    assert got["duckdb"][0]["name"] == "duckdb" and "--engine duckdb" in got["duckdb"][0]["reason"]
    assert got["auto"][0]["name"] == "memory" and "within the memory limit" in got["auto"][0]["reason"]
    assert b"'=cmd" in got["duckdb"][2] and b"same as row 2" in got["duckdb"][2]


def test_auto_switches_to_duckdb_above_the_size_limit(tmp_path, monkeypatch):
    from core.validation import run as vrun

    data = _write(pd.DataFrame({"a": [1.0, 2.0, 50.0]}), tmp_path, "parquet")
    schema = Schema.from_dict({"a": {"type": "numeric", "range": [0, 10], "max_out_of_range_fraction": 0.0}})
    small = run_validation(data, schema=schema)
    assert small.result["engine"]["name"] == "memory"
    monkeypatch.setattr(vrun, "auto_limit_bytes", lambda limit=None: 10)
    big = run_validation(data, schema=schema)
    try:
        assert big.result["engine"]["name"] == "duckdb" and "over the memory limit" in big.result["engine"]["reason"]
        assert big.result["violations"] == small.result["violations"]
    finally:
        big.close()


def test_bad_memory_limit_is_one_error_line(tmp_path, capsys):
    from main import main as cli_main

    data = _write(pd.DataFrame({"a": [1]}), tmp_path, "csv")
    schema = tmp_path / "s.json"
    schema.write_text('{"a": {"type": "integer"}}')
    assert cli_main(["validate", str(data), "--schema", str(schema), "--engine", "duckdb",
                     "--memory-limit", "lots"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "lots" in err[0]


def test_patterns_outside_duckdbs_regex_syntax_are_a_clear_error(tmp_path):
    from core.errors import PreflightError

    data = _write(pd.DataFrame({"code": ["A1", "B2"]}), tmp_path, "parquet")
    schema = {"code": {"pattern": r"(?=A)\w\d"}}  # a look-ahead: Python's re has it, DuckDB's RE2 does not
    assert run_validation(data, schema=Schema.from_dict(schema), engine="memory").result["violations"]
    with pytest.raises(PreflightError, match=r"column 'code': the pattern check cannot run"):
        run_validation(data, schema=Schema.from_dict(schema), engine="duckdb")


@pytest.mark.parametrize("pattern", [r"\d+", r"\w+", r"[\d\w]+-\s?x", r"[]a\d]+", r"\W\S", r"\.\d"])
def test_unicode_classes_in_patterns_match_as_in_python(tmp_path, pattern):
    values = ["١٢", "é_1", "a١-\u00a0x", "]a5", "é", "-é", ".5", ".٥", "12", "ab-\tx", "x y"]
    path = _write(pd.DataFrame({"c": values}), tmp_path, "parquet")
    (mem, _), (ooc, _) = both(path, {"c": {"pattern": pattern}})
    _close(mem, ooc)


def test_auto_reads_a_parquet_folder_with_duckdb(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    pd.DataFrame({"a": [1.0, 2.0]}).to_parquet(folder / "part-0.parquet", index=False)
    pd.DataFrame({"a": [3.0, 40.0]}).to_parquet(folder / "part-1.parquet", index=False)
    schema = Schema.from_dict({"a": {"type": "numeric", "range": [0, 10], "max_out_of_range_fraction": 0}})
    run = run_validation(folder, schema=schema)
    try:
        assert run.result["engine"]["name"] == "duckdb" and "folder" in run.result["engine"]["reason"]
        (v,) = run.result["violations"]
        assert v["count"] == 1 and v["examples"] == [{"row": 4, "value": 40.0}]
        assert run.inputs[0]["format"] == "parquet-folder" and run.inputs[0]["rows"] == 4
    finally:
        run.close()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dates_with_utc_offsets_are_instants_in_utc(tmp_path, fmt):
    values = ["2024-01-01T00:00:00+02:00", "2024-01-02T00:00:00+02:00", "2023-06-01T01:00:00+02:00", None] * 8
    path = _write(pd.DataFrame({"c": values, "t": values}), tmp_path, fmt)
    schema = {"c": {"type": "datetime", "range": ["2023-06-01", None], "monotonic": True},
              "t": {"type": "datetime", "range": [None, "2024-01-01T00:00:00+00:00"]}}
    (mem, _), (ooc, _) = both(path, schema)
    _close(mem, ooc)
    (rng, *_rest) = ooc["violations"]
    assert rng["examples"][0] == {"row": 3, "value": "2023-05-31T23:00:00+00:00"}

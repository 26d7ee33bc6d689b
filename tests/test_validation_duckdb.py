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

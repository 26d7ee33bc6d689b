"""Validation: the article's worked example, every check failing and passing, the boundaries."""

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from core.errors import Cancelled, PreflightError
from core.validation.schema import Schema
from core.validation.validate import CHECKS, ValidationResult, validate, write_failures_csv

WORKED_CSV = "user_id,transaction_amount,credit_score\nU1,100,720\nU2,15000,650\nU3,500,\nU2,200,800\n"
WORKED_SCHEMA = {
    "user_id": {"type": "string", "unique": True},
    "transaction_amount": {"type": "numeric", "range": [0, 10000], "max_missing_pct": 0.01},
    "credit_score": {"type": "numeric", "range": [300, 850], "max_missing_pct": 0.05},
}


def _one(df, spec, **dataset):
    """Validate with one spec per column given as {column: spec}."""
    return validate(df, Schema.from_dict({"columns": spec, "dataset": dataset}))


def _checks(result):
    return [(v.column, v.check) for v in result.violations]


@pytest.mark.parametrize("raw", [False, True])
def test_worked_example_gives_exactly_three_violations(raw):
    kw = {"dtype": str, "keep_default_na": False} if raw else {}
    df = pd.read_csv(io.StringIO(WORKED_CSV), **kw)
    result = validate(df, Schema.from_dict(WORKED_SCHEMA))
    assert result.passed is False and result.rows == 4
    got = [(v.column, v.check, v.severity, v.count, v.fraction, v.threshold) for v in result.violations]
    assert got == [
        ("user_id", "uniqueness", "high", 1, 0.75, 0.95),
        ("transaction_amount", "range", "high", 1, 0.25, 0.01),
        ("credit_score", "missing_values", "high", 1, 0.25, 0.05),
    ]
    uniq, rng, miss = result.violations
    assert [e["row"] for e in uniq.examples] == [2, 4] and {e["value"] for e in uniq.examples} == {"U2"}
    assert [e["row"] for e in rng.examples] == [2] and float(rng.examples[0]["value"]) == 15000
    assert miss.examples == ({"row": 3, "value": None},)
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert set(d) == {"passed", "rows", "violations"}
    assert set(d["violations"][0]) == {"column", "check", "severity", "count", "fraction", "threshold",
                                       "examples", "message"}
    assert ValidationResult.from_dict(d).to_dict() == d


# (spec, failing values, passing values, check, severity)
CASES = [
    ({"type": "numeric"}, ["1", "2", "x"], ["1", "2.5", "-3e2"], "type_mismatch", "critical"),
    ({"type": "integer"}, [1.0, 3.0, 2.5], [1.0, 2.0, np.nan], "type_mismatch", "critical"),
    ({"type": "boolean"}, ["yes", "no", "maybe"], ["yes", "No", "TRUE"], "type_mismatch", "critical"),
    ({"type": "datetime"}, ["2024-01-02", None, "soon"], ["2024-01-02", "2024/03/04", None],
     "type_mismatch", "critical"),
    ({"type": "numeric", "range": [0, 10]}, [1, 2, 11], [0, 10, np.nan], "range", "high"),
    ({"type": "datetime", "range": ["2024-01-01", None]}, ["2024-05-01", "2024-06-01", "2023-12-31"],
     ["2024-01-01", "2024-05-01", None], "range", "high"),
    ({"max_missing_pct": 0.2}, ["a", "b", ""], ["a", None, "b", "c", "d"], "missing_values", "high"),
    ({"unique": True}, ["a", "b", "a"], ["a", "b", "c"], "uniqueness", "high"),
    ({"allowed": ["a", "b"]}, ["a", "b", "c"], ["a", "b", None], "allowed_values", "high"),
    ({"type": "integer", "allowed": [1, 2]}, [1, 2, 3], [1.0, 2, 2], "allowed_values", "high"),
    ({"pattern": r"[A-Z]\d{2}"}, ["A12", "C45", "B3"], ["A12", "B34", None], "pattern", "medium"),
    ({"min_length": 2, "max_length": 3}, ["ab", "abc", "abcd"], ["ab", "abc", None], "length", "medium"),
    ({"type": "numeric", "monotonic": True}, [1, 3, 2], [1, 1, 2], "monotonic", "medium"),
    ({"type": "integer", "monotonic": "decreasing"}, [3, 1, 2], [3, np.nan, 1], "monotonic", "medium"),
    ({"type": "datetime", "monotonic": True}, ["2024-01-01", "2024-01-03", "2024-01-02"],
     ["2024-01-01", None, "2024-01-01", "2024-01-02"], "monotonic", "medium"),
]


@pytest.mark.parametrize("spec,bad,good,check,severity", CASES)
def test_each_column_check_fails_and_passes(spec, bad, good, check, severity):
    failed = _one(pd.DataFrame({"c": bad}), {"c": spec})
    assert [(v.check, v.severity, v.count) for v in failed.violations] == [(check, severity, 1)]
    assert failed.violations[0].fraction == pytest.approx(2 / 3 if check == "uniqueness" else 1 / 3)
    assert failed.violations[0].examples[0]["row"] == (1 if check == "uniqueness" else 3)
    assert _one(pd.DataFrame({"c": good}), {"c": spec}).passed


def test_checks_work_on_categorical_columns():
    df = pd.DataFrame({"c": pd.Categorical(["A1", "B2", "zz", None, "A1"])})
    r = _one(df, {"c": {"type": "category", "allowed": ["A1", "B2"], "pattern": r"[A-Z]\d", "max_length": 2}})
    assert [(v.check, v.count, v.examples[0]["row"]) for v in r.violations] == [
        ("allowed_values", 1, 3), ("pattern", 1, 3)]
    codes = pd.DataFrame({"c": pd.Categorical([1, 2, 7])})
    assert _checks(_one(codes, {"c": {"type": "category", "allowed": [1, 2]}})) == [("c", "allowed_values")]
    nums = pd.DataFrame({"c": pd.Categorical(["1", "2", "x"])})
    assert [v.count for v in _one(nums, {"c": {"type": "numeric"}}).violations] == [1]


def test_missing_and_unexpected_columns():
    df = pd.DataFrame({"a": [1, 2], "extra": [3, 4]})
    r = _one(df, {"a": {}, "b": {"type": "numeric"}, "opt": {"required": False}})
    assert [(v.column, v.check, v.severity) for v in r.violations] == [("b", "missing_column", "critical")]
    r = _one(df, {"a": {}}, required_columns=["zz"], allow_unexpected_columns=False)
    assert [(v.column, v.check, v.severity) for v in r.violations] == [
        ("zz", "missing_column", "critical"), ("extra", "unexpected_column", "low")]
    assert _one(df, {"a": {}}, required_columns=["a", "extra"], allow_unexpected_columns=False).passed


def test_duplicate_rows_and_row_count():
    df = pd.DataFrame({"a": [1, 2, 1, 1, np.nan, np.nan], "b": ["x", "y", "x", "x", None, None]})
    r = _one(df, {}, no_duplicate_rows=True)
    (v,) = r.violations
    assert (v.column, v.check, v.severity, v.count) == (None, "duplicate_rows", "medium", 3)
    assert v.examples == ({"row": 3, "value": "same as row 1"}, {"row": 4, "value": "same as row 1"},
                          {"row": 6, "value": "same as row 5"})
    assert _one(df, {}, max_duplicate_rows_pct=0.5).passed  # 3 of 6 = exactly 50%
    assert _one(df.drop_duplicates(), {}, no_duplicate_rows=True).passed
    r = _one(df, {}, row_count=[10, None])
    assert [(v.check, v.severity, v.count, v.threshold) for v in r.violations] == [("row_count", "high", 6, 10)]
    assert _checks(_one(df, {}, row_count=[None, 5])) == [(None, "row_count")]
    assert _one(df, {}, row_count=[6, 6]).passed


def test_missing_is_not_out_of_range():
    df = pd.DataFrame({"x": [1.0, np.nan, np.nan, np.nan, 5.0, None], "s": ["1", "", None, "2", "3", "4"]})
    r = _one(df, {"x": {"type": "numeric", "range": [0, 10]}, "s": {"type": "integer", "range": [0, 10]}})
    assert r.passed


@pytest.mark.parametrize("n_out,passes", [(1, True), (2, False)])
def test_range_needs_more_than_one_percent(n_out, passes):
    x = np.full(100, 5.0)
    x[:n_out] = 99.0
    r = _one(pd.DataFrame({"x": x}), {"x": {"type": "numeric", "range": [0, 10]}})
    assert r.passed is passes
    if not passes:
        (v,) = r.violations
        assert (v.count, v.fraction, v.threshold, v.severity) == (2, 0.02, 0.01, "medium")
    custom = _one(pd.DataFrame({"x": x}), {"x": {"type": "numeric", "range": [0, 10], "max_out_of_range_pct": 0.0}})
    assert not custom.passed


@pytest.mark.parametrize("n_missing,severity", [(5, "medium"), (20, "medium"), (21, "high")])
def test_missing_severity_boundary_at_twenty_percent(n_missing, severity):
    x = np.arange(100, dtype=float)
    x[:n_missing] = np.nan
    (v,) = _one(pd.DataFrame({"x": x}), {"x": {"max_missing_pct": 0.01}}).violations
    assert (v.check, v.count, v.severity) == ("missing_values", n_missing, severity)
    assert v.fraction == pytest.approx(n_missing / 100)


@pytest.mark.parametrize("values", [
    pd.Series(["1", "2", "abc", "5000", None], dtype="str"),
    pd.Series([1, 2.0, "abc", 5000, None], dtype=object),
    pd.Series(["1", "2", "abc", "5000", None], dtype=object),
])
def test_text_in_numeric_column_is_a_critical_type_mismatch(values):
    r = validate(pd.DataFrame({"n": values}), Schema.from_dict({"n": {"type": "numeric", "range": [0, 10]}}),
                 kinds={"n": "text"})
    assert [(v.check, v.severity, v.count) for v in r.violations] == [("type_mismatch", "critical", 1),
                                                                      ("range", "medium", 1)]
    mismatch, rng = r.violations
    assert mismatch.examples == ({"row": 3, "value": "abc"},) and "text" in mismatch.message
    assert [e["row"] for e in rng.examples] == [4]


def test_examples_are_capped_at_twenty_but_failures_are_complete(tmp_path):
    df = pd.DataFrame({"x": np.arange(100) * 1.0}, index=np.arange(1000, 1100))  # index is not used
    r = _one(df, {"x": {"type": "numeric", "range": [0, 9]}})
    (v,) = r.violations
    assert v.count == 90 and len(v.examples) == 20
    assert v.examples[0] == {"row": 11, "value": 10.0}
    rows = list(r.failures())
    assert len(rows) == 90 and rows[-1] == {"column": "x", "check": "range", "severity": "high",
                                            "row": 100, "value": 99.0}
    schema = Schema.from_dict({"x": {"type": "numeric", "range": [0, 9]}})
    for given in (r, None, ValidationResult.from_dict(r.to_dict())):
        out = tmp_path / "f.csv"
        assert write_failures_csv(df, schema, given, out) == 90
        with open(out, newline="", encoding="utf-8") as fh:
            table = list(csv.reader(fh))
        assert table[0] == ["column", "check", "severity", "row", "value"] and len(table) == 91
        assert table[1] == ["x", "range", "high", "11", "10.0"]


def test_failure_csv_neutralises_formulas(tmp_path):
    evil = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "fine", "ok"]
    df = pd.DataFrame({"=col": evil})
    schema = Schema.from_dict({"=col": {"pattern": "[a-z]+", "required": True}, "missing": {}})
    out = tmp_path / "f.csv"
    assert write_failures_csv(df, schema, None, out) == 7
    with open(out, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    assert [r[4] for r in table[1:7]] == ["'" + e for e in evil[:6]]
    assert all(r[0] == "'=col" for r in table[1:7])
    assert table[7] == ["missing", "missing_column", "critical", "", ""]


def test_values_in_results_are_plain_json():
    df = pd.DataFrame({"x": [np.inf, 1.0, -np.inf], "t": pd.to_datetime(["2030-01-01", "2020-01-01", None]),
                       "b": [True, False, True]})
    r = _one(df, {"x": {"type": "numeric", "range": [0, 2]},
                  "t": {"type": "datetime", "range": [None, "2025-01-01"]},
                  "b": {"type": "boolean", "allowed": [True]}})
    assert [(v.column, v.check) for v in r.violations] == [("x", "range"), ("t", "range"), ("b", "allowed_values")]
    text = json.dumps(r.to_dict(), allow_nan=False)
    assert '"inf"' in text and '"-inf"' in text and "2030-01-01T00:00:00" in text


def test_timezone_aware_datetimes_compare_with_naive_bounds():
    t = pd.Series(pd.to_datetime(["2024-01-01 00:30", "2024-01-02 00:00"]).tz_localize("Europe/Paris"))
    r = _one(pd.DataFrame({"t": t}), {"t": {"type": "datetime", "range": ["2024-01-01 00:00+00:00", None],
                                             "max_out_of_range_pct": 0}})
    assert [(v.check, v.count) for v in r.violations] == [("range", 1)]  # 00:30 Paris is 23:30 UTC


def test_wrong_types_are_not_double_reported():
    df = pd.DataFrame({"x": ["1", "two", "3"]})
    r = _one(df, {"x": {"type": "integer", "allowed": [1, 3], "monotonic": True, "pattern": r"\d"}})
    assert [v.check for v in r.violations] == ["type_mismatch"]


def test_progress_cancel_and_bad_input():
    df = pd.DataFrame({"a": [1], "b": [2]})
    schema = Schema.from_dict({"a": {}, "b": {}})
    seen = []
    validate(df, schema, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3
    with pytest.raises(Cancelled):
        validate(df, schema, cancelled=lambda: True)
    with pytest.raises(PreflightError, match="more than one column named 'a'"):
        validate(pd.DataFrame([[1, 2]], columns=["a", "a"]), schema)
    with pytest.raises(PreflightError):
        validate([[1]], schema)
    assert validate(df.iloc[:0], Schema.from_dict({"a": {"unique": True, "max_missing_pct": 0}})).passed
    assert set(CHECKS) >= {v.check for v in _one(df, {"zz": {}}).violations}


def _python_calls(fn) -> int:
    """Python function calls made by ``fn()`` in every thread: a measure of work that ignores the clock."""
    import sys
    import threading
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            count[0] += 1

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return count[0]


def test_validation_work_grows_linearly_with_the_number_of_columns():
    """Inferring, validating and diffing a wide table: eight times the columns, at most ~eight times the work
    (a per-column scan of every column name or of the required-columns list made it quadratic)."""
    from core.validation.infer import infer_schema, schema_diff

    def work(n):
        rng = np.random.default_rng(2)
        df = pd.DataFrame(rng.normal(size=(5, n)), columns=[f"c{i}" for i in range(n)])
        kinds = {c: "numeric" for c in df.columns}

        def run():
            schema = infer_schema(df, kinds)
            strict = Schema.from_dict({"columns": schema.to_dict()["columns"],
                                       "dataset": {"required_columns": list(df.columns)[::-1] + ["gone"],
                                                   "allow_unexpected_columns": False}})
            assert _checks(validate(df, strict, kinds=kinds)) == [("gone", "missing_column")]
            schema_diff(df, df, kinds, kinds)
        return _python_calls(run)

    small, large = work(100), work(800)
    assert large < 9.5 * small, (small, large)


def _float_frame(seed, n_rows=7, n_cols=60):
    rng = np.random.default_rng(seed)
    data = rng.normal(0, 10, size=(n_rows, n_cols))
    data[rng.random((n_rows, n_cols)) < 0.1] = np.nan
    data[:, ::7] = np.round(data[:, ::7])  # whole-number columns
    data[0, ::11] = np.inf
    data[:, 5] = np.nan  # an empty column
    df = pd.DataFrame(data, columns=[f"c{i}" for i in range(n_cols)])
    df["label"] = ["a", "b"] * (n_rows // 2) + ["a"] * (n_rows % 2)
    return df


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bulk_float_paths_give_the_per_column_answers(seed, monkeypatch):
    """Inferring, validating and diffing float columns as 2-D blocks must equal the column-by-column result."""
    from core.validation import infer as infer_mod
    from core.validation import validate as validate_mod
    from core.validation.infer import infer_schema, schema_diff

    ref, cur = _float_frame(seed), _float_frame(seed + 10)
    cur.iloc[:3, 2] = 1e6  # out of range
    cur.iloc[:, 3] = np.nan  # all missing
    cur.iloc[1, 7] = 0.5  # whole numbers in the reference only: a type change
    strict = {"columns": {f"c{i}": {"type": "numeric", "range": [-15, 15], "max_out_of_range_fraction": 0.2,
                                    "max_missing_fraction": 0.1} for i in range(0, 60, 2)},
              "dataset": {}}
    strict["columns"].update({f"c{i}": {} for i in range(1, 60, 2)})

    def everything():
        inferred = infer_schema(ref, {"label": "categorical"})
        return (inferred.to_dict(), validate(cur, inferred).to_dict(), validate(cur, Schema.from_dict(strict)).to_dict(),
                schema_diff(ref, cur, {"c1": "numeric"}, {}))

    bulk = everything()
    monkeypatch.setattr(infer_mod, "float_labels", lambda df, names, by_name: [])
    monkeypatch.setattr(validate_mod, "clean_float_columns", lambda *a, **k: set())
    assert everything() == bulk
    assert bulk[1]["violations"] and bulk[2]["violations"] and bulk[3]["missing_rate_changes"]
    assert {"column": "c7", "reference": "integer", "current": "numeric"} in bulk[3]["type_changes"]


def test_tall_tables_skip_the_block_pass_with_the_same_answer(monkeypatch):
    """Above BULK_MAX_ROWS rows the per-column checks alone are faster: the block pass settles nothing there,
    and the validation result is the one the block pass gives on the same table."""
    from core.validation import bulk

    df = _float_frame(3)
    schema = Schema.from_dict({"columns": {f"c{i}": {"type": "numeric", "range": [-40, 40]} for i in range(60)},
                               "dataset": {}})
    by_name = {c: c for c in df.columns}
    with_block = validate(df, schema).to_dict()
    assert bulk.clean_float_columns(df, schema.columns, by_name)  # 7 rows: some columns settled at once
    monkeypatch.setattr(bulk, "BULK_MAX_ROWS", len(df) - 1)
    assert bulk.clean_float_columns(df, schema.columns, by_name) == set()
    assert validate(df, schema).to_dict() == with_block

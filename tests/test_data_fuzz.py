"""Fuzzing the table reader with numeric edge cases: only input errors may come out, never a crash.

Huge and tiny numbers, negative zero, exponents, thousands separators, infinities, NaN, leading
``+`` and zeros, mixed with text and gaps, are written as CSV / TSV / JSON Lines and read, then a
schema is inferred and the table validated against it.  Anything but a PreflightError (which the
CLI shows as one ``error:`` line) is a defect.
"""

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cli import main as cli_main
from core.data.tables import read_table
from core.errors import PreflightError
from core.validation.infer import infer_schema, schema_diff
from core.validation.validate import validate

INT64_MAX = 2 ** 63 - 1

huge_ints = st.integers(min_value=-10 ** 40, max_value=10 ** 40).map(str)
edge_ints = st.sampled_from([INT64_MAX, INT64_MAX + 1, -INT64_MAX - 1, -INT64_MAX - 2, 2 ** 64,
                             2 ** 53, 2 ** 53 + 1, 99999999999999999999, 10 ** 400]).map(str)
floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True).map(repr)
words = st.sampled_from(["-0", "-0.0", "+0", "+5", "+1.5e3", "007", "0x1F", "1e308", "1e309", "-1e400",
                         "1E-400", "4.9e-324", "1,234", "1.234,5", "1 234", "12,345,678.9", "inf", "-inf",
                         "Infinity", "nan", "NaN", "NA", "", ".5", "5.", "1e", "e5", "--1", "1_000",
                         "abc", "true", "2024-01-01", "١٢٣"])
cell = st.one_of(huge_ints, edge_ints, floats, words, st.integers(-5, 5).map(str))
column = st.lists(cell, min_size=1, max_size=25)


def _csv_text(columns, delim):
    rows = max(len(c) for c in columns)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delim, lineterminator="\n")
    writer.writerow([f"c{i}" if i else "id" for i in range(len(columns))])
    for r in range(rows):
        writer.writerow([c[r] if r < len(c) else "" for c in columns])
    return out.getvalue()


def _jsonl_text(columns):
    rows = max(len(c) for c in columns)
    lines = []
    for r in range(rows):
        record = {}
        for i, c in enumerate(columns):
            value = c[r] if r < len(c) else None
            try:  # numbers as JSON numbers where they are valid JSON, text otherwise
                value = json.loads(value) if value is not None else None
            except ValueError:
                pass
            record[f"c{i}"] = value
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def _exercise(path):
    """Read, infer, validate and diff; only PreflightError may escape."""
    try:
        table = read_table(path)
    except PreflightError:
        return
    assert table.rows >= 1
    schema = infer_schema(table.df, table.kinds)
    result = validate(table.df, schema, kinds=table.kinds)
    json.dumps(result.to_dict(), allow_nan=False)  # plain JSON, no NaN/inf leaking into results
    schema_diff(table.df, table.df, table.kinds, table.kinds)
    for kind, s in ((table.kinds[c], table.df[c]) for c in table.df.columns):
        if kind == "numeric":
            assert not np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).any()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=st.lists(column, min_size=1, max_size=3), fmt=st.sampled_from(["csv", "tsv", "jsonl"]),
       wide_reader=st.booleans())
def test_reader_survives_numeric_edge_cases(tmp_path, columns, fmt, wide_reader):
    """Both CSV readers (Arrow's, and the bulk one for wide tables, forced here for narrow ones) are fuzzed."""
    from core.data import wide
    path = tmp_path / f"fuzz.{fmt}"
    text = _jsonl_text(columns) if fmt == "jsonl" else _csv_text(columns, "," if fmt == "csv" else "\t")
    path.write_text(text, encoding="utf-8")
    saved = wide.WIDE_COLUMNS
    wide.WIDE_COLUMNS = 1 if wide_reader else saved
    try:
        _exercise(path)
    finally:
        wide.WIDE_COLUMNS = saved


def test_integers_past_int64_mixed_with_floats_read_as_numbers_with_a_warning(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("amount,v\n99999999999999999999,1\n1.5,2\n3,3\n")
    table = read_table(path)
    assert table.kinds["amount"] == "numeric"
    assert table.df["amount"].tolist() == [1e20, 1.5, 3.0]
    assert any("'amount': 1 whole number beyond 2^53" in w and "16 significant digits" in w
               for w in table.warnings)


def test_integers_past_int64_alone_are_identifiers_kept_as_text(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("account,v\n99999999999999999999,1\n99999999999999999998,2\n-5,3\n")
    table = read_table(path)
    assert table.kinds["account"] == "text"
    assert table.df["account"].astype(str).tolist() == ["99999999999999999999", "99999999999999999998", "-5"]
    assert any("'account' holds whole numbers too large for a 64-bit integer" in w for w in table.warnings)
    validate(table.df, infer_schema(table.df, table.kinds), kinds=table.kinds)


def test_few_distinct_huge_whole_floats_do_not_crash_as_categories(tmp_path):
    path = tmp_path / "codes.csv"  # whole floats past 2^53 written with exponents: no integer cast
    path.write_text("code\n" + "1e20\n2e20\n1e20\n" * 5)
    table = read_table(path)
    assert table.df["code"].notna().all()


@pytest.mark.parametrize("body", ["a,b\n99999999999999999999,1.5\n1.5,2\n3,4\n",
                                  "a,b\n99999999999999999999,1\n-5,2\n1e400,x\n",
                                  "a,b\n18446744073709551616,-0\n+007,1e-400\n"])
def test_cli_on_huge_numbers_exits_cleanly(tmp_path, capsys, body):
    path = tmp_path / "data.csv"
    path.write_text(body)
    for argv in (["validate", str(path), "--infer-from", str(path)],
                 ["validate", str(path), "--infer-from", str(path), "--json"],
                 ["drift", str(path), str(path), "--json"]):
        code = cli_main(argv)
        err = capsys.readouterr().err
        assert code in (0, 1, 2), (argv, code, err)
        assert "internal error" not in err and "Traceback" not in err, (argv, err)

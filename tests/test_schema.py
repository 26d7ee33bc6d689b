"""Schemas: both file layouts, JSON and YAML, clear errors, inference and the schema diff."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InputFileError, PreflightError
from core.validation.infer import infer_schema, schema_diff
from core.validation.schema import ColumnSpec, DatasetSpec, Schema, load_schema, save_schema
from core.validation.validate import validate

FLAT = {"age": {"type": "int", "range": [0, 120], "max_missing_pct": 0.05},
        "city": {"type": "categorical", "allowed": ["Paris", "Oslo"]},
        "seq": {"type": "numeric", "monotonic": True}}


def test_flat_and_extended_layouts_give_the_same_schema():
    flat = Schema.from_dict(FLAT)
    ext = Schema.from_dict({"columns": FLAT, "dataset": {"no_duplicate_rows": True, "row_count": [1, None]}})
    assert flat.columns == ext.columns
    assert flat.columns["age"] == ColumnSpec(type="integer", range=(0, 120), max_missing_fraction=0.05)
    assert flat.columns["city"].type == "category" and flat.columns["seq"].monotonic == "increasing"
    assert ext.dataset == DatasetSpec(max_duplicate_rows_fraction=0.0, row_count=(1, None))
    assert Schema.from_dict(ext.to_dict()) == ext
    assert ext.to_dict()["columns"]["age"] == {"type": "integer", "range": [0, 120], "max_missing_fraction": 0.05}
    # a flat schema may have a column called "columns" or "dataset"
    odd = Schema.from_dict({"columns": {"type": "string"}, "dataset": {"type": "integer"}})
    assert set(odd.columns) == {"columns", "dataset"} and odd.columns["dataset"].type == "integer"
    assert Schema.from_dict({"dataset": {"row_count": [5, 10]}}).dataset.row_count == (5, 10)


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml", ".schema"])
def test_save_and_load_round_trip(tmp_path, suffix):
    schema = Schema.from_dict({"columns": {**FLAT, "when": {"type": "datetime", "range": ["2024-01-01", None]},
                                           "code": {"pattern": r"^\d{3}$", "min_length": 3}},
                               "dataset": {"required_columns": ["age"], "allow_unexpected_columns": False}})
    path = tmp_path / f"s{suffix}"
    save_schema(schema, path)
    assert load_schema(path) == schema
    if suffix == ".json":
        assert json.loads(path.read_text())["version"] == 1


def test_yaml_and_json_files_in_the_articles_flat_format(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "user_id:\n  type: string\n  unique: true\n"
        "when:\n  type: datetime\n  range: [2024-01-01, null]\n"  # YAML reads the date as a date
        "credit_score:\n  type: numeric\n  range: [300, 850]\n  max_missing_pct: 0.05\n")
    (tmp_path / "s.json").write_text(json.dumps({"user_id": {"type": "string", "unique": True},
                                                 "when": {"type": "datetime", "range": ["2024-01-01", None]},
                                                 "credit_score": {"type": "numeric", "range": [300, 850],
                                                                  "max_missing_pct": 0.05}}))
    from_yaml, from_json = load_schema(tmp_path / "s.yaml"), load_schema(tmp_path / "s.json")
    assert from_yaml == from_json
    assert from_yaml.columns["when"].range == ("2024-01-01T00:00:00", None)
    (tmp_path / "yn.yaml").write_text("answer:\n  allowed: [yes, no, on]\n  required: false\n")
    assert load_schema(tmp_path / "yn.yaml").columns["answer"] == ColumnSpec(allowed=("yes", "no", "on"),
                                                                             required=False)
    save_schema(load_schema(tmp_path / "yn.yaml"), tmp_path / "again.yaml")
    assert load_schema(tmp_path / "again.yaml").columns["answer"].allowed == ("yes", "no", "on")


@pytest.mark.parametrize("spec,words", [
    ({"age": {"type": "integer", "rnage": [0, 1]}}, ["column 'age'", "key 'rnage'", "unknown key"]),
    ({"age": {"type": "float64x"}}, ["column 'age'", "key 'type'", "float64x"]),
    ({"age": {"type": "numeric", "range": [10, 0]}}, ["key 'range'", "larger"]),
    ({"age": {"type": "numeric", "range": [0]}}, ["key 'range'", "[min, max]"]),
    ({"age": {"type": "numeric", "range": ["a", 5]}}, ["key 'range'", "numbers"]),
    ({"age": {"type": "string", "range": [0, 5]}}, ["key 'range'", "needs type"]),
    ({"age": {"max_missing_pct": 5}}, ["key 'max_missing_pct'", "fraction"]),
    ({"age": {"max_out_of_range_pct": -0.1}}, ["key 'max_out_of_range_pct'"]),
    ({"age": {"max_missing_fraction": 1.5}}, ["key 'max_missing_fraction'", "fraction"]),
    ({"age": {"max_missing_fraction": 0.1, "max_missing_pct": 0.2}},
     ["key 'max_missing_fraction'", "deprecated name", "0.1", "0.2"]),
    ({"age": {"unique": "yes"}}, ["key 'unique'", "true or false"]),
    ({"age": {"pattern": "([a-z"}}, ["key 'pattern'", "regular expression"]),
    ({"age": {"min_length": 5, "max_length": 2}}, ["key 'min_length'"]),
    ({"age": {"max_length": -1}}, ["key 'max_length'"]),
    ({"age": {"type": "string", "monotonic": True}}, ["key 'monotonic'"]),
    ({"age": {"type": "numeric", "monotonic": "up"}}, ["key 'monotonic'"]),
    ({"age": {"allowed": []}}, ["key 'allowed'"]),
    ({"age": {"type": "datetime", "range": ["not a date", None]}}, ["key 'range'", "not a date"]),
    ({"age": [1, 2]}, ["column 'age'", "mapping"]),
    ({"columns": {"a": {}}, "datasets": {}}, ["top-level key 'datasets'"]),
    ({"columns": {"a": {}}, "dataset": {"rows": 5}}, ["dataset", "key 'rows'"]),
    ({"columns": {"a": {}}, "dataset": {"row_count": [5, 1]}}, ["key 'row_count'"]),
    ({"columns": {"a": {}}, "dataset": {"required_columns": "a"}}, ["key 'required_columns'"]),
    ({"columns": {"a": {}}, "version": 7}, ["version 7"]),
])
def test_bad_schemas_name_the_column_and_key(spec, words):
    with pytest.raises(PreflightError) as info:
        Schema.from_dict(spec, source="my.yaml")
    message = str(info.value)
    assert message.startswith("my.yaml")
    for w in words:
        assert w in message


def test_bad_schema_files_name_the_file(tmp_path):
    cases = {"broken.json": '{"a": {"type": "numeric",}}', "broken.yaml": "a:\n  type: [numeric\n",
             "empty.yaml": "", "list.json": "[1, 2]", "bad.json": '{"a": {"type": "nope"}}'}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(PreflightError, match=name.replace(".", r"\.")):
            load_schema(tmp_path / name)
    with pytest.raises(InputFileError) as info:
        load_schema(tmp_path / "broken.json")
    assert info.value.line == 1
    with pytest.raises(InputFileError, match="not found"):
        load_schema(tmp_path / "nowhere.json")


def _reference():
    rng = np.random.default_rng(3)
    n = 200
    amount = rng.uniform(10, 20, n)
    amount[:4] = np.nan
    return pd.DataFrame({
        "id": np.arange(n),
        "amount": amount,
        "signed": np.linspace(-5, 5, n),
        "count": rng.integers(3, 9, n),
        "city": pd.Categorical(rng.choice(["Oslo", "Paris", "Rome"], n)),
        "plan": rng.choice(["free", "pro"], n),
        "name": [f"user {i}" for i in range(n)],
        "ok": rng.random(n) < 0.5,
        "when": pd.date_range("2024-01-01", periods=n, freq="h"),
        "raw_num": pd.Series([str(x) for x in rng.integers(0, 50, n)], dtype="str"),
    })


def test_infer_schema_records_types_ranges_domains_and_uniqueness():
    df = _reference()
    schema = infer_schema(df)
    c = schema.columns
    assert {k: v.type for k, v in c.items()} == {
        "id": "integer", "amount": "numeric", "signed": "numeric", "count": "integer", "city": "category",
        "plan": "category", "name": "string", "ok": "boolean", "when": "datetime", "raw_num": "integer"}
    lo, hi = df["amount"].min(), df["amount"].max()
    assert c["amount"].range[0] == pytest.approx(lo - 0.1 * (hi - lo), abs=1e-4)
    assert c["amount"].range[1] == pytest.approx(hi + 0.1 * (hi - lo), abs=1e-4)
    assert c["signed"].range == (-6, 6)
    assert c["id"].range == (0, 219)  # 199 + 19.9 rounded up; not below 0 as no negative was seen
    assert c["amount"].max_missing_fraction == pytest.approx(0.02 + 0.01)
    assert c["count"].max_missing_fraction == 0.01
    assert c["city"].allowed == ("Oslo", "Paris", "Rome") and c["plan"].allowed == ("free", "pro")
    assert c["id"].unique and c["name"].unique and not c["count"].unique and not c["amount"].unique
    assert c["when"].range is None and c["when"].monotonic is None
    assert validate(df, schema).passed
    wide = infer_schema(pd.DataFrame({"c": pd.Categorical([f"v{i}" for i in range(150)] * 2)}))
    assert wide.columns["c"].type == "category" and wide.columns["c"].allowed is None
    assert infer_schema(pd.DataFrame({"x": [1, 2]}), range_tolerance=0).columns["x"].range == (1, 2)


def test_infer_schema_uses_the_readers_kinds():
    df = pd.DataFrame({"code": [1, 2, 3, 1, 2, 3], "note": ["a", "b", "a", "b", "a", "b"],
                       "flag": ["yes", "no", "yes", "yes", "no", "no"], "bad": ["1", "x", "2", "1", "2", "3"]})
    kinds = {"code": "categorical", "note": "text", "flag": "boolean", "bad": "numeric"}
    c = infer_schema(df, kinds).columns
    assert (c["code"].type, c["code"].allowed) == ("category", (1, 2, 3))
    assert c["note"].type == "string" and c["flag"].type == "boolean"
    assert c["bad"].type == "string"  # the values contradict "numeric": they win
    assert validate(df, infer_schema(df, kinds)).passed
    assert not validate(df.assign(code=[1, 2, 3, 4, 1, 2]), infer_schema(df, kinds)).passed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e6, 1e6), st.just(np.inf)), st.one_of(st.none(), st.integers(-50, 50)),
                          st.sampled_from(["a", "b", "", "c d", "=x"]), st.booleans()), min_size=1, max_size=40),
       st.floats(0, 1))
def test_data_passes_its_own_inferred_schema(rows, tol):
    df = pd.DataFrame(rows, columns=["f", "i", "s", "b"])
    df["i"] = df["i"].astype("Int64")
    assert validate(df, infer_schema(df, range_tolerance=tol)).passed


def test_schema_diff():
    ref = pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"], "c": [1.0, 2.0, 3.0, 4.0],
                        "gone": [1, 1, 1, 1], "grade": pd.Categorical(["A", "B", "A", "B"])})
    cur = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": ["x", "z", "w", "y"], "c": ["1", "2", "three", "4"],
                        "grade": pd.Categorical(["A", "C", None, "B"]), "new": [0, 0, 0, 0]})
    d = schema_diff(ref, cur)
    assert d["added_columns"] == ["new"] and d["removed_columns"] == ["gone"]
    # b has more distinct values now (string rather than category): its new values are listed instead
    assert d["type_changes"] == [{"column": "c", "reference": "integer", "current": "string"}]
    assert d["new_categories"] == {"b": ["w", "z"], "grade": ["C"]}
    assert d["missing_rate_changes"] == [
        {"column": "a", "reference": 0.0, "current": 0.25, "change": 0.25},
        {"column": "grade", "reference": 0.0, "current": 0.25, "change": 0.25}]
    json.dumps(d, allow_nan=False)
    same = schema_diff(ref, ref)
    assert same == {"added_columns": [], "removed_columns": [], "type_changes": [], "new_categories": {},
                    "missing_rate_changes": []}
    assert schema_diff(ref, cur, kinds_cur={"c": "categorical"})["type_changes"][0]["current"] == "category"


def test_fraction_keys_have_correct_names_and_the_old_pct_names_are_still_read(tmp_path):
    new = {"columns": {"a": {"type": "numeric", "range": [0, 1], "max_missing_fraction": 0.1,
                             "max_out_of_range_fraction": 0.02}},
           "dataset": {"max_duplicate_rows_fraction": 0.05}}
    old = {"columns": {"a": {"type": "numeric", "range": [0, 1], "max_missing_pct": 0.1,
                             "max_out_of_range_pct": 0.02}},
           "dataset": {"max_duplicate_rows_pct": 0.05}}
    schema = Schema.from_dict(new)
    assert Schema.from_dict(old) == schema
    assert schema.columns["a"].max_missing_fraction == 0.1 and schema.columns["a"].max_missing_pct == 0.1
    assert schema.columns["a"].max_out_of_range_pct == 0.02 and schema.dataset.max_duplicate_rows_pct == 0.05
    assert schema.to_dict() == {"version": 1, **new}  # written with the new names only
    save_schema(Schema.from_dict(old), tmp_path / "s.yaml")
    text = (tmp_path / "s.yaml").read_text()
    assert "max_missing_fraction: 0.1" in text and "_pct" not in text
    same = {"a": {"max_missing_pct": 0.1, "max_missing_fraction": 0.1}}  # both names, same value: fine
    assert Schema.from_dict(same).columns["a"].max_missing_fraction == 0.1
    assert Schema.from_dict({"dataset": {"max_duplicate_rows_pct": 0.5}}).dataset.max_duplicate_rows_fraction == 0.5

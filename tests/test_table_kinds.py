"""Column kind inference, coercion and overrides (core.data.kinds via core.data.tables)."""

import numpy as np
import pandas as pd
import pytest

from core.errors import PreflightError
from core.data.kinds import coerce_table, quality_warnings
from core.data.tables import apply_kinds, infer_kinds, read_table

N = 200


def kinds_of(**columns):
    return infer_kinds(pd.DataFrame(columns))


def test_numeric_columns():
    rng = np.random.default_rng(0)
    assert kinds_of(x=rng.normal(size=N))["x"] == "numeric"
    assert kinds_of(n=np.arange(N) % 37)["n"] == "numeric"  # whole numbers, 37 distinct
    assert kinds_of(s=pd.Series([f"{v:.3f}" for v in rng.normal(size=N)], dtype="str"))["s"] \
        == "numeric"
    assert kinds_of(e=[np.nan] * N)["e"] == "numeric"  # empty: numeric, reported as empty


def test_few_whole_numbers_are_categorical_like_evidently():
    assert kinds_of(r=np.arange(N) % 10)["r"] == "categorical"  # 10 distinct
    assert kinds_of(r=np.arange(N) % 11)["r"] == "numeric"  # 11 distinct
    assert kinds_of(f=(np.arange(N) % 3).astype(float))["f"] == "categorical"
    assert kinds_of(flag=np.arange(N) % 2)["flag"] == "categorical"  # 0/1 ints are not booleans
    assert kinds_of(s=pd.Series(["0", "1"] * (N // 2), dtype="str"))["s"] == "categorical"


def test_identifier_columns_are_text():
    assert kinds_of(user_id=np.arange(N))["user_id"] == "text"
    assert kinds_of(customerId=np.arange(N) + 1000)["customerId"] == "text"
    assert kinds_of(id=np.arange(N))["id"] == "text"
    assert kinds_of(width=np.arange(N))["width"] == "numeric"  # not an id name
    assert kinds_of(user_id=np.arange(N) // 2)["user_id"] == "numeric"  # repeated: not ids


def test_booleans():
    assert kinds_of(b=[True, False] * (N // 2))["b"] == "boolean"
    assert kinds_of(b=pd.array([True, None] * (N // 2), dtype="boolean"))["b"] == "boolean"
    assert kinds_of(y=["yes", "No", None, "YES"] * (N // 4))["y"] == "boolean"
    assert kinds_of(t=["true", "false"] * (N // 2))["t"] == "boolean"
    assert kinds_of(t=["true", "false", "maybe"] * 70)["t"] == "categorical"


def test_datetimes():
    days = pd.date_range("2023-01-01", periods=N, freq="D")
    assert kinds_of(d=days)["d"] == "datetime"
    assert kinds_of(d=days.strftime("%Y-%m-%d"))["d"] == "datetime"
    assert kinds_of(d=days.strftime("%Y-%m-%dT%H:%M:%SZ"))["d"] == "datetime"
    mostly = list(days.strftime("%Y-%m-%d %H:%M"))
    mostly[:5] = ["soon"] * 5  # 97.5 % dates
    assert kinds_of(d=mostly)["d"] == "datetime"
    mostly[:20] = ["soon"] * 20  # 90 %: not dates
    assert kinds_of(d=mostly)["d"] == "text"
    assert kinds_of(d=days.strftime("%d/%m/%Y"))["d"] == "text"  # not ISO-like


def test_categorical_versus_text_cardinality():
    assert kinds_of(c=[f"c{i % 50}" for i in range(N)])["c"] == "categorical"
    assert kinds_of(c=[f"c{i % 101}" for i in range(N)])["c"] == "text"  # > half distinct
    assert kinds_of(c=[f"c{i % 100}" for i in range(N)])["c"] == "categorical"  # exactly half
    big = [f"c{i % 1001}" for i in range(5000)]
    assert infer_kinds(pd.DataFrame({"c": big}))["c"] == "text"  # > 1000 distinct
    # a column that arrives as a categorical (dictionary-encoded Parquet) follows the same rules
    assert kinds_of(c=pd.Categorical([f"u{i}" for i in range(N)]))["c"] == "text"
    assert kinds_of(c=pd.Categorical([f"c{i % 50}" for i in range(N)]))["c"] == "categorical"
    assert kinds_of(c=pd.Categorical(["yes", "no"] * (N // 2)))["c"] == "boolean"
    assert kinds_of(c=pd.Categorical([str(i % 7 + 0.5) for i in range(N)]))["c"] == "numeric"
    assert kinds_of(c=["a", "b", "c"])["c"] == "categorical"  # tiny table: share rule off


def test_kinds_after_reading_have_the_documented_dtypes(tmp_path):
    rows = ["x,c,b,d,t"] + [f"{i}.5,c{i % 4},{'yes' if i % 2 else 'no'},2024-02-{1 + i % 28:02d},"
                            f"id-{i}" for i in range(60)]
    (tmp_path / "k.csv").write_text("\n".join(rows) + "\n")
    table = read_table(tmp_path / "k.csv")
    df = table.df
    assert table.kinds == {"x": "numeric", "c": "categorical", "b": "boolean", "d": "datetime",
                           "t": "text"}
    assert df["x"].dtype == np.float64
    assert isinstance(df["c"].dtype, pd.CategoricalDtype)
    assert df["b"].dtype == bool and df["b"].sum() == 30
    assert pd.api.types.is_datetime64_any_dtype(df["d"].dtype)
    assert isinstance(df["t"].dtype, pd.StringDtype)
    assert all(df[c].dtype != object for c in df.columns)


def test_overrides_force_kinds(tmp_path):
    rows = ["code,score,label,flag,when"] + [
        f"{i % 5},{i % 30},{i}.0,{i % 2},2024-01-{1 + i % 28:02d}" for i in range(60)]
    (tmp_path / "o.csv").write_text("\n".join(rows) + "\n")
    auto = read_table(tmp_path / "o.csv")
    assert auto.kinds == {"code": "categorical", "score": "numeric", "label": "numeric",
                          "flag": "categorical", "when": "datetime"}
    forced = read_table(tmp_path / "o.csv", kind_overrides={
        "code": "numeric", "score": "categorical", "label": "text", "flag": "boolean",
        "when": "text"})
    df = forced.df
    assert forced.kinds == {"code": "numeric", "score": "categorical", "label": "text",
                            "flag": "boolean", "when": "text"}
    assert df["code"].dtype == np.int64 and df["code"].tolist()[:6] == [0, 1, 2, 3, 4, 0]
    assert isinstance(df["score"].dtype, pd.CategoricalDtype)
    assert len(df["score"].cat.categories) == 30
    assert df["label"].astype(str).tolist()[:2] == ["0.0", "1.0"]
    assert df["flag"].dtype == bool and df["flag"].tolist()[:4] == [False, True, False, True]
    assert df["when"].tolist()[0] == "2024-01-01"


def test_override_errors_name_the_problem():
    df = pd.DataFrame({"a": [1.5, 2.5], "b": ["red", "blue"]})
    with pytest.raises(PreflightError, match="'zz'"):
        apply_kinds(df, {"zz": "numeric"})
    with pytest.raises(PreflightError, match="unknown kind 'float'.*numeric, categorical"):
        apply_kinds(df, {"a": "float"})
    with pytest.raises(PreflightError, match="column 'b' cannot be read as boolean"):
        apply_kinds(df, {"b": "boolean"})
    with pytest.raises(PreflightError, match="column 'b' cannot be read as datetime"):
        apply_kinds(df, {"b": "datetime"})


def test_apply_kinds_coerces_and_reports():
    df = pd.DataFrame({"n": ["1", "2", "x", "inf"], "b": ["yes", "no", "perhaps", None],
                       "d": ["2024-01-02", "2024-01-03 10:00", "never", None],
                       "c": [1.0, 2.0, np.nan, 2.0], "t": [1, 2, 3, 4]})
    out, warnings = coerce_table(df, {"n": "numeric", "b": "boolean", "d": "datetime",
                                      "c": "categorical", "t": "text"})
    assert out["n"].tolist()[:2] == [1.0, 2.0] and out["n"].isna().sum() == 2
    assert out["b"].dtype == "boolean" and out["b"].tolist()[:2] == [True, False]
    assert out["b"].isna().tolist() == [False, False, True, True]
    assert out["d"].tolist()[1] == pd.Timestamp("2024-01-03 10:00") and out["d"].isna().sum() == 2
    assert list(out["c"].cat.categories) == [1, 2] and out["c"].cat.categories.dtype == np.int64
    assert out["t"].tolist() == ["1", "2", "3", "4"]
    assert warnings == ["column 'n': 1 non-numeric values read as missing (e.g. 'x')",
                        "column 'n': 1 infinite values (inf/-inf) read as missing",
                        "column 'b': 1 non-boolean values read as missing (e.g. 'perhaps')",
                        "column 'd': 1 non-date values read as missing (e.g. 'never')"]
    assert apply_kinds(df, {"t": "text"})["n"].tolist() == df["n"].tolist()  # others untouched


def test_quality_warnings_for_constant_and_empty_columns():
    df = pd.DataFrame({"k": ["a"] * 4, "e": [np.nan] * 4, "m": [3.0, np.nan, 3.0, 3.0],
                       "ok": [1.0, 2.0, 3.0, 4.0]})
    assert quality_warnings(df) == [
        "column 'k' is constant: every value is 'a'",
        "column 'e' is empty: all 4 values are missing",
        "column 'm' is constant: every value is '3.0' (missing in 1 of 4 rows)"]

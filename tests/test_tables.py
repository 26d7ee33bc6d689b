"""Reading data tables: every format round-trips, encodings and CSV details are handled.

Hostile files (errors) are in test_tables_errors.py; column kinds in test_table_kinds.py.
All files are generated into tmp_path.
"""

import gzip
import hashlib
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.errors import Cancelled, PreflightError
from core.data.tables import KINDS, LoadedTable, count_rows, preview, read_table


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.fixture
def frame():
    """A table with one column of every kind (30 rows)."""
    n = 30
    return pd.DataFrame({
        "amount": np.round(np.linspace(-5.5, 100.25, n), 2),
        "colour": ["red", "green", "blue"] * 10,
        "active": [True, False, True] * 10,
        "day": pd.date_range("2024-01-01", periods=n, freq="D"),
        "rating": [1, 2, 3, 4, 5] * 6,
        "note": [f"free text number {i}" for i in range(n)],
    })


EXPECTED_KINDS = {"amount": "numeric", "colour": "categorical", "active": "boolean",
                  "day": "datetime", "rating": "categorical", "note": "text"}


def check_frame(table: LoadedTable, frame):
    df = table.df
    assert table.kinds == EXPECTED_KINDS
    assert list(df.columns) == list(frame.columns)
    assert len(df) == len(frame) and table.rows == len(frame)
    np.testing.assert_allclose(df["amount"].to_numpy(), frame["amount"].to_numpy())
    assert df["amount"].dtype == np.float64
    assert isinstance(df["colour"].dtype, pd.CategoricalDtype)
    assert set(df["colour"].cat.categories) == {"red", "green", "blue"}
    assert df["colour"].astype(str).tolist() == frame["colour"].tolist()
    assert df["active"].dtype == bool and df["active"].tolist() == frame["active"].tolist()
    assert pd.api.types.is_datetime64_any_dtype(df["day"].dtype)
    assert [d.date() for d in df["day"]] == [d.date() for d in frame["day"]]
    assert isinstance(df["rating"].dtype, pd.CategoricalDtype)
    assert df["rating"].astype(int).tolist() == frame["rating"].tolist()
    assert df["note"].dtype != object and df["note"].tolist() == frame["note"].tolist()
    assert table.warnings == ()


def excel_write(path, frame):
    frame.to_excel(path, index=False)
    return path


WRITERS = {
    "data.csv": lambda p, f: write(p, f.to_csv(index=False)),
    "data.tsv": lambda p, f: write(p, f.to_csv(index=False, sep="\t")),
    "data.csv.gz": lambda p, f: write(p, gzip.compress(f.to_csv(index=False).encode())),
    "data.tsv.gz": lambda p, f: write(p, gzip.compress(f.to_csv(index=False, sep="\t").encode())),
    "data.parquet": lambda p, f: f.to_parquet(p),
    "data.xlsx": excel_write,
    "data.jsonl": lambda p, f: f.to_json(p, orient="records", lines=True, date_format="iso"),
    "data.ndjson": lambda p, f: f.to_json(p, orient="records", lines=True, date_format="iso"),
    "data.json": lambda p, f: f.to_json(p, orient="records", date_format="iso"),
}
FORMATS = {"data.csv": "csv", "data.tsv": "tsv", "data.csv.gz": "csv.gz", "data.tsv.gz": "tsv.gz",
           "data.parquet": "parquet", "data.xlsx": "xlsx", "data.jsonl": "jsonl",
           "data.ndjson": "jsonl", "data.json": "json"}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_round_trip_every_format(tmp_path, frame, name):
    path = tmp_path / name
    WRITERS[name](path, frame)
    table = read_table(path)
    assert table.format == FORMATS[name]
    check_frame(table, frame)
    digest, size = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size
    assert table.sha256 == digest and table.size == size
    expected = {"path": str(path), "rows": 30, "columns": 6, "sha256": digest, "format": FORMATS[name],
                "size": size, "rows_exact": True}
    assert table.info() == expected
    assert json.loads(json.dumps(table.info())) == expected


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_preview_reads_first_rows_of_every_format(tmp_path, frame, name):
    path = tmp_path / name
    WRITERS[name](path, frame)
    table = preview(path, n=7)
    assert table.rows == 7 and table.info()["rows_exact"] is False
    np.testing.assert_allclose(table.df["amount"], frame["amount"][:7])
    assert preview(path, n=500).info()["rows_exact"] is True  # the whole file fitted: 30 is exact


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_count_rows_of_every_format(tmp_path, frame, name):
    path = tmp_path / name
    WRITERS[name](path, frame)
    expected = None if name in ("data.xlsx", "data.json") else 30
    assert count_rows(path) == expected


@pytest.mark.parametrize("text, rows", [
    ("a,b\n1,2\n3,4\n", 2),
    ("a,b\n1,2\n3,4", 2),  # no final line break
    ("a,b\r\n1,\"two\r\nlines\"\r\n\r\n3,4\r\n", 2),  # CRLF, quoted line break, empty line
    ('a,b\n1,"he said ""hi""\n"\n\n\n2,3\n', 2),  # escaped quotes, blank lines
    ('a,b\n1,x\n2,y\n3,"never closed\n4,z\n', 3),
])
def test_count_rows_matches_the_full_read_of_csv(tmp_path, text, rows):
    path = write(tmp_path / "c.csv", text)
    assert count_rows(path) == rows == read_table(path).rows


def test_count_rows_over_many_chunks_gzip_utf16_and_jsonl(tmp_path, monkeypatch):
    from core.data import rowcount
    monkeypatch.setattr(rowcount, "CHUNK", 64)  # quotes and line ends fall across chunk borders
    body = "".join(f'{i},"note {i}\nsecond line"\r\n' if i % 7 == 0 else f"{i},plain\r\n" for i in range(500))
    text = "id,note\r\n" + body
    assert count_rows(write(tmp_path / "m.csv", text)) == 500
    assert count_rows(write(tmp_path / "m.csv.gz", gzip.compress(text.encode()))) == 500
    assert count_rows(write(tmp_path / "u.tsv", "a\tb\ncafé\t1\nx\t2\n".encode("utf-16"))) == 2
    assert count_rows(write(tmp_path / "j.jsonl", '{"a": 1}\n\n{"a": 2}\r\n{"a": 3}')) == 3
    with pytest.raises(Cancelled):
        count_rows(tmp_path / "m.csv", cancelled=lambda: True)


def test_format_detected_from_content_when_extension_unknown(tmp_path, frame):
    frame.to_parquet(tmp_path / "export.bin")
    write(tmp_path / "export.dat", frame.to_csv(index=False, sep=";"))
    write(tmp_path / "export", frame.to_json(orient="records", date_format="iso"))
    assert read_table(tmp_path / "export.bin").format == "parquet"
    assert read_table(tmp_path / "export.dat").format == "csv"
    assert read_table(tmp_path / "export").format == "json"
    check_frame(read_table(tmp_path / "export.dat"), frame)


def test_column_oriented_json_and_jsonl_in_json_file(tmp_path):
    cols = read_table(write(tmp_path / "c.json", json.dumps({"a": [1.5, 2.5], "b": ["x", "y"]})))
    assert cols.df["a"].tolist() == [1.5, 2.5] and cols.df["b"].astype(str).tolist() == ["x", "y"]
    lines = read_table(write(tmp_path / "l.json", '{"a": 1.5}\n{"a": 2.5}\n'))
    assert lines.df["a"].tolist() == [1.5, 2.5]


def test_nested_json_flattened_and_lists_kept_as_json_text(tmp_path):
    path = write(tmp_path / "n.jsonl", '{"user": {"age": 30.5, "city": "Oslo"}, "tags": [1, 2]}\n'
                                       '{"user": {"age": 41.0, "city": "Rome"}, "tags": [3]}\n')
    df = read_table(path).df
    assert list(df.columns) == ["user.age", "user.city", "tags"]
    assert df["user.age"].tolist() == [30.5, 41.0]
    assert df["tags"].astype(str).tolist() == ["[1, 2]", "[3]"]


def test_jsonl_with_mixed_types_falls_back_to_record_reader(tmp_path):
    path = write(tmp_path / "m.jsonl", "\n".join(json.dumps({"v": v}) for v in
                                                [1, 2, "x", 4] + list(range(5, 60))) + "\n")
    table = read_table(path)
    assert table.kinds["v"] == "numeric"
    assert table.df["v"].isna().sum() == 1
    assert any("column 'v': 1 non-numeric values read as missing" in w for w in table.warnings)


def test_parquet_categorical_and_named_index(tmp_path, frame):
    frame.astype({"colour": "category"}).set_index("note").to_parquet(tmp_path / "i.parquet")
    table = read_table(tmp_path / "i.parquet")
    assert list(table.df.columns) == ["note"] + [c for c in frame.columns if c != "note"]
    assert isinstance(table.df["colour"].dtype, pd.CategoricalDtype)


def test_excel_first_sheet_used_with_warning(tmp_path, frame):
    with pd.ExcelWriter(tmp_path / "two.xlsx") as writer:
        frame.to_excel(writer, sheet_name="first", index=False)
        frame.head(3).to_excel(writer, sheet_name="second", index=False)
    table = read_table(tmp_path / "two.xlsx")
    assert table.rows == 30
    assert table.warnings == ("workbook has 2 sheets; read the first, 'first'",)


def test_excel_missing_words_and_blank_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["x", "y"], [1.5, "a"], [None, None], ["N/A", "b"], [2.5, "-"]):
        ws.append(row)
    wb.save(tmp_path / "w.xlsx")
    df = read_table(tmp_path / "w.xlsx").df
    assert df["x"].tolist()[0] == 1.5 and np.isnan(df["x"][1]) and df["x"][2] == 2.5
    assert df["y"].isna().tolist() == [False, False, True]


# ----------------------------------------------------------------------------- encodings

def test_utf8_with_bom(tmp_path):
    table = read_table(write(tmp_path / "b.csv", b"\xef\xbb\xbfname,v\ncaf\xc3\xa9,1.5\nb,2.5\n"))
    assert list(table.df.columns) == ["name", "v"]
    assert table.df["name"].astype(str).tolist() == ["café", "b"]
    assert table.warnings == ()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    text = "name\tv\ncafé\t1.5\nnaïve\t2.5\n"
    data = text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec)
    table = read_table(write(tmp_path / "u.tsv", data))
    assert table.df["name"].astype(str).tolist() == ["café", "naïve"]
    assert table.df["v"].tolist() == [1.5, 2.5] and table.warnings == ()


def test_cp1252_fallback_is_announced(tmp_path):
    path = write(tmp_path / "w.csv", "name,v\nbread,1.5\ncafé,2.5\n".encode("cp1252"))
    assert b"caf\xe9" in path.read_bytes()
    table = read_table(path)
    assert table.df["name"].astype(str).tolist() == ["bread", "café"]
    assert len(table.warnings) == 1
    assert "not valid UTF-8" in table.warnings[0] and "line 3" in table.warnings[0]
    assert "cp1252" in table.warnings[0]


def test_non_utf8_byte_after_the_sniffed_sample(tmp_path):
    rows = "".join(f"row{i},{i}.5\n" for i in range(5000))  # ~50 KB of clean UTF-8 first
    data = ("name,v\n" + rows).encode() + "café,1.5\n".encode("cp1252")
    path = write(tmp_path / "late.csv", data)
    table = read_table(path)
    assert table.df["name"].astype(str).iloc[-1] == "café"
    assert "line 5002" in table.warnings[0]


def test_latin1_when_cp1252_cannot_decode(tmp_path):
    table = read_table(write(tmp_path / "l.csv", b"name,v\nx\x81y,1.5\nb,2.5\n"))
    assert table.df["name"].astype(str).tolist()[0] == "x\x81y"
    assert "Latin-1" in table.warnings[0]


# ----------------------------------------------------------------------------- CSV details

@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiter_sniffed(tmp_path, delim):
    text = delim.join(["a", "b", "c"]) + "\n" + "".join(
        delim.join([f"{i}.5", f"x{i % 3}", '"hello, world; | there"']) + "\n" for i in range(25))
    table = read_table(write(tmp_path / "d.csv", text))
    assert list(table.df.columns) == ["a", "b", "c"]
    assert table.df["a"].tolist() == [i + 0.5 for i in range(25)]
    assert set(table.df["c"].astype(str)) == {"hello, world; | there"}


def test_semicolon_with_decimal_commas_is_not_split_on_commas(tmp_path):
    table = read_table(write(tmp_path / "eu.csv", "a;b\n1,5;x\n2,5;y\n"))
    assert list(table.df.columns) == ["a", "b"] and table.rows == 2


def test_quoted_newlines_and_crlf(tmp_path):
    data = (b'id,comment,v\r\n1,"first line\r\nsecond line",1.5\r\n2,"plain",2.5\r\n'
            b'3,"a ""quoted"" word",3.5\r\n')
    table = read_table(write(tmp_path / "q.csv", data))
    assert table.rows == 3
    assert table.df["comment"].astype(str).tolist() == ["first line\r\nsecond line", "plain",
                                                        'a "quoted" word']
    assert table.df["v"].tolist() == [1.5, 2.5, 3.5]


def test_missing_tokens(tmp_path):
    tokens = ['""', "NA", "N/A", "n/a", "null", "None", "-", ""]
    lines = ["v,w"] + [f"{t},{i}.5" for i, t in enumerate(tokens)] + ["7.25,9.5"]
    df = read_table(write(tmp_path / "na.csv", "\n".join(lines) + "\n")).df
    assert df["v"].isna().sum() == len(tokens)
    assert df["v"].iloc[-1] == 7.25


def test_mostly_numeric_column_reports_text_values(tmp_path):
    values = [str(20 + i % 50) for i in range(97)] + ["unknown", "?", "unknown"]
    table = read_table(write(tmp_path / "age.csv", "age\n" + "\n".join(values) + "\n"))
    assert table.kinds["age"] == "numeric" and table.df["age"].dtype == np.float64
    assert table.df["age"].isna().sum() == 3
    assert "column 'age': 3 non-numeric values read as missing (e.g. 'unknown', '?')" \
        in table.warnings


def test_mixed_column_below_threshold_stays_labels(tmp_path):
    values = [str(i) for i in range(90)] + [f"code{i}" for i in range(10)]  # 90 % numbers
    table = read_table(write(tmp_path / "mix.csv", "v\n" + "\n".join(values) + "\n"))
    assert table.kinds["v"] == "text"
    assert table.df["v"].isna().sum() == 0 and table.warnings == ()


def test_inf_constant_and_empty_columns_warn(tmp_path):
    lines = ["x,const,empty,y"] + [f"{v},7,,{i}.5" for i, v in
                                   enumerate(["1.5", "inf", "-inf", "2.5", "Infinity"])]
    table = read_table(write(tmp_path / "w.csv", "\n".join(lines) + "\n"))
    assert table.df["x"].isna().sum() == 3 and table.df["x"].sum() == 4.0
    assert "column 'x': 3 infinite values (inf/-inf) read as missing" in table.warnings
    assert "column 'const' is constant: every value is '7'" in table.warnings
    assert "column 'empty' is empty: all 5 values are missing" in table.warnings
    assert table.df["empty"].isna().all()


def test_unnamed_header_column_is_named_with_warning(tmp_path):
    table = read_table(write(tmp_path / "u.csv", ",v\n0,1.5\n1,2.5\n"))
    assert list(table.df.columns) == ["column_1", "v"]
    assert "column 1 has no name in the header; it is called 'column_1'" in table.warnings


def test_nrows_and_preview_stop_before_a_late_ragged_row(tmp_path):
    rows = "".join(f"{i}.5,x{i % 4}\n" for i in range(3000))
    path = write(tmp_path / "late.csv", "a,b\n" + rows + "1,2,3\n")
    assert read_table(path, nrows=10).rows == 10
    assert preview(path, n=50).df["a"].tolist() == [i + 0.5 for i in range(50)]
    with pytest.raises(Exception, match="line 3002"):
        read_table(path)


def test_progress_reported_and_cancel_honoured(tmp_path, frame):
    path = write(tmp_path / "p.csv", frame.to_csv(index=False))
    seen = []
    read_table(path, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        read_table(path, cancelled=lambda: True)
    calls = []
    with pytest.raises(Cancelled):  # cancel part-way: after a few checks have passed
        read_table(path, cancelled=lambda: calls.append(1) or len(calls) > 3)


def test_every_kind_is_inferred_and_unknown_kinds_are_refused(tmp_path, frame):
    table = read_table(write(tmp_path / "k.csv", frame.to_csv(index=False)))
    assert sorted(set(table.kinds.values())) == sorted(KINDS)
    with pytest.raises(PreflightError, match="unknown kind 'number'; choose one of " + ", ".join(KINDS)):
        read_table(tmp_path / "k.csv", kind_overrides={"amount": "number"})

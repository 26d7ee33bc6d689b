"""Hostile input files: each gives an InputFileError naming the file (and line) and the problem.

Every file is generated into tmp_path; nothing binary is committed.
"""

import gzip
import os
import tracemalloc
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.errors import InputFileError, PreflightError
from core.data.tables import read_table

PNG_HEADER = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
              b"\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00")


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def fails(path, *needles, line=None, **kw):
    """Read ``path`` expecting an InputFileError naming it and containing ``needles``."""
    with pytest.raises(InputFileError) as info:
        read_table(path, **kw)
    message = str(info.value)
    assert os.path.basename(str(path)) in message
    for needle in needles:
        assert needle in message, message
    assert info.value.line == line, message
    if line is not None:
        assert f"line {line}:" in message
    return message


def test_missing_file(tmp_path):
    fails(tmp_path / "nowhere.csv", "file not found")


def test_directory(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    fails(tmp_path / "folder.csv", "is a folder")


def test_empty_and_whitespace_only(tmp_path):
    fails(write(tmp_path / "zero.csv", b""), "empty (0 bytes)")
    fails(write(tmp_path / "blank.csv", " \n\r\n\t \n"), "is empty", "blank lines")
    fails(write(tmp_path / "blank.jsonl", "\n\n  \n"), "is empty")


def test_header_only(tmp_path):
    fails(write(tmp_path / "h.csv", "a,b,c\n"), "has a header but no data rows")
    fails(write(tmp_path / "h2.csv", "a,b,c"), "has a header but no data rows")
    fails(write(tmp_path / "h3.csv", "a,b,c\r\n\r\n\r\n"), "has a header but no data rows")
    pd.DataFrame({"a": [1.5]}).iloc[:0].to_excel(tmp_path / "h.xlsx", index=False)
    fails(tmp_path / "h.xlsx", "has a header but no data rows")
    pd.DataFrame({"a": [1.5]}).iloc[:0].to_parquet(tmp_path / "h.parquet")
    fails(tmp_path / "h.parquet", "no data rows")
    fails(write(tmp_path / "e.json", "[]"), "no records")


def test_png_renamed_as_table(tmp_path):
    fails(write(tmp_path / "chart.csv", PNG_HEADER + os.urandom(64)), "is a PNG image")
    fails(write(tmp_path / "chart.parquet", PNG_HEADER), "not a Parquet file", "PNG image")
    fails(write(tmp_path / "chart.xlsx", PNG_HEADER), "not an Excel .xlsx workbook", "PNG")
    fails(write(tmp_path / "chart.json", PNG_HEADER), "is a PNG image")


def test_html_page(tmp_path):
    page = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>\n"
    fails(write(tmp_path / "export.csv", page), "HTML", "web page")
    fails(write(tmp_path / "export2.csv", "\n  <html>\n<body>x,y</body></html>"), "HTML")


def test_random_bytes(tmp_path):
    data = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    fails(write(tmp_path / "noise.csv", data), "binary data")
    fails(write(tmp_path / "noise.jsonl", data), "binary data")
    fails(write(tmp_path / "noise.bin", data), "binary data")


def test_other_containers_renamed(tmp_path):
    buf = tmp_path / "a.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.txt", "hello")
    fails(write(tmp_path / "zip.csv", buf.read_bytes()), "ZIP archive", "must be named .xlsx")
    fails(write(tmp_path / "zip.xlsx", buf.read_bytes()), "not an Excel workbook")
    fails(write(tmp_path / "gz.csv", gzip.compress(b"a,b\n1,2\n")), "gzip", "name it .csv.gz")
    fails(write(tmp_path / "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),
          "old Excel .xls", "save it as .xlsx")
    fails(write(tmp_path / "plain.csv.gz", "a,b\n1,2\n"), "not gzip-compressed")
    fails(write(tmp_path / "u16.csv", "a,b\n1,2\n".encode("utf-16-le")), "UTF-16",
          "byte-order mark")


def test_truncated_parquet(tmp_path):
    df = pd.DataFrame({"a": np.arange(1000) * 0.5, "b": ["x", "y"] * 500})
    df.to_parquet(tmp_path / "full.parquet")
    data = (tmp_path / "full.parquet").read_bytes()
    fails(write(tmp_path / "cut.parquet", data[: len(data) // 2]), "truncated")
    fails(write(tmp_path / "cut2.parquet", data[:-1]), "truncated")
    # footer magic intact but the metadata length is garbage
    fails(write(tmp_path / "bad.parquet", data[:4] + b"\x00" * 40 + b"\xff\xff\x00\x00PAR1"),
          "damaged")


def test_truncated_gzip_and_xlsx(tmp_path):
    data = gzip.compress(b"a,b\n" + b"1.5,2.5\n" * 5000)
    fails(write(tmp_path / "cut.csv.gz", data[: len(data) // 2]), "truncated")
    pd.DataFrame({"a": [1.5, 2.5]}).to_excel(tmp_path / "ok.xlsx", index=False)
    xl = (tmp_path / "ok.xlsx").read_bytes()
    fails(write(tmp_path / "cut.xlsx", xl[: len(xl) // 2]), "damaged")


def test_ragged_rows_give_line_of_first_bad_row(tmp_path):
    fails(write(tmp_path / "r.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11,12\n"),
          "2 fields but the header has 3", "'7,8'", line=4)
    fails(write(tmp_path / "r2.csv", "a,b,c\n1,2,3\n4,5,6,7\n"), "4 fields", line=3)
    # a quoted newline before the bad row shifts its line number
    fails(write(tmp_path / "r3.csv", 'a,b\n"one\ntwo",1\n2,3\n4,5,6\n'), "3 fields", line=5)
    fails(write(tmp_path / "r4.tsv", "a\tb\n1\t2\n\n3\t4\t5\n"), "tab-separated", line=4)
    fails(write(tmp_path / "r5.csv.gz", gzip.compress(b"a,b\n1,2\n3\n")), line=3)


def test_ragged_excel_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["a", "b"], [1, 2], [3, 4, 5]):
        ws.append(row)
    wb.save(tmp_path / "r.xlsx")
    fails(tmp_path / "r.xlsx", "value in column C", "only 2 columns", line=3)


def test_duplicate_column_names(tmp_path):
    fails(write(tmp_path / "d.csv", "id,age,id,age,x\n1,2,3,4,5\n"),
          "duplicate column names", "'id' (columns 1, 3)", "'age' (columns 2, 4)")
    fails(write(tmp_path / "d2.csv", "a, a\n1,2\n"), "duplicate column names", "'a'")
    wb = openpyxl.Workbook()
    wb.active.append(["k", "k"])
    wb.active.append([1, 2])
    wb.save(tmp_path / "d.xlsx")
    fails(tmp_path / "d.xlsx", "duplicate column names", "'k'")


def test_gzip_bomb_stops_at_the_cap_without_filling_memory(tmp_path):
    member = gzip.compress(b"1,2\n" * (1 << 18), compresslevel=9)  # 1 MiB of rows
    path = write(tmp_path / "bomb.csv.gz", gzip.compress(b"a,b\n") + member * 128)
    assert path.stat().st_size < 1_000_000  # 128 MiB once decompressed
    tracemalloc.start()
    try:
        fails(path, "decompresses to more than the limit of 1.0 MB", max_bytes=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # far below the 128 MiB the file would expand to
    fails(path, "decompresses to more than the limit", max_bytes=1 << 20, nrows=10 ** 6)
    table = read_table(path, nrows=5)  # a preview of the same file stays small and works
    assert table.rows == 5 and table.df["a"].tolist() == [1] * 5


def test_size_caps_for_plain_parquet_and_xlsx(tmp_path):
    df = pd.DataFrame({"a": np.arange(2000) * 1.5})
    fails(write(tmp_path / "p.csv", df.to_csv(index=False)), "over the limit of", max_bytes=1000)
    df.to_parquet(tmp_path / "p.parquet")
    fails(tmp_path / "p.parquet", "uncompressed data, over the limit", max_bytes=1000)
    df.to_excel(tmp_path / "p.xlsx", index=False)
    fails(tmp_path / "p.xlsx", "unpacks to", max_bytes=1000)


def test_bad_json(tmp_path):
    fails(write(tmp_path / "b.json", '[{"a": 1},\n{"a": 2,}\n]'), "not valid JSON", line=2)
    fails(write(tmp_path / "b.jsonl", '{"a": 1}\n\n{"a": \n'), "not valid JSON Lines", line=3)
    fails(write(tmp_path / "s.jsonl", '{"a": 1}\n[1, 2]\n'), "must be an object", line=2)
    fails(write(tmp_path / "n.json", "[1, 2]"), "item 1", "not an object")
    fails(write(tmp_path / "c.json", '{"a": [1, 2], "b": [1]}'), "different lengths")
    fails(write(tmp_path / "o.json", '{"a": 1}'), "array of records")


def test_empty_excel_sheet(tmp_path):
    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    fails(tmp_path / "e.xlsx", "is empty")


def test_bad_arguments_and_overrides(tmp_path):
    path = write(tmp_path / "ok.csv", "a,b\n1.5,x\n2.5,y\n")
    with pytest.raises(PreflightError, match="'nope', 'other'"):
        read_table(path, kind_overrides={"nope": "numeric", "other": "text"})
    with pytest.raises(PreflightError, match="unknown kind 'number'"):
        read_table(path, kind_overrides={"a": "number"})
    with pytest.raises(PreflightError, match="nrows"):
        read_table(path, nrows=0)
    with pytest.raises(PreflightError, match="column 'b' cannot be read as numeric"):
        read_table(path, kind_overrides={"b": "numeric"})


# ----------------------------------------------------------------------------- size limits and quotes

def test_over_long_line_is_refused_before_parsing(tmp_path, monkeypatch):
    from core.data import limits
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 4096)
    rows = "".join(f"{i},short\n" for i in range(50))
    path = write(tmp_path / "long.csv", "id,v\n" + rows + "51," + "x" * 10000 + "\n52,y\n")
    fails(path, "over the limit of", "per line", line=52)
    jsonl = write(tmp_path / "long.jsonl", '{"a": 1}\n{"a": "' + "y" * 10000 + '"}\n')
    fails(jsonl, "per line", line=2)


def test_over_long_field_is_refused_with_its_line(tmp_path, monkeypatch):
    from core.data import limits
    monkeypatch.setattr(limits, "MAX_FIELD_BYTES", 2000)
    rows = "".join(f"{i},short\n" for i in range(30))
    path = write(tmp_path / "field.csv", "id,note\n" + rows + '31,"' + "z" * 1500 + "\n" + "z" * 1500 + '"\n')
    fails(path, "column 'note'", "per field", "data row 31", line=32)


def test_fields_up_to_the_limits_are_read(tmp_path, monkeypatch):
    from core.data import limits
    monkeypatch.setattr(limits, "MAX_FIELD_BYTES", 2000)
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 4096)
    path = write(tmp_path / "ok.csv", "id,note\n1," + "z" * 2000 + "\n2,b\n")
    assert read_table(path).df["note"].astype(str).str.len().tolist() == [2000, 1]


def test_unterminated_quote_warns_with_the_opening_line(tmp_path):
    rows = "".join(f"{i},row {i}\n" for i in range(1, 11))
    path = write(tmp_path / "open.csv", "id,note\n" + rows + '11,"oops\n' + "".join(f"{i},row {i}\n" for i in range(12, 40)))
    table = read_table(path)
    assert table.rows == 11  # the rest of the file is inside the open quote
    assert [w for w in table.warnings if "quoted field" in w] == [
        f"{path}, line 12: a quoted field opens here and is never closed; everything after it, up to the end "
        "of the file, was read as one value"]


def test_quote_swallowing_more_than_a_thousand_lines_warns(tmp_path):
    inner = "".join(f"{i},inside\n" for i in range(1500))
    path = write(tmp_path / "swallow.csv", 'id,note\n1,first\n2,"starts here\n' + inner + 'ends"\n3,last\n')
    table = read_table(path)
    assert table.rows == 3
    assert any(w.startswith(f"{path}, line 3: a quoted field opens here (column 2) and spans 1501 line breaks")
               for w in table.warnings)


def test_ordinary_multi_line_quoted_fields_do_not_warn(tmp_path):
    path = write(tmp_path / "ok.csv", 'id,note\n1,"two\nlines"\n2,"a ""quoted"" word"\n3,"last\nrow"\n')
    table = read_table(path)
    assert table.rows == 3 and table.warnings == ()

"""Wide tables: reading and its work grow linearly with the columns; the bulk reader for 1,000+ columns
gives the same table as Arrow's reader, and the same errors and warnings."""

import numpy as np
import pandas as pd
import pytest

from core.data.tables import count_rows, preview, read_table
from core.errors import InputFileError


def write(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def wide_csv(path, n_columns, n_rows=5):
    rng = np.random.default_rng(1)
    lines = [",".join(f"c{i}" for i in range(n_columns))]
    lines += [",".join(f"{v:.2f}" for v in rng.normal(size=n_columns)) for _ in range(n_rows)]
    return write(path, "\n".join(lines) + "\n")


def python_calls(fn) -> int:
    """How many Python function calls ``fn()`` makes (a count of work that does not depend on the clock)."""
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


def test_reading_work_grows_linearly_with_the_number_of_columns(tmp_path):
    """Per-column steps must not scan all columns (a set of the column names rebuilt per column made
    100,000 columns take minutes): eight times the columns may cost at most ~eight times the calls."""
    def work(n):
        path = wide_csv(tmp_path / f"w{n}.csv", n)
        overrides = {f"c{i}": "numeric" for i in range(n)}
        return python_calls(lambda: (read_table(path, kind_overrides=overrides), read_table(path),
                                     preview(path, n=3)))

    small, large = work(100), work(800)
    assert large < 9.5 * small, (small, large)


def _mixed_wide(path, n_columns=1200):
    """A wide table with every sort of column the CSV reader types: floats, whole numbers (with and without
    gaps), booleans, labels, free text with quotes and line breaks, missing words, dates, huge identifiers."""
    makers = [
        lambda r: f"{r * 1.25 - 3:.2f}",
        lambda r: str(r * 7 - 20),
        lambda r: "NA" if r == 2 else str(r),
        lambda r: ["true", "False", "TRUE", "false", "true", "false"][r],
        lambda r: ["red", "green", "blue"][r % 3],
        lambda r: '"he said ""hi""\nthen left"' if r == 1 else f"note {r}",
        lambda r: f"2024-01-0{r + 1}",
        lambda r: str(99999999999999999990 + r),
        lambda r: "" if r < 5 else "1.5",
        lambda r: ["1", "2", "x", "4", "5", "6"][r],
        lambda r: "inf" if r == 0 else str(r / 4),
        lambda r: " 7 ",
    ]
    header = ",".join(f"c{i}" for i in range(n_columns))
    rows = [",".join(makers[i % len(makers)](r) for i in range(n_columns)) for r in range(6)]
    return write(path, header + "\n" + "\n".join(rows) + "\n")


def test_wide_reader_gives_the_same_table_as_the_arrow_reader(tmp_path, monkeypatch):
    from core.data import wide
    path = _mixed_wide(tmp_path / "wide.csv")
    assert wide.is_wide(path.read_bytes(), ",")
    fast = read_table(path)
    monkeypatch.setattr(wide, "WIDE_COLUMNS", 10 ** 9)  # force the Arrow reader
    slow = read_table(path)
    assert fast.kinds == slow.kinds
    assert fast.warnings == slow.warnings
    assert list(fast.df.columns) == list(slow.df.columns)
    for col in fast.df.columns:
        a, b = fast.df[col], slow.df[col]
        assert a.dtype == b.dtype or a.dtype.kind == b.dtype.kind == "M", (col, a.dtype, b.dtype)  # date units
        assert a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist(), col


def test_wide_reader_errors_name_the_line(tmp_path, monkeypatch):
    from core.data import limits
    n = 1500
    header = ",".join(f"c{i}" for i in range(n))
    good = ",".join("1.5" for _ in range(n))
    path = write(tmp_path / "ragged.csv", "\n".join([header, good, good, good + ",9", good]) + "\n")
    with pytest.raises(InputFileError, match="line 4: this row has 1501 fields but the header has 1500"):
        read_table(path)
    quoted = write(tmp_path / "open.csv", "\n".join([header, good, good[:-3] + '"open', good]) + "\n")
    assert any("line 3: a quoted field opens here and is never closed" in w for w in read_table(quoted).warnings)
    monkeypatch.setattr(limits, "MAX_FIELD_BYTES", 3000)
    long = write(tmp_path / "long.csv", "\n".join([header, good, "x" * 4000 + good[3:]]) + "\n")
    with pytest.raises(InputFileError, match=r"line 3: column 'c0': a value is 3.9 KB long, over the limit of "
                                             r"2.9 KB per field \(data row 2\)"):
        read_table(long)


def test_preview_of_a_table_whose_header_is_longer_than_the_first_read(tmp_path, monkeypatch):
    path = wide_csv(tmp_path / "wide.csv", 12000, n_rows=4)  # header ~70 KB: more than the first 64 KB read
    table = preview(path, n=2)
    assert table.df.shape == (2, 12000) and table.info()["rows_exact"] is False
    assert count_rows(path) == 4
    from core.data import limits
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 100_000)
    with pytest.raises(InputFileError, match="line 1: this line is"):
        preview(wide_csv(tmp_path / "wider.csv", 30000, n_rows=2), n=2)


def test_wide_reader_settles_label_columns_like_the_kind_rules(tmp_path, monkeypatch):
    """Label columns typed in bulk (categorical or text by their distinct count) match the per-column rules."""
    from core.data import wide
    rng = np.random.default_rng(3)
    n_rows, n_cols = 30, 1100
    pools = [["a", "b", "c"], [f"w{i}" for i in range(14)], [f"v{i}" for i in range(40)], ["yes", "no"],
             ["x", "y", "5"], ["NA", "q", "r"], ["inf", "k"], ["2024-01-01", "2024-02-01"]]
    cols = {f"t{j}": rng.choice(pools[j % len(pools)], n_rows) for j in range(n_cols)}
    path = write(tmp_path / "labels.csv", pd.DataFrame(cols).to_csv(index=False))
    fast = read_table(path)
    monkeypatch.setattr(wide, "WIDE_COLUMNS", 10 ** 9)
    slow = read_table(path)
    assert fast.kinds == slow.kinds
    assert set(fast.kinds.values()) >= {"categorical", "text", "boolean"}

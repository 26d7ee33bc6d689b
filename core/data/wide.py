"""Reading wide CSV/TSV files: thousands of columns and comparatively few rows.

Arrow's CSV reader spends a fixed, large effort per column and block (100,000 columns of 5 rows,
4 MB, take it over 10 seconds, and its time grows faster than the column count).  A table of at
least :data:`WIDE_COLUMNS` columns and at most :data:`WIDE_MAX_CELLS` cells is therefore split by
Python's ``csv`` module and typed in bulk: every cell goes into one Arrow array, column-major, and
each test (missing word, number, whole number, true/false) runs once over all cells, its verdict
per column read from a reshape.  The result is the same as the Arrow path's: float64 for numbers
(int64 for whole numbers without gaps), booleans for ``true``/``false`` words, text otherwise, the
missing words of :data:`core.data.text.NULL_TOKENS` missing, and the same limits, quote warnings and
big-integer rule (:mod:`core.data.limits`, :mod:`core.data.big_numbers`).  Dates stay text here and
are recognised by the kind rules afterwards, as in JSON.
"""

from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data import big_numbers, limits
from core.errors import InputFileError

WIDE_COLUMNS = 1000
WIDE_MAX_CELLS = 20_000_000
_NUMBER = r"^\s*[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[iI]nf(inity)?|INF)\s*$"
_WHOLE = r"^\s*[+-]?\d+\s*$"
_BOOLEAN = ["true", "True", "TRUE", "false", "False", "FALSE"]
_INT64 = 2.0 ** 63


def is_wide(buf, delim: str) -> bool:
    """Whether ``buf`` (a delimited text table) should be read by :func:`wide_frame`."""
    end = buf.find(b"\n")
    header = buf[: end if end != -1 else len(buf)]
    columns = header.count(delim.encode()) + 1
    return columns >= WIDE_COLUMNS and columns * max(1, buf.count(b"\n")) <= WIDE_MAX_CELLS


def _records(path, text: str, delim: str, delim_name: str):
    """``(header, data rows, first line of each data row)``; a ragged row is an InputFileError."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows, starts, prev = [], [], 0
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if row:
                rows.append(row)
                starts.append(start)
    except csv.Error as exc:
        raise InputFileError(path, f"cannot be read as {delim_name}-separated text ({exc})",
                             line=reader.line_num) from None
    if len(rows) < 2:
        raise InputFileError(path, "has a header but no data rows")
    width = len(rows[0])
    for row, line in zip(rows[1:], starts[1:]):
        if len(row) != width:
            raise InputFileError(path, f"this row has {len(row)} fields but the header has {width} "
                                       f"({delim_name}-separated): {delim.join(row)[:80]!r}", line=line)
    return rows[0], rows[1:], starts[1:]


def _mask(arr: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _check_fields(path, buf, cells: pa.Array, names, nrows: int, starts) -> None:
    limit = limits.MAX_FIELD_BYTES
    if len(buf) <= limit:
        return
    lengths = pc.binary_length(cells)
    longest = pc.max(lengths).as_py() or 0
    if longest > limit:
        at = pc.index(lengths, longest).as_py()
        col, row = divmod(at, nrows)
        raise InputFileError(path, f"column {str(names[col])!r}: a value is {limits.size_text(longest)} long, over "
                                   f"the limit of {limits.size_text(limit)} per field (data row {row + 1})",
                             line=starts[row])


def _text_kinds(cells: pa.Array, null: np.ndarray, names, idx: np.ndarray, nrows: int) -> dict:
    """Kinds of text columns settled in bulk: those with no cell that could be a number, a date or a
    true/false word are categorical or text by their distinct count (rule 5 of :mod:`core.data.kinds`);
    the others are left to the per-column rules."""
    if not idx.size:
        return {}
    from core.data.kinds import FALSE_WORDS, MAX_CATEGORIES, MIN_ROWS_FOR_SHARE, TRUE_WORDS
    words = pa.array(sorted(TRUE_WORDS | FALSE_WORDS))
    unsure = (_mask(cells, r"(?i)[0-9]|inf|nan")
              | pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(cells)), value_set=words).to_numpy(zero_copy_only=False))
    codes = pc.dictionary_encode(cells).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    shape = (len(names), nrows)
    unsure, codes = unsure.reshape(shape)[idx], np.where(null.reshape(shape), -1, codes.reshape(shape))[idx]
    ordered = np.sort(codes, axis=1)
    distinct = ((ordered[:, 1:] != ordered[:, :-1]) & (ordered[:, 1:] >= 0)).sum(axis=1) + (ordered[:, 0] >= 0)
    present = (codes >= 0).sum(axis=1)
    out = {}
    for k, j in enumerate(idx.tolist()):
        if present[k] and not (unsure[k] & (codes[k] >= 0)).any():
            d, n = int(distinct[k]), int(present[k])
            out[names[j]] = "text" if d > MAX_CATEGORIES or (n >= MIN_ROWS_FOR_SHARE and d > n / 2) else "categorical"
    return out


def wide_frame(path, buf, text: str, delim: str, delim_name: str, null_tokens, name_fn,
               warnings: list) -> pd.DataFrame:
    """Parse ``text`` (the decoded ``buf``) into a DataFrame; ``name_fn(header)`` cleans the names."""
    header, data, starts = _records(path, text, delim, delim_name)
    names = name_fn(header)
    nrows, ncols = len(data), len(names)
    cells = pa.array(list(itertools.chain.from_iterable(zip(*data))), type=pa.string())  # column-major
    del data
    _check_fields(path, buf, cells, names, nrows, starts)
    if b'"' in buf:
        breaks = pc.count_substring(cells, "\n").to_numpy(zero_copy_only=False).reshape(ncols, nrows)
        warnings.extend(limits.quote_warnings(path, buf, None, delim,
                                              breaks=(int(breaks.max()), bool(breaks[:, -1].any()))))
    null = pc.is_in(cells, value_set=pa.array(list(null_tokens))).to_numpy(zero_copy_only=False)
    number, whole = _mask(cells, _NUMBER) & ~null, _mask(cells, _WHOLE) & ~null
    boolean = pc.is_in(cells, value_set=pa.array(_BOOLEAN)).to_numpy(zero_copy_only=False) & ~null
    values = pc.cast(pc.utf8_trim_whitespace(pc.if_else(pa.array(number), cells, pa.scalar(None, pa.string()))),
                     pa.float64())
    floats = values.to_numpy(zero_copy_only=False).reshape(ncols, nrows)
    shape = (ncols, nrows)
    null, number, whole, boolean = (m.reshape(shape) for m in (null, number, whole, boolean))
    empty = null.all(axis=1)
    numeric = (number | null).all(axis=1) & ~empty
    big_whole = whole & (np.abs(np.nan_to_num(floats, nan=0.0)) > big_numbers.EXACT_LIMIT)
    in_int64 = (np.abs(np.nan_to_num(floats, nan=0.0)) < _INT64).all(axis=1)
    integers = numeric & (whole | null).all(axis=1) & ~null.any(axis=1) & in_int64
    hints: dict = {}
    as_text = np.zeros(ncols, dtype=bool)
    for j in np.flatnonzero(numeric & big_whole.any(axis=1)).tolist():
        column = cells.slice(j * nrows, nrows)
        shown = str(column[int(np.argmax(big_whole[j]))].as_py()).strip()
        if (whole[j] | null[j]).all():
            as_text[j] = True
            hints[names[j]] = "text"
            warnings.append(big_numbers.identifier_warning(names[j], shown))
        else:
            warnings.append(big_numbers.precision_warning(names[j], int(big_whole[j].sum()), shown))
    integers &= ~as_text
    floating = (numeric | empty) & ~integers & ~as_text
    booleans = (boolean | null).all(axis=1) & ~empty & ~numeric
    parts = []
    idx = np.flatnonzero(floating)
    if idx.size:
        parts.append(pd.DataFrame(floats[idx].T, columns=[names[j] for j in idx.tolist()]))
    idx = np.flatnonzero(integers)
    if idx.size:
        parts.append(pd.DataFrame(floats[idx].T.astype(np.int64), columns=[names[j] for j in idx.tolist()]))
    for j in np.flatnonzero(booleans).tolist():
        flags = np.isin(np.asarray(cells.slice(j * nrows, nrows).to_pylist(), dtype=object), _BOOLEAN[:3])
        parts.append(pd.DataFrame({names[j]: pd.array(np.where(null[j], None, flags), dtype="boolean")}))
    idx = np.flatnonzero(~(floating | integers | booleans))
    if idx.size:
        text_cols = [pc.if_else(pa.array(null[j]), pa.scalar(None, pa.string()), cells.slice(j * nrows, nrows))
                     for j in idx.tolist()]
        parts.append(pa.table(text_cols, names=[names[j] for j in idx.tolist()]).to_pandas())
    hints.update(_text_kinds(cells, null, names, np.flatnonzero(~(floating | integers | booleans)), nrows))
    df = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    df = df[list(names)] if list(df.columns) != list(names) else df
    if hints:
        df.attrs[big_numbers.HINTS] = hints
    return df.reset_index(drop=True)

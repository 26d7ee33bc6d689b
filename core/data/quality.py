"""Data-quality warnings for a loaded table: columns that are empty or hold a single value.

Numeric columns are judged together, as one 2-D array per dtype (a table of 100,000 columns costs a
few array passes, not 100,000 rounds of per-column pandas calls); other columns one by one.
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd

from core.errors import check_cancel


def _message(col, n: int, present: int, value) -> str | None:
    if present == 0:
        return f"column {str(col)!r} is empty: all {n} values are missing"
    if n > 1 and value is not None:
        return (f"column {str(col)!r} is constant: every value is {str(value)!r}"
                + ("" if present == n else f" (missing in {n - present} of {n} rows)"))
    return None


def _numeric_block(df: pd.DataFrame, cols: list, floats: bool) -> dict:
    """{column: message} for float64 (or int64) columns, computed on one 2-D array."""
    arr = df[cols].to_numpy()
    n = arr.shape[0]
    if floats:
        present = n - np.isnan(arr).sum(axis=0)
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: reported as empty
            lo, hi = np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)
    else:
        present = np.full(arr.shape[1], n)
        lo, hi = arr.min(axis=0), arr.max(axis=0)
    flagged = np.flatnonzero((present == 0) | ((lo == hi) & (n > 1)))
    return {cols[j]: _message(cols[j], n, int(present[j]), lo[j]) for j in flagged.tolist()}


def _one_column(s: pd.Series) -> str | None:
    if isinstance(s.dtype, pd.CategoricalDtype):  # from the codes: no copy of the values
        codes = s.cat.codes.to_numpy()
        used = np.unique(codes[codes >= 0])
        present = int((codes >= 0).sum())
        value = s.cat.categories[used[0]] if used.size == 1 else None
        return _message(s.name, len(s), present, value)
    present = int(s.notna().sum())
    if present == 0:
        return _message(s.name, len(s), 0, None)
    values = s.dropna()
    value = values.iloc[0]
    constant = len(s) > 1 and bool((values == value).all())
    return _message(s.name, len(s), present, value if constant else None)


def quality_warnings(df: pd.DataFrame, cancelled=None) -> list[str]:
    """Warnings, in column order, for columns that are entirely missing or hold a single value."""
    found: dict = {}
    rest = list(df.columns)
    if len(df) and df.columns.is_unique:
        dtypes = df.dtypes
        for dtype, floats in ((np.dtype("float64"), True), (np.dtype("int64"), False)):
            check_cancel(cancelled)
            cols = [c for c, dt in zip(dtypes.index, dtypes.to_numpy()) if dt == dtype]
            if cols:
                found.update(_numeric_block(df, cols, floats))
        numeric = set(c for c, dt in zip(dtypes.index, dtypes.to_numpy())
                      if dt in (np.dtype("float64"), np.dtype("int64")))
        rest = [c for c in df.columns if c not in numeric]
    for i, col in enumerate(rest):
        if i % 256 == 0:
            check_cancel(cancelled)
        message = _one_column(df[col]) if df.columns.is_unique else _one_column(df.iloc[:, i])
        if message:
            found[col] = message
    return [found[c] for c in df.columns if found.get(c)]

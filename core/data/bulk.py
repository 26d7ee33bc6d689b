"""Column-kind work done for many numeric columns at once (what makes 100,000-column tables cheap).

Per-column pandas calls cost tens of microseconds each whatever the column's length, so a wide table
pays them 100,000 times.  These helpers look at all float64 and int64 columns of a table as one 2-D
array per dtype and settle the common cases in a few array passes; every other column, and every
case they cannot settle, goes through the per-column rules of :mod:`core.data.kinds` unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_FLOAT, _INT = np.dtype("float64"), np.dtype("int64")


def _by_dtype(df: pd.DataFrame, dtype: np.dtype, among=None) -> list:
    dtypes = df.dtypes
    cols = [c for c, dt in zip(dtypes.index, dtypes.to_numpy()) if dt == dtype]
    return cols if among is None else [c for c in cols if c in among]


def surely_numeric(df: pd.DataFrame, skip=()) -> dict:
    """{column: "numeric"} for float64 columns (not in ``skip``) holding a finite value that is not a whole
    number: rule 2 of :mod:`core.data.kinds` makes them numeric whatever their name or distinct count."""
    if not df.columns.is_unique or not len(df):
        return {}
    skip = set(skip)
    cols = [c for c in _by_dtype(df, _FLOAT) if c not in skip]
    if not cols:
        return {}
    # the first rows settle almost every column of measurements; only the others are read in full, one
    # column at a time (no copy of the whole table as one 2-D array)
    head = df[cols].iloc[:HEAD_ROWS].to_numpy()
    found = _fractional(head)
    out = {c: "numeric" for c, f in zip(cols, found.tolist()) if f}
    if len(df) > HEAD_ROWS:
        for c, f in zip(cols, found.tolist()):
            if not f and _fractional(df[c].to_numpy()[HEAD_ROWS:, None])[0]:
                out[c] = "numeric"
    return out


HEAD_ROWS = 2048


def _fractional(arr: np.ndarray) -> np.ndarray:
    """Per column of a 2-D float array: holds a finite value that is not a whole number."""
    with np.errstate(invalid="ignore"):
        return (np.isfinite(arr) & (arr != np.floor(arr))).any(axis=0)


def unchanged_by_coercion(df: pd.DataFrame, kinds: dict) -> set:
    """Columns that :func:`core.data.kinds.coerce_column` would return as they are: numeric int64 columns
    and numeric float64 columns without an infinite value."""
    if not df.columns.is_unique or not len(df):
        return set()
    numeric = {c for c, k in kinds.items() if k == "numeric"}
    keep = set(_by_dtype(df, _INT, numeric))
    cols = _by_dtype(df, _FLOAT, numeric)
    if cols and len(df) > HEAD_ROWS:  # tall: column by column, no copy of the table
        keep.update(c for c in cols if not np.isinf(df[c].to_numpy()).any())
    elif cols:  # short (and maybe very wide): all columns in one array pass
        infinite = np.isinf(df[cols].to_numpy()).any(axis=0)
        keep.update(c for c, bad in zip(cols, infinite.tolist()) if not bad)
    return keep

"""core.data.bulk: the whole-table shortcuts of kind inference agree with their plain definitions, also when the
deciding value sits after the first rows the shortcut reads first."""

import numpy as np
import pandas as pd
import pytest

from core.data import bulk


def _plain_fractional(df):
    out = {}
    for c in df.columns:
        a = df[c].to_numpy()
        if df[c].dtype == np.float64 and (np.isfinite(a) & (a != np.floor(a))).any():
            out[c] = "numeric"
    return out


@pytest.mark.parametrize("n", [10, bulk.HEAD_ROWS, bulk.HEAD_ROWS + 1, 50_000])
def test_surely_numeric_and_unchanged_by_coercion(n):
    rng = np.random.default_rng(n)
    df = pd.DataFrame({
        "measure": rng.normal(size=n),
        "whole": rng.integers(0, 9, n).astype(float),
        "late_fraction": np.zeros(n),          # whole numbers until the very last row
        "late_inf": np.ones(n),
        "nan_and_whole": np.where(rng.random(n) < 0.5, np.nan, 3.0),
        "ints": rng.integers(0, 5, n),
        "text": ["a"] * n})
    df.loc[n - 1, "late_fraction"] = 0.5
    df.loc[n - 1, "late_inf"] = np.inf
    assert bulk.surely_numeric(df) == _plain_fractional(df)
    assert "late_fraction" in bulk.surely_numeric(df) and "whole" not in bulk.surely_numeric(df)
    assert bulk.surely_numeric(df, skip=("measure",)).keys() == _plain_fractional(df).keys() - {"measure"}
    kinds = {c: "numeric" for c in df.columns}
    assert bulk.unchanged_by_coercion(df, kinds) == {"measure", "whole", "late_fraction", "nan_and_whole", "ints"}

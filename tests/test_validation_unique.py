"""Uniqueness of integer keys: the counting path for dense integer columns gives exactly the rows and distinct
count that hashing gives, checked against numpy on any integer dtype, span and sign."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.validation import checks

DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def truth(values: np.ndarray):
    uniq, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return counts[inverse.ravel()] > 1, uniq.size


@given(st.sampled_from(DTYPES), st.lists(st.integers(0, 60), min_size=1, max_size=300), st.booleans())
def test_dense_path_equals_numpy_for_every_integer_dtype(dtype, offsets, at_the_top):
    info = np.iinfo(dtype)
    base = info.max - 60 if at_the_top else info.min  # keys next to the dtype's limits must not overflow
    values = (np.array(offsets, dtype=object) + base).astype(dtype)
    got = checks.dense_integer_clashes(pd.Series(values))
    span = max(offsets) - min(offsets)
    assert (got is None) == (span >= checks.DENSE_SPAN_PER_ROW * len(values))
    if got is None:
        return
    want_clash, want_unique = truth(values)
    assert got[1] == want_unique and np.array_equal(got[0], want_clash)


def test_sparse_floats_and_nullable_columns_are_left_to_hashing():
    assert checks.dense_integer_clashes(pd.Series([1, 10 ** 12, 5], dtype="int64")) is None  # span too wide
    assert checks.dense_integer_clashes(pd.Series([1.0, 2.0, 2.0])) is None
    assert checks.dense_integer_clashes(pd.Series([1, None, 1], dtype="Int64")) is None
    assert checks.dense_integer_clashes(pd.Series([], dtype="int64")) is None


@pytest.mark.parametrize("values", [np.arange(1000), np.r_[np.arange(1000), [5, 5, 999]], np.full(50, -7),
                                    np.r_[np.arange(-300, 300), np.arange(-100, 100)]])
def test_uniqueness_finding_is_the_same_with_either_path(values, monkeypatch):
    s = pd.Series(values.astype("int64"))
    missing = np.zeros(len(s), dtype=bool)
    dense = checks._uniqueness("id", s, missing, len(s))
    monkeypatch.setattr(checks, "DENSE_SPAN_PER_ROW", 0)  # every column goes through hashing
    hashed = checks._uniqueness("id", s, missing, len(s))
    assert (dense is None) == (hashed is None)
    if dense is not None:
        assert (dense.count, dense.fraction, dense.message) == (hashed.count, hashed.fraction, hashed.message)
        assert np.array_equal(dense.positions, hashed.positions)

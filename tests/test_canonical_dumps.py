"""``core.canonical.dumps`` (stored results, CLI output) in one pass writes exactly what the former
three-pass form wrote: ``json.dumps(default=...)``, ``json.loads``, NaN to null, ``json.dumps`` again."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import canonical


def three_pass(obj, **kw) -> str:
    return json.dumps(canonical.clean_floats(json.loads(json.dumps(obj, default=canonical._default, allow_nan=True))),
                      allow_nan=False, ensure_ascii=False, **kw)


CASES = [
    {"a": 1, "b": [1.5, float("nan"), float("inf"), -0.0], "c": (1, 2, (3, {"x": np.float64(2.5)})), "d": None},
    {1: "int key", 2.5: "float key", True: "bool key", None: "none key", "s": {"é": "ü"}},
    [np.int64(3), np.bool_(True), np.float32(0.1), np.float64("nan"), {1, 3, 2}, Path("/x/y")],
    {"t": datetime(2026, 1, 1, tzinfo=timezone.utc), "big": 10 ** 30, "f": 1e308, "small": 5e-324},
    "plain", 3, 2.0, None, [], {},
]


@pytest.mark.parametrize("obj", CASES)
@pytest.mark.parametrize("kw", [{}, {"indent": 2}, {"sort_keys": True}])
def test_one_pass_equals_three_passes(obj, kw):
    assert canonical.dumps(obj, **kw) == three_pass(obj, **kw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children) | st.tuples(children, children)
    | st.dictionaries(st.text() | st.integers(), children), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_one_pass_equals_three_passes_for_any_json_like_value(obj):
    assert canonical.dumps(obj) == three_pass(obj)


def test_unsupported_keys_still_fail():
    with pytest.raises(TypeError):
        canonical.dumps({(1, 2): "tuple key"})

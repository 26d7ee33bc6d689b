"""Checking the values of schema keys, with errors that name the schema, the column and the key.

Used by :mod:`core.validation.schema` while it builds column and dataset rules from a mapping.
"""

from __future__ import annotations

import datetime as _dt
import math

import pandas as pd

from core.errors import PreflightError

ORDERED_TYPES = ("numeric", "integer", "datetime")  # types that may carry range / monotonic
#: deprecated key -> its name now (the old names said "pct" but always held a fraction)
DEPRECATED_KEYS = {"max_out_of_range_pct": "max_out_of_range_fraction", "max_missing_pct": "max_missing_fraction",
                   "max_duplicate_rows_pct": "max_duplicate_rows_fraction"}


class _Where:
    """Builds error messages that name the schema file, the column and the key."""

    def __init__(self, source: str, column: str | None = None):
        self.source, self.column = source, column

    def error(self, key: str | None, problem: str) -> PreflightError:
        parts = [self.source]
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if key is not None:
            parts.append(f"key '{key}'")
        return PreflightError(": ".join(parts) + ": " + problem)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fraction(where: _Where, key: str, v) -> float:
    if not _is_number(v) or not 0 <= v <= 1:
        raise where.error(key, f"must be a fraction between 0 and 1 (0.05 means 5%), got {v!r}")
    return float(v)


def _bool(where: _Where, key: str, v) -> bool:
    if not isinstance(v, bool):
        raise where.error(key, f"must be true or false, got {v!r}")
    return v


def _count(where: _Where, key: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or v < 0:
        raise where.error(key, f"must be a whole number of at least 0, got {v!r}")
    return int(v)


def _pair(where: _Where, key: str, v) -> tuple:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise where.error(key, f"must be a list [min, max] (either may be null), got {v!r}")
    return tuple(v)


def _date_bound(where: _Where, key: str, v) -> str | None:
    if v is None:
        return None
    if isinstance(v, (_dt.date, _dt.datetime, str)):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            ts = None
        if ts is not None and not pd.isna(ts):
            return ts.isoformat()
    raise where.error(key, f"{v!r} is not a date or time")


def _check_keys(where: _Where, d: dict, known: tuple) -> tuple[dict, dict]:
    """``(d with deprecated key names replaced by the current ones, {current name: name as written})``;
    unknown keys are an error."""
    out, written = {}, {}
    for key, value in d.items():
        new = DEPRECATED_KEYS.get(key, key)
        if new not in known:
            raise where.error(str(key), "unknown key (known keys: " + ", ".join(known) + ")")
        if new in out and out[new] != value:
            raise where.error(new, f"is given twice, as '{new}' and as its deprecated name, with different "
                                   f"values ({out[new]!r} and {value!r})")
        out[new] = value
        written[new] = str(key)
    return out, written


def _column_range(where: _Where, ctype: str | None, value) -> tuple:
    lo, hi = _pair(where, "range", value)
    if ctype not in ORDERED_TYPES:
        raise where.error("range", "needs type numeric, integer or datetime")
    if ctype == "datetime":
        lo, hi = _date_bound(where, "range", lo), _date_bound(where, "range", hi)
        if lo is not None and hi is not None and pd.Timestamp(lo) > pd.Timestamp(hi):
            raise where.error("range", f"minimum {lo} is after maximum {hi}")
        return (lo, hi)
    for bound in (lo, hi):
        if bound is not None and not _is_number(bound):
            raise where.error("range", f"bounds must be numbers or null, got {bound!r}")
    if lo is not None and hi is not None and lo > hi:
        raise where.error("range", f"minimum {lo} is larger than maximum {hi}")
    return (lo, hi)


def _allowed(where: _Where, ctype: str | None, value) -> tuple:
    if not isinstance(value, (list, tuple)) or not value:
        raise where.error("allowed", f"must be a non-empty list of values, got {value!r}")
    if ctype == "datetime":
        raise where.error("allowed", "is not supported for datetime columns; use range")
    for v in value:
        if not (isinstance(v, (str, bool)) or _is_number(v)):
            raise where.error("allowed", f"values must be text, numbers or true/false, got {v!r}")
    return tuple(value)

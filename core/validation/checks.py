"""The column checks behind :func:`core.validation.validate.validate`, each over a whole column at once.

Every check returns zero or one :class:`Finding`: the failing rows (0-based positions), their
values, the count, the fraction of all rows and the threshold that was crossed.  Severities and
rules are documented in :mod:`core.validation.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.validation import column_values as cv
from core.validation.schema import ColumnSpec

EPS = 1e-12  # fractions equal to a threshold (up to rounding) do not cross it
UNIQUE_THRESHOLD = 0.95
HIGH_SHARE = 0.20  # missing / out-of-range shares above this are "high", otherwise "medium"
_ARTICLE = {"numeric": "a number", "integer": "a whole number", "boolean": "true/false",
            "datetime": "a date/time"}


@dataclass
class Finding:
    check: str
    severity: str
    count: int
    fraction: float | None
    threshold: float | None
    message: str
    positions: np.ndarray | None = None  # 0-based rows that fail
    values: np.ndarray | None = None  # their values; None = take them from the column


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def _share_severity(fraction: float) -> str:
    return "high" if fraction > HIGH_SHARE + EPS else "medium"


def _bool_fn(s: pd.Series, fn) -> np.ndarray:
    """``fn(text Series) -> bool array`` evaluated once per category for categorical columns."""
    if cv.is_category(s):
        cats = pd.Series(s.cat.categories)
        per = fn(cv.as_text(cats)) if len(cats) else np.zeros(0, dtype=bool)
        return np.append(np.asarray(per, dtype=bool), False)[s.cat.codes.to_numpy()]
    return np.asarray(fn(cv.as_text(s)), dtype=bool)


def typed_values(s: pd.Series, ctype: str | None, missing: np.ndarray):
    """(values or None, mismatch mask) for the declared type."""
    if ctype == "numeric":
        return cv.as_numeric(s, missing)
    if ctype == "integer":
        return cv.as_integer(s, missing)
    if ctype == "boolean":
        return cv.as_boolean(s, missing)
    if ctype == "datetime":
        return cv.as_datetime(s, missing)
    return None, np.zeros(len(s), dtype=bool)


def _type_mismatch(name, s, spec, bad, rows, kind) -> Finding | None:
    count = int(bad.sum())
    if not count:
        return None
    first = s.iloc[int(np.argmax(bad))]
    seen = f" (the reader saw the column as {kind})" if kind else ""
    return Finding("type_mismatch", "critical", count, count / rows, 0.0,
                   f"'{name}': {count} of {rows} values are not {_ARTICLE.get(spec.type, spec.type)}"
                   f"{seen}, e.g. {cv.text_of(first)!r}", np.flatnonzero(bad))


def _missing(name, spec, missing, rows) -> Finding | None:
    if spec.max_missing_fraction is None:
        return None
    count = int(missing.sum())
    frac = count / rows
    if frac <= spec.max_missing_fraction + EPS:
        return None
    pos = np.flatnonzero(missing)
    return Finding("missing_values", _share_severity(frac), count, frac, spec.max_missing_fraction,
                   f"'{name}' is missing in {count} of {rows} rows ({_pct(frac)}); "
                   f"at most {_pct(spec.max_missing_fraction)} may be missing", pos, np.full(len(pos), None))


def _range(name, spec, vals, valid, rows) -> Finding | None:
    lo, hi = spec.range
    if spec.type == "datetime":
        out = np.zeros(rows, dtype=bool)
        if lo is not None:
            out |= (vals < cv.align_timestamp(lo, vals)).to_numpy(dtype=bool, na_value=False)
        if hi is not None:
            out |= (vals > cv.align_timestamp(hi, vals)).to_numpy(dtype=bool, na_value=False)
    else:
        with np.errstate(invalid="ignore"):
            out = np.zeros(rows, dtype=bool)
            if lo is not None:
                out |= vals < lo
            if hi is not None:
                out |= vals > hi
    out &= valid  # a missing value is missing, not out of range
    count = int(out.sum())
    frac = count / rows
    if frac <= spec.max_out_of_range_fraction + EPS:
        return None
    return Finding("range", _share_severity(frac), count, frac, spec.max_out_of_range_fraction,
                   f"'{name}': {count} of {rows} rows ({_pct(frac)}) fall outside "
                   f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]; "
                   f"at most {_pct(spec.max_out_of_range_fraction)} may", np.flatnonzero(out))


#: Integer keys spanning at most this many values per row are counted with a table of counts, not hashed.
DENSE_SPAN_PER_ROW = 4


def dense_integer_clashes(s: pd.Series) -> tuple[np.ndarray, int] | None:
    """``(rows whose value occurs more than once, distinct count)`` for a plain integer column whose values span
    at most ``DENSE_SPAN_PER_ROW`` x its length (identifiers, counters), by counting instead of hashing;
    None for any other column."""
    if s.dtype.kind not in "iu" or not isinstance(s.dtype, np.dtype) or not len(s):
        return None
    vals = s.to_numpy()
    lo, hi = vals.min(), vals.max()
    if int(hi) - int(lo) >= DENSE_SPAN_PER_ROW * len(vals):
        return None
    offsets = (vals - lo).astype(np.intp)  # no overflow: every value lies within [lo, hi]
    counts = np.bincount(offsets)
    return counts[offsets] > 1, int(np.count_nonzero(counts))


def _uniqueness(name, s, missing, rows) -> Finding | None:
    dense = dense_integer_clashes(s)
    if dense is not None:
        clash, n_unique = dense  # a plain integer column has no missing values
    else:
        # one hashing pass: rows whose value occurs more than once; the distinct count follows from them
        clash = ~missing & s.duplicated(keep=False).to_numpy()
        n_clash = int(clash.sum())
        n_unique = int((~missing).sum()) - n_clash + (int(pd.unique(s[clash]).size) if n_clash else 0)
    frac = n_unique / rows
    if frac >= UNIQUE_THRESHOLD - EPS:
        return None
    return Finding("uniqueness", "high", rows - n_unique, frac, UNIQUE_THRESHOLD,
                   f"'{name}' should be unique but has {n_unique} distinct values in {rows} rows "
                   f"({_pct(frac)}, at least {_pct(UNIQUE_THRESHOLD)} needed)", np.flatnonzero(clash))


def _allowed_fail(s, spec, vals, missing, valid) -> np.ndarray:
    allowed = spec.allowed
    numbers = []
    for a in allowed:
        if isinstance(a, bool):
            numbers = None
            break
        try:
            numbers.append(float(a))
        except (TypeError, ValueError):
            numbers = None
            break
    if spec.type == "boolean":
        keys = [1.0 if str(a).strip().lower() in cv.TRUE_TOKENS else
                0.0 if str(a).strip().lower() in cv.FALSE_TOKENS else np.nan for a in allowed]
        return valid & ~np.isin(vals, keys)
    if numbers is not None and (spec.type in ("numeric", "integer") or cv.is_number_dtype(s)):
        if vals is None:
            vals, _ = cv.as_numeric(s, missing)
        return valid & ~np.isin(vals, numbers)
    keys = {cv.text_of(a) for a in allowed}
    return valid & ~_bool_fn(s, lambda t: t.isin(keys).to_numpy(dtype=bool))


def _rows_check(check, severity, name, fail, rows, what) -> Finding | None:
    count = int(fail.sum())
    if not count:
        return None
    return Finding(check, severity, count, count / rows, 0.0,
                   f"'{name}': {count} of {rows} values {what}", np.flatnonzero(fail))


def _monotonic(name, spec, vals, valid, rows) -> Finding | None:
    if spec.type == "datetime":
        if getattr(vals.dt, "tz", None) is not None:
            vals = vals.dt.tz_convert("UTC").dt.tz_localize(None)
        arr = vals.to_numpy().view("i8")
    else:
        arr = vals
    pos = np.flatnonzero(valid)
    v = arr[pos]
    breaks = v[1:] < v[:-1] if spec.monotonic == "increasing" else v[1:] > v[:-1]
    fail = np.zeros(rows, dtype=bool)
    fail[pos[1:][breaks]] = True
    word = "smaller" if spec.monotonic == "increasing" else "larger"
    return _rows_check("monotonic", "medium", name, fail, rows,
                       f"are {word} than the value before them (the column should be {spec.monotonic})")


def column_findings(name: str, s: pd.Series, spec: ColumnSpec, kind: str | None = None) -> list[Finding]:
    """All failed checks of one present column, in the order of ``core.validation.validate.CHECKS``."""
    rows = len(s)
    if rows == 0:
        return []
    missing = cv.missing_mask(s)
    vals, bad = typed_values(s, spec.type, missing)
    valid = ~missing & ~bad
    found = [_type_mismatch(name, s, spec, bad, rows, kind)]
    if spec.range is not None and vals is not None:
        found.append(_range(name, spec, vals, valid, rows))
    found.append(_missing(name, spec, missing, rows))
    if spec.unique:
        found.append(_uniqueness(name, s, missing, rows))
    if spec.allowed is not None:
        found.append(_rows_check("allowed_values", "high", name,
                                 _allowed_fail(s, spec, vals, missing, valid), rows,
                                 "are not among the allowed values"))
    if spec.pattern is not None:
        pattern = spec.pattern
        fail = valid & ~_bool_fn(s, lambda t: t.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False))
        found.append(_rows_check("pattern", "medium", name, fail, rows,
                                 f"do not match the pattern {pattern!r}"))
    if spec.min_length is not None or spec.max_length is not None:
        lo, hi = spec.min_length, spec.max_length

        def bad_length(t: pd.Series) -> np.ndarray:
            lens = t.str.len().to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                return ((lens < lo) if lo is not None else False) | ((lens > hi) if hi is not None else False)

        limits = f"{lo if lo is not None else 0} to {hi if hi is not None else 'any'} characters"
        found.append(_rows_check("length", "medium", name, valid & _bool_fn(s, bad_length), rows,
                                 f"have a length outside {limits}"))
    if spec.monotonic is not None and vals is not None:
        found.append(_monotonic(name, spec, vals, valid, rows))
    return [f for f in found if f is not None]

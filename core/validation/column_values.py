"""Reading a column's values as the type a schema declares, over the whole column at once.

Tables arrive with native dtypes (float, int, bool, datetime, category) or as raw text (a CSV
column the reader could not type because some rows are text).  Each ``as_*`` function returns
the values in a comparable form plus a boolean array marking the non-missing values that are
not of the declared type.  Nothing here loops over rows in Python; work on a categorical column
is done once per category and spread back through the codes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

_NUMBER_RE = r"^\s*[+-]?(((\d+\.?\d*)|(\.\d+))([eE][+-]?\d+)?|inf|infinity|nan)\s*$"
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "1.0", "on"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0", "0.0", "off"})


def is_category(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype)


def is_textual(s: pd.Series) -> bool:
    """Object or string dtype: values may be raw text."""
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype) and not is_category(s)


def is_number_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _spread(s: pd.Series, per_category, fill) -> np.ndarray:
    """Map a per-category result back to rows through the codes (code -1 = missing -> fill)."""
    extended = np.append(np.asarray(per_category), [fill])  # code -1 picks the last element
    return extended[s.cat.codes.to_numpy()]


def _categories(s: pd.Series) -> pd.Series:
    return pd.Series(s.cat.categories)


def missing_mask(s: pd.Series) -> np.ndarray:
    """True where a value is missing: NaN, None, NaT, or an empty string."""
    if is_category(s):  # categories are never missing themselves; only an empty-text category is
        codes = s.cat.codes.to_numpy()
        miss = codes < 0
        cats = s.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            try:
                empty = cats.get_loc("")
            except (KeyError, TypeError):
                empty = None
            if isinstance(empty, (int, np.integer)):
                miss = miss | (codes == empty)
        return miss
    miss = s.isna().to_numpy()
    if is_textual(s):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            empty = (s == "").to_numpy(dtype=bool, na_value=False)
        miss = miss | empty
    return miss


def _numbers_from_text(s: pd.Series) -> np.ndarray:
    """Parse text as float64 (NaN where missing or not a number)."""
    if hasattr(s.array, "__arrow_array__"):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:  # Arrow strings: cast (clean column) or regex + cast, ~20x faster than to_numeric
            arr = pa.array(s.array)
            null = pa.scalar(None, arr.type)
            try:
                numbers = pc.cast(pc.if_else(pc.equal(arr, ""), null, arr), pa.float64())
            except pa.ArrowInvalid:  # some rows are not plain numbers
                ok = pc.match_substring_regex(arr, _NUMBER_RE, ignore_case=True)
                numbers = pc.cast(pc.if_else(ok, pc.utf8_trim_whitespace(arr), null), pa.float64())
            return np.array(numbers.to_numpy(zero_copy_only=False), dtype=float)
        except (pa.ArrowException, TypeError, ValueError):
            pass
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) * 2 < len(s):  # few distinct values: parse each once
        per = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object)), errors="coerce")
        return np.append(per.to_numpy(dtype=float, na_value=np.nan), np.nan)[codes]
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)


def _per_category(s: pd.Series, convert) -> tuple[np.ndarray, np.ndarray]:
    """Run a (values, mismatch) converter once per category and spread the answers to the rows."""
    cats = _categories(s)
    vals, bad = convert(cats, missing_mask(cats)) if len(cats) else (np.zeros(0), np.zeros(0, dtype=bool))
    return _spread(s, vals, np.nan).astype(float), _spread(s, bad, False).astype(bool)


def as_numeric(s: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values with NaN where missing or not a number, mismatch mask)."""
    n = len(s)
    if is_category(s):
        return _per_category(s, as_numeric)
    if pd.api.types.is_bool_dtype(s.dtype):
        return np.full(n, np.nan), ~missing
    if is_number_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan), np.zeros(n, dtype=bool)
    if is_textual(s):
        vals = _numbers_from_text(s)
        vals[missing] = np.nan
        return vals, ~missing & np.isnan(vals)
    return np.full(n, np.nan), ~missing  # datetimes, timedeltas, intervals...


def as_integer(s: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`as_numeric`; values with a fractional part (or infinite) are mismatches."""
    vals, bad = as_numeric(s, missing)
    with np.errstate(invalid="ignore"):
        fractional = ~np.isnan(vals) & ~(np.isfinite(vals) & (np.floor(vals) == vals))
    vals = vals.copy()
    vals[fractional] = np.nan
    return vals, bad | fractional


def _bool_of_text(values: pd.Series) -> np.ndarray:
    """Per distinct value: 1.0 true, 0.0 false, NaN not a boolean."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    per = np.full(len(uniques), np.nan)
    for i, u in enumerate(uniques):  # once per distinct value, not per row
        key = str(u).strip().lower()
        per[i] = 1.0 if key in TRUE_TOKENS else 0.0 if key in FALSE_TOKENS else np.nan
    out = np.full(len(values), np.nan)
    ok = codes >= 0
    out[ok] = per[codes[ok]]
    return out


def as_boolean(s: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1.0/0.0/NaN values, mismatch mask); text true/false/yes/no/1/0 and numbers 0/1 count."""
    n = len(s)
    if is_category(s):
        return _per_category(s, as_boolean)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan), np.zeros(n, dtype=bool)
    if is_number_dtype(s):
        vals = s.to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = ~missing & ~np.isin(vals, (0.0, 1.0))
        vals[bad] = np.nan
        return vals, bad
    if is_textual(s):
        vals = _bool_of_text(s)
        vals[missing] = np.nan
        return vals, ~missing & np.isnan(vals)
    return np.full(n, np.nan), ~missing


_MIXED_LIMIT = 2000  # distinct leftovers parsed one by one (slow: ~0.2 ms each)
_FORMAT_SAMPLE = 200


def _parse_dates(values: pd.Series, fmt: str, utc: bool = False) -> pd.Series:
    try:
        return pd.to_datetime(values, errors="coerce", format=fmt, utc=utc)
    except (ValueError, TypeError, OverflowError):  # e.g. several time-zone offsets
        if utc:
            return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
        return _parse_dates(values, fmt, utc=True)


def _date_formats(present: pd.Series) -> list[str]:
    """Formats guessed from values spread over the column, the one parsing most of them first."""
    from pandas.tseries.api import guess_datetime_format

    at = np.unique(np.linspace(0, len(present) - 1, num=min(_FORMAT_SAMPLE, len(present))).astype(int))
    sample = present.iloc[at].astype(str).reset_index(drop=True)
    formats = {f for f in (guess_datetime_format(v) for v in pd.unique(sample)) if f} | {"ISO8601"}
    scored = [(int(_parse_dates(sample, f).notna().sum()), f) for f in formats]
    return [f for score, f in sorted(scored, key=lambda x: (-x[0], x[1])) if score][:5]


def to_datetimes(values: pd.Series) -> pd.Series:
    """Parse text as dates without a per-row fallback: up to five formats guessed from a sample
    (best first), then at most 2,000 distinct leftover values one by one; the rest is NaT."""
    values = values.reset_index(drop=True)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    present = values[values.notna()]
    if present.empty:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        formats = _date_formats(present)
        for fmt in formats + ["mixed"]:
            todo = out.isna() & values.notna()
            if not todo.any():
                break
            if fmt == "mixed" and values[todo].nunique() > _MIXED_LIMIT:
                break
            again = _parse_dates(values[todo], fmt, utc=getattr(out.dt, "tz", None) is not None)
            if not again.notna().any():
                continue
            if not out.notna().any():
                out = again.reindex(values.index)
            elif (getattr(again.dt, "tz", None) is None) == (getattr(out.dt, "tz", None) is None):
                out = out.copy()
                out[todo] = again
    return out


def as_datetime(s: pd.Series, missing: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """(datetime64 Series with NaT where missing or not a date, mismatch mask)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.reset_index(drop=True), np.zeros(len(s), dtype=bool)
    if is_category(s):
        cats = _categories(s)
        codes = s.cat.codes.to_numpy()
        if not len(cats):
            return pd.Series(pd.NaT, index=range(len(s)), dtype="datetime64[ns]"), ~missing
        parsed = to_datetimes(cats.astype(object).where(~missing_mask(cats), None))
        vals = parsed.take(np.where(codes < 0, 0, codes)).reset_index(drop=True).where(codes >= 0)
        return vals, ~missing & vals.isna().to_numpy()
    if is_textual(s):
        text = s.reset_index(drop=True).where(~missing)
        vals = to_datetimes(text)
        return vals, ~missing & vals.isna().to_numpy()
    return pd.Series(pd.NaT, index=range(len(s)), dtype="datetime64[ns]"), ~missing


def align_timestamp(bound, values: pd.Series) -> pd.Timestamp:
    """A range bound made comparable with ``values`` (same time-zone awareness)."""
    ts = pd.Timestamp(bound)
    tz = getattr(values.dt, "tz", None)
    if tz is not None:
        return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def text_of(values) -> str:
    """The text a single value is compared as: whole floats without ``.0``."""
    if isinstance(values, (float, np.floating)) and float(values).is_integer():
        return str(int(values))
    if isinstance(values, (np.generic,)):
        return str(values.item())
    return str(values)


def as_text(s: pd.Series) -> pd.Series:
    """The column as strings (missing values stay missing), used for pattern, length and allowed."""
    if is_category(s):
        cats = _categories(s)
        per = as_text(cats).to_numpy(dtype=object) if len(cats) else np.zeros(0, dtype=object)
        return pd.Series(_spread(s, per, None), dtype=object)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.reset_index(drop=True)
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(vals) & (np.floor(vals) == vals) & (np.abs(vals) < 2 ** 53)
        out = s.astype(object).astype(str).to_numpy(dtype=object)
        if whole.any():
            out[whole] = vals[whole].astype(np.int64).astype(str)
        out[np.isnan(vals)] = None
        return pd.Series(out, dtype=object)
    if s.dtype == object:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        per = np.array([text_of(u) for u in uniques] + [None], dtype=object)  # once per value
        return pd.Series(per[codes], dtype=object)
    out = s.astype(str).to_numpy(dtype=object)
    out[s.isna().to_numpy()] = None
    return pd.Series(out, dtype=object)

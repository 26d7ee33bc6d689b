"""Column kinds of a Preflight data table: inference, coercion and data-quality warnings.

Every column of a loaded table has one kind from :data:`KINDS`:

``numeric``      measured quantities (float64 / int64 in the DataFrame)
``categorical``  a small set of labels or codes (pandas ``category`` dtype)
``boolean``      true/false flags (``bool``, or ``boolean`` when values are missing)
``datetime``     timestamps (``datetime64``)
``text``         identifiers and free text (pandas ``str``); kept in the table but left
                 out of drift checks by default

Inference rules (:func:`infer_kinds`), looking only at the non-missing values:

1. A ``bool``/``boolean`` dtype is boolean; a ``datetime64`` dtype is datetime.  A pandas
   ``category`` dtype with text labels (Parquet string columns are read dictionary-encoded, so
   they arrive this way) follows the string rules below on its distinct labels: more than
   ``MAX_CATEGORIES`` or more than half the rows distinct makes it text, labels that are all
   booleans, numbers or dates make it that kind, and anything else stays categorical.
2. A numeric dtype, or a string column in which at least 95 % of the values (``MOSTLY``)
   parse as numbers, is numeric, except that
   - whole numbers with at most 10 distinct values (``MAX_INT_CATEGORIES``) are categorical
     (class labels, 0/1 flags, ratings), as Evidently does;
   - whole numbers that are all distinct (at least 20 of them) in a column whose name looks
     like an identifier (``id``, ``user_id``, ``userId``, ``uuid``, ``key``) are text.
   A column with no values at all is numeric (and reported as empty).
3. A string column whose values are all textual booleans (``true``/``false``, ``yes``/``no``,
   any case) is boolean.  ``0``/``1`` are numbers, not booleans.
4. A string column in which at least 95 % of the values are ISO-like dates
   (``YYYY-MM-DD``, optionally with ``T``/space, a time and a ``Z`` or ``+hh:mm`` offset)
   is datetime.
5. Any other string column is text when it has more than 1000 distinct values
   (``MAX_CATEGORIES``) or, with at least 20 values, when more than half of them are
   distinct; otherwise it is categorical.

Coercion (:func:`apply_kinds`, also used for user overrides): values that do not fit the
column's kind (text in a numeric column, ``inf``/``-inf``, non-dates in a date column,
non-booleans in a boolean column) become missing and are counted in a warning naming the
column.  A kind that fits none of a column's values is a :class:`PreflightError`.
An explicit boolean override also accepts ``y``/``n``, ``t``/``f``, ``1``/``0`` and
``on``/``off``; an explicit datetime override of non-ISO strings falls back to pandas'
per-value parsing (month first when ambiguous).  Numbers are never read as dates.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.data.bulk import unchanged_by_coercion
from core.data.overrides import parse_kind_overrides, split_names  # noqa: F401  (re-exported)
from core.data.quality import quality_warnings  # noqa: F401  (re-exported)
from core.errors import PreflightError, check_cancel

KINDS = ("numeric", "categorical", "boolean", "datetime", "text")
MOSTLY = 0.95
MAX_INT_CATEGORIES = 10
MAX_CATEGORIES = 1000
MIN_ROWS_FOR_SHARE = 20

TRUE_WORDS = frozenset({"true", "yes"})
FALSE_WORDS = frozenset({"false", "no"})
# Wider vocabulary accepted when the user explicitly asks for a boolean column.
_TRUE_LOOSE = TRUE_WORDS | {"y", "t", "1", "1.0", "on"}
_FALSE_LOOSE = FALSE_WORDS | {"n", "f", "0", "0.0", "off"}

# Plain strings (not compiled) so pandas can run them in pyarrow's regex engine.
_ISO_DATE = (r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
             r"\s*(?:Z|[+-]\d{2}:?\d{2})?)?\s*$")
_TZ_SUFFIX = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})\s*$"
_SAMPLE = 2000
# pandas >= 3 has a missing-aware "str" dtype; on pandas 2 ask for StringDtype explicitly
# ("str" there would turn NaN into the text "nan").
STR = "str" if int(pd.__version__.split(".")[0]) >= 3 else pd.StringDtype()


def _looks_like_id(name: str) -> bool:
    low = name.strip().lower()
    return (low in {"id", "uuid", "guid", "key", "index"}
            or re.search(r"[_\s.-](id|uuid|guid|key)$", low) is not None
            or re.search(r"[a-z0-9]I[dD]$", name.strip()) is not None)


def _example(values, limit: int = 3) -> str:
    shown = [repr(str(v)) for v in list(values)[:limit]]
    return ", ".join(shown)


def _is_stringish(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
                or isinstance(s.dtype, pd.CategoricalDtype)
                or pd.api.types.is_datetime64_any_dtype(s.dtype))


def _as_strings(s: pd.Series) -> pd.Series:
    """The column as pandas strings, missing values kept missing."""
    if isinstance(s.dtype, pd.StringDtype):
        return s
    return s.astype(STR)


def _numbers(s: pd.Series) -> np.ndarray:
    """A numeric or boolean column as a float64 array with NaN for missing.

    Python integers too large for a float (pandas keeps text like ``1`` followed by 400 zeros as such
    objects) become +/-inf, which the numeric coercion then reports and reads as missing.
    """
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64").to_numpy(dtype="float64", na_value=np.nan, copy=True)
    try:
        return s.to_numpy(dtype="float64", na_value=np.nan, copy=True)
    except OverflowError:
        return np.array([_float_or_inf(v) for v in s.to_numpy(dtype=object)], dtype="float64")


def _float_or_inf(v) -> float:
    if v is None or v is pd.NA:
        return np.nan
    try:
        return float(v)
    except OverflowError:
        return np.inf if v > 0 else -np.inf


def _whole(values: np.ndarray) -> bool:
    return values.size > 0 and bool(np.all(values == np.floor(values)))


def _whole_number_kind(name: str, n_distinct: int, count: int) -> str:
    """Rule 2 for whole numbers: few distinct values are codes, all-distinct ids are text."""
    if n_distinct <= MAX_INT_CATEGORIES:
        return "categorical"
    if n_distinct == count >= MIN_ROWS_FOR_SHARE and _looks_like_id(name):
        return "text"
    return "numeric"


def _numeric_kind(name: str, values: np.ndarray) -> str:
    """Rule 2 for the finite values of a numeric column."""
    if not _whole(values):
        return "numeric"
    distinct = len(pd.unique(values[:5000]))  # a lower bound, enough to rule out codes
    if distinct <= MAX_INT_CATEGORIES or _looks_like_id(name):
        distinct = len(pd.unique(values))
    return _whole_number_kind(name, distinct, values.size)


def _counts(st: pd.Series) -> pd.Series:
    """Distinct non-missing string values (index) and how often each occurs."""
    return st.dropna().value_counts(sort=False)


def _parse_numbers(keys: pd.Index) -> np.ndarray:
    return _numbers(pd.to_numeric(pd.Series(keys, dtype=STR).str.strip(), errors="coerce"))


def _parse_dates(st: pd.Series) -> pd.Series:
    """ISO-like strings to datetime64 (NaT where a value is not such a date).

    Each distinct string is parsed once; the result is spread back over the rows.
    """
    codes, uniques = pd.factorize(st)
    u = pd.Series(uniques, dtype=STR)
    iso = u.str.match(_ISO_DATE, na=False)
    utc = bool(u[iso].str.contains(_TZ_SUFFIX, na=False).any())
    parsed = pd.to_datetime(u.where(iso).str.strip(), format="ISO8601", errors="coerce", utc=utc)
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=st.index, name=st.name)


def _row_sample(values: pd.Series) -> pd.Series:
    """Up to ``_SAMPLE`` rows (a fixed random draw) for cheap pre-checks."""
    if len(values) <= _SAMPLE:
        return values
    return values.iloc[np.random.default_rng(0).integers(0, len(values), _SAMPLE)]


def _infer_strings(name: str, st: pd.Series) -> str:
    values = st.dropna()
    n = len(values)
    if n == 0:
        return "numeric"
    sample = _row_sample(values)
    sample_distinct = sample.nunique()  # a lower bound of the column's distinct count
    vc = None
    if sample_distinct <= 4:
        vc = _counts(values)
        if len(vc) <= 4 and {str(k).strip().lower() for k in vc.index} <= TRUE_WORDS | FALSE_WORDS:
            return "boolean"
    if pd.to_numeric(sample.str.strip(), errors="coerce").notna().mean() >= 0.8:
        vc = _counts(values) if vc is None else vc
        nums = _parse_numbers(vc.index)
        ok = np.isfinite(nums)
        if vc.to_numpy()[~np.isnan(nums)].sum() >= MOSTLY * n:
            if not _whole(nums[ok]):
                return "numeric"
            return _whole_number_kind(name, len(np.unique(nums[ok])), int(vc.to_numpy()[ok].sum()))
    if sample.str.match(_ISO_DATE).mean() >= 0.8:
        vc = _counts(values) if vc is None else vc
        dates = _parse_dates(pd.Series(vc.index, dtype=STR))
        if vc.to_numpy()[dates.notna().to_numpy()].sum() >= MOSTLY * n:
            return "datetime"
    if sample_distinct > MAX_CATEGORIES:
        return "text"
    d = len(vc) if vc is not None else values.nunique()
    if d > MAX_CATEGORIES or (n >= MIN_ROWS_FOR_SHARE and d > n / 2):
        return "text"
    return "categorical"


def infer_column_kind(name, s: pd.Series) -> str:
    """The kind of one column (rules in the module docstring)."""
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "datetime"
    if isinstance(dt, pd.CategoricalDtype):
        return _categorical_kind(str(name), s)
    if pd.api.types.is_numeric_dtype(dt):
        vals = _numbers(s)
        return _numeric_kind(str(name), vals[np.isfinite(vals)])
    if s.isna().all():
        return "numeric"
    return _infer_strings(str(name), _as_strings(s))


def _categorical_kind(name: str, s: pd.Series) -> str:
    """A column that arrived as a categorical (a dictionary-encoded Parquet or Arrow column).

    The string rules apply to its distinct values: many distinct values make it text, and values that
    are all booleans, numbers or dates make it that kind; otherwise it stays categorical.
    """
    cats = s.cat.categories
    if not (pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object):
        return "categorical"
    n = int(s.notna().sum())
    codes = s.cat.codes.to_numpy()
    used = int(np.count_nonzero(np.bincount(codes[codes >= 0], minlength=len(cats)))) if n else 0
    if used > MAX_CATEGORIES or (n >= MIN_ROWS_FOR_SHARE and used > n / 2):
        return "text"
    by_values = _infer_strings(name, pd.Series(np.asarray(cats, dtype=object), dtype=STR))
    return by_values if by_values in ("boolean", "numeric", "datetime") else "categorical"


def infer_kinds(df: pd.DataFrame, cancelled=None) -> dict[str, str]:
    """Column name -> kind, for every column of ``df``."""
    out = {}
    for col in df.columns:
        check_cancel(cancelled)
        out[col] = infer_column_kind(col, df[col])
    return out


def check_kinds(kinds: dict, columns) -> None:
    """Raise PreflightError for unknown column names or unknown kinds (one pass over each)."""
    present = columns if isinstance(columns, (set, frozenset, dict)) else set(columns)
    unknown = [c for c in kinds if c not in present]
    if unknown:
        raise PreflightError("kind given for column(s) not in the table: "
                             + ", ".join(repr(str(c)) for c in unknown)
                             + "; the columns are " + ", ".join(repr(str(c)) for c in columns))
    bad = {c: k for c, k in kinds.items() if k not in KINDS}
    if bad:
        col, kind = next(iter(bad.items()))
        raise PreflightError(f"column {str(col)!r}: unknown kind {kind!r}; choose one of "
                             + ", ".join(KINDS))


def _fail_all(name, kind: str, bad: pd.Series) -> PreflightError:
    return PreflightError(f"column {str(name)!r} cannot be read as {kind}: none of its values fit "
                          f"(e.g. {_example(pd.unique(bad))})")


def _note_bad(name, kind: str, bad: pd.Series, total: int, warnings: list) -> None:
    """Warn about values of ``kind``'s column that did not fit; fail when none fit."""
    if len(bad) == 0:
        return
    if len(bad) == total:
        raise _fail_all(name, kind, bad)
    words = {"numeric": "non-numeric", "boolean": "non-boolean", "datetime": "non-date"}[kind]
    warnings.append(f"column {str(name)!r}: {len(bad)} {words} values read as missing "
                    f"(e.g. {_example(pd.unique(bad))})")


def _to_numeric(name, s: pd.Series, warnings: list) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        raise PreflightError(f"column {str(name)!r} holds dates and cannot be read as numeric")
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("float64" if pd.api.types.is_numeric_dtype(s.cat.categories.dtype) else STR)
    if _is_stringish(s):
        st = _as_strings(s)
        out = pd.to_numeric(st.str.strip(), errors="coerce")
        bad = st[st.notna() & out.isna()]
        _note_bad(name, "numeric", bad, int(st.notna().sum()), warnings)
        s = out
    if s.dtype == np.float64 or s.dtype == np.int64:
        if s.dtype == np.int64 or not np.isinf(s.to_numpy()).any():
            return s  # already clean: no copy
    vals = _numbers(s)
    inf = np.isinf(vals)
    if inf.any():
        warnings.append(f"column {str(name)!r}: {int(inf.sum())} infinite values (inf/-inf) "
                        "read as missing")
        vals[inf] = np.nan
    if pd.api.types.is_integer_dtype(s.dtype) and not np.isnan(vals).any() \
            and (s.dtype.kind == "i" or vals.max(initial=0) < 2.0 ** 63):  # uint64 past int64 stays float
        return pd.Series(s.to_numpy(dtype="int64"), index=s.index, name=s.name)
    return pd.Series(vals, index=s.index, name=s.name)


def _to_boolean(name, s: pd.Series, warnings: list) -> pd.Series:
    if s.dtype == bool:
        return s
    if pd.api.types.is_bool_dtype(s.dtype):
        out = s.astype("boolean")
    else:
        if pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            st = pd.Series(np.where(s.isna(), None, s.astype("float64").astype(str)),
                           index=s.index, dtype=STR)
        else:
            st = _as_strings(s)
        low = st.str.strip().str.lower()
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[low.isin(_TRUE_LOOSE)] = True
        out[low.isin(_FALSE_LOOSE)] = False
        bad = s[st.notna() & out.isna()]
        _note_bad(name, "boolean", bad.astype(str), int(st.notna().sum()), warnings)
    return out.astype(bool) if not out.isna().any() else out


def _to_datetime(name, s: pd.Series, warnings: list) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise PreflightError(f"column {str(name)!r} holds numbers, not dates, and cannot be "
                             "read as datetime")
    st = _as_strings(s)
    out = _parse_dates(st)
    if out.notna().sum() < MOSTLY * st.notna().sum():  # not ISO: let pandas guess per value
        guess = pd.to_datetime(st, format="mixed", errors="coerce", utc=True)
        if guess.notna().sum() > out.notna().sum():
            out = guess
    _note_bad(name, "datetime", st[st.notna() & out.isna()], int(st.notna().sum()), warnings)
    return out


def _to_categorical(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        vals = _numbers(s)
        finite = vals[np.isfinite(vals)]
        vals[~np.isfinite(vals)] = np.nan  # inf is no category
        if np.all(finite == np.floor(finite)) and np.all(np.abs(finite) <= 2.0 ** 53):  # exact integers
            out = pd.Series(vals, index=s.index, name=s.name).astype("Int64").astype("category")
            return out.cat.rename_categories(out.cat.categories.astype("int64"))
        return pd.Series(vals, index=s.index, name=s.name).astype("category")
    if _is_stringish(s):
        return _as_strings(s).astype("category")
    return s.astype("category")


def coerce_column(name, s: pd.Series, kind: str, warnings: list) -> pd.Series:
    """Convert one column to ``kind``; adds warnings for values read as missing."""
    if kind == "numeric":
        return _to_numeric(name, s, warnings)
    if kind == "boolean":
        return _to_boolean(name, s, warnings)
    if kind == "datetime":
        return _to_datetime(name, s, warnings)
    if kind == "categorical":
        return _to_categorical(s)
    if kind == "text":
        return s if isinstance(s.dtype, pd.StringDtype) else _as_strings(s)
    raise PreflightError(f"column {str(name)!r}: unknown kind {kind!r}; choose one of "
                         + ", ".join(KINDS))


def coerce_table(df: pd.DataFrame, kinds: dict, cancelled=None) -> tuple[pd.DataFrame, list[str]]:
    """Apply ``kinds`` (columns not named keep their data) and collect the warnings."""
    check_kinds(kinds, df.columns)
    warnings: list[str] = []
    keep = unchanged_by_coercion(df, kinds)  # settled for all numeric columns at once
    changed = {}
    for i, col in enumerate(df.columns):
        if i % 256 == 0:
            check_cancel(cancelled)
        if col in kinds and col not in keep:
            changed[col] = coerce_column(col, df[col], kinds[col], warnings)
    if not changed:
        return df.copy(deep=False), warnings
    if len(changed) * 4 < df.shape[1] and df.columns.is_unique:  # few changes: replace them in a copy
        out = df.copy(deep=False)
        out[list(changed)] = pd.DataFrame(changed, index=df.index, copy=False)
        return out, warnings
    cols = {col: changed[col] if col in changed else df[col] for col in df.columns}
    return pd.DataFrame(cols, index=df.index, copy=False), warnings


def apply_kinds(df: pd.DataFrame, kinds: dict) -> pd.DataFrame:
    """``df`` with each column named in ``kinds`` converted to that kind."""
    return coerce_table(df, kinds)[0]

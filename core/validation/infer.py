"""Inferring a schema from reference data, and comparing the shape of two tables.

Inference (as TFDV and pandera do) records for each column: its type, a numeric range widened
by ``range_tolerance`` x (max - min) on both sides (not below 0 when no negative value was seen),
a missing-value limit of the observed rate plus one percentage point, the category domain
(``allowed``, at most ``max_categories`` values, as TFDV caps string domains at 100) and
``unique`` for whole-number and text columns whose values are all distinct.  Datetime ranges
and monotonic order are not inferred: production data is newer and often reshuffled, so such
rules would fail on healthy data.  Validating the reference table against its own inferred
schema always passes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.validation import column_values as cv
from core.errors import PreflightError, check_cancel
from core.validation.schema import ColumnSpec, DatasetSpec, Schema
from core.validation.bulk import float_chunks, float_labels
from core.validation.checks import UNIQUE_THRESHOLD, typed_values

MISSING_SLACK = 0.01
MISSING_CHANGE = 0.01  # schema_diff reports missing-rate changes larger than this
MAX_NEW_CATEGORIES = 100
_KIND_TYPES = {"categorical": "category", "boolean": "boolean", "datetime": "datetime", "text": "string"}
_DATE_SAMPLE = 200


def _looks_like_dates(values: pd.Series) -> bool:
    sample = pd.Series(values.drop_duplicates().head(_DATE_SAMPLE).astype(str).tolist(), dtype=object)
    if sample.empty or not (sample.str.len() >= 6).all() or not sample.str.contains(r"\d").all():
        return False
    return bool(cv.to_datetimes(sample).notna().all())


def _text_type(s: pd.Series, missing: np.ndarray, max_categories: int) -> str:
    present = s[~missing]
    if present.empty:
        return "string"
    vals, bad = cv.as_numeric(present, np.zeros(len(present), dtype=bool))
    if not bad.any():
        finite = vals[np.isfinite(vals)]
        return "integer" if finite.size == vals.size and (np.floor(finite) == finite).all() else "numeric"
    if not cv.as_boolean(present, np.zeros(len(present), dtype=bool))[1].any():
        return "boolean"
    if _looks_like_dates(present) and not cv.as_datetime(present, np.zeros(len(present), dtype=bool))[1].any():
        return "datetime"
    n_unique = present.nunique()
    if n_unique <= max_categories and n_unique <= max(1, len(present) // 2):
        return "category"
    return "string"


def _conforms(s: pd.Series, ctype: str, missing: np.ndarray) -> bool:
    return not typed_values(s, ctype, missing)[1].any()


def column_type(s: pd.Series, kind: str | None = None, *, max_categories: int = 100,
                whole_floats: bool = False, missing: np.ndarray | None = None) -> str:
    """The schema type a column's values have.

    ``kind`` (the table reader's numeric/categorical/boolean/datetime/text) settles readings the
    values allow (number codes as categories, text as free text); it never forces a type the
    values contradict.  ``whole_floats``: floats that are all whole numbers count as integers
    (pandas turns an integer column with gaps into floats).
    """
    if missing is None:
        missing = cv.missing_mask(s)
    wanted = _KIND_TYPES.get(kind)
    if wanted in ("category", "string") or (wanted and _conforms(s, wanted, missing)):
        return wanted
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_integer_dtype(s.dtype):
        return "integer"
    if cv.is_number_dtype(s):
        if whole_floats:
            vals = s.to_numpy(dtype=float, na_value=np.nan)
            vals = vals[~np.isnan(vals)]
            if vals.size and np.isfinite(vals).all() and (np.floor(vals) == vals).all():
                return "integer"
        return "numeric"
    if cv.is_category(s) and kind is None:
        return "category"
    return _text_type(s, missing, max_categories)


def _nice(x: float, direction: int) -> float:
    """Round to 6 significant digits, never moving ``x`` inwards."""
    if x == 0 or not math.isfinite(x):
        return x
    r = float(f"{x:.6g}")
    if (r - x) * direction < 0:  # moved the wrong way: step one unit of the last digit
        r = float(f"{r + direction * 10 ** (math.floor(math.log10(abs(x))) - 5):.6g}")
    return r


def _numeric_range(vals: np.ndarray, ctype: str, tol: float):
    finite = vals[np.isfinite(vals)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    pad = tol * (hi - lo) if hi > lo else tol * abs(lo)
    new_lo, new_hi = lo - pad, hi + pad
    if lo >= 0:
        new_lo = max(new_lo, 0.0)
    if ctype == "integer":
        return (int(math.floor(new_lo if math.isfinite(new_lo) else lo)),
                int(math.ceil(new_hi if math.isfinite(new_hi) else hi)))
    new_lo, new_hi = min(_nice(new_lo, -1), lo), max(_nice(new_hi, 1), hi)
    if not math.isfinite(new_lo):  # widening past the largest float: the observed value is the bound
        new_lo = lo
    if not math.isfinite(new_hi):
        new_hi = hi
    return (int(new_lo) if new_lo.is_integer() else new_lo, int(new_hi) if new_hi.is_integer() else new_hi)


def _domain(s: pd.Series, missing: np.ndarray) -> list:
    values = pd.unique(s[~missing].astype(object) if cv.is_category(s) else s[~missing])
    plain = []
    for v in values:
        v = v.item() if isinstance(v, np.generic) else v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        plain.append(v if isinstance(v, (str, bool, int, float)) else str(v))
    return sorted(set(plain), key=lambda v: (type(v).__name__, v))


def _infer_column(name: str, s: pd.Series, kind, tol: float, max_categories: int) -> ColumnSpec:
    rows = len(s)
    missing = cv.missing_mask(s)
    ctype = column_type(s, kind, max_categories=max_categories, missing=missing)
    spec: dict = {"type": ctype}
    if rows:
        rate = float(missing.sum()) / rows
        spec["max_missing_fraction"] = min(1.0, math.ceil((rate + MISSING_SLACK) * 10000) / 10000)
    if ctype in ("numeric", "integer"):
        vals, _ = cv.as_integer(s, missing) if ctype == "integer" else cv.as_numeric(s, missing)
        rng = _numeric_range(vals, ctype, tol)
        if rng is not None:
            spec["range"] = rng
            infinite = float(np.isinf(vals).sum()) / rows  # no range holds inf: tolerate its share
            if infinite > spec.get("max_out_of_range_fraction", 0.01):
                spec["max_out_of_range_fraction"] = min(1.0, math.ceil((infinite + MISSING_SLACK) * 10000) / 10000)
    if ctype == "category":
        domain = _domain(s, missing)
        if 0 < len(domain) <= max_categories:
            spec["allowed"] = domain
    if ctype in ("integer", "string") and rows > 1:
        repeat = s.duplicated(keep="first").to_numpy()
        n_unique = int((~missing & ~repeat).sum())
        if not (repeat & ~missing).any() and n_unique / rows >= UNIQUE_THRESHOLD:
            spec["unique"] = True
    return ColumnSpec.from_dict(name, spec, "inferred schema")


def infer_schema(df, kinds=None, *, range_tolerance: float = 0.1, max_categories: int = 100,
                 progress=None, cancelled=None) -> Schema:
    """A schema describing ``df`` (see the module docstring for what is recorded)."""
    if not isinstance(df, pd.DataFrame):
        raise PreflightError("inferring a schema needs a table (a pandas DataFrame)")
    if not (isinstance(range_tolerance, (int, float)) and range_tolerance >= 0):
        raise PreflightError(f"range tolerance must be 0 or more, got {range_tolerance!r}")
    kinds = kinds or {}
    by_name = {str(c): c for c in df.columns}
    if len(by_name) != df.shape[1]:
        name = next(n for n in by_name if sum(1 for c in df.columns if str(c) == n) > 1)
        raise PreflightError(f"the table has more than one column named '{name}'")
    floats = _infer_float_columns(df, by_name, kinds, float(range_tolerance), cancelled)
    columns = {}
    for i, (name, col) in enumerate(by_name.items()):
        if name in floats:
            columns[name] = floats[name]
            continue
        check_cancel(cancelled)
        columns[name] = _infer_column(name, df[col], kinds.get(name), float(range_tolerance), int(max_categories))
        if progress is not None:
            progress((i + 1) / max(1, df.shape[1]))
    if progress is not None:
        progress(1.0)
    return Schema(columns=columns, dataset=DatasetSpec())


def _float_spec(name: str, vals: np.ndarray, rows: int, tol: float) -> ColumnSpec:
    """What :func:`_infer_column` records for a float64 column read as numeric (``vals`` with NaN)."""
    spec: dict = {"type": "numeric"}
    rate = float(np.isnan(vals).sum()) / rows
    spec["max_missing_fraction"] = min(1.0, math.ceil((rate + MISSING_SLACK) * 10000) / 10000)
    rng = _numeric_range(vals, "numeric", tol)
    if rng is not None:
        spec["range"] = rng
        infinite = float(np.isinf(vals).sum()) / rows
        if infinite > 0.01:
            spec["max_out_of_range_fraction"] = min(1.0, math.ceil((infinite + MISSING_SLACK) * 10000) / 10000)
    return ColumnSpec.from_dict(name, spec, "inferred schema")


def _infer_float_columns(df, by_name: dict, kinds: dict, tol: float, cancelled) -> dict:
    """Specs of the float64 columns the reader saw as numeric (or did not say), from 2-D chunks."""
    if not len(df):
        return {}
    names = float_labels(df, [n for n in by_name if kinds.get(n) in (None, "numeric")], by_name)
    out = {}
    for part, arr in float_chunks(df, names, by_name):
        check_cancel(cancelled)
        for j, name in enumerate(part):
            out[name] = _float_spec(name, arr[:, j], len(df), tol)
    return out


def _text_keys(s: pd.Series, missing: np.ndarray) -> dict:
    """Distinct non-missing values keyed by their text (so 1 and 1.0 are the same category)."""
    present = s[~missing]
    values = pd.unique(present.astype(object)) if cv.is_category(present) else pd.unique(present)
    return {cv.text_of(v): v for v in values}


def schema_diff(reference_df, current_df, kinds_ref=None, kinds_cur=None) -> dict:
    """How the current table's shape differs from the reference table's.

    Returns ``{"added_columns": [...], "removed_columns": [...], "type_changes": [{"column",
    "reference", "current"}], "new_categories": {column: [values]}, "missing_rate_changes":
    [{"column", "reference", "current", "change"}]}``.  Types are judged as in
    :func:`infer_schema` (floats that are all whole numbers count as integers, so a gap in an
    integer column is not a type change; category and string are both text, a change between
    them only says how many distinct values there are).  New categories are listed (at most 100 per column)
    for columns that are categorical or boolean in the reference; missing rates are reported
    when they move by more than one percentage point.
    """
    for df in (reference_df, current_df):
        if not isinstance(df, pd.DataFrame):
            raise PreflightError("comparing schemas needs two tables (pandas DataFrames)")
    kinds_ref, kinds_cur = kinds_ref or {}, kinds_cur or {}
    ref_cols = {str(c): c for c in reference_df.columns}
    cur_cols = {str(c): c for c in current_df.columns}
    out = {"added_columns": [c for c in cur_cols if c not in ref_cols],
           "removed_columns": [c for c in ref_cols if c not in cur_cols],
           "type_changes": [], "new_categories": {}, "missing_rate_changes": []}
    shared = [c for c in ref_cols if c in cur_cols]
    numeric = [c for c in shared if kinds_ref.get(c) in (None, "numeric") and kinds_cur.get(c) in (None, "numeric")]
    fast = set(float_labels(reference_df, float_labels(current_df, numeric, cur_cols), ref_cols)) \
        if len(reference_df) and len(current_df) else set()
    ref_profile, cur_profile = _float_profile(reference_df, ref_cols, fast), _float_profile(current_df, cur_cols, fast)
    for name in shared:
        if name in fast:  # float64 in both tables: type and missing rate from the 2-D profiles
            (t_ref, rate_ref), (t_cur, rate_cur) = ref_profile[name], cur_profile[name]
            if t_ref != t_cur:
                out["type_changes"].append({"column": name, "reference": t_ref, "current": t_cur})
            if abs(rate_cur - rate_ref) > MISSING_CHANGE:
                out["missing_rate_changes"].append({"column": name, "reference": rate_ref, "current": rate_cur,
                                                    "change": rate_cur - rate_ref})
            continue
        ref, cur = reference_df[ref_cols[name]], current_df[cur_cols[name]]
        miss_ref, miss_cur = cv.missing_mask(ref), cv.missing_mask(cur)
        t_ref = column_type(ref, kinds_ref.get(name), whole_floats=True, missing=miss_ref)
        t_cur = column_type(cur, kinds_cur.get(name), whole_floats=True, missing=miss_cur)
        if t_ref != t_cur and {t_ref, t_cur} != {"category", "string"}:
            out["type_changes"].append({"column": name, "reference": t_ref, "current": t_cur})
        if t_ref in ("category", "boolean"):
            known = _text_keys(ref, miss_ref)
            new = [v for k, v in _text_keys(cur, miss_cur).items() if k not in known]
            if new:
                plain = [v.item() if isinstance(v, np.generic) else v for v in new]
                plain = [v if isinstance(v, (str, int, float, bool)) else str(v) for v in plain]
                out["new_categories"][name] = sorted(plain, key=lambda v: (type(v).__name__, v))[:MAX_NEW_CATEGORIES]
        rate_ref = float(miss_ref.mean()) if len(ref) else 0.0
        rate_cur = float(miss_cur.mean()) if len(cur) else 0.0
        if abs(rate_cur - rate_ref) > MISSING_CHANGE:
            out["missing_rate_changes"].append({"column": name, "reference": rate_ref, "current": rate_cur,
                                                "change": rate_cur - rate_ref})
    return out


def _float_profile(df, by_name: dict, names: set) -> dict:
    """{name: (schema type as :func:`column_type` judges it with whole_floats, missing rate)} for float64
    columns: "integer" when every value present is a finite whole number, else "numeric"."""
    ordered = [n for n in by_name if n in names]
    out = {}
    for part, arr in float_chunks(df, ordered, by_name):
        missing = np.isnan(arr)
        with np.errstate(invalid="ignore"):
            whole = (missing | (np.isfinite(arr) & (np.floor(arr) == arr))).all(axis=0) & ~missing.all(axis=0)
        rates = missing.mean(axis=0)
        for j, name in enumerate(part):
            out[name] = ("integer" if whole[j] else "numeric", float(rates[j]))
    return out

"""Schema inference and schema differences on DuckDB, from per-column SQL aggregates.

They give what :func:`core.validation.infer.infer_schema` and :func:`core.validation.infer.schema_diff`
give on the same tables (the columns have been coerced to their kinds as the table reader does, see
:func:`core.validation.ooc_sql.coerced`), without loading a table: each column is one aggregate
query, plus a ``DISTINCT`` query for category domains and new categories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.validation import ooc_sql as q
from core.validation.checks import UNIQUE_THRESHOLD
from core.validation.column_values import text_of
from core.validation.infer import MAX_NEW_CATEGORIES, MISSING_CHANGE, MISSING_SLACK, _KIND_TYPES, \
    _numeric_range
from core.validation.schema import ColumnSpec, DatasetSpec, Schema


@dataclass
class ColumnFacts:
    dtype: str
    kind: str | None
    rows: int
    missing: int
    present_whole: bool       # some value present, every present value a finite whole number
    lo: float | None          # smallest / largest finite value (numbers)
    hi: float | None
    infinite: int
    distinct: int             # distinct non-missing values


def column_facts(x, table: str, name: str, dtype: str, kind: str | None, rows: int) -> ColumnFacts:
    c = q.quote(name)
    fam = q.family(dtype)
    m = q.missing_expr(c, fam, dtype)
    if fam == "number":
        d = f"CAST({c} AS DOUBLE)"
        num = (f", bool_and(isfinite({d}) AND floor({d}) = {d}) FILTER (WHERE NOT {m}), "
               f"min({d}) FILTER (WHERE isfinite({d})), max({d}) FILTER (WHERE isfinite({d})), "
               f"count(*) FILTER (WHERE isinf({d}))")
    else:
        num = ", NULL, NULL, NULL, 0"
    missing, distinct, whole, lo, hi, inf = x.sql(
        f"SELECT count(*) FILTER (WHERE {m}), count(DISTINCT (CASE WHEN {m} THEN NULL ELSE {c} END)){num} "
        f"FROM {table}")[0]
    return ColumnFacts(dtype, kind, rows, int(missing), bool(whole) and missing < rows,
                       None if lo is None else float(lo), None if hi is None else float(hi), int(inf or 0),
                       int(distinct))


def schema_type(f: ColumnFacts, whole_floats: bool = False) -> str:
    """:func:`core.validation.infer.column_type` for a coerced column."""
    wanted = _KIND_TYPES.get(f.kind)
    fam = q.family(f.dtype)
    if wanted in ("category", "string"):
        return wanted
    if wanted == "boolean" and fam == "boolean" or wanted == "datetime" and fam == "time":
        return wanted
    if fam == "boolean":
        return "boolean"
    if fam == "time":
        return "datetime"
    if fam == "number":
        if f.dtype.upper() not in q.FLOAT_TYPES and not f.dtype.upper().startswith("DECIMAL"):
            return "integer"
        if whole_floats and f.present_whole and f.infinite == 0:
            return "integer"
        return "numeric"
    return "string"


def _plain(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v if isinstance(v, (str, bool, int, float)) else str(v)


def _sorted(values) -> list:
    return sorted(set(values), key=lambda v: (type(v).__name__, v))


def infer_schema_sql(x, table: str, view, *, range_tolerance: float = 0.1, max_categories: int = 100,
                     progress=None) -> tuple[Schema, dict]:
    """(the inferred schema, {column: ColumnFacts}) of the coerced table ``table``."""
    columns, facts = {}, {}
    types = {r[0]: str(r[1]).upper() for r in x.sql(f"DESCRIBE {table}")}
    for i, name in enumerate(view.columns):
        f = facts[name] = column_facts(x, table, name, types[name], view.kinds.get(name), view.rows)
        ctype = schema_type(f)
        spec: dict = {"type": ctype}
        rows = f.rows
        if rows:
            spec["max_missing_fraction"] = min(1.0, math.ceil((f.missing / rows + MISSING_SLACK) * 10000) / 10000)
        if ctype in ("numeric", "integer") and f.lo is not None:
            rng = _numeric_range(np.array([f.lo, f.hi]), ctype, float(range_tolerance))
            if rng is not None:
                spec["range"] = rng
                infinite = f.infinite / rows
                if infinite > 0.01:
                    spec["max_out_of_range_fraction"] = min(1.0, math.ceil((infinite + MISSING_SLACK) * 10000) / 10000)
        if ctype == "category" and 0 < f.distinct <= max_categories:
            c = q.quote(name)
            m = q.missing_expr(c, q.family(f.dtype), f.dtype)
            spec["allowed"] = _sorted(_plain(r[0]) for r in x.sql(f"SELECT DISTINCT {c} FROM {table} WHERE NOT {m}"))
        if ctype in ("integer", "string") and rows > 1:
            present = rows - f.missing
            if f.distinct == present and f.distinct / rows >= UNIQUE_THRESHOLD:
                spec["unique"] = True
        columns[name] = ColumnSpec.from_dict(name, spec, "inferred schema")
        x.check()
        if progress is not None:
            progress((i + 1) / max(1, len(view.columns)))
    return Schema(columns=columns, dataset=DatasetSpec()), facts


def _text_keys(x, table: str, name: str, f: ColumnFacts, exclude_sql: str | None = None) -> list:
    c = q.quote(name)
    fam = q.family(f.dtype)
    m = q.missing_expr(c, fam, f.dtype)
    where = f"NOT {m}" + (f" AND {q.text_expr(c, fam)} NOT IN ({exclude_sql})" if exclude_sql else "")
    return [r[0] for r in x.sql(f"SELECT DISTINCT {c} FROM {table} WHERE {where}")]


def schema_diff_sql(x, ref_table: str, ref_view, ref_facts: dict, cur_table: str, cur_view, cur_facts: dict) -> dict:
    """:func:`core.validation.infer.schema_diff` of two coerced tables."""
    ref_cols, cur_cols = list(ref_view.columns), list(cur_view.columns)
    out = {"added_columns": [c for c in cur_cols if c not in ref_facts],
           "removed_columns": [c for c in ref_cols if c not in cur_facts],
           "type_changes": [], "new_categories": {}, "missing_rate_changes": []}
    for name in (c for c in ref_cols if c in cur_facts):
        fr, fc = ref_facts[name], cur_facts[name]
        t_ref, t_cur = schema_type(fr, True), schema_type(fc, True)
        if t_ref != t_cur and {t_ref, t_cur} != {"category", "string"}:
            out["type_changes"].append({"column": name, "reference": t_ref, "current": t_cur})
        if t_ref in ("category", "boolean"):
            known = {text_of(_plain(v)) for v in _text_keys(x, ref_table, name, fr)}
            new = {}
            for v in _text_keys(x, cur_table, name, fc):
                k = text_of(_plain(v))
                if k not in known:
                    new[k] = v if isinstance(v, (str, int, float, bool)) else str(v)
            if new:
                out["new_categories"][name] = _sorted(new.values())[:MAX_NEW_CATEGORIES]
        rate_ref = fr.missing / fr.rows if fr.rows else 0.0
        rate_cur = fc.missing / fc.rows if fc.rows else 0.0
        if abs(rate_cur - rate_ref) > MISSING_CHANGE:
            out["missing_rate_changes"].append({"column": name, "reference": rate_ref, "current": rate_cur,
                                                "change": rate_cur - rate_ref})
    return out

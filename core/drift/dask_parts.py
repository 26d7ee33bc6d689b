"""The per-partition work of the Dask profile builder (:mod:`core.drift.dask_profile`), in plain pandas/numpy.

Apart from the two file checks (run by the client), these functions run on the Dask workers and import
no Dask themselves.  Each sees one partition of the table, or one value range of a column, and returns
something small or a numpy array that stays on the worker:

* :func:`one_schema` / :func:`dictionary_columns` - checks and facts read from the Parquet footers only;
* :func:`kind_stats` - the aggregates from which :func:`decide_kind` infers a column's kind by the rules of
  :mod:`core.data.kinds` (distinct counts capped where the rules stop caring, parse counts, whole-number
  flags);
* :func:`prepare` - every profiled column coerced exactly as the in-memory reader does
  (:func:`core.data.kinds.coerce_column`), then reduced to what the profile needs: the sorted finite values
  of a numeric column, the category counts of a categorical one, the counts of a text one;
* :func:`split_sorted` / :func:`merge_runs` - the range partitioning that turns the partitions' sorted
  values into value-disjoint, globally ordered ranges, from which every order statistic is exact;
numpy's linear quantile arithmetic on the fetched neighbours is :func:`core.drift.profile.quantile_plan` and
:func:`core.drift.profile.interpolate`, the same code the in-memory profile uses.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import kinds as K
from core.drift.profile import CATEGORY_KINDS, NUMERIC_KINDS, CategoricalRef, bin_counts, category_counts, \
    numeric_array, summary_entry
from core.errors import InputFileError, PreflightError

SAMPLE_PER_PART = 256
NUMERIC_CAP = K.MAX_INT_CATEGORIES + 1
LABEL_CAP = K.MAX_CATEGORIES + 1


# ---------------------------------------------------------------- the files

def one_schema(files: list[Path]) -> None:
    """Every Parquet file of the table must have the same columns and types (else: which file, which column)."""
    import pyarrow.parquet as pq

    first = first_file = None
    for f in files:
        try:
            schema = pq.read_schema(f)
        except Exception as exc:  # noqa: BLE001 - a damaged file: say which
            raise InputFileError(f, f"is not a readable Parquet file ({exc})") from None
        types = {n: str(schema.field(n).type) for n in schema.names}
        if first is None:
            first, first_file = types, f
            continue
        for col in sorted(set(types) | set(first)):
            if types.get(col) != first.get(col):
                raise InputFileError(f, f"column {col!r} is {types.get(col, 'absent')} here but "
                                        f"{first.get(col, 'absent')} in {first_file.name}: the files of a table "
                                        "need one schema")


def dictionary_columns(files: list[Path]) -> set:
    """Text columns the reader would load as categoricals (stored in at most 3 bytes per value)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.data.readers import DICTIONARY_BYTES_PER_VALUE

    rows, sizes, strings = 0, {}, None
    for f in files:
        meta = pq.ParquetFile(f).metadata
        rows += meta.num_rows
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                chunk = group.column(c)
                sizes[chunk.path_in_schema] = sizes.get(chunk.path_in_schema, 0) + chunk.total_uncompressed_size
        if strings is None:
            schema = pq.read_schema(f)
            strings = [fl.name for fl in schema if pa.types.is_string(fl.type) or pa.types.is_large_string(fl.type)]
    rows = max(rows, 1)
    return {n for n in strings or [] if sizes.get(n, rows * 100) / rows <= DICTIONARY_BYTES_PER_VALUE}


# ---------------------------------------------------------------- kind inference from aggregates

def raw_class(dtype) -> str:
    """How the kind rules see a column's storage type: bool, datetime, number, string, or labels (a
    pandas category of non-text labels); a category of text labels counts as string."""
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories.dtype
        return "string" if pd.api.types.is_string_dtype(cats) or cats == object else "labels"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    return "string"


def _number_stats(vals: np.ndarray) -> dict:
    finite = vals[np.isfinite(vals)]
    distinct = np.unique(finite)
    return {"parsed": int(np.count_nonzero(~np.isnan(vals))), "finite": int(finite.size),
            "whole": bool(np.all(finite == np.floor(finite))),
            "distinct": distinct if distinct.size <= NUMERIC_CAP else None}


def kind_stats(df: pd.DataFrame, columns: list) -> dict:
    """Per column of one partition: the counts the kind rules need (small, capped)."""
    out = {}
    for name in columns:
        s = df[name]
        cls = raw_class(s.dtype)
        if cls in ("bool", "datetime", "labels"):
            continue
        if cls == "number":
            out[name] = _number_stats(K._numbers(s))
            continue
        st = K._as_strings(s)
        values = st.dropna()
        vc = values.value_counts(sort=False)
        stats = _number_stats(K._numbers(pd.to_numeric(values.str.strip(), errors="coerce")))
        stats.update(n=int(values.size), labels=vc if len(vc) <= LABEL_CAP else None,
                     dates=int(K._parse_dates(values).notna().sum()))
        out[name] = stats
    return out


def _union(parts: list, key: str):
    if any(p[key] is None for p in parts):
        return None
    return np.unique(np.concatenate([np.asarray(p[key]) for p in parts])) if parts else np.array([])


def merge_kind_stats(parts: list[dict]) -> dict:
    """The per-partition stats of one column added up (distinct sets united, None once over their cap)."""
    out = {"parsed": sum(p["parsed"] for p in parts), "finite": sum(p["finite"] for p in parts),
           "whole": all(p["whole"] for p in parts)}
    distinct = _union(parts, "distinct")
    out["distinct"] = distinct if distinct is not None and distinct.size <= NUMERIC_CAP else None
    if "n" in parts[0]:
        out["n"] = sum(p["n"] for p in parts)
        out["dates"] = sum(p["dates"] for p in parts)
        labels = None
        if all(p["labels"] is not None for p in parts):
            labels = pd.concat([p["labels"] for p in parts]).groupby(level=0, sort=False).sum()
            labels = labels if len(labels) <= LABEL_CAP else None
        out["labels"] = labels
    return out


def decide_kind(name: str, cls: str, stats: dict | None, dictionary: bool = False) -> str:
    """The kind :func:`core.data.kinds.infer_column_kind` gives, from the column's merged stats.

    Returns ``"numeric?"`` for an identifier-like whole-number column with more than 10 distinct values:
    it is text when all its values are distinct (known once its values are sorted), numeric otherwise.
    The reader's 2,000-row sample pre-checks (a share of 80 %) are skipped: they only shortcut the full
    95 % tests that follow, so the outcome is the same unless a random sample is freakishly unrepresentative.
    """
    if cls == "bool":
        return "boolean"
    if cls == "datetime":
        return "datetime"
    if cls == "labels":
        return "categorical"
    if cls == "number":
        return _whole_kind(name, stats) if stats["finite"] and stats["whole"] else "numeric"
    n = stats["n"]
    labels = stats["labels"]
    if dictionary:  # read as a pandas category by the reader: the rules run on its distinct labels
        if labels is None or len(labels) > K.MAX_CATEGORIES or \
                (n >= K.MIN_ROWS_FOR_SHARE and len(labels) > n / 2):
            return "text"
        by_labels = K._infer_strings(name, pd.Series(np.asarray(labels.index, dtype=object), dtype=K.STR))
        return by_labels if by_labels in ("boolean", "numeric", "datetime") else "categorical"
    if n == 0:
        return "numeric"
    if labels is not None and len(labels) <= 4 and \
            {str(k).strip().lower() for k in labels.index} <= K.TRUE_WORDS | K.FALSE_WORDS:
        return "boolean"
    if stats["parsed"] >= K.MOSTLY * n:
        return _whole_kind(name, stats) if stats["finite"] and stats["whole"] else "numeric"
    if stats["dates"] >= K.MOSTLY * n:
        return "datetime"
    if labels is None or len(labels) > K.MAX_CATEGORIES or (n >= K.MIN_ROWS_FOR_SHARE and len(labels) > n / 2):
        return "text"
    return "categorical"


def _whole_kind(name: str, stats: dict) -> str:
    distinct = stats["distinct"]
    if distinct is not None and distinct.size <= K.MAX_INT_CATEGORIES:
        return "categorical"
    if K._looks_like_id(name) and stats["finite"] >= K.MIN_ROWS_FOR_SHARE:
        return "numeric?"
    return "numeric"


# ---------------------------------------------------------------- coercion and per-partition summaries

def _all_missing(s: pd.Series, kind: str) -> pd.Series:
    dtype = {"numeric": "float64", "datetime": "datetime64[ns]", "boolean": "boolean"}.get(kind, "float64")
    return pd.Series(pd.array([None] * len(s), dtype=dtype), index=s.index, name=s.name)


def coerce(name, s: pd.Series, kind: str) -> tuple[pd.Series, bool]:
    """``s`` converted to ``kind`` as the reader converts it, and whether none of its values fit.  Such a
    partition is all missing here; the reader's error needs every partition to say so (checked after)."""
    try:
        return K.coerce_column(name, s, kind, []), False
    except PreflightError as exc:
        if "none of its values fit" not in str(exc):
            raise
        return _all_missing(s, kind), True


def prepare(df: pd.DataFrame, kinds: dict) -> dict:
    """Per profiled column of one partition: what the profile needs, coerced like the reader does."""
    out = {}
    for name, kind in kinds.items():
        raw = df[name]
        base = "numeric" if kind == "numeric?" else kind
        s, none_fit = coerce(name, raw, base)
        entry = {"rows": int(len(raw)), "raw": int(raw.notna().sum()), "none_fit": none_fit}
        if base in NUMERIC_KINDS:
            arr = numeric_array(s, base, str(name), "reference")
            nan = np.isnan(arr)
            finite = np.isfinite(arr)
            entry.update(values=np.sort(arr[finite]), missing=int(np.count_nonzero(nan)),
                         infinite=int(np.count_nonzero(~finite & ~nan)))
        elif base in CATEGORY_KINDS:
            counts, missing = category_counts(s)
            entry.update(counts=counts, missing=missing)
        else:
            entry.update(count=int(s.notna().sum()), missing=int(s.isna().sum()))
        out[name] = entry
    return out


def pick(prepared: dict, name: str, key: str | None = None):
    """One column's entry (or one field of it) of a prepared partition."""
    entry = prepared[name]
    return entry if key is None else entry[key]


def light(prepared: dict) -> dict:
    """A prepared partition without its value arrays and category counts (what the client fetches)."""
    return {name: {k: v for k, v in e.items() if k not in ("values", "counts")} for name, e in prepared.items()}


def category_entry(kind: str, *parts: dict) -> dict:
    """The profile entry of a categorical/boolean column from its partitions' counts."""
    counts: dict[str, int] = {}
    for p in parts:
        for label, n in p["counts"].items():
            counts[label] = counts.get(label, 0) + n
    missing = sum(p["missing"] for p in parts)
    return summary_entry(kind, CategoricalRef(sum(counts.values()), missing, counts))


# ---------------------------------------------------------------- numeric columns: ranges and order statistics

def run_info(values: np.ndarray) -> dict:
    """Length and an evenly spaced sample of one partition's sorted values (for choosing range splitters)."""
    m = values.size
    idx = np.unique(np.linspace(0, m - 1, min(m, SAMPLE_PER_PART)).astype(np.int64)) if m else \
        np.array([], dtype=np.int64)
    return {"n": int(m), "sample": values[idx]}


def splitters(infos: list[dict], ranges: int) -> np.ndarray:
    """At most ``ranges - 1`` distinct values cutting the pooled values into ranges of similar size."""
    samples = [(i["sample"], i["n"] / max(i["sample"].size, 1)) for i in infos if i["n"]]
    if ranges <= 1 or not samples:
        return np.array([], dtype=float)
    values = np.concatenate([s for s, _ in samples])
    weights = np.concatenate([np.full(s.size, w) for s, w in samples])
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    targets = cum[-1] * np.arange(1, ranges) / ranges
    cuts = values[np.minimum(np.searchsorted(cum, targets, side="left"), values.size - 1)]
    return np.unique(cuts[cuts > values[0]])


def split_sorted(values: np.ndarray, cuts: np.ndarray) -> list[np.ndarray]:
    """Sorted ``values`` cut at ``cuts``: piece j holds the values in [cuts[j-1], cuts[j])."""
    bounds = np.concatenate(([0], np.searchsorted(values, cuts, side="left"), [values.size]))
    return [values[bounds[j]:bounds[j + 1]] for j in range(bounds.size - 1)]


def piece(pieces: list, j: int) -> np.ndarray:
    return pieces[j]


def merge_runs(*runs: np.ndarray) -> np.ndarray:
    """One value range: the sorted union of the partitions' pieces of it."""
    runs = [r for r in runs if r.size]
    if not runs:
        return np.array([], dtype=float)
    return np.sort(np.concatenate(runs), kind="stable")


def range_info(values: np.ndarray, edges: np.ndarray | None) -> dict:
    """Count, distinct count, moments, ends and (with ``edges``) bin counts of one value range."""
    n = int(values.size)
    out = {"n": n, "unique": 0, "sum": 0.0, "mean": 0.0, "m2": 0.0, "min": None, "max": None, "bins": None}
    if n:
        mean = float(np.mean(values))
        dev = values - mean
        out.update(unique=int(np.count_nonzero(values[1:] != values[:-1]) + 1), sum=float(np.sum(values)),
                   mean=mean, m2=float(np.dot(dev, dev)), min=float(values[0]), max=float(values[-1]))
    if edges is not None:
        out["bins"] = bin_counts(values, edges)
    return out


def take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return values[idx]


def combine_moments(infos: list[dict]) -> tuple[float, float, float]:
    """Sum, mean and m2 of the union of value ranges (Chan's parallel formula)."""
    from core.drift.profile_merge import chan_combine

    n, mean, m2 = 0, 0.0, 0.0
    for i in infos:
        if i["n"]:
            n, mean, m2 = chan_combine(n, mean, m2, i["n"], i["mean"], i["m2"])
    return math.fsum(i["sum"] for i in infos), mean, m2

"""Reference profile: everything drift needs to know about a reference table, as plain JSON.

A profile lets Preflight compare new production data against a reference
without keeping the reference table.  Per column it stores:

* numeric and datetime columns (datetimes as epoch seconds, UTC): non-missing
  ``count``, ``missing``, the nine reference ``deciles`` (``np.quantile`` with
  numpy defaults) and the ten ``bin_counts`` on them, ``mean``, ``std``
  (ddof=0), ``min``, ``max``, the number of ``unique`` values, and a
  ``sketch`` of the distribution: all sorted values when there are at most
  5,000 of them (``"values"``), otherwise a quantile sketch (``"quantiles"``:
  ``probs`` and ``values``) with quantiles at 0, 0.001, ..., 1, the 200
  smallest and 200 largest values exactly, and 100 log-spaced quantiles in
  each tail between them (about 1,600 numbers), so heavy tails survive;
* categorical and boolean columns: ``count``, ``missing`` and the count of
  every category (labels as strings).  Above 10,000 categories only the most
  frequent 10,000 are kept and the rest is summed into ``other_count``;
* text columns: ``count`` and ``missing`` only (drift skips them).

Because the decile edges and category sets are stored exactly, PSI,
Jensen-Shannon and chi-square computed from a profile equal the ones computed
from the raw reference.  KS and Wasserstein need the whole distribution: with
a ``"quantiles"`` sketch the reference is rebuilt by interpolating the
quantile function at one plotting position per reference value (at most
5,000,000), so those two are close approximations (typically within 1%) and
drift says so.

The portable, versioned file form of a profile (header, provenance, exact moments for merging, the
content SHA-256) is :mod:`core.drift.profile_file`; merging profiles of partitions is
:mod:`core.drift.profile_merge`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import PreflightError, check_cancel

DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
KINDS = ("numeric", "categorical", "boolean", "datetime", "text")
NUMERIC_KINDS = ("numeric", "datetime")
CATEGORY_KINDS = ("categorical", "boolean")
SKETCH_VALUES_MAX = 5_000
SKETCH_GRID = 1_001
SKETCH_TAIL_VALUES = 200
SKETCH_TAIL_QUANTILES = 100
PSEUDO_SAMPLE_MAX = 5_000_000
MAX_PROFILE_CATEGORIES = 10_000
PROFILE_VERSION = 1


# ---------------------------------------------------------------- reading columns

def numeric_values(series: pd.Series, kind: str, column: str, table: str) -> tuple[np.ndarray, int, int]:
    """Sorted finite values, missing count and count of infinite values of one column.

    Infinite values are left out of the statistics and counted separately (the
    caller warns).
    """
    arr = numeric_array(series, kind, column, table)
    nan = np.isnan(arr)
    finite = np.isfinite(arr)
    infinite = int(np.count_nonzero(~finite & ~nan))
    values = arr[finite] if not finite.all() else arr
    return np.sort(values), int(np.count_nonzero(nan)), infinite


def numeric_array(series: pd.Series, kind: str, column: str, table: str) -> np.ndarray:
    """Float values of a numeric or datetime (epoch seconds, UTC) column; missing -> NaN.

    A value that is not a number (or not a date for a datetime column) raises
    :class:`PreflightError` naming the column, table and data row.
    """
    if kind == "datetime":
        arr = _epoch_seconds(series, column, table)
    elif pd.api.types.is_bool_dtype(series.dtype):
        arr = series.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(series.dtype):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        coerced = pd.to_numeric(series, errors="coerce")
        _reject_unparsed(series, coerced, column, table, "a number")
        arr = coerced.to_numpy(dtype=float, na_value=np.nan)
    return arr


def _epoch_seconds(series: pd.Series, column: str, table: str) -> np.ndarray:
    s = series
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        try:
            with warnings.catch_warnings():  # pandas warns when it cannot infer one format
                warnings.simplefilter("ignore", UserWarning)
                s = pd.to_datetime(series, errors="coerce")
                if (s.isna() & series.notna()).any():
                    s = pd.to_datetime(series, errors="coerce", format="mixed")
        except (ValueError, TypeError) as exc:
            raise PreflightError(f"column '{column}' in the {table} table is marked datetime but its "
                                 f"values cannot be read as dates ({exc})") from None
        _reject_unparsed(series, s, column, table, "a date")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    seconds = (s - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
    return seconds.to_numpy(dtype=float, na_value=np.nan)


def _reject_unparsed(original: pd.Series, parsed: pd.Series, column: str, table: str, what: str):
    bad = np.flatnonzero((parsed.isna() & original.notna()).to_numpy())
    if bad.size:
        first = bad[0]
        raise PreflightError(
            f"column '{column}' in the {table} table should hold {what} in every row, but data row "
            f"{first + 1} holds {original.iloc[first]!r} ({bad.size} such value(s) in total)")


def category_counts(series: pd.Series) -> tuple[dict[str, int], int]:
    """Count of each category (label as string; values with the same label merge) and missing count."""
    missing = int(series.isna().sum())
    vc = series.value_counts(dropna=True, sort=False)
    vc = vc[vc.to_numpy() > 0]
    counts: dict[str, int] = {}
    for label, n in zip(vc.index.tolist(), vc.to_numpy().tolist()):
        key = _label(label)
        counts[key] = counts.get(key, 0) + int(n)
    return counts, missing


def _label(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- column summaries

@dataclass
class NumericRef:
    """Reference side of a numeric (or datetime) column, ready for comparison."""

    count: int
    missing: int
    edges: np.ndarray | None
    bin_counts: np.ndarray | None
    mean: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    unique: int
    sample: np.ndarray  # sorted: all values, or rebuilt from the quantile sketch
    exact: bool = True
    infinite: int = 0
    sketch: dict | None = None


@dataclass
class CategoricalRef:
    count: int
    missing: int
    counts: dict[str, int] = field(default_factory=dict)
    other_count: int = 0  # categories beyond MAX_PROFILE_CATEGORIES, summed (profiles only)
    truncated: bool = False


def summarise_numeric(sorted_values: np.ndarray, missing: int, infinite: int = 0) -> NumericRef:
    a = sorted_values
    n = int(a.size)
    if n == 0:
        return NumericRef(0, missing, None, None, None, None, None, None, 0, a, True, infinite)
    edges = decile_edges(a)
    unique = int(np.count_nonzero(a[1:] != a[:-1]) + 1)
    return NumericRef(n, missing, edges, bin_counts(a, edges), float(np.mean(a)), float(np.std(a)),
                      float(a[0]), float(a[-1]), unique, a, True, infinite)


def summarise_column(series: pd.Series, kind: str, column: str, table: str = "reference"):
    """NumericRef / CategoricalRef (or None for text) of one raw column."""
    if kind in NUMERIC_KINDS:
        values, missing, infinite = numeric_values(series, kind, column, table)
        return summarise_numeric(values, missing, infinite)
    if kind in CATEGORY_KINDS:
        counts, missing = category_counts(series)
        return CategoricalRef(sum(counts.values()), missing, counts)
    return None


def _numeric_to_dict(ref: NumericRef) -> dict:
    out = {"count": ref.count, "missing": ref.missing, "infinite": ref.infinite,
           "mean": ref.mean, "std": ref.std, "min": ref.minimum, "max": ref.maximum,
           "unique": ref.unique, "deciles": None, "bin_counts": None, "sketch": None}
    if ref.count:
        out["deciles"] = [float(v) for v in ref.edges]
        out["bin_counts"] = [int(v) for v in ref.bin_counts]
        if ref.count <= SKETCH_VALUES_MAX:
            out["sketch"] = {"type": "values", "values": ref.sample.tolist()}
        else:
            probs = sketch_probs(ref.count)
            out["sketch"] = {"type": "quantiles", "probs": probs.tolist(),
                             "values": sorted_quantiles(ref.sample, probs).tolist()}
    return out


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in the len(edges)+1 bins ``(-inf, e0), [e0, e1), ..., [e_last, inf)``.

    Equal to ``np.bincount(np.searchsorted(edges, x, side="right"))`` but reads
    a sorted array: a value equal to an edge lands in the upper bin, values
    outside the edges land in the outer bins, and a bin between two equal
    (duplicate) edges is simply empty.
    """
    cuts = np.searchsorted(sorted_values, np.asarray(edges, dtype=float), side="left")
    return np.diff(np.concatenate(([0], cuts, [sorted_values.size]))).astype(np.int64)


def decile_edges(sorted_values: np.ndarray) -> np.ndarray:
    """The nine PSI bin edges of a column: ``np.quantile(values, DECILES)``, numpy's default linear method.

    This is the contract, bit for bit: a value that sits exactly on an edge must land in the same bin
    here as in any script that calls ``np.quantile``, so the edges come from numpy itself (on the
    already sorted array, which numpy partitions in linear time), never from a re-implementation.
    """
    return np.quantile(sorted_values, DECILES)


def sorted_quantiles(sorted_values: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``np.quantile(a, probs)`` (linear method), bit for bit, for an already sorted ``a``.

    Used for the ~1,600 quantiles of the profile's sketch, where ``np.quantile`` would re-partition a
    million values around every requested index.  It follows numpy's own arithmetic: the virtual index
    ``(n - 1) * p``, and the interpolation ``a + (b - a) * t`` below ``t = 0.5`` but
    ``b - (b - a) * (1 - t)`` from 0.5 up; ``tests/test_drift_properties.py`` pins it to ``np.quantile``.
    """
    a = np.asarray(sorted_values)
    lo, hi, gamma = quantile_plan(a.size, probs)
    return interpolate(a[lo], a[hi], gamma)


def quantile_plan(n: int, probs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy's linear-method neighbours of ``np.quantile`` on ``n`` sorted values: lower and upper index and
    the weight ``gamma`` per probability (the virtual index ``(n - 1) * p``)."""
    pos = (n - 1) * np.asarray(probs, dtype=float)
    lo = np.floor(pos)
    gamma = pos - lo
    lo = np.clip(lo, 0, n - 1).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    at_end = pos >= n - 1
    lo[at_end] = hi[at_end] = n - 1
    return lo, hi, gamma


def interpolate(a_lo: np.ndarray, a_hi: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """numpy's linear interpolation between neighbours: ``a + (b - a) * t`` below ``t = 0.5``,
    ``b - (b - a) * (1 - t)`` from 0.5 up."""
    a_lo, a_hi = np.asarray(a_lo, dtype=float), np.asarray(a_hi, dtype=float)
    diff = a_hi - a_lo
    out = a_lo + diff * gamma
    upper = gamma >= 0.5
    out[upper] = a_hi[upper] - diff[upper] * (1 - gamma[upper])
    return out


def sketch_probs(n: int) -> np.ndarray:
    """Probabilities of the quantile sketch of ``n`` sorted values (see the module docstring)."""
    k = min(SKETCH_TAIL_VALUES, n)
    exact = np.concatenate([np.arange(k), np.arange(n - k, n)]) / (n - 1)
    probs = np.union1d(np.linspace(0.0, 1.0, SKETCH_GRID), exact)
    inner = k / (n - 1)
    if inner < 1.0 / (SKETCH_GRID - 1):
        tail = np.geomspace(inner, 1.0 / (SKETCH_GRID - 1), SKETCH_TAIL_QUANTILES)
        probs = np.union1d(probs, np.concatenate([tail, 1.0 - tail]))
    return probs


def numeric_from_dict(d: dict) -> NumericRef:
    count = int(d["count"])
    sketch = d.get("sketch") or {"type": "values", "values": []}
    values = np.asarray(sketch["values"], dtype=float)
    exact = sketch["type"] == "values"
    if exact:
        sample = np.sort(values)
    else:
        probs = np.asarray(sketch["probs"], dtype=float) if "probs" in sketch else \
            np.linspace(0.0, 1.0, values.size)  # evenly spaced quantiles (older profiles)
        sample = np.interp(np.linspace(0.0, 1.0, min(count, PSEUDO_SAMPLE_MAX)), probs, values)
    edges = None if d.get("deciles") is None else np.asarray(d["deciles"], dtype=float)
    bins = None if d.get("bin_counts") is None else np.asarray(d["bin_counts"], dtype=np.int64)
    return NumericRef(count, int(d["missing"]), edges, bins, d.get("mean"), d.get("std"),
                      d.get("min"), d.get("max"), int(d.get("unique", 0)), sample, exact,
                      int(d.get("infinite", 0)), sketch)


# ---------------------------------------------------------------- the profile

@dataclass(frozen=True)
class ReferenceProfile:
    """Per-column reference summaries (plain JSON-able dicts) and the table's row count."""

    columns: dict
    rows: int

    def to_dict(self) -> dict:
        return {"version": PROFILE_VERSION, "rows": int(self.rows),
                "columns": json.loads(json.dumps(self.columns))}

    @classmethod
    def from_dict(cls, d: dict) -> "ReferenceProfile":
        try:
            version = int(d.get("version", PROFILE_VERSION))
            if version > PROFILE_VERSION:
                raise PreflightError(f"the reference profile was written by a newer Preflight "
                                     f"(format {version}); please update Preflight")
            columns = dict(d["columns"])
            for name, col in columns.items():
                if col.get("kind") not in KINDS:
                    raise PreflightError(f"reference profile: column '{name}' has an unknown kind "
                                         f"{col.get('kind')!r}")
                int(col["count"]), int(col["missing"])
            return cls(columns=columns, rows=int(d["rows"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PreflightError(f"the reference profile is damaged or incomplete ({exc!r})") from None

    def kinds(self) -> dict[str, str]:
        return {name: col["kind"] for name, col in self.columns.items()}

    def reference_column(self, name: str):
        """NumericRef / CategoricalRef (None for text) rebuilt from the stored summary."""
        col = self.columns[name]
        if col["kind"] in NUMERIC_KINDS:
            return numeric_from_dict(col)
        if col["kind"] in CATEGORY_KINDS:
            counts = {str(k): int(v) for k, v in col["categories"].items()}
            return CategoricalRef(int(col["count"]), int(col["missing"]), counts,
                                  int(col.get("other_count", 0)), bool(col.get("truncated", False)))
        return None


def check_kinds(kinds: dict) -> None:
    for name, kind in kinds.items():
        if kind not in KINDS:
            raise PreflightError(f"column '{name}': unknown kind {kind!r}; expected one of "
                                 f"{', '.join(KINDS)}")


def summary_entry(kind: str, summary) -> dict:
    """The stored form of one column's NumericRef / CategoricalRef."""
    if kind in NUMERIC_KINDS:
        return _numeric_to_dict(summary)
    counts = summary.counts
    entry = {"count": sum(counts.values()), "missing": summary.missing}
    if len(counts) > MAX_PROFILE_CATEGORIES:
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_PROFILE_CATEGORIES]
        kept = dict(top)
        entry.update(categories=kept, truncated=True, other_count=sum(counts.values()) - sum(kept.values()))
    else:
        entry.update(categories=counts, truncated=False, other_count=0)
    return entry


def profile_from_summaries(summaries: dict, kinds: dict[str, str], rows: int) -> ReferenceProfile:
    """A profile from the reference summaries a drift run already computed (no second pass over the data)."""
    columns = {name: {"kind": kinds[name], **summary_entry(kinds[name], ref)}
               for name, ref in summaries.items() if ref is not None}
    return ReferenceProfile(columns=columns, rows=int(rows))


def build_profile(df: pd.DataFrame, kinds: dict[str, str], *, progress=None,
                  cancelled=None) -> ReferenceProfile:
    """Summarise every column named in ``kinds`` (all must be present in ``df``)."""
    check_kinds(kinds)
    missing_cols = [c for c in kinds if c not in df.columns]
    if missing_cols:
        raise PreflightError(f"the reference table has no column(s) {', '.join(map(repr, missing_cols))}")
    columns: dict[str, dict] = {}
    total = max(len(kinds), 1)
    for i, (name, kind) in enumerate(kinds.items()):
        check_cancel(cancelled)
        series = df[name]
        if kind in NUMERIC_KINDS or kind in CATEGORY_KINDS:
            entry = summary_entry(kind, summarise_column(series, kind, name))
        else:
            entry = {"count": int(series.notna().sum()), "missing": int(series.isna().sum())}
        columns[name] = {"kind": kind, **entry}
        if progress is not None:
            progress((i + 1) / total)
    return ReferenceProfile(columns=columns, rows=int(len(df)))

"""Summary statistics of one compared column in each table, shown next to its drift chart.

Every analysed column of a drift result carries ``summary = {"reference": {...}, "current": {...}}``:

* numeric and datetime columns (datetimes in epoch seconds, UTC): ``count`` (finite, non-missing
  values), ``missing``, ``mean``, ``std`` (ddof=0, like the rest of drift), ``min``, ``p5``, ``p25``,
  ``p50``, ``p75``, ``p95`` (``np.quantile``, linear method) and ``max``;
* categorical and boolean columns: ``count``, ``missing``, ``distinct`` (number of categories),
  ``top`` (the most frequent label; ties go to the label that sorts first) and ``top_share``
  (its count / ``count``).

A statistic that is not known is ``None``: every one of an empty column, and ``distinct`` of a reference
profile that kept only its most frequent categories.  With a reference profile that stores a quantile
sketch instead of every value, the reference percentiles are read off the sketch and the summary says
``"approximate": true``.
"""

from __future__ import annotations

import numpy as np

from core.drift.profile import CategoricalRef, NumericRef, sorted_quantiles

PERCENTILES = (("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95))


def _empty_numeric(count: int, missing: int) -> dict:
    out = {"count": count, "missing": missing, "mean": None, "std": None, "min": None}
    out.update({key: None for key, _ in PERCENTILES})
    out["max"] = None
    return out


def numeric_summary(sorted_values: np.ndarray, missing: int, *, mean: float | None = None,
                    std: float | None = None) -> dict:
    """Summary of a column from all its finite values, sorted (``mean``/``std`` when already known)."""
    a = sorted_values
    out = _empty_numeric(int(a.size), int(missing))
    if a.size == 0:
        return out
    q = sorted_quantiles(a, np.array([p for _, p in PERCENTILES]))
    out.update(mean=float(np.mean(a)) if mean is None else float(mean),
               std=float(np.std(a)) if std is None else float(std), min=float(a[0]), max=float(a[-1]))
    out.update({key: float(v) for (key, _), v in zip(PERCENTILES, q)})
    return out


def reference_numeric_summary(ref: NumericRef) -> dict:
    """Summary of the reference side: exact from its values, or read off a profile's quantile sketch."""
    if ref.count == 0:
        return _empty_numeric(0, ref.missing)
    if ref.exact:
        return numeric_summary(ref.sample, ref.missing, mean=ref.mean, std=ref.std)
    sketch = ref.sketch or {}
    values = np.asarray(sketch.get("values") or [], dtype=float)
    probs = np.asarray(sketch["probs"], dtype=float) if "probs" in sketch else np.linspace(0, 1, values.size)
    out = _empty_numeric(ref.count, ref.missing)
    out.update(mean=ref.mean, std=ref.std, min=ref.minimum, max=ref.maximum, approximate=True)
    if values.size:
        q = np.interp([p for _, p in PERCENTILES], probs, values)
        out.update({key: float(v) for (key, _), v in zip(PERCENTILES, q)})
    return out


def categorical_summary(counts: dict, missing: int, *, count: int | None = None,
                        truncated: bool = False) -> dict:
    """Summary of a column from its category counts (``count`` when some categories were summed away)."""
    total = sum(counts.values()) if count is None else int(count)
    out = {"count": total, "missing": int(missing), "distinct": None if truncated else len(counts),
           "top": None, "top_share": None}
    if counts and total:
        label, n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out.update(top=label, top_share=n / total)
    return out


def reference_categorical_summary(ref: CategoricalRef) -> dict:
    return categorical_summary(ref.counts, ref.missing, count=ref.count, truncated=ref.truncated)

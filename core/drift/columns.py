"""Per-column drift statistics: one reference column summary against one current column.

:func:`analyse_column` runs in a worker thread of :func:`core.drift.compute.compute_drift`.
It returns a plain dict with every statistic of the column (see
:mod:`core.drift.compute` for the definitions), chart data for the GUI, the counts and
missing shares, and human-readable ``notes`` for the warnings list.  It makes
no verdict.

Charts: numeric columns get ``histogram`` (30 equal-width bins over the pooled
0.5-99.5 percentile range, values outside left out; with a sketched reference
the reference counts are scaled to its real size) and ``psi_bins`` (the nine
decile edges and the ten reference/current shares, before the 1e-4
replacement); categorical columns get ``categories`` (the 30 most frequent
labels by reference + current count, with both counts).
"""

from __future__ import annotations

import numpy as np

from core.drift import stattests
from core.errors import check_cancel
from core.drift.profile import NUMERIC_KINDS, CategoricalRef, category_counts, numeric_values

AUTO_SMALL_N = 1_000
AUTO_MIN_UNIQUE = 5
HIST_BINS = 30
TOP_CATEGORIES = 30
MAX_NEW_CATEGORIES = 50
OTHER = "(other)"


def _share(part: int, total: int) -> float | None:
    return part / total if total else None


def _numeric_stats(name, kind, ref, cur_series, cancelled) -> dict:
    b, missing, infinite = numeric_values(cur_series, kind, name, "current")
    out = {"reference_count": ref.count, "current_count": int(b.size), "notes": [],
           "missing_share_reference": _share(ref.missing, ref.count + ref.missing + ref.infinite),
           "missing_share_current": _share(missing, len(cur_series)), "unique": ref.unique,
           "approximate": not ref.exact}
    for table, n in (("reference", ref.infinite), ("current", infinite)):
        if n:
            out["notes"].append(f"column '{name}': {n} infinite value(s) in the {table} table were left out")
    if ref.count == 0 or b.size == 0:
        return out
    check_cancel(cancelled)
    cur_bins = stattests.bin_counts(b, ref.edges)
    d, p, w_raw, merged = stattests.ks_wasserstein(ref.sample, b, n1=ref.count)
    constant = ref.unique <= 1 or not ref.std > 0
    if constant:
        out["notes"].append(f"column '{name}': the reference standard deviation is 0 (constant "
                            "column), so Wasserstein / std is undefined")
    out.update(
        psi=stattests.psi(ref.bin_counts, cur_bins),
        jensen_shannon=stattests.jensen_shannon(ref.bin_counts, cur_bins),
        ks_statistic=d, ks_p_value=p, wasserstein=None if constant else w_raw / ref.std,
        reference_mean=ref.mean, reference_std=ref.std,
        current_mean=float(np.mean(b)), current_std=float(np.std(b)),
        psi_bins={"edges": ref.edges.tolist(), "reference": stattests.shares(ref.bin_counts).tolist(),
                  "current": stattests.shares(cur_bins).tolist()},
        histogram=_histogram(ref, b, merged))
    if ref.count <= AUTO_SMALL_N and ref.unique <= AUTO_MIN_UNIQUE:
        values = np.union1d(ref.sample, b)
        rc = stattests.bin_counts(ref.sample, values)[1:]
        cc = stattests.bin_counts(b, values)[1:]
        out["chi2_statistic"], out["chi2_p_value"] = stattests.chi2(rc, cc)
    return out


def _histogram(ref, b, merged) -> dict:
    lo, hi = (float(v) for v in np.quantile(merged, [0.005, 0.995]))
    if not hi > lo:
        lo, hi = float(merged[0]), float(merged[-1])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, HIST_BINS + 1)
    ref_counts = stattests.sorted_histogram(ref.sample, edges)
    if ref.sample.size != ref.count:  # reference rebuilt from a sketch: scale to its real size
        ref_counts = np.rint(ref_counts * (ref.count / ref.sample.size)).astype(np.int64)
    return {"edges": edges.tolist(), "reference": ref_counts.tolist(),
            "current": stattests.sorted_histogram(b, edges).tolist()}


def _categorical_stats(name, ref: CategoricalRef, cur_series) -> dict:
    cur, missing = category_counts(cur_series)
    out = {"reference_count": ref.count, "current_count": sum(cur.values()), "notes": [],
           "missing_share_reference": _share(ref.missing, ref.count + ref.missing),
           "missing_share_current": _share(missing, len(cur_series)), "approximate": ref.truncated}
    if ref.count == 0 or not cur:
        return out
    ref_counts = dict(ref.counts)
    if ref.truncated:  # profile kept only the top categories: lump everything else together
        cur = _lump(cur, ref_counts)
        ref_counts[OTHER] = ref.other_count
        out["notes"].append(f"column '{name}': the reference profile kept only its most frequent "
                            "categories, so the statistics are approximate and new categories unknown")
    else:
        new = sorted(k for k in cur if k not in ref_counts)
        out["new_categories"] = new[:MAX_NEW_CATEGORIES]
        out["new_categories_count"] = len(new)
    labels = sorted(set(ref_counts) | set(cur))
    r = np.array([ref_counts.get(k, 0) for k in labels], dtype=np.int64)
    c = np.array([cur.get(k, 0) for k in labels], dtype=np.int64)
    out["psi"] = stattests.psi(r, c)
    out["jensen_shannon"] = stattests.jensen_shannon(r, c)
    out["chi2_statistic"], out["chi2_p_value"] = stattests.chi2(r, c)
    top = sorted(range(len(labels)), key=lambda i: (-(r[i] + c[i]), labels[i]))[:TOP_CATEGORIES]
    out["categories"] = {"labels": [labels[i] for i in top], "reference": [int(r[i]) for i in top],
                         "current": [int(c[i]) for i in top]}
    return out


def _lump(cur: dict, ref_counts: dict) -> dict:
    out: dict[str, int] = {}
    for k, v in cur.items():
        key = k if k in ref_counts else OTHER
        out[key] = out.get(key, 0) + v
    return out


def analyse_column(name, kind, get_ref, cur_series, cancelled) -> dict:
    """All statistics of one column; ``get_ref()`` gives its NumericRef / CategoricalRef."""
    check_cancel(cancelled)
    ref = get_ref()
    check_cancel(cancelled)
    if kind in NUMERIC_KINDS:
        return _numeric_stats(name, kind, ref, cur_series, cancelled)
    return _categorical_stats(name, ref, cur_series)

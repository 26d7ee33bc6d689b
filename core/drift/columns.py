"""Per-column drift statistics: one reference column summary against one current column.

:func:`analyse_column` runs in a worker thread of :func:`core.drift.compute.compute_drift`.
It returns a plain dict with every statistic of the column (see
:mod:`core.drift.compute` for the definitions), chart data for the GUI, the counts and
missing shares, and human-readable ``notes`` for the warnings list.  It makes
no verdict.

Charts: numeric columns get ``histogram`` (30 equal-width bins over the pooled
0.5-99.5 percentile range ``range: [lo, hi]``; values outside it are left out and
counted in ``clipped: {"reference": {"below", "above"}, "current": {...}}``; with
a sketched reference the reference counts are scaled to its real size),
``histogram_log`` when every value of both tables is above 0 (30 log-spaced bins
from the smallest to the largest value, nothing clipped: ``edges``,
``reference``, ``current``) and ``psi_bins`` (the nine decile edges and the ten
reference/current shares, before the 1e-4 replacement); categorical columns get
``categories`` (the 30 most frequent labels by reference + current count, with
both counts).  Every column gets ``summary`` (see :mod:`core.drift.summary`).

Small samples: when either table has fewer than ``SMALL_SAMPLE_N`` (30)
non-missing values in a column, the column gets ``small_sample: True`` and a
note saying its verdict is unreliable; the verdict is still computed.
"""

from __future__ import annotations

import numpy as np

import difflib

from core.drift import stattests
from core.drift.profile import NUMERIC_KINDS, CategoricalRef, category_counts, numeric_values
from core.drift.summary import (categorical_summary, numeric_summary, reference_categorical_summary,
                                reference_numeric_summary)
from core.errors import check_cancel

AUTO_SMALL_N = 1_000
AUTO_MIN_UNIQUE = 5
HIST_BINS = 30
TOP_CATEGORIES = 30
MAX_NEW_CATEGORIES = 50
OTHER = "(other)"
SMALL_SAMPLE_N = 30


def unknown_columns_message(unknown, reference_columns, current_columns, what="") -> str:
    """The error for requested column names: in neither table (with near matches), or of no known kind.

    ``what`` (e.g. "kind override") leads the message when given.
    """
    present = list(dict.fromkeys([*map(str, reference_columns), *map(str, current_columns)]))
    known = set(present)
    absent = [c for c in unknown if c not in known]
    if not absent:
        return f"no kind is known for column(s) {', '.join(map(repr, unknown))}"
    hints = []
    for name in absent:
        near = difflib.get_close_matches(str(name), present, n=3)
        if near:
            hints.append(f"{' or '.join(map(repr, near))} for {name!r}" if len(absent) > 1 else
                         ' or '.join(map(repr, near)))
    one = len(absent) == 1
    text = (f"{what + ': ' if what else ''}column{'' if one else 's'} {', '.join(map(repr, absent))} "
            f"{'is' if one else 'are'} in neither the reference nor the current table")
    if hints:
        text += f"; did you mean {', '.join(hints)}?"
    else:
        text += f"; the columns are {', '.join(map(repr, present[:20]))}{', ...' if len(present) > 20 else ''}"
    return text


def _small_sample(out: dict, name: str) -> None:
    n_ref, n_cur = out["reference_count"], out["current_count"]
    out["small_sample"] = min(n_ref, n_cur) < SMALL_SAMPLE_N
    if out["small_sample"] and n_ref and n_cur:
        out["notes"].append(f"column '{name}': small sample ({n_ref} reference and {n_cur} current "
                            f"non-missing values; fewer than {SMALL_SAMPLE_N} in a table), so its drift "
                            "verdict is unreliable")


def _share(part: int, total: int) -> float | None:
    return part / total if total else None


def numeric_start(name, kind, ref, cur_series) -> tuple[dict, np.ndarray]:
    """The fields every numeric or datetime column gets (counts, missing shares, summaries, notes) and the
    current table's sorted finite values; the statistics follow when both tables have values."""
    b, missing, infinite = numeric_values(cur_series, kind, name, "current")
    out = {"reference_count": ref.count, "current_count": int(b.size), "notes": [],
           "missing_share_reference": _share(ref.missing, ref.count + ref.missing + ref.infinite),
           "missing_share_current": _share(missing, len(cur_series)), "unique": ref.unique,
           "approximate": not ref.exact,
           "summary": {"reference": reference_numeric_summary(ref),
                       "current": numeric_summary(b, missing)}}
    _small_sample(out, name)
    for table, n in (("reference", ref.infinite), ("current", infinite)):
        if n:
            out["notes"].append(f"column '{name}': {n} infinite value(s) in the {table} table were left out")
    return out, b


def _numeric_stats(name, kind, ref, cur_series, cancelled) -> dict:
    out, b = numeric_start(name, kind, ref, cur_series)
    if ref.count == 0 or b.size == 0:
        return out
    check_cancel(cancelled)
    cur_bins = stattests.bin_counts(b, ref.edges)
    d, p, w_raw, merged = stattests.ks_wasserstein(ref.sample, b, n1=ref.count)
    numeric_fields(out, name, ref, cur_bins, d, p, w_raw, _histogram(ref, b, merged), _log_histogram(ref, b))
    if ref.count <= AUTO_SMALL_N and ref.unique <= AUTO_MIN_UNIQUE:
        values = np.union1d(ref.sample, b)
        rc = stattests.bin_counts(ref.sample, values)[1:]
        cc = stattests.bin_counts(b, values)[1:]
        out["chi2_statistic"], out["chi2_p_value"] = stattests.chi2(rc, cc)
    return out


def _histogram(ref, b, merged) -> dict:
    lo, hi = (float(v) for v in np.quantile(merged, [0.005, 0.995]))
    return histogram(ref, b, lo, hi, float(merged[0]), float(merged[-1]))


def _whole(values: np.ndarray) -> bool:
    return bool(values.size) and bool(np.all(values == np.floor(values)))


def histogram_edges(lo: float, hi: float, whole: bool) -> tuple[float, float, np.ndarray]:
    """(lo, hi, edges) of the chart histogram over [lo, hi]: :data:`HIST_BINS` equal bins, or - for whole
    numbers - bins of a whole width centred on the integers, so that no bin falls between two values
    and stays empty (counts such as 0-23 or 300-850 drew alternately full and empty bars)."""
    if whole and hi - lo < 2.0 ** 52:
        lo, hi = float(np.floor(lo)), float(np.ceil(hi))
        width = max(1.0, float(np.ceil((hi - lo + 1) / HIST_BINS)))
        bins = int(np.ceil((hi - lo + 1) / width))
        return lo, hi, lo - 0.5 + width * np.arange(bins + 1)
    return lo, hi, np.linspace(lo, hi, HIST_BINS + 1)


def histogram(ref, b, lo, hi, first, last) -> dict:
    """The chart histogram of both tables between the pooled 0.5% and 99.5% quantiles ``lo`` and ``hi``
    (``first`` and ``last``: the pooled extremes, used when those quantiles coincide)."""
    if not hi > lo:
        lo, hi = first, last
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    lo, hi, edges = histogram_edges(lo, hi, _whole(ref.sample) and _whole(b))
    scale = _scale(ref)
    a = ref.sample

    def outside(values, k):
        below = int(np.searchsorted(values, lo, side="left"))
        above = int(values.size - np.searchsorted(values, hi, side="right"))
        return {"below": int(round(below * k)), "above": int(round(above * k))}

    return {"edges": edges.tolist(), "range": [lo, hi],
            "reference": scale(stattests.sorted_histogram(a, edges)).tolist(),
            "current": stattests.sorted_histogram(b, edges).tolist(),
            "clipped": {"reference": outside(a, ref.count / a.size), "current": outside(b, 1.0)}}


def _scale(ref):
    """Counts of a reference rebuilt from a sketch, scaled to its real size (identity otherwise)."""
    if ref.sample.size == ref.count:
        return lambda counts: counts
    return lambda counts: np.rint(counts * (ref.count / ref.sample.size)).astype(np.int64)


def _log_histogram(ref, b) -> dict | None:
    """Log-spaced bins over every value of both tables (none clipped), when all of them are above 0."""
    lo, hi = min(ref.sample[0], b[0]), max(ref.sample[-1], b[-1])
    if not lo > 0 or not hi > lo:
        return None
    edges = np.geomspace(lo, hi, HIST_BINS + 1)
    edges[0], edges[-1] = lo, hi
    return {"edges": edges.tolist(), "reference": _scale(ref)(stattests.sorted_histogram(ref.sample, edges)).tolist(),
            "current": stattests.sorted_histogram(b, edges).tolist()}


def _categorical_stats(name, ref: CategoricalRef, cur_series) -> dict:
    cur, missing = category_counts(cur_series)
    out = {"reference_count": ref.count, "current_count": sum(cur.values()), "notes": [],
           "missing_share_reference": _share(ref.missing, ref.count + ref.missing),
           "missing_share_current": _share(missing, len(cur_series)), "approximate": ref.truncated,
           "summary": {"reference": reference_categorical_summary(ref),
                       "current": categorical_summary(cur, missing)}}
    _small_sample(out, name)
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


def numeric_fields(out: dict, name: str, ref, cur_bins, d: float, p: float, w_raw: float, histogram,
                   histogram_log) -> None:
    """Fill a numeric column's result from its statistics (both engines compute them their own way):
    PSI and Jensen-Shannon on the reference bins, KS, Wasserstein / reference std (undefined, with a
    note, for a constant reference), the means and stds, the PSI bins and the histograms."""
    constant = ref.unique <= 1 or not ref.std > 0
    if constant:
        out["notes"].append(f"column '{name}': the reference standard deviation is 0 (constant "
                            "column), so Wasserstein / std is undefined")
    out.update(
        psi=stattests.psi(ref.bin_counts, cur_bins),
        jensen_shannon=stattests.jensen_shannon(ref.bin_counts, cur_bins),
        ks_statistic=d, ks_p_value=p, wasserstein=None if constant else w_raw / ref.std,
        reference_mean=ref.mean, reference_std=ref.std,
        current_mean=out["summary"]["current"]["mean"], current_std=out["summary"]["current"]["std"],
        psi_bins={"edges": ref.edges.tolist(), "reference": stattests.shares(ref.bin_counts).tolist(),
                  "current": stattests.shares(cur_bins).tolist()},
        histogram=histogram, histogram_log=histogram_log)

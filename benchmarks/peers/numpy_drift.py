"""Baseline peer: the drift statistics Preflight reports, written as tightly as plain numpy/scipy allow.

What a careful data scientist would write by hand, single-threaded, with no framework and no
wasted pass over the data.  Both Parquet files are read with pyarrow; then, per column,

* numeric (the finite values): each column is sorted **once**, and everything reads the
  sorted arrays:

  - PSI edges: ``np.quantile(sorted_ref, [0.1, ..., 0.9])`` (numpy's default linear method);
  - PSI / Jensen-Shannon bins (open outer bins, a value on an edge goes to the upper bin):
    ``np.searchsorted(sorted, edges, side="left")`` gives the bin boundaries, no per-value
    binning; PSI with empty shares -> 1e-4, Jensen-Shannon distance (base 2) as scipy
    computes it (``scipy.special.rel_entr``);
  - KS: the two empirical CDFs at every point of the merged sorted values (a stable sort of
    two sorted runs is one linear merge) with ``searchsorted``; the p-value from scipy's
    ``kstwo`` exactly as ``ks_2samp`` picks it (its exact method up to 10,000 values);
  - Wasserstein-1: the area between the same two CDFs (``wasserstein_distance``), divided
    by the reference standard deviation;
  - means and standard deviations;
* categorical: counts with ``pyarrow.compute.value_counts``, over the union of
  categories: PSI, Jensen-Shannon, ``chi2_contingency`` on the 2 x K table, new categories.

Verdict as Preflight's ``auto`` method for large samples: Wasserstein/std >= 0.1 for
numeric columns, Jensen-Shannon >= 0.1 for categorical ones.  Prints a JSON summary.

    python benchmarks/peers/numpy_drift.py REF.parquet CUR.parquet [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import special, stats

DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]  # as Preflight writes them (not linspace: 1 ulp off)
ZERO_SHARE = 1e-4
KS_EXACT_MAX_N = 10_000  # ks_2samp(method="auto") is exact up to here


def _shares(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    return counts / counts.sum()


def _psi(r: np.ndarray, c: np.ndarray) -> float:
    r, c = _shares(r), _shares(c)
    r = np.where(r == 0, ZERO_SHARE, r)
    c = np.where(c == 0, ZERO_SHARE, c)
    return float(np.sum((c - r) * np.log(c / r)))


def _js(r: np.ndarray, c: np.ndarray) -> float:
    p, q = _shares(r), _shares(c)
    m = (p + q) / 2.0
    js = (np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))) / math.log(2.0)
    return float(np.sqrt(js / 2.0))


def _sorted_finite(col: pa.ChunkedArray) -> np.ndarray:
    x = col.to_numpy()  # float64; nulls become NaN
    x = x[np.isfinite(x)]
    x.sort()
    return x


def _bins(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    cuts = np.searchsorted(sorted_values, edges, side="left")
    return np.diff(np.concatenate(([0], cuts, [sorted_values.size])))


def numeric_drift(a: np.ndarray, b: np.ndarray) -> dict:
    """``a`` and ``b``: sorted finite reference and current values."""
    n1, n2 = a.size, b.size
    edges = np.quantile(a, DECILES)
    rb, cb = _bins(a, edges), _bins(b, edges)
    merged = np.concatenate([a, b])
    merged.sort(kind="stable")  # two sorted runs: one merge
    cdf_a = np.searchsorted(a, merged, side="right") / n1
    cdf_b = np.searchsorted(b, merged, side="right") / n2
    gap = cdf_a - cdf_b
    d = float(np.max(np.abs(gap)))
    if max(n1, n2) <= KS_EXACT_MAX_N:
        p = float(stats.ks_2samp(a, b).pvalue)
    else:  # ks_2samp's asymptotic branch
        m, n = sorted([float(n1), float(n2)], reverse=True)
        p = float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))
    w = float(np.sum(np.abs(gap[:-1]) * np.diff(merged)))
    ref_std = float(np.std(a))
    return {"kind": "numeric", "psi": _psi(rb, cb), "jensen_shannon": _js(rb, cb),
            "ks_statistic": d, "ks_p_value": p,
            "wasserstein": w / ref_std if ref_std > 0 else None,
            "reference_mean": float(np.mean(a)), "current_mean": float(np.mean(b)),
            "reference_std": ref_std, "current_std": float(np.std(b))}


def _counts(col: pa.ChunkedArray) -> dict:
    vc = pc.value_counts(col.drop_null())
    return dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def categorical_drift(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> dict:
    rc, cc = _counts(ref), _counts(cur)
    labels = sorted(set(rc) | set(cc))
    r = np.array([rc.get(k, 0) for k in labels], dtype=float)
    c = np.array([cc.get(k, 0) for k in labels], dtype=float)
    chi = stats.chi2_contingency(np.vstack([r, c])) if len(labels) > 1 else None
    return {"kind": "categorical", "psi": _psi(r, c), "jensen_shannon": _js(r, c),
            "chi2_statistic": float(chi.statistic) if chi else 0.0,
            "chi2_p_value": float(chi.pvalue) if chi else 1.0,
            "new_categories": sorted(k for k in cc if k not in rc)}


def drift(ref_path: str, cur_path: str) -> dict:
    ref = pq.read_table(ref_path)
    cur = pq.read_table(cur_path)
    columns = {}
    for name in ref.column_names:
        if name not in cur.column_names:
            continue
        a, b = ref.column(name), cur.column(name)
        if pa.types.is_floating(a.type) or pa.types.is_integer(a.type):
            res = numeric_drift(_sorted_finite(a), _sorted_finite(b))
            res["drifted"] = res["wasserstein"] is not None and res["wasserstein"] >= 0.1
        else:
            res = categorical_drift(a, b)
            res["drifted"] = res["jensen_shannon"] >= 0.1
        columns[name] = res
    share = sum(c["drifted"] for c in columns.values()) / len(columns)
    return {"dataset_drift": share >= 0.5, "drifted_share": share, "columns": columns}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="numpy/scipy drift baseline")
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--out", help="write the full JSON here instead of stdout")
    args = ap.parse_args(argv)
    text = json.dumps(drift(args.reference, args.current), indent=1)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

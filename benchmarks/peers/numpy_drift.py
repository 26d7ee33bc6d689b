"""Baseline peer: the drift statistics Preflight reports, written directly with numpy/scipy.

This is what a competent data scientist would write by hand, single-threaded, with no
framework: read both Parquet files with pyarrow, then per column

* numeric: reference-decile edges (``np.quantile``), 10 bins with open outer bins
  (``np.searchsorted(..., side="right")`` + ``np.bincount``), PSI with empty shares
  -> 1e-4, Jensen-Shannon distance (base 2) on the bin shares, ``scipy.stats.ks_2samp``,
  ``scipy.stats.wasserstein_distance`` / reference std, means and stds;
* categorical: counts over the union of categories, PSI, ``chi2_contingency`` on the
  2 x K table, Jensen-Shannon distance.

Verdict as Preflight's ``auto`` method for large samples: Wasserstein/std >= 0.1 for
numeric columns, Jensen-Shannon >= 0.1 for categorical ones.  Prints a JSON summary.

    python benchmarks/peers/numpy_drift.py REF.parquet CUR.parquet [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import stats
from scipy.spatial.distance import jensenshannon

DECILES = np.linspace(0.1, 0.9, 9)
ZERO_SHARE = 1e-4


def _psi(r: np.ndarray, c: np.ndarray) -> float:
    r = r / r.sum()
    c = c / c.sum()
    r = np.where(r == 0, ZERO_SHARE, r)
    c = np.where(c == 0, ZERO_SHARE, c)
    return float(np.sum((c - r) * np.log(c / r)))


def _finite(col: pa.ChunkedArray) -> np.ndarray:
    x = col.to_numpy()  # float64; nulls become NaN
    return x[np.isfinite(x)]


def numeric_drift(ref: np.ndarray, cur: np.ndarray) -> dict:
    edges = np.quantile(ref, DECILES)
    rb = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10)
    cb = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10)
    ref_std = float(np.std(ref))
    w = stats.wasserstein_distance(ref, cur)
    ks = stats.ks_2samp(ref, cur)
    return {"kind": "numeric", "psi": _psi(rb, cb),
            "jensen_shannon": float(jensenshannon(rb / rb.sum(), cb / cb.sum(), base=2)),
            "ks_statistic": float(ks.statistic), "ks_p_value": float(ks.pvalue),
            "wasserstein": float(w / ref_std) if ref_std > 0 else None,
            "reference_mean": float(np.mean(ref)), "current_mean": float(np.mean(cur)),
            "reference_std": ref_std, "current_std": float(np.std(cur))}


def _counts(col: pa.ChunkedArray) -> dict:
    vc = pc.value_counts(col.drop_null())
    return dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()))


def categorical_drift(ref: pa.ChunkedArray, cur: pa.ChunkedArray) -> dict:
    rc, cc = _counts(ref), _counts(cur)
    labels = sorted(set(rc) | set(cc))
    r = np.array([rc.get(k, 0) for k in labels], dtype=float)
    c = np.array([cc.get(k, 0) for k in labels], dtype=float)
    chi = stats.chi2_contingency(np.vstack([r, c]))
    return {"kind": "categorical", "psi": _psi(r, c),
            "jensen_shannon": float(jensenshannon(r / r.sum(), c / c.sum(), base=2)),
            "chi2_statistic": float(chi.statistic), "chi2_p_value": float(chi.pvalue),
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
            res = numeric_drift(_finite(a), _finite(b))
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

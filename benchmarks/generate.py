"""Synthetic reference/current tables for Preflight's drift and validation benchmarks.

Each table has N rows x 25 columns: 20 numeric float64 columns with assorted
distributions (normal, lognormal, heavy tails, bimodal, zero-inflated, with missing
values, ...) and 5 categorical string columns with 5 to 50 levels.  The current table
is drawn from the same distributions except for a few deliberately drifted columns
(see ``DRIFTED``): mean shifts, scale changes, a new category and a category-mix change.

Everything is seeded: the same ``--seed`` and size always give the same values.
Files go to a cache folder (default ``benchmarks/.data``) as ``ref_<N>.parquet`` and
``cur_<N>.parquet`` (plus ``.csv`` with ``--csv``); existing files are reused unless
``--force`` is given.

    python benchmarks/generate.py                      # 200k and 1M rows
    python benchmarks/generate.py --rows 200000 --csv
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / ".data"
DEFAULT_SIZES = (200_000, 1_000_000)
FORMAT_VERSION = 1  # bump when the generated data changes, so cached files are rebuilt

N_NUMERIC = 20
CAT_LEVELS = (5, 10, 20, 35, 50)

# What differs in the current table (everything else is drawn from the same distribution).
DRIFTED = {
    "num_00": "mean shift +0.5 std (normal)",
    "num_05": "mean shift +1 scale unit (gamma)",
    "num_12": "small mean shift +0.03 std (laplace): below the usual thresholds",
    "num_01": "scale x1.5 (normal)",
    "num_07": "scale x2 (student t, 3 df)",
    "cat_02": "two new categories, 8% of rows",
    "cat_00": "category mix change (probabilities reversed)",
}


def _numeric(i: int, rng: np.random.Generator, n: int, drift: bool) -> np.ndarray:
    """Column num_<i>: a different distribution per column; drifted when ``drift``."""
    if i == 0:
        return rng.normal(0.5 if drift else 0.0, 1.0, n)
    if i == 1:
        return rng.normal(100.0, 15.0 * (1.5 if drift else 1.0), n)
    if i == 2:
        return rng.lognormal(0.0, 1.0, n)
    if i == 3:
        return rng.exponential(2.0, n)
    if i == 4:
        return rng.uniform(0.0, 1.0, n)
    if i == 5:
        return rng.gamma(2.0, 3.0, n) + (3.0 if drift else 0.0)
    if i == 6:
        return rng.beta(2.0, 5.0, n)
    if i == 7:
        return rng.standard_t(3, n) * (2.0 if drift else 1.0)
    if i == 8:  # bimodal mixture
        which = rng.random(n) < 0.3
        return np.where(which, rng.normal(-2.0, 0.5, n), rng.normal(3.0, 1.0, n))
    if i == 9:  # counts stored as floats, many distinct values
        return rng.poisson(40.0, n).astype(np.float64)
    if i == 10:
        return rng.weibull(1.5, n) * 10.0
    if i == 11:
        return rng.pareto(3.0, n) + 1.0
    if i == 12:
        return rng.laplace(0.03 * np.sqrt(2) if drift else 0.0, 1.0, n)
    if i == 13:
        return rng.chisquare(5.0, n)
    if i == 14:
        return rng.logistic(10.0, 2.0, n)
    if i == 15:  # normal with 5% missing
        x = rng.normal(20.0, 4.0, n)
        x[rng.random(n) < 0.05] = np.nan
        return x
    if i == 16:  # money amounts rounded to cents
        return np.round(rng.lognormal(3.0, 0.8, n) * 10.0, 2)
    if i == 17:  # zero-inflated
        x = rng.exponential(5.0, n)
        x[rng.random(n) < 0.4] = 0.0
        return x
    if i == 18:
        return rng.triangular(0.0, 2.0, 10.0, n)
    return rng.normal(-50.0, 200.0, n)


def _probabilities(levels: int) -> np.ndarray:
    p = 1.0 / np.arange(1, levels + 1) ** 0.8  # Zipf-like: a few common labels, a long tail
    return p / p.sum()


def _categorical(j: int, rng: np.random.Generator, n: int, drift: bool) -> np.ndarray:
    levels = CAT_LEVELS[j]
    labels = np.array([f"c{j}_L{k:02d}" for k in range(levels)], dtype=object)
    p = _probabilities(levels)
    if drift and j == 0:
        p = p[::-1].copy()
    codes = rng.choice(levels, size=n, p=p)
    values = labels[codes]
    if drift and j == 2:
        new = rng.random(n) < 0.08
        values[new] = np.where(rng.random(int(new.sum())) < 0.5, "c2_NEW_A", "c2_NEW_B")
    return values


def make_table(n: int, seed: int, current: bool) -> pa.Table:
    """The reference (``current=False``) or current table with ``n`` rows."""
    streams = np.random.SeedSequence([seed, int(current)]).spawn(N_NUMERIC + len(CAT_LEVELS))
    cols: dict[str, pa.Array] = {}
    for i in range(N_NUMERIC):
        name = f"num_{i:02d}"
        cols[name] = pa.array(_numeric(i, np.random.default_rng(streams[i]), n,
                                       current and name in DRIFTED), type=pa.float64(),
                              from_pandas=True)
    for j in range(len(CAT_LEVELS)):
        name = f"cat_{j:02d}"
        rng = np.random.default_rng(streams[N_NUMERIC + j])
        cols[name] = pa.array(_categorical(j, rng, n, current and name in DRIFTED), type=pa.string())
    return pa.table(cols)


def paths(cache: Path, n: int, fmt: str = "parquet") -> tuple[Path, Path]:
    """(reference path, current path) for ``n`` rows in ``cache``."""
    return cache / f"ref_{n}.{fmt}", cache / f"cur_{n}.{fmt}"


def ensure(n: int, cache: Path = DEFAULT_CACHE, seed: int = 7, csv: bool = False,
           force: bool = False) -> tuple[Path, Path]:
    """Write (or reuse) the Parquet (and CSV) pair for ``n`` rows; returns the Parquet paths."""
    cache.mkdir(parents=True, exist_ok=True)
    meta_path = cache / f"meta_{n}.json"
    meta = {"rows": n, "seed": seed, "format_version": FORMAT_VERSION, "drifted": DRIFTED}
    ref_pq, cur_pq = paths(cache, n)
    wanted = [ref_pq, cur_pq] + (list(paths(cache, n, "csv")) if csv else [])
    fresh = (not force and meta_path.exists() and all(p.exists() for p in wanted)
             and json.loads(meta_path.read_text()) == meta)
    if fresh:
        return ref_pq, cur_pq
    for current, pq_path, csv_path in ((False, ref_pq, paths(cache, n, "csv")[0]),
                                       (True, cur_pq, paths(cache, n, "csv")[1])):
        table = make_table(n, seed, current)
        pq.write_table(table, pq_path, compression="snappy")
        if csv:
            pcsv.write_csv(table, csv_path)
        del table
    meta_path.write_text(json.dumps(meta, indent=2))
    return ref_pq, cur_pq


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_SIZES),
                    help="table sizes in rows (default: 200000 1000000)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="output folder")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--csv", action="store_true", help="also write CSV copies")
    ap.add_argument("--force", action="store_true", help="rebuild even when cached files exist")
    args = ap.parse_args(argv)
    for n in args.rows:
        ref, cur = ensure(n, args.cache, args.seed, args.csv, args.force)
        print(f"{n:>9,} rows: {ref} ({ref.stat().st_size / 1e6:.1f} MB), "
              f"{cur} ({cur.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

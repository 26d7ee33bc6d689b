"""Reference-profile build time: the Dask engine against the in-memory builder.

    python benchmarks/bench_dask_profile.py                 # 2,000,000 rows x 10 columns, 8 Parquet files
    python benchmarks/bench_dask_profile.py --rows 500000 --files 4 --workers 2

The table: 7 numeric columns (normal, rounded normal with ties and 5 % missing, exponential, Cauchy,
uniform, a whole-number column with many values, datetimes) and 3 categorical/boolean ones.  It is
written once as one Parquet file (for the in-memory builder, whose reader takes one file) and as a
folder of ``--files`` Parquet files (for Dask).  Timed:

* ``memory``: ``read_table`` + ``build_profile_data`` (what ``profile DATA`` does without an engine);
* ``dask local``: ``build_dask_profile(folder)`` starting and closing its own local cluster;
* ``dask cluster``: ``build_dask_profile(folder, scheduler=ADDRESS)`` on a cluster already running.

The script also checks that the two profiles agree (kinds, counts, deciles, bin counts, sketches
exactly; moments to 1e-12) and exits 1 if they do not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CLOSE = ("mean", "std", "sum", "m2")


def make_table(rows: int, seed: int = 11):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ties = np.round(rng.normal(size=rows), 1)
    ties[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame({
        "normal": rng.normal(size=rows), "ties": ties, "expo": rng.exponential(size=rows),
        "cauchy": rng.standard_cauchy(rows), "uniform": rng.random(rows),
        "count": rng.integers(0, 5000, rows),
        "when": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 10 ** 8, rows), unit="s"),
        "segment": rng.choice(["north", "south", "east", "west"], rows),
        "rating": rng.integers(1, 6, rows), "active": rng.random(rows) < 0.4})


def write(df, root: Path, files: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    whole = root / "whole.parquet"
    pq.write_table(table, whole)
    folder = root / "parts"
    folder.mkdir()
    step = -(-len(df) // files)
    for i in range(files):
        pq.write_table(table.slice(i * step, step), folder / f"part-{i:03d}.parquet")
    return whole, folder


def differences(a: dict, b: dict) -> list[str]:
    out = [] if a["rows"] == b["rows"] else ["rows"]
    for name, col in a["columns"].items():
        other = b["columns"].get(name, {})
        for key, value in col.items():
            if key in CLOSE and value is not None:
                if abs(other.get(key, float("nan")) - value) > 1e-12 * max(abs(value), 1e-300):
                    out.append(f"{name}.{key}")
            elif other.get(key) != value:
                out.append(f"{name}.{key}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    from distributed import LocalCluster

    from core.data.tables import read_table
    from core.drift.dask_profile import LOOPBACK_HTTP, build_dask_profile
    from core.drift.profile_file import build_profile_data

    with tempfile.TemporaryDirectory() as tmp:
        whole, folder = write(make_table(args.rows), Path(tmp), args.files)
        t0 = time.perf_counter()
        table = read_table(whole)
        mem = build_profile_data(table.df, table.kinds)
        t_mem = time.perf_counter() - t0
        del table
        t0 = time.perf_counter()
        local, extra = build_dask_profile(folder)
        t_local = time.perf_counter() - t0
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                          scheduler_kwargs=LOOPBACK_HTTP) as cluster:
            build_dask_profile(folder, scheduler=cluster.scheduler_address)  # workers import Preflight once
            t0 = time.perf_counter()
            remote, _ = build_dask_profile(folder, scheduler=cluster.scheduler_address)
            t_cluster = time.perf_counter() - t0
    print(f"{args.rows:,} rows x {len(mem['columns'])} columns, {args.files} Parquet files, "
          f"{extra['scheduler']}, {extra['engine']}")
    print(f"memory        {t_mem:7.2f} s  (read_table + build_profile_data)")
    print(f"dask local    {t_local:7.2f} s  (including starting the local cluster)")
    print(f"dask cluster  {t_cluster:7.2f} s  ({args.workers} workers already running)")
    bad = differences(mem, local) + differences(mem, remote)
    print("profiles agree" if not bad else f"profiles differ: {', '.join(sorted(set(bad)))}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

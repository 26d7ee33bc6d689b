"""Reference-profile benchmark: time and peak RSS of ``profile DATA`` on each engine, against a pandas script.

    python benchmarks/bench_profile_engines.py --rows 1000000 10000000 20000000 --modes memory duckdb script

Tables come from ``benchmarks/generate.py`` (N rows x 25 columns: 20 numeric, 5 categorical; the
reference table ``ref_N.parquet``).  Each measurement runs in a fresh child process, which reports its
own wall time and peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).  Modes:

* ``memory``  ``build_profile_file(..., engine="memory")``: Preflight's reader, then every column;
* ``duckdb``  ``build_profile_file(..., engine="duckdb")``: one column at a time out of DuckDB;
* ``script``  the tightest pandas/numpy script for the part of a profile drift's PSI needs: read the
  Parquet file, then per numeric column ``np.quantile`` deciles and ``np.searchsorted`` bin counts,
  per categorical column ``value_counts`` (no sketch, moments, kinds or checks).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def _script(path: str) -> dict:
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(path)
    out = {}
    for name in df.columns:
        col = df[name]
        if pd.api.types.is_float_dtype(col.dtype):
            a = col.to_numpy()
            a = np.sort(a[np.isfinite(a)])
            edges = np.quantile(a, DECILES)
            out[name] = np.bincount(np.searchsorted(edges, a, side="right"), minlength=10).tolist()
        else:
            out[name] = {str(k): int(v) for k, v in col.value_counts().items()}
    return out


def _child(mode: str, path: str, limit: str | None) -> None:
    t0 = time.perf_counter()
    if mode == "script":
        _script(path)
    else:
        from core.data.duckdb_source import parse_memory
        from core.drift.profile_build import build_profile_file

        with tempfile.TemporaryDirectory() as tmp:
            build_profile_file(path, Path(tmp) / "p.json", engine=mode,
                               memory_limit=parse_memory(limit) if limit else None)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"mode": mode, "seconds": round(wall, 2), "peak_rss_gb": round(rss / 1e9, 2)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--modes", nargs="+", default=["memory", "duckdb", "script"])
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.memory_limit)
        return
    results = []
    for rows in args.rows:
        path = HERE / ".data" / f"ref_{rows}.parquet"
        if not path.exists():
            sys.exit(f"{path} is missing: run benchmarks/generate.py --rows {rows} first")
        for mode in args.modes:
            cmd = [sys.executable, __file__, "--child", mode, str(path)]
            if args.memory_limit:
                cmd += ["--memory-limit", args.memory_limit]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(f"{rows:>10,} {mode:>7}: failed ({done.stderr.strip().splitlines()[-1:]})")
                continue
            r = {"rows": rows, **json.loads(done.stdout.strip().splitlines()[-1])}
            results.append(r)
            print(f"{rows:>10,} {mode:>7}: {r['seconds']:8.2f} s  peak RSS {r['peak_rss_gb']:.2f} GB", flush=True)
    by = {(r["rows"], r["mode"]): r for r in results}
    for rows in args.rows:
        base = by.get((rows, "script"))
        for mode in ("memory", "duckdb"):
            if base and (rows, mode) in by:
                print(f"{rows:>10,} {mode} / script: {by[(rows, mode)]['seconds'] / base['seconds']:.2f}x time")
    out = HERE / "results" / "profile_engines.json"
    out.parent.mkdir(exist_ok=True)
    kept = json.loads(out.read_text()) if out.exists() else []  # earlier sizes and modes stay, newer runs win
    merged = {(r["rows"], r["mode"]): r for r in kept + results}
    out.write_text(json.dumps(sorted(merged.values(), key=lambda r: (r["rows"], r["mode"])), indent=1))


if __name__ == "__main__":
    main()

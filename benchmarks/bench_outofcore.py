"""Out-of-core drift benchmark: time and peak RSS of Preflight's drift engines on big Parquet tables.

    python benchmarks/bench_outofcore.py --rows 20000000            # out-of-core engine vs SQL script
    python benchmarks/bench_outofcore.py --rows 1000000 5000000 10000000 --modes memory

Tables come from ``benchmarks/generate.py`` (N rows x 25 columns: 20 numeric, 5 categorical).
Each measurement runs in a fresh child process, which reports its own wall time and peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``).  Modes:

* ``duckdb``  ``run_drift(..., engine="duckdb")`` - the whole drift run (every statistic, summaries,
  charts, the domain classifier on a 20k-row sample);
* ``memory``  ``run_drift(..., engine="memory")`` - the in-memory engine;
* ``sql``     a DuckDB SQL script that computes only PSI (reference-decile bins for numeric columns,
  categories for categorical ones) and the exact KS statistic of every numeric column: the floor
  for what an engine built on DuckDB can cost.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _sql_psi_ks(ref: str, cur: str, memory_limit: int) -> dict:
    import duckdb
    import pyarrow.parquet as pq

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit >> 20}MB'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE VIEW r AS SELECT * FROM read_parquet('{ref}')")
    con.execute(f"CREATE VIEW c AS SELECT * FROM read_parquet('{cur}')")
    schema = pq.read_schema(ref)
    out = {}
    for field in schema:
        x = f'"{field.name}"'
        if str(field.type) == "double":
            edges = con.execute(f"SELECT quantile_cont({x}, [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9]) FROM r "
                                f"WHERE isfinite({x})").fetchone()[0]
            bins = " + ".join(f"({x} >= {e!r})::INT" for e in edges)
            psi = con.execute(f"""
                WITH rb AS (SELECT {bins} AS b, count(*) AS n FROM r WHERE isfinite({x}) GROUP BY b),
                     cb AS (SELECT {bins} AS b, count(*) AS n FROM c WHERE isfinite({x}) GROUP BY b),
                     s AS (SELECT coalesce(rb.n, 0) / sum(rb.n) OVER () AS p, coalesce(cb.n, 0) / sum(cb.n) OVER () AS q
                           FROM rb FULL JOIN cb USING (b))
                SELECT sum((greatest(q, 1e-4) - greatest(p, 1e-4)) * ln(greatest(q, 1e-4) / greatest(p, 1e-4)))
                FROM s""").fetchone()[0]
            ks = con.execute(f"""
                WITH v AS (SELECT {x} AS v, 1 AS a FROM r WHERE isfinite({x})
                           UNION ALL SELECT {x}, 0 FROM c WHERE isfinite({x})),
                     g AS (SELECT v, sum(a) AS na, count(*) - sum(a) AS nb FROM v GROUP BY v),
                     t AS (SELECT sum(na) AS n1, sum(nb) AS n2 FROM g)
                SELECT max(abs(ca / n1 - cb / n2)) FROM
                  (SELECT sum(na) OVER w AS ca, sum(nb) OVER w AS cb FROM g
                   WINDOW w AS (ORDER BY v ROWS UNBOUNDED PRECEDING)), t""").fetchone()[0]
            out[field.name] = {"psi": psi, "ks": ks}
        else:
            psi = con.execute(f"""
                WITH rb AS (SELECT {x} AS k, count(*) AS n FROM r WHERE {x} IS NOT NULL GROUP BY k),
                     cb AS (SELECT {x} AS k, count(*) AS n FROM c WHERE {x} IS NOT NULL GROUP BY k),
                     s AS (SELECT coalesce(rb.n, 0) / sum(rb.n) OVER () AS p, coalesce(cb.n, 0) / sum(cb.n) OVER () AS q
                           FROM rb FULL JOIN cb USING (k))
                SELECT sum((greatest(q, 1e-4) - greatest(p, 1e-4)) * ln(greatest(q, 1e-4) / greatest(p, 1e-4)))
                FROM s""").fetchone()[0]
            out[field.name] = {"psi": psi}
    return out


def child(mode: str, rows: int, memory_limit: int) -> None:
    from generate import paths
    ref, cur = (str(p) for p in paths(HERE / ".data", rows))
    t0 = time.perf_counter()
    if mode == "sql":
        res = _sql_psi_ks(ref, cur, memory_limit)
        summary = {k: v for k, v in list(res.items())[:2]}
    else:
        from core.drift.run import run_drift
        run = run_drift(ref, cur, engine=mode, memory_limit=memory_limit, want_profile=False)
        summary = {"engine": run.result["engine"], "drifted": run.summary["drifted_columns"]}
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    print(json.dumps({"mode": mode, "rows": rows, "wall_s": round(wall, 1),
                      "peak_rss_gb": round(rss / 2 ** 30, 2), "summary": summary}, default=str))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[20_000_000])
    ap.add_argument("--modes", nargs="+", default=["duckdb", "sql"], choices=["duckdb", "memory", "sql"])
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "ROWS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from core.data.duckdb_source import parse_memory
    limit = parse_memory(args.memory_limit)
    if args.child:
        child(args.child[0], int(args.child[1]), limit)
        return 0
    from generate import ensure
    for n in args.rows:
        ensure(n)
        for mode in args.modes:
            proc = subprocess.run([sys.executable, __file__, "--child", mode, str(n),
                                   "--memory-limit", args.memory_limit], capture_output=True, text=True)
            print(proc.stdout.strip() or f"{mode} {n}: failed\n{proc.stderr[-2000:]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

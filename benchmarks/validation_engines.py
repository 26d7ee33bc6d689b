"""Validation of 1M and 5M rows x 25 columns with the in-memory and the DuckDB engine: time and peak RSS.

Each run is a fresh ``python main.py validate CUR --schema S --json --engine E`` process on the
benchmark tables of :mod:`generate` (20 float columns, 5 string columns, Parquet).  The schema
gives every column several rules (range, missing share, allowed categories, pattern, length,
uniqueness, monotonic order, duplicate rows), so each engine does all its checks; the current
table fails some of them (new categories, shifted columns).

    python benchmarks/validation_engines.py --rows 1000000 5000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import CAT_LEVELS, N_NUMERIC, ensure  # noqa: E402
from measure import REPO, run_process  # noqa: E402


def schema() -> dict:
    cols = {}
    for i in range(N_NUMERIC):
        cols[f"num_{i:02d}"] = {"type": "numeric", "range": [-4, 4], "max_missing_fraction": 0.05}
    cols["num_03"]["unique"] = True
    cols["num_04"]["monotonic"] = "increasing"
    for j, levels in enumerate(CAT_LEVELS):
        cols[f"cat_{j:02d}"] = {"type": "category", "allowed": [f"c{j}_L{k:02d}" for k in range(levels)],
                                "pattern": rf"c{j}_L\d\d", "max_length": 6}
    return {"columns": cols, "dataset": {"max_duplicate_rows_fraction": 0.0}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--engines", nargs="+", default=["memory", "duckdb"])
    ap.add_argument("--memory-limit", default=None, help="passed to the DuckDB runs, e.g. 1GB")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        spath = Path(tmp) / "schema.json"
        spath.write_text(json.dumps(schema()))
        for n in args.rows:
            _, cur = ensure(n)
            answers = {}
            for engine in args.engines:
                out = Path(tmp) / f"out-{engine}-{n}.json"
                m = run_process([sys.executable, str(REPO / "main.py"), "validate", str(cur), "--schema", str(spath),
                                 "--json", "--engine", engine]
                                + (["--memory-limit", args.memory_limit] if args.memory_limit and engine == "duckdb"
                                   else []), out)
                result = json.loads(out.read_text()) if m["rc"] in (0, 1) else None
                if result is not None:
                    result.pop("engine", None)
                    result.pop("warnings", None)
                answers[engine] = result
                print(json.dumps({"rows": n, "columns": 25, "engine": engine, "memory_limit": args.memory_limit,
                                  "rc": m["rc"],
                                  "wall_s": round(m["wall_s"], 2), "cpu_s": round(m["cpu_s"], 2),
                                  "peak_rss_mb": round(m["peak_rss_mb"]),
                                  "violations": None if result is None else len(result["violations"])}),
                      flush=True)
                if m["rc"] not in (0, 1):
                    print(m["stderr_tail"], file=sys.stderr)
            if len(answers) == 2 and None not in answers.values():
                same = answers["memory"] == answers["duckdb"]
                print(json.dumps({"rows": n, "same_json": same}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

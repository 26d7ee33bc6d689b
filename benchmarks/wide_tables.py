"""Wide tables: reading, validation and drift on 5-row tables of 2,000 and 100,000 columns.

Usage (from the repository root)::

    python benchmarks/wide_tables.py                      # 2,000 and 100,000 columns
    python benchmarks/wide_tables.py --columns 2000 20000 --timeout 600

For each width it writes a reference and a current CSV (5 rows; nine columns in ten numeric, one in
ten a text label), then measures

* in this process: ``read_table`` of the current file, ``infer_schema`` on the reference, and
  ``validate`` (read + validate is the sum of the first and the last);
* whole processes: ``python main.py validate CUR --infer-from REF --json`` and
  ``python main.py drift REF CUR --json`` (wall time, CPU time and peak memory, through
  :func:`measure.run_process`).

Work that grows with columns squared shows at once: the 100,000-column figure would be 2,500 times
the 2,000-column one instead of about 50 times.  Results are printed and written to
``benchmarks/results/wide_tables.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from measure import fmt_table, machine, run_process, write_results  # noqa: E402

ROWS = 5


def write_wide(path: Path, columns: int, seed: int, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(columns)]
    values = rng.normal(shift, 1.0, size=(ROWS, columns))
    labels = np.array(["red", "green", "blue", "grey"])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(names) + "\n")
        for r in range(ROWS):
            cells = [labels[(r + i) % 4] if i % 10 == 9 else f"{values[r, i]:.4f}" for i in range(columns)]
            fh.write(",".join(cells) + "\n")
    return path


def in_process(ref: Path, cur: Path) -> dict:
    from core.data.tables import read_table
    from core.validation.infer import infer_schema
    from core.validation.validate import validate

    t0 = time.perf_counter()
    table = read_table(cur)
    t1 = time.perf_counter()
    reference = read_table(ref)
    t2 = time.perf_counter()
    schema = infer_schema(reference.df, reference.kinds)
    t3 = time.perf_counter()
    result = validate(table.df, schema, kinds=table.kinds)
    t4 = time.perf_counter()
    return {"read_s": t1 - t0, "infer_schema_s": t3 - t2, "validate_s": t4 - t3,
            "read_plus_validate_s": (t1 - t0) + (t4 - t3), "violations": len(result.violations)}


def whole(cmd: list[str], out: Path, timeout_s: float) -> dict:
    import subprocess
    try:
        return run_process(["timeout", str(int(timeout_s)), *cmd], out)
    except subprocess.SubprocessError as exc:  # pragma: no cover - reported, not raised
        return {"rc": None, "wall_s": None, "error": str(exc)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=int, nargs="+", default=[2000, 100000])
    ap.add_argument("--timeout", type=float, default=900, help="seconds allowed per whole-process run")
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args(argv)
    results = {"machine": machine(), "rows": ROWS, "widths": {}}
    table_rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in args.columns:
            ref = write_wide(tmp / f"ref_{n}.csv", n, seed=1)
            cur = write_wide(tmp / f"cur_{n}.csv", n, seed=2, shift=0.5)
            inner = in_process(ref, cur)
            validate_cli = whole([sys.executable, "main.py", "validate", str(cur), "--infer-from", str(ref), "--json"],
                                 tmp / "validate.json", args.timeout)
            drift_cli = whole([sys.executable, "main.py", "drift", str(ref), str(cur), "--json"],
                              tmp / "drift.json", args.timeout)
            results["widths"][str(n)] = {"file_mb": cur.stat().st_size / 2 ** 20, **inner,
                                         "validate_process": validate_cli, "drift_process": drift_cli}

            def secs(run):
                if run.get("rc") == 124:
                    return f"> {args.timeout:.0f} (timeout)"
                return "-" if run.get("wall_s") is None else f"{run['wall_s']:.2f}"

            table_rows.append([f"{n:,}", f"{cur.stat().st_size / 2 ** 20:.1f}", f"{inner['read_s']:.2f}",
                               f"{inner['validate_s']:.2f}", f"{inner['read_plus_validate_s']:.2f}",
                               f"{inner['infer_schema_s']:.2f}", secs(validate_cli), secs(drift_cli)])
            print(f"{n} columns done", file=sys.stderr, flush=True)
    print(fmt_table(table_rows, ["columns", "MB", "read s", "validate s", "read+validate s", "infer s",
                                 "validate CLI s", "drift CLI s"]))
    if not args.no_save:
        print("written to", write_results("wide_tables.json", results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

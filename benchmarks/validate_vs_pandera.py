"""Validation benchmark: Preflight's schema validation against pandera, 1M rows.

The table is the benchmark's current table (:mod:`generate`, 25 columns) plus an
integer ``id``, an integer ``age`` and a string ``code``, with violations injected:
6% duplicated ids, 2,000 ages of 150, 1,000 malformed codes, 500 unknown labels in
``cat_03``; ``cat_02`` holds two new categories (8%), ``num_15`` is 5% missing against
an allowed 2%, and the drifted numeric columns leave the reference range.  The schema
(types, ranges with no tolerance, missing limits, uniqueness, allowed values, a regex)
is written once as a Preflight schema file; pandera gets the equivalent schema from
:func:`peers.pandera_validate.pandera_schema` and validates with ``lazy=True``.

Measured (best of ``--repeats``):

* in-process: ``core.validation.validate.validate(df, schema)`` on the table as Preflight loads it
  (``core.data.tables.read_table``), the same call on the frame ``pd.read_parquet`` gives, and
  pandera's ``schema.validate(df, lazy=True)`` on that pandas frame;
* whole processes (reading included): ``python main.py validate DATA --schema FILE --json``
  and ``python benchmarks/peers/pandera_validate.py DATA SCHEMA``.

Results: printed and written to ``benchmarks/results/validate.json``.

    python benchmarks/validate_vs_pandera.py [--rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import measure  # noqa: E402
from peers.pandera_validate import pandera_schema, summarise  # noqa: E402
from peers.pandera_validate import validate as pandera_validate  # noqa: E402

DATA_VERSION = 1


def _inject(rng, n: int, values: np.ndarray, count: int, bad) -> np.ndarray:
    out = values.copy()
    out[rng.choice(n, size=count, replace=False)] = bad
    return out


def ensure_data(n: int, cache: Path, seed: int = 11) -> tuple[Path, Path]:
    """(data path, schema path) for the validation table of ``n`` rows, built when missing."""
    data, schema_path = cache / f"validate_{n}.parquet", cache / f"validate_{n}.schema.json"
    stamp = cache / f"validate_{n}.version"
    if data.exists() and schema_path.exists() and stamp.exists() and stamp.read_text() == str(DATA_VERSION):
        return data, schema_path
    cache.mkdir(parents=True, exist_ok=True)
    ref = generate.make_table(n, 7, current=False)
    table = generate.make_table(n, 7, current=True)
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.int64)
    dup = rng.choice(n, size=int(0.06 * n), replace=False)
    ids[dup] = rng.integers(1, n + 1, size=dup.size)
    ages = _inject(rng, n, rng.integers(18, 91, size=n), 2_000, 150)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    codes = np.char.add(np.char.add(letters[rng.integers(0, 24, n)], letters[rng.integers(0, 24, n)]),
                        np.char.add("-", np.char.zfill(rng.integers(0, 100_000, n).astype(str), 5)))
    codes = _inject(rng, n, codes.astype(object), 1_000, "bad code")
    cat3 = _inject(rng, n, np.asarray(table.column("cat_03").to_pylist(), dtype=object), 500, "UNKNOWN")
    table = table.set_column(table.schema.get_field_index("cat_03"), "cat_03", pa.array(cat3, pa.string()))
    table = table.append_column("id", pa.array(ids)).append_column("age", pa.array(ages, pa.int64())) \
                 .append_column("code", pa.array(codes, pa.string()))
    pq.write_table(table, data)
    spec = {"columns": {}}
    for name in ref.column_names:
        col = ref.column(name)
        if pa.types.is_floating(col.type):
            mm = pc.min_max(col)
            spec["columns"][name] = {"type": "numeric", "range": [mm["min"].as_py(), mm["max"].as_py()],
                                     "max_out_of_range_pct": 0,
                                     "max_missing_pct": 0.02 if name == "num_15" else 0}
        else:
            levels = sorted(pc.unique(col).to_pylist())
            spec["columns"][name] = {"type": "category", "allowed": levels, "max_missing_pct": 0}
    spec["columns"]["id"] = {"type": "integer", "unique": True, "max_missing_pct": 0}
    spec["columns"]["age"] = {"type": "integer", "range": [0, 120], "max_out_of_range_pct": 0,
                              "max_missing_pct": 0}
    spec["columns"]["code"] = {"type": "string", "pattern": r"[A-Z]{2}-\d{5}", "max_missing_pct": 0}
    schema_path.write_text(json.dumps(spec, indent=1))
    stamp.write_text(str(DATA_VERSION))
    return data, schema_path


def _timed(fn, repeats: int) -> tuple[float, list[float], object]:
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), [round(x, 3) for x in times], out


def in_process(data: Path, schema_path: Path, repeats: int) -> dict:
    import pandas as pd

    from core.validation.schema import load_schema
    from core.data.tables import read_table
    from core.validation.validate import validate

    schema = load_schema(schema_path)
    spec = json.loads(schema_path.read_text())
    loaded = read_table(data)
    pd_df = pd.read_parquet(data)
    pandera = pandera_schema(spec)
    res: dict = {}
    best, all_t, pf = _timed(lambda: validate(loaded.df, schema, kinds=loaded.kinds), repeats)
    res["preflight_core"] = {"seconds": best, "all_seconds": all_t, "frame": "core.data.tables.read_table"}
    best, all_t, pf2 = _timed(lambda: validate(pd_df, schema), repeats)
    res["preflight_core_pandas_frame"] = {"seconds": best, "all_seconds": all_t, "frame": "pd.read_parquet"}
    best, all_t, failures = _timed(lambda: pandera_validate(pd_df, pandera), repeats)
    res["pandera"] = {"seconds": best, "all_seconds": all_t, "frame": "pd.read_parquet"}
    res["findings"] = {
        "preflight": {f"{v.column} | {v.check}": v.count for v in pf.violations},
        "preflight_pandas_frame_same": pf2.to_dict()["violations"] == pf.to_dict()["violations"],
        "pandera": summarise(failures)}
    return res


def processes(data: Path, schema_path: Path, repeats: int, tmp: Path) -> dict:
    cmds = {"preflight_cli": [sys.executable, "main.py", "validate", str(data), "--schema", str(schema_path),
                              "--json"],
            "pandera_process": [sys.executable, str(HERE / "peers" / "pandera_validate.py"), str(data),
                                str(schema_path)]}
    runs: dict[str, list] = {k: [] for k in cmds}
    for rep in range(repeats):
        for name, cmd in cmds.items():
            r = measure.run_process(cmd, tmp / f"{name}.out")
            runs[name].append(r)
            flag = "" if r["rc"] in (0, 1) else f"  FAILED rc={r['rc']}: {r['stderr_tail'][-300:]}"
            print(f"  process repeat {rep + 1}/{repeats}  {name:<16} {r['wall_s']:7.2f} s wall "
                  f"{r['cpu_s']:7.2f} s cpu {r['peak_rss_mb']:6.0f} MB{flag}", flush=True)
    return {k: {kk: vv for kk, vv in measure.best(v).items() if kk != "stderr_tail"} for k, v in runs.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=generate.DEFAULT_CACHE)
    ap.add_argument("--out", default="validate.json", help="file name under benchmarks/results/")
    args = ap.parse_args(argv)
    data, schema_path = ensure_data(args.rows, args.cache)
    info = {"machine": measure.machine(), "rows": args.rows, "columns": 28, "repeats": args.repeats,
            "versions": {p: measure.pip_version(sys.executable, p)
                         for p in ("pandas", "numpy", "pandera", "pyarrow")}}
    print(f"in-process, {args.rows:,} rows x 28 columns ...", flush=True)
    info["in_process"] = inproc = in_process(data, schema_path, args.repeats)
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as tmp:
        info["processes"] = procs = processes(data, schema_path, args.repeats, Path(tmp))
    info["ratios"] = {
        "pandera/preflight_core": round(inproc["pandera"]["seconds"] / inproc["preflight_core"]["seconds"], 2),
        "pandera/preflight_core_pandas_frame": round(
            inproc["pandera"]["seconds"] / inproc["preflight_core_pandas_frame"]["seconds"], 2),
        "pandera_process/preflight_cli": round(procs["pandera_process"]["wall_s"] / procs["preflight_cli"]["wall_s"], 2)}
    info["machine"]["load_average_end"] = measure.machine()["load_average"]
    path = measure.write_results(args.out, info)
    rows = [[k, f"{v['seconds']:.3f}", ""] for k, v in inproc.items() if k != "findings"]
    rows += [[k, f"{v['wall_s']:.2f}", f"{v['peak_rss_mb']:.0f}"] for k, v in procs.items()]
    print()
    print(measure.fmt_table(rows, ["what", "seconds (best)", "peak RSS MB"]))
    print()
    for k, v in info["ratios"].items():
        print(f"  {k:<40} {v}")
    print("\nPreflight found:", json.dumps(inproc["findings"]["preflight"], indent=1))
    print("pandera found:", json.dumps(inproc["findings"]["pandera"], indent=1))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

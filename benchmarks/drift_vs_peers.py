"""Drift benchmark: Preflight's ``drift`` command against Evidently and a numpy/scipy script.

Every tool runs as a whole process on the same Parquet files (reading included), one
after the other, for each size and repeat:

* ``preflight``        ``python main.py drift REF CUR --json`` (the default, with the
                       multivariate domain classifier);
* ``preflight_no_mv``  the same with ``--no-multivariate`` (the same work the peers do);
* ``numpy``            ``benchmarks/peers/numpy_drift.py`` (the tightest plain numpy/scipy
                       script: each column sorted once, everything read off the sorted
                       arrays; one thread);
* ``evidently``        ``benchmarks/peers/evidently_drift.py`` in ``benchmarks/.venv-evidently``
                       (``Report([DataDriftPreset()])``; created on first use from
                       ``peers/requirements-evidently.txt``).

Wall time, CPU time and peak RSS come from ``/usr/bin/time -v`` (see :mod:`measure`);
the best of ``--repeats`` runs is reported.  A first run on 1,000-row tables shows each
tool's fixed cost (interpreter start, imports) and baseline memory.  The data's in-memory size (both tables,
``memory_usage(deep=True)``) is measured as Preflight loads them and as pandas loads them.
The statistics of the three tools are compared, so a fast wrong answer would show: Preflight and
the numpy script must agree to 1e-9 (relative) on every statistic both report.  The ratios
(peer wall time / Preflight wall time, higher is better for Preflight) are checked against the
goals: the default ``drift`` no slower than the numpy script, and at least 10x faster than
Evidently.  Results: printed and written to ``benchmarks/results/drift.json``.

    python benchmarks/drift_vs_peers.py                    # 200k and 1M rows, 1 repeat
    python benchmarks/drift_vs_peers.py --rows 200000 --repeats 3 --tools preflight numpy
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
import measure  # noqa: E402

HERE = measure.HERE
VENV = HERE / ".venv-evidently"
VENV_PY = VENV / "bin" / "python"
STARTUP_ROWS = 1_000
TOOLS = ("preflight", "preflight_no_mv", "numpy", "evidently")
COMPARED = ("psi", "jensen_shannon", "ks_statistic", "ks_p_value", "wasserstein", "chi2_statistic",
            "chi2_p_value", "reference_mean", "current_mean", "reference_std", "current_std")
AGREEMENT = 1e-9  # largest relative difference allowed between Preflight and the numpy script
GOALS = {"numpy/preflight": 1.0, "evidently/preflight": 10.0}  # ratio (peer / Preflight) at least


def ensure_evidently_venv() -> None:
    """Create benchmarks/.venv-evidently with the pinned Evidently stack if it is missing."""
    if VENV_PY.exists():
        return
    print(f"creating {VENV} (one time, a few minutes) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", "-r",
                    str(HERE / "peers" / "requirements-evidently.txt")], check=True)


def command(tool: str, ref: Path, cur: Path, out: Path) -> list[str]:
    if tool == "preflight":
        return [sys.executable, "main.py", "drift", str(ref), str(cur), "--json"]
    if tool == "preflight_no_mv":
        return [sys.executable, "main.py", "drift", str(ref), str(cur), "--json", "--no-multivariate"]
    if tool == "numpy":
        return [sys.executable, str(HERE / "peers" / "numpy_drift.py"), str(ref), str(cur), "--out", str(out)]
    return [str(VENV_PY), str(HERE / "peers" / "evidently_drift.py"), str(ref), str(cur), "--out", str(out)]


def data_size(ref: Path, cur: Path) -> dict:
    """Bytes of both tables in memory, as Preflight loads them and as pandas loads them."""
    code = (
        "import json, sys, pandas as pd\n"
        "sys.path.insert(0, '.')\n"
        "from core.data.tables import read_table\n"
        "out = {'preflight_bytes': 0, 'pandas_bytes': 0}\n"
        "for p in sys.argv[1:]:\n"
        "    out['preflight_bytes'] += int(read_table(p).df.memory_usage(deep=True).sum())\n"
        "    out['pandas_bytes'] += int(pd.read_parquet(p).memory_usage(deep=True).sum())\n"
        "print(json.dumps(out))\n")
    res = subprocess.run([sys.executable, "-c", code, str(ref), str(cur)], capture_output=True,
                         text=True, cwd=measure.REPO, check=True)
    return json.loads(res.stdout)


# ---------------------------------------------------------------- agreement between tools

def _preflight_columns(path: Path) -> dict:
    data = json.loads(path.read_text())
    return {c["name"]: c for c in data["columns"]}


def _evidently_drifted(path: Path) -> list[str]:
    out = []
    for m in json.loads(path.read_text())["metrics"]:
        hit = re.match(r"ValueDrift\(column=(.+?),method=(.*),threshold=([0-9.eE-]+)\)", m["metric_name"])
        if not hit or m["value"] is None:
            continue
        value, threshold = float(m["value"]), float(hit.group(3))
        p_value = "p_value" in hit.group(2)  # tests drift below the threshold, distances at/above
        if (value < threshold) if p_value else (value >= threshold):
            out.append(hit.group(1))
    return sorted(out)


def agreement(outputs: dict) -> dict:
    """Largest differences between Preflight's and the numpy script's statistics, drifted sets."""
    res: dict = {}
    pf = outputs.get("preflight_no_mv") or outputs.get("preflight")
    pf_cols = _preflight_columns(pf) if pf and pf.exists() and pf.stat().st_size else None
    if pf_cols:
        res["preflight_drifted"] = sorted(n for n, c in pf_cols.items() if c["drifted"])
    np_path = outputs.get("numpy")
    if np_path and np_path.exists() and np_path.stat().st_size:
        np_cols = json.loads(np_path.read_text())["columns"]
        res["numpy_drifted"] = sorted(n for n, c in np_cols.items() if c["drifted"])
        if pf_cols:
            diffs = {}
            for key in COMPARED:
                pairs = [(pf_cols[n].get(key), c.get(key)) for n, c in np_cols.items() if n in pf_cols]
                pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
                if pairs:
                    diffs[key] = max(abs(a - b) / max(1.0, abs(b)) for a, b in pairs)
            res["max_relative_difference_preflight_vs_numpy"] = diffs
            # the statistics only: the script always applies the large-sample verdict rule, Preflight
            # decides columns with at most 1,000 reference values by p-values, so small tables differ there
            res[f"statistics_agree_to_{AGREEMENT:g}"] = all(d <= AGREEMENT for d in diffs.values())
    ev = outputs.get("evidently")
    if ev and ev.exists() and ev.stat().st_size:
        res["evidently_drifted"] = _evidently_drifted(ev)
    return res


# ---------------------------------------------------------------- main

def run_size(n: int, tools: list[str], repeats: int, cache: Path, tmp: Path) -> dict:
    ref, cur = generate.ensure(n, cache)
    outputs = {t: tmp / f"{t}_{n}.json" for t in tools}
    runs: dict[str, list] = {t: [] for t in tools}
    for rep in range(repeats):
        for tool in tools:
            out = outputs[tool]
            r = measure.run_process(command(tool, ref, cur, out),
                                    out if tool.startswith("preflight") else tmp / "stdout.txt",
                                    env={"DO_NOT_TRACK": "1"})
            runs[tool].append(r)
            status = "" if r["rc"] in (0, 1) else f"  FAILED rc={r['rc']}: {r['stderr_tail'][-300:]}"
            print(f"  {n:>9,} rows  repeat {rep + 1}/{repeats}  {tool:<16} {r['wall_s']:8.2f} s wall "
                  f"{r['cpu_s']:8.2f} s cpu {r['peak_rss_mb']:8.0f} MB{status}", flush=True)
    size = data_size(ref, cur)
    result = {"rows": n, "columns": 25, "reference": str(ref.relative_to(measure.REPO)),
              "file_mb": round((ref.stat().st_size + cur.stat().st_size) / 1e6, 1),
              "data_in_memory_mb": {k.replace("_bytes", ""): round(v / 2 ** 20, 1) for k, v in size.items()},
              "tools": {t: {k: v for k, v in measure.best(runs[t]).items() if k != "stderr_tail"}
                        for t in tools},
              "agreement": agreement(outputs)}
    result["ratios"] = ratios(result)
    result["goals"] = {f"{k} >= {v:g}": result["ratios"][k] >= v for k, v in GOALS.items() if k in result["ratios"]}
    return result


def ratios(res: dict) -> dict:
    t = res["tools"]
    out = {}
    for base in ("preflight", "preflight_no_mv"):
        if base not in t or t[base].get("failed"):
            continue
        for peer in ("evidently", "numpy"):
            if peer in t and not t[peer].get("failed"):
                out[f"{peer}/{base}"] = round(t[peer]["wall_s"] / t[base]["wall_s"], 2)
        peak = t[base].get("max_peak_rss_mb", t[base]["peak_rss_mb"])  # worst repeat: the goal is a cap
        mem = res["data_in_memory_mb"]
        out[f"{base}_max_peak_rss/data_in_memory(preflight load)"] = round(peak / mem["preflight"], 2)
        out[f"{base}_max_peak_rss/data_in_memory(pandas load)"] = round(peak / mem["pandas"], 2)
    return out


def print_summary(results: list[dict]) -> None:
    rows = []
    for res in results:
        for tool, r in res["tools"].items():
            rows.append([f"{res['rows']:,}", tool, "FAILED" if r.get("failed") else f"{r['wall_s']:.2f}",
                         f"{r['cpu_s']:.2f}", f"{r['peak_rss_mb']:.0f}"])
    print()
    print(measure.fmt_table(rows, ["rows", "tool", "wall s (best)", "cpu s", "peak RSS MB"]))
    for res in results:
        print(f"\n{res['rows']:,} rows: data in memory {res['data_in_memory_mb']} MB")
        for k, v in res["ratios"].items():
            print(f"  {k:<58} {v}")
        for k, v in res["agreement"].items():
            print(f"  {k}: {v}")
        for k, v in res.get("goals", {}).items():
            print(f"  goal {k}: {'met' if v else 'NOT met'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=list(generate.DEFAULT_SIZES))
    ap.add_argument("--repeats", type=int, default=1, help="runs per tool; the best is reported")
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    ap.add_argument("--cache", type=Path, default=generate.DEFAULT_CACHE)
    ap.add_argument("--out", type=str, default="drift.json", help="file name under benchmarks/results/")
    ap.add_argument("--no-startup", action="store_true",
                    help="skip the 1,000-row run that shows each tool's fixed start-up cost")
    args = ap.parse_args(argv)
    sizes = ([] if args.no_startup else [STARTUP_ROWS]) + [n for n in args.rows if n != STARTUP_ROWS]
    if "evidently" in args.tools:
        ensure_evidently_venv()
    info = {"machine": measure.machine(), "versions": {
        "preflight_env": {p: measure.pip_version(sys.executable, p)
                          for p in ("pandas", "numpy", "scipy", "pyarrow", "scikit-learn")},
        "evidently_env": {p: measure.pip_version(str(VENV_PY), p)
                          for p in ("evidently", "pandas", "numpy", "scipy", "pyarrow")}
        if VENV_PY.exists() else None},
        "repeats": args.repeats, "timer": "GNU time -v" if measure.GNU_TIME else "getrusage wrapper"}
    results = []
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as tmp:
        for n in sizes:
            results.append(run_size(n, args.tools, args.repeats, args.cache, Path(tmp)))
            info["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
            path = measure.write_results(args.out, {**info, "sizes": results})
    print_summary(results)
    print(f"\nwritten: {os.path.relpath(path, measure.REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Label-free accuracy estimate (CBPE): Preflight against NannyML on the same simulated log and daily windows.

    python benchmarks/bench_performance_cbpe.py [--rows-per-day 5000] [--seeds 3]

The simulated log has a labelled reference period and an analysis period whose labels are withheld; a
covariate shift in the second half of the analysis period crowds the rows near the decision boundary, so
accuracy falls while P(y | x) stays put.  The score is a monotone but miscalibrated probability (``p ** 1.7``),
so both tools must calibrate it on the reference period (both use isotonic regression).

Both tools read the same Parquet file (``benchmarks/.data/cbpe_sim_<seed>.parquet``): Preflight in this process
(``run_performance``: reading the file, every realised metric and CBPE on every window; the first call pays
for lazy imports such as scikit-learn's isotonic regression and pyarrow, like NannyML's first ``fit``) and as
``python main.py performance``;
NannyML in its own virtualenv ``benchmarks/.venv-nannyml`` (``benchmarks/nannyml/bench_cbpe.py``; created on
first use with ``pip install nannyml "pandas<3" statsmodels``).  Per analysis day the realised accuracy comes
from the withheld labels.  Prints both estimates side by side, each one's mean absolute error against the
realised accuracy and how often the realised value lies inside each band, and the times: in-process (NannyML:
``fit`` + ``estimate`` on frames already read; Preflight: the whole ``run_performance`` including the read), first
call and best of ``--repeats``, and whole processes (imports included).  Writes
``results/cbpe_nannyml.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.performance.run import PerformanceSettings, run_performance  # noqa: E402

VENV = ROOT / "benchmarks" / ".venv-nannyml"
NANNY = ROOT / "benchmarks" / "nannyml" / "bench_cbpe.py"
DATA = ROOT / "benchmarks" / ".data"


def simulate(rows_per_day: int, ref_days: int, analysis_days: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The shared log (labels withheld in the analysis period) and every row's true label."""
    rng = np.random.default_rng(seed)
    days = ref_days + analysis_days
    n = rows_per_day * days
    day = np.repeat(np.arange(days), rows_per_day)
    ts = pd.Timestamp("2026-03-01", tz="UTC") + pd.to_timedelta(day * 86400 + rng.uniform(0, 86400, n), unit="s")
    shifted = day >= ref_days + analysis_days // 2
    x = np.where(shifted, rng.normal(0.3, 0.5, n), rng.normal(0.0, 1.2, n))
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    score = p ** 1.7
    reference = day < ref_days
    df = pd.DataFrame({"timestamp": ts, "y_true": np.where(reference, y, np.nan), "y_score": score,
                       "y_pred": (score >= 0.5).astype(int), "period": np.where(reference, "reference", "analysis")})
    order = np.argsort(df["timestamp"].to_numpy(), kind="stable")
    return df.iloc[order].reset_index(drop=True), y[order]


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "nannyml", "pandas<3", "statsmodels", "pyarrow"],
                       check=True)
    return python


def realised(df: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    day = df["timestamp"].dt.strftime("%Y-%m-%d").to_numpy()
    hit = (df["y_pred"].to_numpy() == y).astype(float)
    s = pd.Series(hit).groupby(day).mean()
    return {k: float(v) for k, v in s.items()}


def one_seed(args, seed: int, python: Path) -> dict:
    df, y = simulate(args.rows_per_day, args.ref_days, args.analysis_days, seed)
    DATA.mkdir(exist_ok=True)
    path = DATA / f"cbpe_sim_{seed}.parquet"
    df.to_parquet(path, index=False)
    truth = realised(df, y)
    # Preflight in-process: read, every realised metric on the reference, CBPE on every window
    settings = PerformanceSettings(window="1D", baseline_windows=args.ref_days)
    times, cpu = [], []
    for _ in range(args.repeats):
        t, c = time.perf_counter(), time.process_time()
        run = run_performance(path, settings)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    pre = {w["start"][:10]: w["estimated"] for w in run.result["windows"]}
    # Preflight as a whole process (imports included)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "performance", str(path), "--window", "1D",
                           "--baseline-windows", str(args.ref_days), "--json"], capture_output=True, text=True)
    t_pre_proc = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr)
    # NannyML in its own virtualenv
    t = time.perf_counter()
    proc = subprocess.run([str(python), str(NANNY), str(path), "1"], capture_output=True, text=True)
    t_nml_proc = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    nml = json.loads(proc.stdout.strip().splitlines()[-1])
    proc = subprocess.run([str(python), str(NANNY), str(path), str(args.repeats)], capture_output=True, text=True)
    best = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    nml_best, nml_cpu = best["best_fit_estimate"], best["best_cpu"]
    rows = []
    for c in nml["chunks"]:
        d = c["start"]
        e = pre.get(d)
        rows.append({"day": d, "realised": truth[d], "preflight": e["accuracy"], "preflight_low": e["accuracy_low"],
                     "preflight_high": e["accuracy_high"], "nannyml": c["accuracy"], "nannyml_low": c["low"],
                     "nannyml_high": c["high"]})
    err = {tool: float(np.mean([abs(r[tool] - r["realised"]) for r in rows])) for tool in ("preflight", "nannyml")}
    inside = {tool: int(sum(r[f"{tool}_low"] <= r["realised"] <= r[f"{tool}_high"] for r in rows))
              for tool in ("preflight", "nannyml")}
    return {"seed": seed, "rows": len(df), "days": rows, "mae": err, "inside_band": inside,
            "seconds": {"preflight_first": times[0], "preflight_best": min(times), "preflight_process": t_pre_proc,
                        "nannyml_first": nml["seconds"]["fit"] + nml["seconds"]["estimate"],
                        "nannyml_best": nml_best, "nannyml_read": nml["seconds"]["read"],
                        "nannyml_process": t_nml_proc, "preflight_best_cpu": min(cpu), "nannyml_best_cpu": nml_cpu},
            "nannyml_version": nml["version"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows-per-day", type=int, default=5000)
    ap.add_argument("--ref-days", type=int, default=10)
    ap.add_argument("--analysis-days", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3, help="in-process timings per tool (first and best shown)")
    args = ap.parse_args()
    python = ensure_venv()
    runs = [one_seed(args, seed, python) for seed in range(args.seeds)]
    first = runs[0]
    print(f"NannyML {first['nannyml_version']}; {first['rows']:,} rows per seed ({args.ref_days} reference days "
          f"labelled, {args.analysis_days} analysis days without labels, shift from analysis day "
          f"{args.analysis_days // 2 + 1}); seed 0 per day:")
    print(f"{'day':<11}{'realised':>9}  {'Preflight [band]':<26}{'NannyML [band]':<26}")
    for r in first["days"]:
        print(f"{r['day']:<11}{r['realised']:>9.4f}  "
              f"{r['preflight']:.4f} [{r['preflight_low']:.3f}, {r['preflight_high']:.3f}]   "
              f"{r['nannyml']:.4f} [{r['nannyml_low']:.3f}, {r['nannyml_high']:.3f}]")
    print(f"\nseed  MAE Preflight  MAE NannyML  inside band (Preflight / NannyML)   seconds, first / best of "
          f"{args.repeats} in-process / whole process: Preflight; NannyML")
    for r in runs:
        s = r["seconds"]
        print(f"{r['seed']:<6}{r['mae']['preflight']:>13.4f}{r['mae']['nannyml']:>13.4f}  "
              f"{r['inside_band']['preflight']:>3} / {r['inside_band']['nannyml']:<3} of {len(r['days'])}{'':21}"
              f"{s['preflight_first']:.3f} / {s['preflight_best']:.3f} / {s['preflight_process']:.2f}; "
              f"{s['nannyml_first']:.3f} / {s['nannyml_best']:.3f} / {s['nannyml_process']:.2f}")
    mean = {tool: float(np.mean([r["mae"][tool] for r in runs])) for tool in ("preflight", "nannyml")}
    print(f"mean MAE over {len(runs)} seeds: Preflight {mean['preflight']:.4f}, NannyML {mean['nannyml']:.4f}; "
          "largest difference between the two estimates: "
          f"{max(abs(d['preflight'] - d['nannyml']) for r in runs for d in r['days']):.2g}")
    print("best CPU seconds in-process per seed (Preflight; NannyML): "
          + ", ".join(f"{r['seconds']['preflight_best_cpu']:.3f}; {r['seconds']['nannyml_best_cpu']:.3f}" for r in runs)
          + f"  (load average {os.getloadavg()[0]:.1f})")
    out = ROOT / "benchmarks" / "results" / "cbpe_nannyml.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "runs": runs, "mean_mae": mean}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

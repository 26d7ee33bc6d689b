"""Where the time of ``python main.py drift REF CUR --json`` goes, stage by stage.

Replays the stages of :func:`core.drift.run.run_drift` one at a time and times each
(wall clock and the process's CPU time, all threads), so a slow stage is named directly:

imports, reading each table (``core.data.tables.read_table``: Parquet read, kind inference,
coercion, quality warnings, SHA-256), per-column statistics (``compute_drift`` without
the multivariate part), the multivariate domain classifier alone, the default
``compute_drift`` (the classifier in its own thread beside the column statistics: compare
its wall time with the sum of the two stages before it), the result dict, the reference
profile that ``run_drift`` builds from the run's summaries when it records the run, and the
JSON text.

With ``--cprofile`` the per-column stage also runs single-threaded under cProfile (the
thread pool hides worker threads from cProfile) and the top functions of every stage
are printed.

    python benchmarks/profile_drift.py --rows 1000000 [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402


def _top(prof: cProfile.Profile, n: int = 18) -> str:
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(n)
    return out.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, default=generate.DEFAULT_CACHE)
    ap.add_argument("--cprofile", action="store_true")
    args = ap.parse_args(argv)
    ref_path, cur_path = generate.ensure(args.rows, args.cache)
    stages: list[tuple[str, float, float, float]] = []
    profiles: dict[str, cProfile.Profile] = {}

    def stage(name, fn, profile=False):
        prof = cProfile.Profile() if profile else None
        t, cpu = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        out = fn()
        if prof:
            prof.disable()
            profiles[name] = prof
        stages.append((name, time.perf_counter() - t, time.process_time() - cpu,
                       resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        return out

    def imports():
        import core.cli  # noqa: F401
        import core.drift.run  # noqa: F401
        import core.drift.multivariate  # noqa: F401
        import sklearn.ensemble  # noqa: F401
        import sklearn.model_selection  # noqa: F401

    stage("imports (core, scipy, sklearn)", imports)
    from core.canonical import dumps
    from core.drift.compute import compute_drift
    from core.drift.multivariate import domain_classifier
    from core.drift.profile import profile_from_summaries
    from core.data.tables import read_table

    ref = stage("read_table(reference)", lambda: read_table(ref_path), args.cprofile)
    cur = stage("read_table(current)", lambda: read_table(cur_path))
    kinds = {**cur.kinds, **ref.kinds}
    res = stage("column statistics (2 threads)",
                lambda: compute_drift(ref.df, cur.df, kinds, multivariate=False))
    if args.cprofile:
        stage("column statistics (1 thread, cProfile)",
              lambda: compute_drift(ref.df, cur.df, kinds, multivariate=False, workers=1), True)
    names = [c.name for c in res.columns if c.score is not None]
    stage("multivariate domain classifier",
          lambda: domain_classifier(ref.df, cur.df, names, kinds), args.cprofile)
    stage("default: columns + classifier side by side", lambda: compute_drift(ref.df, cur.df, kinds))
    body = stage("DriftResult.to_dict()", res.to_dict)
    stage("reference profile from the summaries (only with --assessment)",
          lambda: profile_from_summaries(res.reference_summaries, kinds, len(ref.df)).to_dict())
    stage("JSON text (canonical dumps)", lambda: dumps(body, indent=2))
    skip = ("cProfile", "side by side")  # re-runs: not part of the total
    total = sum(t for n, t, _, _ in stages if not any(k in n for k in skip))
    print(f"{args.rows:,} rows x {ref.df.shape[1]} columns    (peak RSS = process peak so far)\n")
    for name, t, cpu, peak in stages:
        share = "" if any(k in name for k in skip) else f"{100 * t / total:5.1f}%"
        print(f"  {name:<62} {t:7.2f} s wall {cpu:7.2f} s cpu {share:>6}  peak RSS {peak:6.0f} MB")
    print(f"  {'total (without the re-runs)':<62} {total:7.2f} s")
    for name, prof in profiles.items():
        print(f"\n==== {name}: top functions by own time ====")
        print(_top(prof))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

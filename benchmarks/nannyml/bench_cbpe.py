"""NannyML's CBPE on the shared simulated log; runs inside ``benchmarks/.venv-nannyml`` (NannyML needs pandas < 3).

    benchmarks/.venv-nannyml/bin/python benchmarks/nannyml/bench_cbpe.py SIM.parquet [REPEATS]

The file is written by ``benchmarks/bench_performance_cbpe.py``: ``timestamp``, ``y_true`` (missing in the
analysis period), ``y_score``, ``y_pred`` and ``period`` (``reference`` or ``analysis``).  NannyML is fitted on
the reference rows and estimates accuracy per day (``chunk_period="D"``) on the analysis rows.  Prints one
JSON object: per chunk its start, the estimate and NannyML's confidence band, and the times (import, read, the
first fit + estimate, and the best of REPEATS, default 3).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"   # no usage events leave the machine

t0 = time.perf_counter()
import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402

t_import = time.perf_counter() - t0


def main(path: str, repeats: int) -> None:
    t = time.perf_counter()
    df = pd.read_parquet(path)
    t_read = time.perf_counter() - t
    # NannyML wants a naive or aware timestamp column; the file's is UTC
    reference = df[df["period"] == "reference"].reset_index(drop=True)
    analysis = df[df["period"] == "analysis"].drop(columns=["y_true"]).reset_index(drop=True)
    runs = []
    cpu = []
    for _ in range(repeats):
        c = time.process_time()
        t = time.perf_counter()
        estimator = nml.CBPE(metrics=["accuracy"], y_pred_proba="y_score", y_pred="y_pred", y_true="y_true",
                             timestamp_column_name="timestamp", problem_type="classification_binary",
                             chunk_period="D")
        estimator.fit(reference)
        t_fit = time.perf_counter() - t
        t = time.perf_counter()
        result = estimator.estimate(analysis)
        runs.append((t_fit, time.perf_counter() - t))
        cpu.append(time.process_time() - c)
    t_fit, t_estimate = runs[0]
    best = min(a + b for a, b in runs)
    out = result.filter(period="analysis").to_df(multilevel=False)
    chunks = [{"start": pd.Timestamp(r["chunk_start_date"]).strftime("%Y-%m-%d"), "rows": int(r["chunk_end_index"]
               - r["chunk_start_index"] + 1), "accuracy": float(r["accuracy_value"]),
               "low": float(r["accuracy_lower_confidence_boundary"]),
               "high": float(r["accuracy_upper_confidence_boundary"])} for _, r in out.iterrows()]
    print(json.dumps({"version": nml.__version__, "pandas": pd.__version__, "chunks": chunks,
                      "seconds": {"import": t_import, "read": t_read, "fit": t_fit, "estimate": t_estimate,
                                  "best_fit_estimate": best, "best_cpu": min(cpu), "repeats": repeats}}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)

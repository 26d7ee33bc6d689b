"""Peer: Evidently's data-drift preset on the same Parquet files (runs in its own virtualenv).

Reads both tables with pandas, runs ``Report([DataDriftPreset()])`` and serialises the
resulting snapshot to JSON, so every metric is really computed.  Prints a one-line
summary (dataset drift share, number of drifted columns, JSON size).

    benchmarks/.venv-evidently/bin/python benchmarks/peers/evidently_drift.py REF CUR [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("DO_NOT_TRACK", "1")  # no usage telemetry during the measurement

import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Evidently DataDriftPreset peer")
    ap.add_argument("reference")
    ap.add_argument("current")
    ap.add_argument("--out", help="write the snapshot JSON here")
    args = ap.parse_args(argv)
    ref = pd.read_parquet(args.reference)
    cur = pd.read_parquet(args.current)
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    text = snapshot.json()
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    summary = next(m["value"] for m in snapshot.dict()["metrics"]
                   if m["metric_name"].startswith("DriftedColumnsCount"))
    print(json.dumps({"drifted_columns": summary["count"], "drifted_share": summary["share"],
                      "json_chars": len(text), "evidently_pandas": pd.__version__}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Two programs writing one assessment for a fixed time: real `python main.py` processes in two loops.

One process runs `drift REF CUR --assessment FILE` over and over, the other `checklist import FILE JSON`,
both for SECONDS seconds (default 30), each through the real CLI entry point (core.cli.main, what
`python main.py` calls) so the loops are not dominated by interpreter start-up.  Every call's exit
code and error line are kept.  At the end the
file must hold exactly one stored drift run per successful drift process and one checklist replace per
successful import, no process may have failed on the lock, and `audit verify` must pass.

    python benchmarks/concurrency_soak.py [SECONDS]

Prints one JSON object; writes benchmarks/results/concurrency_soak.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.assessment import templates  # noqa: E402
from core.assessment.checklist import save_checklist  # noqa: E402
from core.assessment.store import create_assessment, open_assessment  # noqa: E402


WORKER = """
import io, json, sys, time
from contextlib import redirect_stdout, redirect_stderr
sys.path.insert(0, {root!r})
from core.cli import main
argv, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
out, end = [], time.monotonic() + seconds
while time.monotonic() < end:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(argv)
    out.append([code, err.getvalue().strip()])
print(json.dumps(out))
"""


def loop(argv: list[str], seconds: float, out: list) -> None:
    """One process running the real CLI entry point over and over (no interpreter start-up per call)."""
    p = subprocess.run([sys.executable, "-c", WORKER.format(root=str(ROOT)), json.dumps(argv), str(seconds)],
                       capture_output=True, text=True, cwd=ROOT)
    out.extend((code, err) for code, err in json.loads(p.stdout or "[]"))
    if p.returncode != 0:
        out.append((2, p.stderr.strip()[-300:]))


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "soak.preflight"
        seed = templates.load("seed").items
        create_assessment(path, name="soak", items=seed).close()
        rng = np.random.default_rng(1)
        pd.DataFrame({"a": rng.normal(size=500), "b": rng.integers(0, 4, 500)}).to_csv(tmp / "ref.csv", index=False)
        pd.DataFrame({"a": rng.normal(0.3, 1, 500), "b": rng.integers(0, 4, 500)}).to_csv(tmp / "cur.csv",
                                                                                          index=False)
        save_checklist(seed, tmp / "c.json")
        drift, imports = [], []
        threads = [threading.Thread(target=loop, args=(["drift", str(tmp / "ref.csv"), str(tmp / "cur.csv"),
                                                        "--no-multivariate", "--assessment", str(path)],
                                                       seconds, drift)),
                   threading.Thread(target=loop, args=(["checklist", "import", str(path), str(tmp / "c.json")],
                                                       seconds, imports))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        verify = subprocess.run([sys.executable, str(ROOT / "main.py"), "audit", "verify", str(path)],
                                capture_output=True, text=True, cwd=ROOT)
        with open_assessment(path, read_only=True) as store:
            runs = len(store.runs("drift", with_result=False))
            replaces = sum(1 for e in store.audit_events() if e["action"] == "replace" and e["entity"] == "checklist")
        drift_ok = sum(1 for code, _ in drift if code in (0, 1))
        import_ok = sum(1 for code, _ in imports if code == 0)
        errors = [err for code, err in drift + imports if code == 2]
        result = {
            "seconds": seconds, "drift_calls": len(drift), "drift_ok": drift_ok, "drift_runs_stored": runs,
            "import_calls": len(imports), "import_ok": import_ok, "imports_stored": replaces - 1,
            "lock_errors": sum(1 for e in errors if "locked" in e or "busy" in e), "other_errors": errors[:5],
            "audit_verify_exit": verify.returncode,
            "no_lost_write": runs == drift_ok and replaces - 1 == import_ok,
        }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / "concurrency_soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["no_lost_write"] and not errors and verify.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

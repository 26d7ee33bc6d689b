"""Code-audit benchmark: a folder of 500 files (Python modules and notebooks) audited end to end.

The folder is generated in a temporary directory: by default 400 ``.py`` files of about 150 lines
(functions, classes, imports, a few magic numbers, paths and unseeded randomness) and 100 notebooks
of 12 code cells with outputs (one in ten with an error output, a magic line, a cell run out of
order), plus a ``requirements.txt``.  One file in fifty holds a fake access key, so the run fails as a
real one with a secret would.

Measured (best of ``--repeats``):

* whole process: ``python main.py audit-code DIR --requirements DIR/requirements.txt --json``
  (interpreter start, imports, reading, hashing, scanning, JSON on stdout);
* in-process: ``core.codeaudit.run.run_code_audit(DIR, DIR/requirements.txt)``.

Results: printed and written to ``benchmarks/results/codeaudit.json``.

    python benchmarks/codeaudit_folder.py [--files 500] [--notebook-share 0.2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

FAKE_KEY = "AKIA" + "BENCHMARKFAKE000"


def python_module(n: int) -> str:
    funcs = []
    for k in range(8):
        funcs.append(f'''

def step_{k}(frame, limit={k + 3}):
    """Step {k} of module {n}."""
    total = 0
    for row in frame.itertuples():
        if row.value > {k * 7 + 11}:
            total += helper_{k}(row.value, scale=2.5)
        elif row.value < 0:
            continue
    result = np.clip(total, 0, 1000)
    return pd.Series([result] * limit)


def helper_{k}(value, scale=1.0):
    return value * scale + {k}
''')
    head = (f'"""Generated module {n}."""\n\nimport os\nimport json\nimport numpy as np\nimport pandas as pd\n'
            f'from sklearn.ensemble import RandomForestClassifier\n\nTHRESHOLD = 0.{n % 9 + 1}\n')
    tail = (f"\n\nclass Model{n}:\n    def fit(self, x):\n        self.m = RandomForestClassifier(n_estimators=200)\n"
            f"        return self.m.fit(x, np.random.rand(len(x)))\n\n\nif __name__ == '__main__':\n"
            f"    data = pd.read_csv('/home/user/data/{n}.csv')\n    Model{n}().fit(data)\n")
    secret = f"\nAPI_KEY = '{FAKE_KEY}'\n" if n % 50 == 7 else ""
    return head + secret + "".join(funcs) + tail


def notebook(n: int) -> str:
    cells = []
    for k in range(12):
        source = [f"x{k} = compute({k}, {k * 13 + 17})\n", f"if x{k} > {k + 40}:\n", f"    print(x{k})\n"]
        if k == 0:
            source = ["%matplotlib inline\n", "import numpy as np\n", "import pandas as pd\n",
                      "df = pd.read_csv('/Users/analyst/data.csv')\n", "def compute(a, b):\n", "    return a * b\n"]
        outputs = [{"output_type": "stream", "name": "stdout", "text": [f"value {k}\n" * 20]}]
        if k == 5 and n % 10 == 0:
            outputs = [{"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}]
        count = k + 1 if not (k == 8 and n % 3 == 0) else 2
        cells.append({"cell_type": "code", "source": source, "execution_count": count, "outputs": outputs,
                      "metadata": {}})
        cells.append({"cell_type": "markdown", "source": [f"## Step {k}\n"], "metadata": {}})
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "python"}},
                       "cells": cells}, indent=1)


def generate(folder: Path, files: int, notebook_share: float) -> dict:
    notebooks = round(files * notebook_share)
    for n in range(files - notebooks):
        sub = folder / f"pkg{n % 10}"
        sub.mkdir(exist_ok=True)
        (sub / f"module_{n}.py").write_text(python_module(n))
    for n in range(notebooks):
        (folder / f"analysis_{n}.ipynb").write_text(notebook(n))
    (folder / "requirements.txt").write_text("numpy==1.26.4\npandas>=2.0\nscikit-learn==1.4.2\n")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"files": files, "python_files": files - notebooks, "notebooks": notebooks, "bytes": size}


def best_of(repeats: int, fn):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--notebook-share", type=float, default=0.2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from core.codeaudit.run import run_code_audit

    with tempfile.TemporaryDirectory(prefix="preflight-codeaudit-") as tmp:
        folder = Path(tmp) / "project"
        folder.mkdir()
        shape = generate(folder, args.files, args.notebook_share)
        req = folder / "requirements.txt"
        cmd = [sys.executable, str(ROOT / "main.py"), "audit-code", str(folder), "--requirements", str(req), "--json"]

        def whole():
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"audit-code failed: {proc.stderr.strip()}")
            return json.loads(proc.stdout)

        process_s, out = best_of(args.repeats, whole)
        inproc_s, run = best_of(args.repeats, lambda: run_code_audit(folder, req))
    summary = out["summary"]
    results = {
        "folder": shape, "repeats": args.repeats, "python": sys.version.split()[0],
        "process_seconds": round(process_s, 3), "in_process_seconds": round(inproc_s, 3),
        "files_per_second_in_process": round(shape["files"] / inproc_s, 1),
        "findings": summary["findings"], "by_severity": summary["by_severity"], "passed": summary["passed"],
        "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    assert run.result["summary"]["findings"] == summary["findings"]
    print(f"folder: {shape['files']} files ({shape['python_files']} .py, {shape['notebooks']} .ipynb), "
          f"{shape['bytes'] / 1e6:.1f} MB")
    print(f"python main.py audit-code DIR --json (whole process): {process_s:.2f} s")
    print(f"run_code_audit in-process:                          {inproc_s:.2f} s "
          f"({results['files_per_second_in_process']:.0f} files/s)")
    print(f"findings: {summary['findings']} {summary['by_severity']}; passed: {summary['passed']}")
    print(f"machine: {results['cpus']} CPUs, 1-minute load average {results['load_average_1min']}")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "codeaudit.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Shared helpers for Preflight's benchmarks: timing whole processes and describing the machine.

:func:`run_process` runs one command in a fresh process and returns its wall time, CPU
time (user + system) and peak resident memory.  It uses GNU ``/usr/bin/time -v`` when
present; otherwise a tiny Python wrapper process starts the command and reads
``resource.getrusage(RUSAGE_CHILDREN)`` for its single child.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
GNU_TIME = shutil.which("time", path="/usr/bin:/bin")

_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb")).returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "peak_rss_mb": ru.ru_maxrss / 1024}), file=sys.stderr)
"""


def _parse_gnu_time(text: str) -> dict:
    def grab(label):
        m = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
        return m.group(1).strip() if m else None

    user, system = float(grab("User time (seconds)")), float(grab("System time (seconds)"))
    return {"cpu_s": user + system, "peak_rss_mb": int(grab("Maximum resident set size (kbytes)")) / 1024}


def run_process(cmd: list[str], stdout_path: str | os.PathLike, env: dict | None = None,
                cwd: str | os.PathLike = REPO) -> dict:
    """Run ``cmd`` once; ``{"rc", "wall_s", "cpu_s", "peak_rss_mb", "stderr_tail"}``."""
    full_env = dict(os.environ, **(env or {}))
    if GNU_TIME:
        with open(stdout_path, "wb") as out:
            t = time.perf_counter()
            proc = subprocess.run([GNU_TIME, "-v", *cmd], stdout=out, stderr=subprocess.PIPE,
                                  env=full_env, cwd=cwd)
            wall = time.perf_counter() - t
        err = proc.stderr.decode("utf-8", "replace")
        cut = err.rfind("\tCommand being timed:")
        stats = _parse_gnu_time(err[cut:])
        return {"rc": proc.returncode, "wall_s": wall, **stats, "stderr_tail": err[:cut][-600:]}
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, str(stdout_path), *cmd],
                          stderr=subprocess.PIPE, env=full_env, cwd=cwd)
    err = proc.stderr.decode("utf-8", "replace").rstrip()
    head, _, last = err.rpartition("\n")
    stats = json.loads(last)
    return {**stats, "stderr_tail": head[-600:]}


def best(runs: list[dict]) -> dict:
    """The fastest successful run (best of repeats), with every repeat's wall time kept."""
    ok = [r for r in runs if r["rc"] in (0, 1)]  # drift/validate exit 1 = "found something"
    if not ok:
        return {**runs[-1], "failed": True, "all_wall_s": [r["wall_s"] for r in runs]}
    top = min(ok, key=lambda r: r["wall_s"])
    return {**top, "all_wall_s": [round(r["wall_s"], 3) for r in runs],
            "max_peak_rss_mb": max(r["peak_rss_mb"] for r in ok)}


def pip_version(python: str, package: str) -> str | None:
    code = ("import importlib.metadata as m, sys\n"
            "try: print(m.version(sys.argv[1]))\nexcept m.PackageNotFoundError: print('')")
    out = subprocess.run([python, "-c", code, package], capture_output=True, text=True)
    return out.stdout.strip() or None


def machine() -> dict:
    """CPU count, CPU model, memory, load average and Python version, for the results file."""
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem = round(int(m.group(1)) / 1024 ** 2, 1) if m else None
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gb": mem,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def write_results(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def fmt_table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

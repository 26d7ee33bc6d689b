"""The exported locustfile, run for real: Locust headless and bounded against the demo endpoint on a free
loopback port, then its --csv files imported as a load-test run whose numbers agree with Locust's files and
with what the server saw."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.load import plans
from core.load.demo_server import DemoServer
from core.load.imports import import_results
from core.load.plan import LoadPlan, Stage

ROOT = Path(__file__).resolve().parent.parent
VENV_LOCUST = ROOT / "benchmarks" / ".venv-locust" / "bin" / "locust"


def locust_command() -> list[str]:
    """Locust from this environment (the test extra installs it), else the benchmarks' virtualenv."""
    try:
        import importlib.util

        if importlib.util.find_spec("locust") is not None:
            return [sys.executable, "-m", "locust"]
    except (ImportError, ValueError):
        pass
    if VENV_LOCUST.exists():
        return [str(VENV_LOCUST)]
    if shutil.which("locust"):
        return [shutil.which("locust")]
    pytest.skip("Locust is not installed (pip install -e '.[test]' installs it)")


def run_locust(tmp_path, plan, prefix="run", users=None):
    script = tmp_path / "plan_locustfile.py"
    script.write_text(plans.locust_file(plan, users=users), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "PYQTGRAPH"))}
    proc = subprocess.run([*locust_command(), "-f", str(script), "--headless", "--only-summary",
                           "--csv", str(tmp_path / prefix), "--loglevel", "WARNING"],
                          capture_output=True, text=True, timeout=90, cwd=tmp_path, env=env)
    return proc


def aggregated(path):
    with open(path, newline="") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}["Aggregated"]


def test_exported_locustfile_runs_and_imports(tmp_path):
    with DemoServer(latency_ms=1, error_rate=0.1, seed=5) as server:
        plan = LoadPlan(url=server.url, stages=(Stage(1.5, 20), Stage(1.5, 20, 40)), timeout_ms=2000)
        proc = run_locust(tmp_path, plan)
        seen_by_server = server.requests
    # 10% injected 500s break the SLO, so the exported file's exit code says the run failed
    assert proc.returncode == 1, proc.stderr[-2000:]
    files = {p.name for p in tmp_path.iterdir()}
    assert {"run_stats.csv", "run_stats_history.csv", "run_failures.csv", "run_preflight.json"} <= files

    agg = aggregated(tmp_path / "run_stats.csv")
    meta = json.loads((tmp_path / "run_preflight.json").read_text())
    r = import_results(tmp_path / "run_stats.csv").result
    assert r.requests == int(agg["Request Count"]) > 0
    assert r.errors == int(agg["Failure Count"]) > 0
    # every request Locust counted reached the server; at most one per user was still in flight at the end
    assert r.requests <= seen_by_server <= r.requests + meta["users"]
    # the history's running totals end at the stats file's counts
    assert sum(t["completed"] for t in r.timeline) == r.requests
    assert sum(t["errors"] for t in r.timeline) == r.errors
    assert r.error_types == {"http_5xx": r.errors} and r.status_counts == {"500": r.errors}
    # the paced users hold the plan's rate roughly (Locust itself is not exact): 30 + 45 = 75 requests
    assert plan.expected_requests == 75
    assert 0.6 * plan.expected_requests <= r.requests <= plan.expected_requests + meta["users"]
    assert r.target_rate == pytest.approx(plan.mean_rate)
    assert r.source["tool"] == "locust" and r.source["version"] == meta["locust_version"]
    assert r.production_ready is False and any("success rate" in s for s in r.verdict_reasons)


def test_stop_rule_ends_the_locust_run_early(tmp_path):
    """A p95 stop rule of 20 ms against a server answering in 60 ms ends the 30 s plan after a few seconds."""
    with DemoServer(latency_ms=60) as server:
        plan = LoadPlan(url=server.url, stages=(Stage(30, 20),), stop_p95_ms=20, stop_window_s=1, timeout_ms=2000)
        proc = run_locust(tmp_path, plan, prefix="stop")
    assert proc.returncode == 1, proc.stderr[-2000:]
    meta = json.loads((tmp_path / "stop_preflight.json").read_text())
    assert meta["stopped_early"] is True and meta["stop_reason"].startswith("slo stop rule: p95")
    r = import_results(tmp_path / "stop").result
    assert r.stopped_early and r.production_ready is False
    assert r.requests < plan.expected_requests / 2

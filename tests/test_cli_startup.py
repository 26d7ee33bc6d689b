"""The CLI stays quick to start: registering every command and opening an assessment import no data
library, so ``templates``, ``score`` or ``audit verify`` never pay for pandas, numpy, scipy, scikit-learn,
DuckDB, pyarrow or Dask (a command imports what it needs when it runs)."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("pandas", "numpy", "scipy", "sklearn", "duckdb", "pyarrow", "dask", "pyspark", "PySide6", "pyqtgraph")

PROBE = """
import runpy, sys
sys.argv = ["main.py", *{argv!r}]
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit:
    pass
print("LOADED:" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.fixture(scope="module")
def assessment(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    return str(path)


@pytest.mark.parametrize("argv, shows", [(["templates"], "seed"), (["score", "{file}"], "NOT READY"),
                                         (["audit", "verify", "{file}"], "intact")])
def test_a_light_command_imports_no_data_library(assessment, argv, shows):
    argv = [a.format(file=assessment) for a in argv]
    proc = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    marks = [line for line in proc.stdout.splitlines() if line.startswith("LOADED:")]
    assert shows in proc.stdout and len(marks) == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert marks[0] == "LOADED:", f"`python main.py {' '.join(argv)}` imported {marks[0][7:]}"

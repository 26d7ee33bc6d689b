"""The CLI stays quick to start: registering every command imports no data library, so ``score``,
``templates`` or ``checklist`` never pay for pandas, numpy, scipy, scikit-learn, DuckDB, pyarrow or Dask
(each command imports what it needs when it runs)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("pandas", "numpy", "scipy", "sklearn", "duckdb", "pyarrow", "dask", "pyspark", "PySide6", "pyqtgraph")

PROBE = """
import sys
sys.argv = ["main.py", "templates"]
import runpy
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit:
    pass
print("LOADED:" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_a_light_command_imports_no_data_library():
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    marks = [line for line in proc.stdout.splitlines() if line.startswith("LOADED:")]
    assert "seed" in proc.stdout and len(marks) == 1, proc.stdout[-2000:]
    assert marks[0] == "LOADED:", f"`python main.py templates` imported {marks[0][7:]}"

"""The architecture's import contracts (``[tool.importlinter]`` in pyproject.toml) hold, and they bite.

The contracts: core never imports Qt, pyqtgraph or ui (not even inside a function); the core and ui
layers (features independent of each other over a shared kernel, composition on top); only the
store package imports sqlite3 / sqlite_utils; DuckDB and Dask stay in the modules made for them.  Each "bites" test copies the sources into a
temporary folder, adds one offending import, and checks that ``lint-imports`` then fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_contracts_hold_on_the_source_tree():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "6 kept, 0 broken" in proc.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("contracts")
    for name in ("core", "ui"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


@pytest.mark.parametrize("module, line, broken", [
    ("core/drift/columns.py", "def _late():\n    from PySide6 import QtCore  # noqa\n", "Qt-free"),
    ("core/data/tables.py", "import pyqtgraph  # noqa\n", "Qt-free"),
    ("core/drift/columns.py", "from core.validation import schema  # noqa\n", "core layers"),
    ("core/data/tables.py", "from core.drift import stattests  # noqa\n", "core layers"),
    ("ui/checklist/model.py", "from ui.handoff import form  # noqa\n", "ui layers"),
    ("core/validation/checks.py", "import sqlite3  # noqa\n", "only the store runs SQL"),
    ("ui/common/charts.py", "import sqlite_utils  # noqa\n", "only the store runs SQL"),
    ("core/drift/stattests.py", "import duckdb  # noqa\n", "out-of-core engine's SQL"),
    ("core/drift/dask_parts.py", "import dask.dataframe  # noqa\n", "Dask stays in the Dask profile builder"),
])
def test_each_contract_bites(tree_copy, module, line, broken):
    path = tree_copy / module
    original = path.read_text()
    path.write_text(original + "\n" + line)
    try:
        proc = lint(tree_copy)
    finally:
        path.write_text(original)
    assert proc.returncode != 0
    broken_part = proc.stdout.split("Broken contracts", 1)[-1]
    assert broken in broken_part, proc.stdout[-2000:]


CYCLES = """
import sys
import grimp
graph = grimp.build_graph("core", "ui")
found = []
for module in sorted(graph.modules):
    for imported in sorted(graph.find_modules_directly_imported_by(module)):
        if imported.startswith(("core", "ui")) and graph.find_shortest_chain(importer=imported, imported=module):
            found.append(f"{module} <-> {imported}")
print("\\n".join(found))
sys.exit(1 if found else 0)
"""


def cycles(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", CYCLES], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)


def test_no_import_cycles_in_core_or_ui():
    proc = cycles(ROOT)
    assert proc.returncode == 0, "import cycles:\n" + proc.stdout


def test_the_cycle_check_bites(tree_copy):
    path = tree_copy / "core/validation/schema.py"
    original = path.read_text()
    path.write_text(original + "\n\ndef _late():\n    from core.validation.infer import infer_schema  # noqa\n")
    try:
        proc = cycles(tree_copy)
    finally:
        path.write_text(original)
    assert proc.returncode == 1 and "core.validation.schema <-> core.validation.infer" in proc.stdout

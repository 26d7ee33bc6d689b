"""core/ must import without PySide6 or pyqtgraph (checked in a clean subprocess)."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "ui"):
                raise ImportError(f"core imported {{name}}")
            return None
    sys.meta_path.insert(0, Block())
    sys.path.insert(0, {root!r})
    import core
    names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    for name in names:
        importlib.import_module(name)
    print(len(names))
""")


def test_every_core_module_imports_with_qt_blocked():
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT))], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 10


def test_the_block_really_blocks():
    code = SCRIPT.format(root=str(ROOT)).replace("import core\n", "import core\nimport PySide6\n", 1)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "core imported PySide6" in proc.stderr

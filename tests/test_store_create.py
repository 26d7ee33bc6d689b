"""Creating an assessment: a creation killed half-way leaves no file behind; the name is never half-used."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.errors import AssessmentFileError

ROOT = Path(__file__).resolve().parent.parent

# `new` through the real CLI, killed (os._exit, no clean-up runs) after the third checklist item
KILLED_NEW = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from core.assessment.store import Assessment
    real = Assessment._insert_item
    count = []
    def dying(self, item):
        count.append(1)
        if len(count) == 3:
            os._exit(9)
        return real(self, item)
    Assessment._insert_item = dying
    from core.cli import main
    main(["new", {path!r}])
""")


def _run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


def test_a_killed_new_leaves_no_file_and_new_then_works(tmp_path):
    path = tmp_path / "a.preflight"
    proc = subprocess.run([sys.executable, "-c", KILLED_NEW.format(root=str(ROOT), path=str(path))],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 9
    assert not path.exists()
    verify = _run("audit", "verify", path)
    assert verify.returncode == 2 and "no such file" in verify.stderr
    again = _run("new", path)
    assert again.returncode == 0, again.stderr
    with open_assessment(path, read_only=True) as store:
        assert len(store.items()) == len(templates.load("seed").items)
        assert store.verify_audit().ok


def test_creation_leaves_one_self_contained_file_and_no_temporary(tmp_path):
    path = tmp_path / "b.preflight"
    create_assessment(path, name="B", items=templates.load("seed").items).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.preflight"]


def test_a_failed_creation_keeps_the_existing_file(tmp_path):
    path = tmp_path / "c.preflight"
    create_assessment(path, name="old").close()
    before = path.read_bytes()
    with pytest.raises(AssessmentFileError, match="already exists"):
        create_assessment(path, name="new")
    assert path.read_bytes() == before
    with pytest.raises(AttributeError):  # fails half-way: the old file is untouched and no temporary is left
        create_assessment(path, name="new", items=[object()], overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.preflight"]
    with create_assessment(path, name="new", overwrite=True) as store:
        assert store.meta()["name"] == "new"

"""Commands that only read never write: no migration, no journal-mode switch, read-only folders work."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import SCHEMA_VERSION, create_assessment, open_assessment
from core.cli import main as cli_main
from core.errors import AssessmentFileError

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "v4.preflight"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _old_copy(tmp_path) -> Path:
    path = tmp_path / "old.preflight"
    shutil.copy(FIXTURE, path)
    return path


def _schema(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT value FROM info WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


def test_verify_score_and_report_leave_an_older_file_byte_for_byte(tmp_path, capsys):
    path = _old_copy(tmp_path)
    before = _digest(path)
    assert cli_main(["audit", "verify", str(path), "--json"]) in (0, 1)
    assert cli_main(["score", str(path), "--json"]) in (0, 1)
    assert cli_main(["report", str(path), "--out", str(tmp_path / "r.json")]) == 0
    capsys.readouterr()
    assert cli_main(["audit", "log", str(path), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["events"]) == 13  # the old file's own 13 events
    assert _digest(path) == before
    assert _schema(path) == 4
    with open_assessment(path, read_only=True) as store:
        last = store.audit_events()[-1]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["audit_head"] == {"seq": last["seq"], "hash": last["hash"]}  # the file's head, not a copy's
    assert not list(tmp_path.glob("old.preflight.bak-*"))


def test_read_only_open_does_not_migrate_and_refuses_writes(tmp_path):
    path = _old_copy(tmp_path)
    before = _digest(path)
    with open_assessment(path, read_only=True) as store:
        assert store.schema_version == 4
        assert store.items()
        with pytest.raises(AssessmentFileError, match="read-only"):
            store.update_meta(owner="x")
    with open_assessment(path, read_only=True) as store:
        file_events = store.audit_events()
    with open_assessment(path, read_only=True, upgrade_copy=True) as store:
        assert store.schema_version == SCHEMA_VERSION  # migrated in memory only
        # the copy's audit trail is the file's own: a report from it names the file's head
        assert [(e["seq"], e["hash"]) for e in store.audit_events()] == [(e["seq"], e["hash"]) for e in file_events]
        assert store.verify_audit().ok
    assert _digest(path) == before


def test_a_writable_open_backs_the_file_up_before_migrating(tmp_path):
    path = _old_copy(tmp_path)
    before = _digest(path)
    with open_assessment(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.backup_path == tmp_path / "old.preflight.bak-v4"
    backup = tmp_path / "old.preflight.bak-v4"
    assert _schema(backup) == 4
    original = tmp_path / "original.preflight"  # a copy: opening a WAL file even read-only adds its -shm beside it
    shutil.copy(FIXTURE, original)
    with open_assessment(backup, read_only=True) as copy, open_assessment(original, read_only=True) as orig:
        assert copy.audit_events() == orig.audit_events()
        assert copy.items() == orig.items()
    assert before != _digest(path)


def _foreign(tmp_path) -> Path:
    path = tmp_path / "other.preflight"
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("argv", [["audit", "verify"], ["score"], ["checklist", "import"]])
def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path, capsys, argv):
    path = _foreign(tmp_path)
    before = _digest(path)
    checklist_json = tmp_path / "c.json"
    checklist_json.write_text('{"items": []}')
    extra = [str(checklist_json)] if argv[0] == "checklist" else []
    assert cli_main(argv + [str(path)] + extra) == 2
    assert "not a Preflight assessment" in capsys.readouterr().err
    assert _digest(path) == before
    assert path.read_bytes()[18:20] == b"\x01\x01"  # still a rollback-journal file, never switched to WAL
    assert not Path(str(path) + "-wal").exists()


# ------------------------------------------------------------ read-only folder
def _read_only_runner():
    """How to run a command where the folder really is read-only (root ignores chmod: use a ro bind mount)."""
    if os.geteuid() != 0:
        return "chmod"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return "mount" if probe.returncode == 0 else None


def _run_in_read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "main.py")] + argv
    how = _read_only_runner()
    if how is None:
        pytest.skip("cannot make a read-only folder here")
    if how == "chmod":
        for f in folder.iterdir():
            f.chmod(0o444)
        folder.chmod(0o555)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        finally:
            folder.chmod(0o755)
    quoted = " ".join(f"'{c}'" for c in cmd)
    script = f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' && exec {quoted}"
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture
def ro_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    create_assessment(folder / "a.preflight", name="A", items=templates.load("seed").items).close()
    (tmp_path / "c.json").write_text('{"items": [{"category": "C", "name": "n"}]}')
    return folder


def test_verify_score_and_report_work_in_a_read_only_folder(ro_folder, tmp_path):
    before = _digest(ro_folder / "a.preflight")
    path = str(ro_folder / "a.preflight")
    result = _run_in_read_only(ro_folder, ["audit", "verify", path])
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout
    result = _run_in_read_only(ro_folder, ["score", path, "--json"])
    assert result.returncode == 1 and '"weighted_score"' in result.stdout, result.stderr
    result = _run_in_read_only(ro_folder, ["report", path, "--out", str(tmp_path / "r.html")])
    assert result.returncode == 0, result.stderr
    assert _digest(ro_folder / "a.preflight") == before


def test_import_into_and_export_into_a_read_only_folder_are_clear_errors(ro_folder, tmp_path):
    path = str(ro_folder / "a.preflight")
    result = _run_in_read_only(ro_folder, ["checklist", "import", path, str(tmp_path / "c.json")])
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "read-only" in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    out = ro_folder / "out.json"
    result = _run_in_read_only(ro_folder, ["checklist", "export", path, "--out", str(out)])
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "internal error" not in result.stderr, result.stderr
    assert not out.exists()

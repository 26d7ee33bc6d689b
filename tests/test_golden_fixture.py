"""The schema-4 file committed as bytes (tests/fixtures/v4.preflight, written by the release before change
capture): it opens read-only as it is, opens writable (migrated, after a backup), and verifies."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from core.assessment.replay import verify_file
from core.assessment.store import SCHEMA_VERSION, open_assessment

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "v4.preflight"
FIXTURE_SHA256 = "beadf76e95c281565b783975ca66ea41a520bca4abe3d7736cac6b315cad594e"
HEAD_V4 = "13:e66e7371c3aa56f28a97c1b96a7f57224eed5aa4e6e8f968ed1abbbdccd762e4"


def _copy(tmp_path) -> Path:
    path = tmp_path / "old.preflight"
    shutil.copy(FIXTURE, path)
    return path


def test_the_fixture_is_the_committed_bytes():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_read_only_open_verifies_by_hash_links_and_changes_nothing(tmp_path):
    path = _copy(tmp_path)
    with open_assessment(path, read_only=True) as store:
        assert store.schema_version == 4
        result, _extra = verify_file(store)
        assert [i.status for i in store.items()][:2] == ["done", "open"] and len(store.items()) == 14
    assert result.ok and f"{result.count}:{result.head_hash}" == HEAD_V4
    assert result.replay_from is None and any("hash links only" in n for n in result.notes)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_writable_open_migrates_with_a_snapshot_and_verifies_by_replay(tmp_path):
    path = _copy(tmp_path)
    with open_assessment(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        events = store.audit_events()
        assert [e["hash"] for e in events[:13]][-1] == HEAD_V4.split(":")[1]  # old events keep their hashes
        snap = next(e for e in events if e["action"] == "snapshot")
        assert snap["seq"] > 13 and store.assessment_uuid()
        data = {(c["table"], c["rowid"]) for c in __import__("json").loads(snap["changes"])}
        assert ("checklist_items", 1) in data and ("signatures", 1) in data and ("evidence_files", 1) in data
        result = store.verify_audit()
        assert result.ok and result.replay_from == snap["seq"], result.problems
        assert any(f"hash links only before event {snap['seq']}" in n for n in result.notes)
        # kept data: the run, the evidence and its link, the handoff, the signature
        assert store.runs()[0]["kind"] == "drift" and len(store.links()) == 2 and store.evidence_files()
        assert store.handoff_data()[0]["model_location"] == "s3://models/churn/v1"
        assert len(store.signature_rows()) == 1
        store.update_item(3, status="done")
        assert store.verify_audit().ok
    out = subprocess.run([sys.executable, str(ROOT / "resources" / "verify_chain.py"), str(path), HEAD_V4],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("intact:"), out.stdout

"""The schema-7 file committed as bytes (tests/fixtures/v7.preflight, written by the release that introduced
key-based signatures): a checklist edit, a drift run, a signer and her signature.  Later releases must open it,
verify it by replay and accept its signature with the signer's exported key (tests/fixtures/keys/ada.pub)."""

from __future__ import annotations

import hashlib
import json
import shutil

from pathlib import Path

from core.assessment.replay import verify_file
from core.assessment.store import SCHEMA_VERSION, open_assessment
from core.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "v7.preflight"
KEYS = ROOT / "tests" / "fixtures" / "keys"
FIXTURE_SHA256 = "b990c1ae2490a7a13d0bdfc0bdbb104f310296fec10b2df4df2d27ad01cc082f"
HEAD_V7 = "8:0882eaae0d72e8fab3312a80cbad53f5782da836a485c16dfa8cdfd82c1f68ef"
ADA_FINGERPRINT = "e4bd2cef4cf9037a8963deab24633981a9a2668f79e3b51ec6367864c5a4c09e"


def _copy(tmp_path) -> Path:
    path = tmp_path / "v7.preflight"  # a copy: even a read-only open of a WAL file adds its -shm beside it
    shutil.copy(FIXTURE, path)
    return path


def test_the_fixture_is_the_committed_bytes():
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_read_only_open_verifies_by_replay_with_a_trusted_signature(tmp_path):
    path = _copy(tmp_path)
    with open_assessment(path, read_only=True) as store:
        assert store.schema_version == 7
        result, extra = verify_file(store, trusted_keys=KEYS)
        assert store.items()[0].status == "done" and store.runs()[0]["kind"] == "drift"
    assert result.ok, result.problems
    assert f"{result.count}:{result.head_hash}" == HEAD_V7 and result.replay_from == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == FIXTURE_SHA256


def test_cli_verify_with_the_expected_head_and_trusted_keys(tmp_path, capsys):
    path = _copy(tmp_path)
    code = cli_main(["audit", "verify", str(path), "--expect-head", HEAD_V7, "--trusted-keys", str(KEYS), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["ok"] and doc["problems"] == []
    assert [(s["signer"], s["status"], s["fingerprint"]) for s in doc["signatures"]] == [
        ("Ada", "trusted", ADA_FINGERPRINT)]


def test_writable_open_keeps_the_chain_and_verifies_after_an_edit(tmp_path):
    path = _copy(tmp_path)
    with open_assessment(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.audit_events()[7]["hash"] == HEAD_V7.split(":")[1]
        store.update_item(2, status="done")
        assert store.verify_audit().ok

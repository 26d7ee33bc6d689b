"""Forgeries made the way an outsider would: a separate Python process with no Preflight code and no site
packages (``python -I -S``), only ``sqlite3``, ``hashlib``, ``json`` and the hash recipe the README
documents.  Each must be caught by ``audit verify``; which check catches it is asserted too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import cli as core_cli
from core.assessment import templates, witness
from core.assessment.store import create_assessment, open_assessment
from core.handoff import profiles, signing

ANN_PW = "ann-correct-horse-1"
MALLORY_PW = "mallory-staple-22"

#: the forger: drops the triggers, runs SQL, edits event text, and recomputes the chain by the recipe
FORGER = r'''
import hashlib, json, shutil, sqlite3, sys
path, plan = sys.argv[1], json.loads(sys.argv[2])
if plan.get("copy_from"):
    shutil.copy(plan["copy_from"], path)
    sys.exit(0)
db = sqlite3.connect(path)
for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
    db.execute(f'DROP TRIGGER "{name}"')
for stmt, args in plan.get("sql", []):
    db.execute(stmt, args)
for old, new in plan.get("replace", []):
    for col in ("before", "after", "changes"):
        db.execute(f"UPDATE audit_events SET {col}=replace({col}, ?, ?)", (old, new))
if plan.get("recompute"):
    cols = ["seq", "ts_utc", "actor", "action", "entity", "before", "after", "changes"]
    rows = db.execute(f"SELECT {', '.join(cols)} FROM audit_events ORDER BY seq").fetchall()
    db.execute("DELETE FROM audit_events")
    prev = "0" * 64
    for n, row in enumerate(rows, start=1):
        stored = dict(zip(cols, row), seq=n, ts_utc=plan.get("ts") or row[1])
        body = {k: (json.loads(v) if k in ("before", "after", "changes") and v is not None else v)
                for k, v in stored.items()}
        if body["changes"] is None:
            del body["changes"]
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256((text + prev).encode("utf-8")).hexdigest()
        db.execute(f"INSERT INTO audit_events ({', '.join(cols)}, prev_hash, hash) VALUES "
                   f"({', '.join('?' * len(cols))}, ?, ?)", [stored[c] for c in cols] + [prev, digest])
        prev = digest
    db.execute("UPDATE info SET value=? WHERE key='audit_head'", (prev,))
    db.execute("UPDATE info SET value=? WHERE key='audit_count'", (str(len(rows)),))
db.execute("DELETE FROM audit_capture")
db.commit()
'''


def forge(tmp_path, path, **plan):
    script = tmp_path / "forger.py"
    script.write_text(FORGER)
    out = subprocess.run([sys.executable, "-I", "-S", str(script), str(path), json.dumps(plan)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def verify(capsys, path, *extra):
    code = core_cli.main(["audit", "verify", str(path), "--json", *map(str, extra)])
    out, _err = capsys.readouterr()
    doc = json.loads(out)
    assert code == (0 if doc["ok"] else 1)
    return doc


def checks(doc) -> set:
    return {p["check"] for p in doc["problems"]}


def forget_witness():
    witness.log_path().unlink(missing_ok=True)


@pytest.fixture
def made(tmp_path):
    """An assessment with edits, a run, and Ann's key signature; returns (path, head "N:HEX" as a report prints)."""
    path = tmp_path / "f.preflight"
    store = create_assessment(path, name="F", items=templates.load("seed").items)
    store.update_item(1, status="done")
    store.add_run("drift", settings={}, inputs=[], result={"drift": False}, started_utc="2026-01-01T00:00:00Z")
    store.update_item(2, status="done")
    signing.add_user(store, "Ann", "preparer", ANN_PW)
    signing.sign(store, store.users()[0]["id"], ANN_PW, "authorship")
    result = store.verify_audit()
    store.close()
    assert result.ok
    return path, f"{result.count}:{result.head_hash}"


def test_untouched_file_verifies_clean(capsys, made):
    doc = verify(capsys, made[0], "--expect-head", made[1])
    assert doc["ok"] and doc["signatures"][0]["status"] == "untrusted"


def test_direct_table_edit(capsys, tmp_path, made):
    forge(tmp_path, made[0], sql=[["UPDATE checklist_items SET status='done' WHERE id=3", []]])
    doc = verify(capsys, made[0])
    assert checks(doc) == {"replay"} and doc["problems"][0]["column"] == "status"


def test_edited_event_with_the_chain_recomputed(capsys, tmp_path, made):
    path, head = made
    forge(tmp_path, path, recompute=True, sql=[
        ["UPDATE checklist_items SET status='not_applicable' WHERE id=1", []],
        ["UPDATE audit_events SET after=replace(after, '\"done\"', '\"not_applicable\"'), "
         "changes=replace(changes, '\"status\": \"done\"', '\"status\": \"not_applicable\"') "
         "WHERE entity='checklist_item:1'", []]])
    doc = verify(capsys, path)
    assert "chain" not in checks(doc) and "replay" not in checks(doc)  # the forger was consistent
    assert {"witness", "signatures"} <= checks(doc)
    assert any("rewritten" in p["message"] for p in doc["problems"])
    forget_witness()  # on another machine: the signature and the report's head still catch it
    doc = verify(capsys, path)
    assert checks(doc) == {"signatures"} and "changed after signing" in doc["problem"]
    assert "expected_head" in checks(verify(capsys, path, "--expect-head", head))


def test_deleted_signature_with_the_chain_recomputed(capsys, tmp_path, made):
    path, head = made
    forge(tmp_path, path, recompute=True, sql=[["DELETE FROM signatures", []],
                                               ["DELETE FROM audit_events WHERE action='sign'", []]])
    with open_assessment(path, read_only=True) as store:
        assert store.signature_rows() == [] and signing.stage(store) == "unsigned"
    doc = verify(capsys, path)
    assert checks(doc) == {"witness"} and "rolled back" in doc["problem"]
    forget_witness()
    doc = verify(capsys, path, "--expect-head", head)
    assert checks(doc) == {"expected_head"} and "missing" in doc["problem"]


def test_swapped_public_key(capsys, tmp_path, made, monkeypatch):
    path, head = made
    (tmp_path / "trusted").mkdir()
    real = profiles.export_public_key("Ann", tmp_path / "trusted" / "ann.pub")
    # Mallory enrols as "Ann" on her own machine, then swaps her key into the file and signs as Ann
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "mallory-home"))
    scratch = create_assessment(tmp_path / "scratch.preflight", name="S")
    signing.add_user(scratch, "Ann", "preparer", MALLORY_PW)
    fake = scratch.users()[0]
    scratch.close()
    forge(tmp_path, path, recompute=True,
          sql=[["DELETE FROM signatures", []], ["DELETE FROM audit_events WHERE action='sign'", []],
               ["UPDATE users SET public_key=?, fingerprint=? WHERE name='Ann'",
                [fake["public_key"], fake["fingerprint"]]]],
          replace=[[real.public_key, fake["public_key"]], [real.fingerprint, fake["fingerprint"]]])
    with open_assessment(path) as store:
        signing.sign(store, store.users()[0]["id"], MALLORY_PW, "authorship")
    monkeypatch.undo()
    forget_witness()
    doc = verify(capsys, path)  # without trusted keys: only "valid but from an untrusted key"
    assert doc["ok"] and doc["signatures"][0]["status"] == "untrusted"
    doc = verify(capsys, path, "--trusted-keys", tmp_path / "trusted")
    assert checks(doc) == {"signatures"} and "untrusted" in doc["problem"]


def test_rollback_to_an_older_copy(capsys, tmp_path, made):
    path, _ = made
    older = tmp_path / "older.preflight"
    forge(tmp_path, older, copy_from=str(path))
    with open_assessment(path) as store:
        store.update_item(4, status="done")
    forge(tmp_path, path, copy_from=str(older))
    doc = verify(capsys, path)
    assert checks(doc) == {"witness"} and "rolled back" in doc["problem"]


def test_whole_file_rewrite_against_the_reported_head(capsys, tmp_path, made):
    path, head = made
    forge(tmp_path, path, recompute=True, ts="2020-01-01T00:00:00.000000Z",
          sql=[["DELETE FROM signatures", []], ["DELETE FROM audit_events WHERE action='sign'", []],
               ["UPDATE checklist_items SET status='done'", []],
               ["UPDATE audit_events SET changes=replace(changes, '\"status\": \"open\"', '\"status\": \"done\"')",
                []]])
    forget_witness()
    doc = verify(capsys, path)
    assert doc["ok"]  # nothing inside a rewritten file betrays it ...
    doc = verify(capsys, path, "--expect-head", head)
    assert checks(doc) == {"expected_head"}  # ... the head printed in an earlier report does

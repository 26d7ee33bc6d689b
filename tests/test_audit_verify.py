"""audit verify: the emptied chain, the recorded head, --expect-head, the JSON keys scripts rely on,
and the audit head every report carries."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core import cli as core_cli
from core.assessment import templates
from core.assessment.store import create_assessment


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "v.preflight"
    store = create_assessment(p, name="V", items=templates.load("seed").items)
    for item in store.items()[:3]:
        store.update_item(item.id, status="done")
    store.close()
    return p


def run(capsys, *args):
    code = core_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def verify_json(capsys, path, *extra):
    code, out, err = run(capsys, "audit", "verify", path, "--json", *extra)
    return code, json.loads(out) if out.strip() else None, err


def _outside(path, *sql):
    conn = sqlite3.connect(str(path))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    for stmt in sql:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def test_clean_file_keeps_the_old_keys_and_adds_the_new(capsys, path):
    code, doc, _ = verify_json(capsys, path)
    assert code == 0 and doc["ok"] is True
    assert {"ok", "count", "head_hash", "first_bad_seq", "problem", "head_seq", "problems"} <= set(doc)
    assert doc["count"] == doc["head_seq"] == 5 and doc["problems"] == [] and doc["first_bad_seq"] is None
    code, out, _ = run(capsys, "audit", "verify", path)
    assert code == 0 and out.startswith("audit chain intact: 5 events") and f"5:{doc['head_hash']}" in out


def test_an_emptied_chain_fails(capsys, path):
    _outside(path, "DELETE FROM audit_events", "DELETE FROM info WHERE key IN ('audit_head', 'audit_count')")
    code, doc, _ = verify_json(capsys, path)
    assert code == 1 and doc["ok"] is False and doc["count"] == 0
    assert any(p["check"] == "chain" and "empty" in p["message"] for p in doc["problems"])
    assert "empty" in doc["problem"]


def test_removed_head_keys_fail(capsys, path):
    _outside(path, "DELETE FROM info WHERE key IN ('audit_head', 'audit_count')")
    code, doc, _ = verify_json(capsys, path)
    assert code == 1 and any("chain head and event count" in p["message"] for p in doc["problems"])


def test_removed_newest_events_fail_through_the_recorded_count(capsys, path):
    _outside(path, "DELETE FROM audit_events WHERE seq > 3")
    code, doc, _ = verify_json(capsys, path)
    assert code == 1 and doc["first_bad_seq"] == 4 and "removed from the end" in doc["problem"]


def test_expect_head(capsys, path):
    _, doc, _ = verify_json(capsys, path)
    head = f"{doc['head_seq']}:{doc['head_hash']}"
    assert verify_json(capsys, path, "--expect-head", head)[0] == 0
    assert verify_json(capsys, path, "--expect-head", f"3:{doc['head_hash'][:12]}")[0] == 1  # wrong event
    code, doc2, _ = verify_json(capsys, path, "--expect-head", f"9:{doc['head_hash']}")
    assert code == 1 and doc2["problems"][0]["check"] == "expected_head" and "missing" in doc2["problem"]
    code, _out, err = run(capsys, "audit", "verify", path, "--expect-head", "five:abc")
    assert code == 2 and err.startswith("error: --expect-head") and len(err.strip().splitlines()) == 1


def test_every_report_carries_the_audit_head(capsys, path, tmp_path):
    _, doc, _ = verify_json(capsys, path)
    code, _out, _err = run(capsys, "report", path, "--out", tmp_path / "r.json")
    assert code in (0, 1)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["audit_head"] == {"seq": doc["head_seq"], "hash": doc["head_hash"]}
    run(capsys, "report", path, "--out", tmp_path / "r.html")
    assert f"{doc['head_seq']}:{doc['head_hash']}" in (tmp_path / "r.html").read_text()
    # the head printed in the report is what --expect-head takes
    assert verify_json(capsys, path, "--expect-head", f"{report['audit_head']['seq']}:"
                                                      f"{report['audit_head']['hash']}")[0] == 0


def test_a_replay_problem_fails_the_report_audit_gate(capsys, path, tmp_path):
    _outside(path, "UPDATE checklist_items SET status='done'")
    run(capsys, "report", path, "--out", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    verification = report["audit"]["verification"]
    assert verification["ok"] is False and verification["problems"][0]["check"] == "replay"
    assert report["verdict"]["ready"] is False

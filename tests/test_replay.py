"""Replay: every data row must be explained by the audit trail's row images; the first unexplained
table/row/column is named.  Direct edits are made with a plain sqlite3 connection, as an outsider would."""

from __future__ import annotations

import json
import sqlite3

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.assessment.store.changes import INLINE_TEXT
from core.handoff import signing


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "r.preflight"
    store = create_assessment(p, name="R", items=templates.load("seed").items)
    run = store.add_run("drift", settings={"m": "psi"}, inputs=[], result={"big": "x" * (3 * INLINE_TEXT)},
                        started_utc="2026-01-01T00:00:00Z")
    store.link_evidence(1, run_id=run)
    store.update_item(2, status="done", notes="seen")
    signing.save_handoff(store, signing.load_handoff(store).__class__(model_version="1.0"))
    store.close()
    return p


def _outside(path, *sql):
    conn = sqlite3.connect(str(path))
    for stmt in sql:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def _verify(path):
    with open_assessment(path, read_only=True) as store:
        return store.verify_audit()


def test_ordinary_use_replays_clean(path):
    result = _verify(path)
    assert result.ok and result.replay_from == 1 and not result.problems and not result.notes


@pytest.mark.parametrize("sql, table, rowid, column", [
    ("UPDATE checklist_items SET status='done' WHERE id=3", "checklist_items", 3, "status"),
    ("UPDATE assessment SET readiness_threshold=10 WHERE id=1", "assessment", 1, "readiness_threshold"),
    ("UPDATE runs SET result='{\"big\": \"y\"}' WHERE id=1", "runs", 1, "result"),
    ("UPDATE handoff SET data='{}' WHERE id=1", "handoff", 1, "data"),
    ("INSERT INTO evidence_links (item_id, run_id, created_utc) VALUES (4, 1, 'now')", "evidence_links", 2, None),
    ("DELETE FROM evidence_links WHERE id=1", "evidence_links", 1, None),
])
def test_a_direct_edit_is_named_by_table_row_and_column(path, sql, table, rowid, column):
    _outside(path, sql)
    result = _verify(path)
    assert not result.ok
    first = result.problems[0]
    assert (first["check"], first["table"], first["rowid"], first["column"]) == ("replay", table, rowid, column)
    assert f"table {table}, row {rowid}" in result.problem
    # the capture triggers noted the outside write too
    assert any("without an audit event" in p["message"] for p in result.problems)


def test_an_edit_with_the_triggers_dropped_is_still_caught(path):
    conn = sqlite3.connect(str(path))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'capture_%'"):
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE checklist_items SET status='done', maturity=1 WHERE id=5")
    conn.commit()
    conn.close()
    result = _verify(path)
    assert not result.ok and result.problems[0]["column"] == "maturity"
    with open_assessment(path) as store:  # a writable open puts the triggers back
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert "capture_checklist_items_upd" in names
        assert not store.verify_audit().ok


def test_large_values_are_folded_as_their_hash(path):
    with open_assessment(path, read_only=True) as store:
        ev = next(e for e in store.audit_events() if e["entity"] == "run:1")
    images = json.loads(ev["changes"])
    run = next(c for c in images if c["table"] == "runs")["row"]
    assert set(run["result"]) == {"sha256"} and len(ev["changes"]) < 3 * INLINE_TEXT


def test_a_write_without_an_audit_event_is_refused_and_rolled_back(path):
    with open_assessment(path) as store:
        with pytest.raises(RuntimeError, match="without an audit event"):
            with store.transaction():
                store.conn.execute("UPDATE checklist_items SET status='done' WHERE id=6")
        assert store.item(6).status == "open"
        assert store.verify_audit().ok


def test_a_later_write_does_not_absorb_an_outside_change(path):
    _outside(path, "UPDATE checklist_items SET notes='slipped in' WHERE id=7")
    with open_assessment(path) as store:
        store.update_item(8, status="done")
        result = store.verify_audit()
    assert not result.ok and any("without an audit event" in p["message"] for p in result.problems)
    assert result.problems[0]["rowid"] == 7 and result.problems[0]["column"] == "notes"


def test_replace_and_undo_paths_replay_clean(path):
    with open_assessment(path) as store:
        items = store.items()
        store.replace_items(items[:5], source="test")
        deleted = store.delete_item(store.items()[0].id)
        store.add_item(deleted)
        store.set_counted_run("drift", 1)
        store.set_counted_run("drift", None)
        store.save_schema("s", {"a": 1})
        store.save_schema("s", {"a": 2})
        store.update_meta(name="R2", settings={"x": 1})
        assert store.verify_audit().ok, store.verify_audit().problems


def test_a_later_write_to_the_same_row_does_not_launder_an_outside_change(path):
    conn = sqlite3.connect(str(path))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'capture_%'"):
        conn.execute(f'DROP TRIGGER "{name}"')  # no note is left behind
    conn.execute("UPDATE checklist_items SET notes='slipped in', owner='mallory' WHERE id=9")
    conn.commit()
    conn.close()
    with open_assessment(path) as store:
        store.update_item(9, status="done")  # Preflight rewrites the row, outside values included
        seq = store.audit_events()[-1]["seq"]
        result = store.verify_audit()
    assert not result.ok
    first = result.problems[0]
    assert (first["table"], first["rowid"], first["column"], first["seq"]) == ("checklist_items", 9, "notes", seq)
    assert f"changed outside Preflight before event {seq}" in first["message"]


def test_a_new_column_gets_new_triggers_and_still_replays(path):
    with open_assessment(path) as store:
        with store.transaction():
            store.conn.execute("ALTER TABLE runs ADD COLUMN tag TEXT NOT NULL DEFAULT ''")
            store.audit("update", "schema", None, {"runs": "tag"})
    with open_assessment(path) as store:  # re-opened: the triggers name the new column
        sql = store.conn.execute("SELECT sql FROM sqlite_master WHERE name='capture_runs_upd'").fetchone()[0]
        assert '"tag"' in sql

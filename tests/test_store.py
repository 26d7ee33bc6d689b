"""The assessment file: schema versions, audit chain, tamper detection, crash safety."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.checklist import Item
from core.errors import AssessmentFileError, PreflightError
from core.assessment.store import SCHEMA_VERSION, Assessment, create_assessment, open_assessment
from core.assessment.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "a.preflight", name="A", items=templates.load("seed").items, template="seed")
    yield s
    s.close()


def test_new_file_is_wal_with_foreign_keys_and_latest_schema(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == SCHEMA_VERSION == MIGRATIONS[-1][0]
    assert store.meta()["readiness_threshold"] == 80
    assert len(store.items()) == 14


def test_every_write_appends_an_audit_event(store):
    n = len(store.audit_events())
    item = store.items()[0]
    store.update_item(item.id, status="done", notes="checked")
    store.update_meta(readiness_threshold=85)
    run_id = store.add_run("drift", settings={}, inputs=[], result={"x": 1}, started_utc="t0")
    store.link_evidence(item.id, run_id=run_id)
    store.delete_item(store.items()[1].id)
    events = store.audit_events()
    assert [e["action"] for e in events[n:]] == ["update", "update", "create", "create", "delete"]
    upd = events[n]
    assert json.loads(upd["before"]) == {"status": "open", "notes": ""}
    assert json.loads(upd["after"]) == {"status": "done", "notes": "checked"}
    assert store.verify_audit().ok


def test_failed_write_leaves_no_event_and_no_change(store):
    n = len(store.audit_events())
    item = store.items()[0]
    with pytest.raises(PreflightError):
        store.update_item(item.id, status="finished")
    with pytest.raises(PreflightError):
        store.link_evidence(item.id, run_id=999)
    assert len(store.audit_events()) == n and store.item(item.id) == item


def test_migration_from_an_old_version_file_keeps_data(tmp_path):
    path = tmp_path / "old.preflight"
    old = Assessment(path, _create=True, _upto=1)
    assert old.schema_version == 1
    assert old.conn.execute("SELECT name FROM sqlite_master WHERE name='handoff'").fetchone() is None
    with old.transaction():
        old.conn.execute("INSERT INTO assessment (id, name, created_utc) VALUES (1, 'legacy', 'then')")
        old._insert_item(Item("Data", "kept item", priority="high"))
        old.audit("create", "assessment", None, {"name": "legacy"})
    old.close()
    s = open_assessment(path)
    assert s.schema_version == SCHEMA_VERSION
    assert [i.name for i in s.items()] == ["kept item"]
    assert s.meta()["name"] == "legacy"
    s.set_handoff({"model_location": "s3://m"})  # a table from migration 2 now works
    assert s.handoff_data()[0] == {"model_location": "s3://m"}
    assert s.verify_audit().ok
    s.close()


def test_newer_schema_version_is_refused_clearly(store):
    path = store.path
    with store.transaction():
        store._set_info("schema_version", SCHEMA_VERSION + 5)
    store.close()
    with pytest.raises(AssessmentFileError, match="newer Preflight"):
        open_assessment(path)


@pytest.mark.parametrize("content,needle", [(b"", "empty"), (b"hello world, not sqlite", "not a SQLite"),
                                            (b"SQLite format 3\x00" + b"\x00" * 50, "not a usable")])
def test_unusable_files_are_refused_clearly(tmp_path, content, needle):
    path = tmp_path / "x.preflight"
    path.write_bytes(content)
    with pytest.raises(AssessmentFileError, match=needle):
        open_assessment(path)


def test_other_sqlite_database_is_not_an_assessment(tmp_path):
    path = tmp_path / "other.preflight"
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    with pytest.raises(AssessmentFileError, match="not a Preflight assessment"):
        open_assessment(path)


def test_audit_table_rejects_update_and_delete(store):
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE audit_events SET actor='mallory' WHERE seq=1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM audit_events WHERE seq=1")


def _tamper(path, *sql):
    c = sqlite3.connect(path)
    c.execute("DROP TRIGGER audit_events_no_update")
    c.execute("DROP TRIGGER audit_events_no_delete")
    for stmt in sql:
        c.execute(stmt)
    c.commit()
    c.close()


def _file_with_events(tmp_path):
    s = create_assessment(tmp_path / "t.preflight", name="T", items=templates.load("seed").items)
    for it in s.items()[:4]:
        s.update_item(it.id, status="done")
    path = s.path
    s.close()
    return path


@pytest.mark.parametrize("sql,bad_seq", [
    (("UPDATE audit_events SET actor='mallory' WHERE seq=3",), 3),
    (("DELETE FROM audit_events WHERE seq=2",), 3),
    (("UPDATE audit_events SET seq=100 WHERE seq=3", "UPDATE audit_events SET seq=3 WHERE seq=4",
      "UPDATE audit_events SET seq=4 WHERE seq=100"), 3),
    (("UPDATE audit_events SET after='{\"status\": \"open\"}' WHERE seq=5",), 5),
])
def test_verify_names_first_broken_event_after_tampering(tmp_path, sql, bad_seq):
    path = _file_with_events(tmp_path)
    _tamper(path, *sql)
    s = open_assessment(path)
    result = s.verify_audit()
    s.close()
    assert not result.ok and result.first_bad_seq == bad_seq


def test_verify_detects_dropping_the_newest_event(tmp_path):
    path = _file_with_events(tmp_path)
    _tamper(path, "DELETE FROM audit_events WHERE seq=(SELECT MAX(seq) FROM audit_events)")
    s = open_assessment(path)
    result = s.verify_audit()
    s.close()
    assert not result.ok and "removed from the end" in result.problem


def test_save_as_writes_a_self_contained_copy(store, tmp_path):
    store.update_item(store.items()[0].id, status="done")
    copy = store.save_as(tmp_path / "copy.preflight")
    s = open_assessment(copy)
    assert [i.status for i in s.items()] == [i.status for i in store.items()]
    assert s.verify_audit().ok
    s.close()


def test_delete_item_then_restore_keeps_id_and_links(store):
    item = store.items()[0]
    run_id = store.add_run("drift", settings={}, inputs=[], result={}, started_utc="t")
    store.link_evidence(item.id, run_id=run_id)
    links = store.links(item.id)
    store.delete_item(item.id)
    assert store.links() == []
    store.add_item(item, links=links)
    assert store.item(item.id) == item and len(store.links(item.id)) == 1


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from core.assessment.checklist import Item
    from core.assessment.store import open_assessment
    s = open_assessment({path!r})
    n = 0
    while True:
        n += 1
        s.add_item(Item("Burst", f"item {{n}}", notes="x" * 2000))
        print(n, flush=True)
""")


def test_sigkill_during_a_burst_of_writes_leaves_a_consistent_file(tmp_path):
    path = tmp_path / "crash.preflight"
    create_assessment(path, name="crash").close()
    code = CHILD.format(root=str(ROOT), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 150 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert committed >= 150, "the writer did not get going"
    # drain what it printed before dying: those writes had committed too
    for line in proc.stdout:
        committed = int(line)
    s = open_assessment(path)
    try:
        assert s.integrity_check() == "ok"
        names = [i.name for i in s.items()]
        # every committed write is there; at most the one in flight (committed, not yet printed) beyond
        assert len(names) in (committed, committed + 1)
        assert names == [f"item {k}" for k in range(1, len(names) + 1)]
        creates = [e for e in s.audit_events() if e["entity"].startswith("checklist_item:")]
        assert len(creates) == len(names)  # each item and its audit event committed together
        assert s.verify_audit().ok
    finally:
        s.close()


# ----------------------------------------------------------------------- which runs count

def _run(store, kind, finished):
    return store.add_run(kind, settings={}, inputs=[], result={}, started_utc=finished, finished_utc=finished)


def test_counted_run_and_exclusion_round_trip_with_audit_events(store):
    d1, d2 = _run(store, "drift", "2025-01-01T00:00:00Z"), _run(store, "drift", "2025-01-02T00:00:00Z")
    v1 = _run(store, "validation", "2025-01-03T00:00:00Z")
    assert store.counted_run_choices() == {} and store.excluded_run_ids() == []
    assert [r["excluded_from_report"] for r in store.runs()] == [False, False, False]
    n = len(store.audit_events())
    store.set_counted_run("drift", d1)
    store.set_counted_run("drift", d1)                      # no change: no event
    store.set_run_excluded(d2, True)
    assert store.counted_run_choices() == {"drift": d1} and store.excluded_run_ids() == [d2]
    assert store.run(d2)["excluded_from_report"] is True
    assert [r["id"] for r in store.runs("drift", with_result=False) if r["excluded_from_report"]] == [d2]
    store.set_run_excluded(d1, True)                        # leaving out the chosen run also drops the choice
    events = store.audit_events()[n:]
    assert [(e["entity"], json.loads(e["before"]), json.loads(e["after"])) for e in events] == [
        ("counted_run:drift", {"run_id": None}, {"run_id": d1}),
        (f"run:{d2}", {"excluded_from_report": False}, {"excluded_from_report": True}),
        (f"run:{d1}", {"excluded_from_report": False}, {"excluded_from_report": True}),
        ("counted_run:drift", {"run_id": d1}, {"run_id": None}),
    ]
    assert store.counted_run_choices() == {}
    store.set_run_excluded(d1, False)
    store.set_counted_run("validation", v1)
    store.set_counted_run("validation", None)
    assert store.counted_run_choices() == {} and store.excluded_run_ids() == [d2]
    assert store.verify_audit().ok
    path = store.path
    store.set_counted_run("drift", d1)
    store.close()
    with open_assessment(path) as again:                    # survives closing and reopening
        assert again.counted_run_choices() == {"drift": d1} and again.excluded_run_ids() == [d2]


def test_counted_run_choice_is_checked_and_a_refusal_writes_nothing(store):
    d1, v1 = _run(store, "drift", "2025-01-01T00:00:00Z"), _run(store, "validation", "2025-01-01T00:00:00Z")
    store.set_run_excluded(v1, True)
    n = len(store.audit_events())
    with pytest.raises(PreflightError, match="is a drift run"):
        store.set_counted_run("validation", d1)
    with pytest.raises(PreflightError, match="left out of the report"):
        store.set_counted_run("validation", v1)
    with pytest.raises(PreflightError, match="does not exist"):
        store.set_counted_run("drift", 99)
    with pytest.raises(PreflightError, match="does not exist"):
        store.set_run_excluded(99, True)
    assert len(store.audit_events()) == n and store.counted_run_choices() == {}


def test_migration_4_adds_run_choices_to_an_old_file_with_runs(tmp_path):
    path = tmp_path / "v3.preflight"
    old = Assessment(path, _create=True, _upto=3)
    with old.transaction():
        old.conn.execute("INSERT INTO assessment (id, name, created_utc) VALUES (1, 'v3', 'then')")
        old.conn.execute("INSERT INTO runs (kind, started_utc, finished_utc, preflight_version) "
                         "VALUES ('drift', 't', '2025-01-01T00:00:00Z', '0.0.1')")
        old.audit("create", "run:1", None, {"kind": "drift"})
    assert old.conn.execute("SELECT name FROM sqlite_master WHERE name='counted_runs'").fetchone() is None
    old.close()
    with open_assessment(path) as s:
        assert s.schema_version == SCHEMA_VERSION >= 4
        assert s.runs()[0]["excluded_from_report"] is False and s.counted_run_choices() == {}
        s.set_counted_run("drift", 1)
        s.set_run_excluded(1, True)
        assert s.counted_run_choices() == {} and s.excluded_run_ids() == [1]
        assert s.verify_audit().ok


def test_a_failed_nested_transaction_rolls_back_alone(store):
    """An inner transaction() is a savepoint: its failure undoes only its own writes (and their audit
    events); the outer transaction's writes commit."""
    events = len(store.audit_events())
    with store.transaction():
        store.update_meta(owner="outer")
        with pytest.raises(PreflightError):
            with store.transaction():
                store.update_meta(system="inner")
                raise PreflightError("the inner step failed")
        with store.transaction():
            store.update_meta(readiness_threshold=70)
    meta = store.meta()
    assert meta["owner"] == "outer" and meta["system"] != "inner" and meta["readiness_threshold"] == 70
    assert len(store.audit_events()) == events + 2

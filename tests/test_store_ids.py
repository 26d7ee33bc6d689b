"""Checklist item ids are never reused; edits that no longer match what the editor saw are refused."""

import shutil
import sqlite3
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.checklist import Item
from core.assessment.store import create_assessment, open_assessment
from core.errors import PreflightError

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "v4.preflight"


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "a.preflight", name="A", items=templates.load("seed").items)
    yield s
    s.close()


def test_an_import_gives_new_ids_never_seen_before(store):
    old = {i.id for i in store.items()}
    stored = store.replace_items([Item(category="C", name=f"n{k}") for k in range(20)])
    assert not old & {i.id for i in stored}


def test_deleting_the_newest_item_does_not_free_its_id(store):
    last = max(store.items(), key=lambda i: i.id)
    store.delete_item(last.id)
    added = store.add_item(Item(category="C", name="new"))
    assert added.id != last.id
    with pytest.raises(PreflightError):
        store.item(last.id)


def test_an_edit_whose_before_no_longer_matches_is_refused(store, tmp_path):
    item = store.items()[0]
    other = open_assessment(store.path)
    other.update_item(item.id, status="done")
    other.close()
    n = len(store.audit_events())
    with pytest.raises(PreflightError, match="changed by another program.*status is now 'done', not 'open'"):
        store.update_item(item.id, expect={"status": "open"}, status="not_applicable")
    assert store.item(item.id).status == "done"
    assert len(store.audit_events()) == n


def test_an_edit_of_an_item_replaced_by_an_import_is_refused(store):
    item = store.items()[0]
    other = open_assessment(store.path)
    other.replace_items([Item(category="X", name="only")])
    other.close()
    with pytest.raises(PreflightError, match="no longer exists"):
        store.update_item(item.id, expect={"status": "open"}, status="done")
    assert [i.status for i in store.items()] == ["open"]


def test_data_version_moves_only_for_another_connection(store):
    before = store.data_version()
    store.update_item(store.items()[0].id, notes="mine")
    assert store.data_version() == before
    other = open_assessment(store.path)
    other.update_item(other.items()[1].id, notes="theirs")
    other.close()
    assert store.data_version() != before


def test_migration_5_keeps_ids_and_links_and_never_reuses(tmp_path):
    path = tmp_path / "old.preflight"
    shutil.copy(FIXTURE, path)
    raw = sqlite3.connect(str(path))
    old_items = raw.execute("SELECT id, name, status FROM checklist_items ORDER BY id").fetchall()
    old_links = raw.execute("SELECT id, item_id, run_id, file_id FROM evidence_links ORDER BY id").fetchall()
    raw.close()
    assert old_links, "the fixture has evidence links"
    with open_assessment(path) as store:
        assert store.schema_version >= 5
        assert [(i.id, i.name, i.status) for i in sorted(store.items(), key=lambda i: i.id)] == old_items
        assert [(d["id"], d["item_id"], d["run_id"], d["file_id"]) for d in store.links()] == old_links
        top = max(i for i, *_ in old_items)
        store.delete_item(top)
        assert store.add_item(Item(category="C", name="after")).id > top
        sql = store.conn.execute("SELECT sql FROM sqlite_master WHERE name='checklist_items'").fetchone()[0]
        assert "AUTOINCREMENT" in sql.upper()
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1

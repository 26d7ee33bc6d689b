"""Checklist edits in the window while another program holds or changes the file."""

import sqlite3

import pytest
from PySide6.QtCore import Qt

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.assessment.store.base import StoreBase
from ui.checklist.tab import ChecklistTab
from ui.context import AssessmentContext


@pytest.fixture
def tab(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(StoreBase, "busy_timeout", 0.2)
    store = create_assessment(tmp_path / "u.preflight", name="U", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    widget = ChecklistTab(context)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    context.close()


def _set(tab, row, column, value):
    return tab.proxy.setData(tab.proxy.index(row, column), value, Qt.EditRole)


class _Lock:
    """Another program in the middle of a write to the same file."""

    def __init__(self, path):
        self.conn = sqlite3.connect(str(path))

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


def test_an_edit_that_cannot_be_written_is_not_on_the_undo_stack_and_is_reported(tab):
    store = tab.context.store
    n_events = len(store.audit_events())
    with _Lock(store.path):
        assert not _set(tab, 0, 3, "done")
    assert tab.undo_stack.count() == 0
    assert "was not saved" in tab.message.text() and "busy" in tab.message.text()
    assert tab.message.isVisibleTo(tab)
    assert len(store.audit_events()) == n_events
    assert all(i.status == "open" for i in store.items())
    assert tab.model.item_at(0).status == "open"
    # the next edit that commits goes on the stack and clears the message
    assert _set(tab, 0, 3, "done")
    assert tab.undo_stack.count() == 1 and tab.message.text() == ""


def test_stack_count_equals_stored_writes_when_some_writes_fail(tab):
    store = tab.context.store
    n_events = len(store.audit_events())
    for n in range(6):
        value = "done" if tab.model.item_at(n).status == "open" else "open"
        if n % 3 == 2:
            with _Lock(store.path):
                _set(tab, n, 3, value)
        else:
            _set(tab, n, 3, value)
    stored = len(store.audit_events()) - n_events
    assert stored == 4
    assert tab.undo_stack.count() == stored


def test_an_undo_that_cannot_be_written_is_dropped_and_reported(tab):
    store = tab.context.store
    assert _set(tab, 0, 3, "done")
    item_id = tab.model.item_at(0).id
    with _Lock(store.path):
        tab.undo_stack.undo()
    assert store.item(item_id).status == "done"
    assert "Undo of" in tab.message.text() and "failed" in tab.message.text()
    assert tab.undo_stack.count() == 0  # the step that did not happen is gone, not left to redo wrongly


def test_delete_that_fails_keeps_the_item_and_no_step(tab):
    store = tab.context.store
    tab.table.selectRow(0)
    with _Lock(store.path):
        tab.delete_selected()
    assert tab.undo_stack.count() == 0
    assert len(store.items()) == 14
    assert "was not saved" in tab.message.text()


def test_an_outside_import_is_noticed_and_a_stale_edit_lands_nowhere(tab):
    store = tab.context.store
    shown = tab.model.item_at(0)
    other = open_assessment(store.path)
    other.replace_items([replace_item for replace_item in other.items()])  # same items, new ids
    other.close()
    # the window has not looked yet: an edit of the row it shows must not land on another item
    assert not tab.model.edit_handler(shown, "status", "done")
    assert "no longer exists" in tab.message.text()
    assert all(i.status == "open" for i in store.items())
    assert tab.model.item_at(0).id != shown.id  # re-read before the edit was tried
    assert tab.undo_stack.count() == 0


def test_outside_changes_are_noticed_by_data_version(tab):
    store = tab.context.store
    assert not tab.context.check_outside_changes()
    other = open_assessment(store.path)
    target = other.items()[2]
    other.update_item(target.id, status="done")
    other.close()
    assert tab.context.check_outside_changes()
    assert tab.model.item_at(tab.model.row_of(target.id)).status == "done"
    assert not tab.context.check_outside_changes()  # once per change


def test_this_programs_own_worker_writes_are_not_reported_as_outside_changes(tab):
    store = tab.context.store
    with store.open_writer() as writer:  # what a worker task uses for its write
        writer.update_item(writer.items()[0].id, notes="written by a worker")
    tab.context.notify("checklist")
    assert not tab.context.check_outside_changes()

"""Audit-chain verification after the first: only the new events, in the worker, on a connection of its own."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from PySide6.QtCore import Qt

import core.assessment.store.base as store_base
from core.assessment import templates
from core.assessment.audit import GENESIS, event_hash, verify_after, verify_chain
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.main_window import MainWindow


def _chain(n):
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        ev = {"seq": seq, "ts_utc": f"2025-01-01T00:00:{seq:02d}Z", "actor": "a", "action": "update",
              "entity": "item", "before": None, "after": {"n": seq}}
        ev["prev_hash"] = prev
        ev["hash"] = prev = event_hash(ev, prev)
        events.append(ev)
    return events


def test_verifying_the_new_events_gives_the_same_answer_as_the_whole_chain():
    events = _chain(12)
    full = verify_chain(events)
    head = verify_chain(events[:7])
    assert verify_chain(events[7:], start_seq=7, start_hash=head.head_hash) == full
    assert verify_after(head, events[7:], events[6]["hash"], full.head_hash, 12) == full
    assert verify_after(verify_chain([]), events, None) == full


def test_the_incremental_verifier_catches_a_tampered_new_event():
    events = _chain(12)
    head = verify_chain(events[:7])
    events[9] = dict(events[9], actor="mallory")
    result = verify_after(head, events[7:], events[6]["hash"])
    assert not result.ok and result.first_bad_seq == 10 and "event 10" in result.problem
    assert result.problem == verify_chain(events).problem


def test_the_incremental_verifier_notices_a_changed_anchor_and_a_gap():
    events = _chain(12)
    head = verify_chain(events[:7])
    moved = verify_after(head, events[7:], "f" * 64)
    assert not moved.ok and moved.first_bad_seq == 7 and "changed after it was verified" in moved.problem
    gap = verify_after(head, events[8:], events[6]["hash"])
    assert not gap.ok and gap.first_bad_seq == 9 and "expected sequence number 8" in gap.problem
    with pytest.raises(ValueError):
        verify_after(moved, events, None)


def _tamper(path, sql, *args):
    c = sqlite3.connect(path)
    c.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    c.execute(sql, args)
    c.commit()
    c.close()


def test_store_verifies_from_a_head_on_a_read_only_connection(tmp_path):
    path = tmp_path / "a.preflight"
    store = create_assessment(path, name="A", items=templates.load("seed").items)
    first = store.verify_audit()
    for item in store.items()[:3]:
        store.update_item(item.id, status="done")
    with store.open_reader() as reader:
        assert reader.read_only
        with pytest.raises(sqlite3.OperationalError):
            reader.conn.execute("DELETE FROM info")
        later = reader.verify_audit(first)
    assert later == store.verify_audit() and later.ok and later.count == first.count + 3
    assert store.audit_events_after(first.count) == store.audit_events()[first.count:]
    _tamper(path, "UPDATE audit_events SET actor='mallory' WHERE seq=?", first.count + 2)
    with store.open_reader() as reader:
        bad = reader.verify_audit(first)
    assert not bad.ok and bad.first_bad_seq == first.count + 2 and "was edited" in bad.problem
    store.close()


@pytest.fixture
def window(qtbot, tmp_path):
    store = create_assessment(tmp_path / "gui.preflight", name="GUI", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    win = MainWindow(context)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: context.chain is not None and not win.tasks.busy, timeout=10000)
    yield win
    qtbot.waitUntil(lambda: not win.tasks.busy, timeout=10000)
    win.close()


def _set_status(tab, row, status):
    assert tab.proxy.setData(tab.proxy.index(row, 3), status, Qt.EditRole)


def test_after_an_edit_only_the_new_events_are_verified_in_the_worker(window, qtbot, monkeypatch):
    calls = []
    real_full, real_after = store_base.verify_chain, store_base.verify_after

    def full(*a, **kw):
        calls.append(("full", threading.current_thread() is threading.main_thread()))
        return real_full(*a, **kw)

    def after(verified, events, *a, **kw):
        calls.append(("after", threading.current_thread() is threading.main_thread(), len(events)))
        return real_after(verified, events, *a, **kw)

    monkeypatch.setattr(store_base, "verify_chain", full)
    monkeypatch.setattr(store_base, "verify_after", after)
    before = window.context.chain.count
    _set_status(window.checklist_tab, 0, "done")
    assert not [c for c in calls if c[1]]  # nothing was verified on the UI thread during the edit
    qtbot.waitUntil(lambda: window.context.chain.count == before + 1 and not window.tasks.busy, timeout=10000)
    assert calls and all(c[0] == "after" and c[1] is False for c in calls)
    assert sum(c[2] for c in calls) >= 1
    assert window.chain_label.text().startswith(f"Audit chain intact · {before + 1} events")


def test_a_tampered_new_event_raises_the_banner_after_the_next_edit(window, qtbot):
    store = window.context.store
    head = window.context.chain
    # an event slipped in from outside with the right link but content that does not match its hash
    forged = {"seq": head.count + 1, "ts_utc": "2025-01-01T00:00:00Z", "actor": "mallory", "action": "update",
              "entity": "item", "before": None, "after": '{"status": "done"}', "prev_hash": head.head_hash}
    forged["hash"] = event_hash(dict(forged, actor="someone else"), head.head_hash)
    c = sqlite3.connect(store.path)
    c.execute("INSERT INTO audit_events(seq, ts_utc, actor, action, entity, before, after, prev_hash, hash) "
              "VALUES (:seq, :ts_utc, :actor, :action, :entity, :before, :after, :prev_hash, :hash)", forged)
    c.commit()
    c.close()
    _set_status(window.checklist_tab, 0, "done")
    qtbot.waitUntil(lambda: not window.banner.isHidden(), timeout=10000)
    assert f"event {head.count + 1}: content does not match its hash" in window.banner.text()
    assert window.chain_label.text() == "Audit chain BROKEN"


def test_opening_another_file_never_checks_it_against_the_previous_files_head(window, qtbot, tmp_path):
    handoff = next(t for t in window.tab_widgets if t.title.startswith("Handoff"))
    window.tabs.setCurrentWidget(handoff)
    handoff.sub_tabs.setCurrentWidget(handoff.audit)  # the audit log re-reads (and re-checks) on every open
    other = create_assessment(tmp_path / "other.preflight", name="Other", items=templates.load("seed").items)
    other.update_item(other.items()[0].id, status="done")
    window.context.set_store(other)
    qtbot.waitUntil(lambda: window.context.chain is not None and not window.tasks.busy and not handoff.busy,
                    timeout=10000)
    assert window.context.chain.ok and window.banner.isHidden()
    assert handoff.audit.chain_label.text().startswith("Audit chain intact: 3 events")


def test_a_reader_given_a_verified_head_checks_only_what_came_after(tmp_path, monkeypatch):
    store = create_assessment(tmp_path / "r.preflight", name="R", items=templates.load("seed").items)
    first = store.verify_audit()
    store.update_item(store.items()[0].id, status="done")
    full = store.verify_audit()
    seen = []
    real_full, real_after = store_base.verify_chain, store_base.verify_after
    monkeypatch.setattr(store_base, "verify_chain", lambda events, *a, **kw: seen.append(("all", len(events))) or
                        real_full(events, *a, **kw))
    monkeypatch.setattr(store_base, "verify_after", lambda v, events, *a, **kw: seen.append(("new", len(events)))
                        or real_after(v, events, *a, **kw))
    with store.open_reader(first) as reader:
        assert reader.verify_audit() == full
    assert seen == [("new", 1)]  # the one new event, not the whole chain
    with store.open_reader() as reader:
        assert reader.verify_audit() == full
    assert seen == [("new", 1), ("all", full.count)]
    store.close()

"""Starting the GUI as the README describes: the demo assessment, the fallback when a file cannot be opened,
and the tamper banner."""

from __future__ import annotations

import sqlite3

import pytest

import ui.common.dialogs as dialogs
import ui.main_window as main_window
from core import paths
from core.assessment import templates
from core.assessment.store import create_assessment
from ui.app import open_window


@pytest.fixture
def errors(monkeypatch):
    """Every error dialog the window would show (the real one is modal)."""
    shown = []

    def record(parent, title, message):
        shown.append((title, message))

    monkeypatch.setattr(dialogs, "show_error", record)
    monkeypatch.setattr(main_window, "show_error", record)
    return shown


def _wait_chain(qtbot, window):
    qtbot.waitUntil(lambda: window.context.chain is not None and not window.tasks.busy, timeout=20000)


def test_without_a_path_the_gui_opens_the_demo(qtbot, errors):
    window = open_window()
    qtbot.addWidget(window)
    assert window.context.store.path == paths.demo_path()
    assert window.windowTitle() == f"Preflight — {paths.demo_path().name}"
    assert window.context.store.meta()["name"] and window.checklist_tab.proxy.rowCount() > 0
    _wait_chain(qtbot, window)
    assert window.context.chain.ok and window.banner.isHidden()
    assert window.chain_label.text().startswith("Audit chain intact")
    assert errors == []
    window.close()


def test_a_broken_path_shows_one_error_and_opens_the_demo(qtbot, errors, tmp_path):
    broken = tmp_path / "broken.preflight"
    broken.write_bytes(b"this is not a database" * 20)
    window = open_window(str(broken))
    qtbot.addWidget(window)
    assert window.context.store.path == paths.demo_path()
    _wait_chain(qtbot, window)
    assert len(errors) == 1
    title, message = errors[0]
    assert title == "Cannot open assessment"
    assert "broken.preflight" in message and "The demo assessment was opened instead." in message
    assert window.statusBar().currentMessage() == ""  # shown once: not repeated in the status bar
    window.close()


def test_a_tampered_audit_trail_shows_the_banner(qtbot, errors, tmp_path):
    path = tmp_path / "tampered.preflight"
    store = create_assessment(path, name="Tampered", items=templates.load("seed").items)
    item = store.items()[0]
    store.update_item(item.id, status="done")
    store.close()
    c = sqlite3.connect(path)
    c.execute("DROP TRIGGER audit_events_no_update")
    c.execute("UPDATE audit_events SET actor='mallory' WHERE seq=2")
    c.commit()
    c.close()
    window = open_window(str(path))
    qtbot.addWidget(window)
    _wait_chain(qtbot, window)
    assert not window.banner.isHidden()
    assert "tampered with" in window.banner.text()
    assert "event 2: content does not match its hash (the event was edited)" in window.banner.text()
    assert window.chain_label.text() == "Audit chain BROKEN"
    assert errors == []
    window.close()


def test_import_while_another_task_runs_waits_its_turn(qtbot, errors, tmp_path):
    """Importing while the window's worker is busy queues the import (it used to raise 'a task is already
    running')."""
    import json

    store = create_assessment(tmp_path / "busy.preflight", name="Busy", items=templates.load("seed").items)
    store.close()
    window = open_window(str(tmp_path / "busy.preflight"))
    qtbot.addWidget(window)
    files = []
    for n in (3, 5):
        doc = {"items": [{"category": "Ops", "name": f"Step {n}.{k}", "requirement": "", "priority": "high",
                          "status": "open", "notes": ""} for k in range(n)]}
        files.append(tmp_path / f"import{n}.json")
        files[-1].write_text(json.dumps(doc))
    window.check_chain()                  # the worker is busy verifying the audit chain...
    window.import_checklist(str(files[0]))  # ...so both imports wait their turn, in order
    window.import_checklist(str(files[1]))
    assert window.tasks.busy
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=20000)
    assert [i.name for i in window.context.store.items()] == [f"Step 5.{k}" for k in range(5)]
    assert window.checklist_tab.proxy.rowCount() == 5
    replaced = [e for e in window.context.store.audit_events() if e["action"] == "replace"]
    assert [e["after"].count('"Step ') for e in replaced[-2:]] == [3, 5]  # both imports ran, in order
    assert errors == []
    window.close()

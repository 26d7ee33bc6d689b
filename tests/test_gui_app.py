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

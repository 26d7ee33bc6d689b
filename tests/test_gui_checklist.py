"""The real window, offscreen: checklist edits, score panel, undo, reopen, import, worker."""

import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut

from core.assessment import templates
from core.errors import check_cancel
from core.assessment.store import create_assessment, open_assessment
from ui.context import AssessmentContext
from ui.main_window import MainWindow
from ui.common.tasks import TaskBar


@pytest.fixture
def window(qtbot, tmp_path):
    store = create_assessment(tmp_path / "gui.preflight", name="GUI", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    win = MainWindow(context)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def _row(tab, name):
    for r in range(tab.proxy.rowCount()):
        if tab.proxy.index(r, 1).data() == name:
            return r
    raise AssertionError(name)


def _set_status(tab, name, status):
    index = tab.proxy.index(_row(tab, name), 3)
    assert tab.proxy.setData(index, status, Qt.EditRole)


def test_title_tabs_and_chain_state(window, qtbot):
    assert window.windowTitle() == "Preflight — gui.preflight"
    assert window.tabs.tabText(0) == "Checklist"
    qtbot.waitUntil(lambda: window.context.chain is not None, timeout=10000)  # verified in the worker
    assert "intact" in window.chain_label.text()
    assert window.checklist_tab.proxy.rowCount() == 14


def test_editing_status_updates_score_and_undo_restores(window):
    tab = window.checklist_tab
    assert tab.score_panel.weighted.text() == "0.00"
    _set_status(tab, "Production data availability", "done")
    _set_status(tab, "Latency requirements", "done")
    assert tab.score_panel.weighted.text() == "16.00"
    assert tab.score_panel.completion.text() == "14.29%"
    assert tab.score_panel.badge.text() == "NOT READY"
    assert tab.score_panel.blockers_model.rowCount() == 7
    window.undo_action.trigger()
    assert tab.score_panel.weighted.text() == "8.00"
    assert window.context.store.item(tab.model.items[3].id).status == "open"
    window.redo_action.trigger()
    assert tab.score_panel.weighted.text() == "16.00"


def test_ready_badge_when_everything_critical_is_done(window):
    tab = window.checklist_tab
    for item in window.context.store.items():
        if item.name != "Data validation pipeline":
            _set_status(tab, item.name, "done")
    assert tab.score_panel.weighted.text() == "94.00" and tab.score_panel.badge.text() == "READY"
    _set_status(tab, "Data validation pipeline", "not_applicable")
    assert tab.score_panel.weighted.text() == "100.00"


def test_edit_survives_closing_and_reopening(window, qtbot, tmp_path):
    tab = window.checklist_tab
    _set_status(tab, "Load testing", "done")
    index = tab.proxy.index(_row(tab, "Load testing"), 8)
    tab.proxy.setData(index, "Tested at 1,200 rps", Qt.EditRole)
    path = window.context.store.path
    window.close()
    reopened = open_assessment(path)
    item = next(i for i in reopened.items() if i.name == "Load testing")
    assert (item.status, item.notes) == ("done", "Tested at 1,200 rps")
    assert reopened.verify_audit().ok
    reopened.close()


def test_add_duplicate_delete_with_undo(window):
    tab = window.checklist_tab
    tab.table.selectRow(_row(tab, "Auto-scaling"))
    tab.duplicate_selected()
    assert tab.proxy.rowCount() == 15 and "Auto-scaling (copy)" in [i.name for i in tab.model.items]
    tab.table.selectRow(_row(tab, "Auto-scaling (copy)"))
    tab.delete_selected()
    assert tab.proxy.rowCount() == 14
    window.undo_action.trigger()
    assert tab.proxy.rowCount() == 15
    tab.add_item()
    assert tab.proxy.rowCount() == 16


def test_filters(window):
    tab = window.checklist_tab
    tab.filter_priority.setCurrentIndex(tab.filter_priority.findData("medium"))
    assert tab.proxy.rowCount() == 1
    tab.filter_priority.setCurrentIndex(0)
    tab.filter_text.setText("latency")
    assert tab.proxy.rowCount() == 1
    tab.filter_text.clear()
    tab.filter_status.setCurrentIndex(tab.filter_status.findData("done"))
    assert tab.proxy.rowCount() == 0


def test_clicking_a_blocker_selects_it(window):
    tab = window.checklist_tab
    tab.score_panel.blockers.clicked.emit(tab.score_panel.blockers_model.index(2, 0))
    assert tab.selected_item().name == tab.current_score.critical_blockers[2]["name"]


def test_import_checklist_json_fills_the_table(window, qtbot, tmp_path):
    doc = {"items": [{"category": "Ops", "name": f"Step {k}", "requirement": "", "priority": "high",
                      "status": "open", "notes": ""} for k in range(5)]}
    path = tmp_path / "import.json"
    path.write_text(json.dumps(doc))
    window.import_checklist(str(path))
    qtbot.waitUntil(lambda: window.checklist_tab.proxy.rowCount() == 5, timeout=5000)
    assert [i.name for i in window.context.store.items()] == [f"Step {k}" for k in range(5)]


def test_bad_import_shows_error_and_keeps_checklist(window, qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.main_window.show_error", lambda parent, title, msg: shown.append(msg))
    path = tmp_path / "broken.json"
    path.write_text("{nope")
    window.import_checklist(str(path))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "broken.json" in shown[0] and window.checklist_tab.proxy.rowCount() == 14


def test_opening_a_corrupt_file_shows_error(window, qtbot, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.main_window.show_error", lambda parent, title, msg: shown.append(msg))
    bad = tmp_path / "bad.preflight"
    bad.write_bytes(b"not a database at all" * 10)
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "bad.preflight" in shown[0] and window.windowTitle() == "Preflight — gui.preflight"


def test_ml_test_score_chart_appears_for_the_mlts_template(qtbot, tmp_path):
    store = create_assessment(tmp_path / "m.preflight", name="M", items=templates.load("ml-test-score-2017").items)
    context = AssessmentContext()
    context.set_store(store)
    win = MainWindow(context)
    qtbot.addWidget(win)
    tab = win.checklist_tab
    assert "final 0" in tab.score_panel.mlts_title.text()
    index = tab.proxy.index(0, 4)
    tab.proxy.setData(index, "1", Qt.EditRole)
    item = store.item(tab.model.items[0].id)
    assert item.maturity == 1.0 and item.status == "done"
    bars = [i for i in tab.score_panel.mlts_plot.getPlotItem().items if i.__class__.__name__ == "BarGraphItem"]
    assert len(bars) == 1
    win.close()


def _slow(progress, cancelled, steps=50):
    for k in range(steps):
        check_cancel(cancelled)
        progress((k + 1) / steps)
        time.sleep(0.01)
    return "done"


def test_worker_reports_progress_and_result(qtbot):
    bar = TaskBar()
    qtbot.addWidget(bar)
    results, values = [], []
    bar.bar.valueChanged.connect(values.append)
    bar.run("slow", _slow, on_result=results.append)
    assert bar.busy and bar.label.text() == "slow" and results == []  # nothing is delivered before the loop runs
    with pytest.raises(RuntimeError):
        bar.run("second", _slow)  # one task at a time
    qtbot.waitUntil(lambda: results == ["done"], timeout=10000)
    qtbot.waitUntil(lambda: not bar.busy, timeout=5000)
    assert not bar.isVisible()
    assert values and max(values) == 1000 and len(set(values)) > 2


def test_worker_cancel(qtbot):
    bar = TaskBar()
    qtbot.addWidget(bar)
    cancelled, results = [], []
    bar.run("slow", _slow, steps=2000, on_result=results.append, on_cancel=lambda: cancelled.append(1))
    bar.cancel_button.click()
    qtbot.waitUntil(lambda: cancelled == [1], timeout=10000)
    assert results == []


class _X11Keys(QKeySequence):
    """QKeySequence as on GNOME/KDE, where the standard Redo binding is Ctrl+Shift+Z (offscreen uses Ctrl+Y)."""
    Undo = QKeySequence("Ctrl+Z")
    Redo = QKeySequence("Ctrl+Shift+Z")


@pytest.fixture(params=["offscreen", "x11"])
def desktop_window(request, window, monkeypatch):
    """The window with its undo/redo shortcuts installed as on the given desktop's key bindings."""
    if request.param == "x11":
        monkeypatch.setattr("ui.checklist.tab.QKeySequence", _X11Keys)
        window.checklist_tab.install_shortcuts(window.undo_action, window.redo_action)
    return window


def _window_keys(win):
    """Every key sequence bound by a QAction or QShortcut in the window, one entry per binding."""
    keys = []
    for action in win.findChildren(QAction):
        keys += [k.toString() for k in action.shortcuts() if not k.isEmpty()]
    for shortcut in win.findChildren(QShortcut):
        keys += [k.toString() for k in shortcut.keys() if not k.isEmpty()]
    return keys


def test_no_key_is_bound_twice(desktop_window):
    window = desktop_window
    keys = _window_keys(window)
    assert "Ctrl+Shift+Z" in keys and "Ctrl+Y" in keys and "Ctrl+Z" in keys
    assert sorted(k for k in keys if keys.count(k) > 1) == []
    assert [k.toString() for k in window.redo_action.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]


@pytest.mark.parametrize("redo_key", [(Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier),
                                      (Qt.Key_Y, Qt.ControlModifier)])
def test_undo_and_redo_keys_move_the_undo_stack(desktop_window, qtbot, redo_key):
    window = desktop_window
    tab = window.checklist_tab
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    _set_status(tab, "Production data availability", "done")
    stack = tab.undo_stack
    assert stack.index() == 1
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert stack.index() == 0
    assert tab.score_panel.weighted.text() == "0.00"
    qtbot.keyClick(window, *redo_key)
    assert stack.index() == 1
    assert tab.score_panel.weighted.text() == "8.00"


def test_choosing_a_status_in_the_editor_applies_at_once(window, qtbot):
    from PySide6.QtWidgets import QComboBox
    tab = window.checklist_tab
    index = tab.proxy.index(_row(tab, "Production data availability"), 3)
    tab.table.setCurrentIndex(index)
    tab.table.edit(index)
    combo = tab.table.viewport().findChild(QComboBox)
    assert combo is not None and combo.currentData() == "open"
    assert [combo.itemText(i) for i in range(combo.count())] == ["Open", "Done", "Not applicable"]
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Down)  # "Open" -> "Done", as a user picks it; no click elsewhere
    assert tab.score_panel.weighted.text() == "8.00"
    assert tab.undo_stack.index() == 1
    assert window.context.store.item(tab.model.items[0].id).status == "done"
    assert tab.proxy.index(index.row(), 3).data() == "Done"


def test_statuses_and_filters_show_labels_not_stored_values(window):
    tab = window.checklist_tab
    _set_status(tab, "Latency requirements", "not_applicable")
    row = _row(tab, "Latency requirements")
    assert tab.proxy.index(row, 3).data() == "Not applicable"
    assert window.context.store.item(tab.model.items[tab.proxy.mapToSource(
        tab.proxy.index(row, 3)).row()].id).status == "not_applicable"
    labels = [tab.filter_status.itemText(i) for i in range(tab.filter_status.count())]
    assert labels == ["All statuses", "Open", "Done", "Not applicable"]
    assert tab.filter_status.itemData(3) == "not_applicable"


def test_every_checklist_edit_is_one_undoable_step(window):
    tab = window.checklist_tab
    store = window.context.store
    before = [(i.id, i.name, i.status, i.notes) for i in store.items()]
    _set_status(tab, "Auto-scaling", "done")
    assert tab.proxy.setData(tab.proxy.index(_row(tab, "Auto-scaling"), 8), "scaled to 8 pods", Qt.EditRole)
    tab.table.selectRow(_row(tab, "Auto-scaling"))
    tab.duplicate_selected()
    tab.add_item()
    tab.table.selectRow(_row(tab, "Load testing"))
    tab.delete_selected()
    assert tab.undo_stack.count() == 5 and tab.undo_stack.index() == 5
    while tab.undo_stack.canUndo():
        tab.undo_stack.undo()
    assert [(i.id, i.name, i.status, i.notes) for i in store.items()] == before

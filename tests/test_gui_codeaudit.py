"""The Code audit tab offscreen: choose a folder, scan in the worker, filter, preview (line highlighted,
secret masked), export CSV, attach the stored run as evidence, and the newest run shown on open."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import Qt

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.codeaudit.tab import CodeAuditTab
from ui.tabs import tab_classes

SECRET = "AKIAZ7Q3N5B2X4C6V8M1"


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "code"
    root.mkdir()
    (root / "train.py").write_text("import pandas as pd\ndata = pd.read_csv('/Users/john/data.csv')\n"
                                   "model.fit(data, epochs=10000, batch_size=512)\n")
    (root / "keys.py").write_text(f"import os\n\nAWS_KEY = '{SECRET}'\n")
    (root / "explore.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "source": "import numpy as np\nx = np.random.rand(5)",
                   "execution_count": 1, "outputs": [], "metadata": {}}]}))
    (root / "requirements.txt").write_text("pandas==2.1.0\n")
    return root


@pytest.fixture
def env(qtbot, tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = CodeAuditTab(context)
    qtbot.addWidget(tab)
    tab.resize(1300, 760)
    tab.show()
    yield tab, store, context
    tab.shutdown()
    context.close()


def _scan(qtbot, tab, store, folder, monkeypatch, runs=1):
    monkeypatch.setattr("ui.codeaudit.tab.QFileDialog.getExistingDirectory", lambda *a, **k: str(folder))
    qtbot.mouseClick(tab.folder_button, Qt.LeftButton)
    assert tab.path_edit.text() == str(folder)
    assert tab.req_edit.text() == str(folder / "requirements.txt")  # found beside the code
    qtbot.mouseClick(tab.scan_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and len(store.runs("code_audit", with_result=False)) == runs,
                    timeout=30000)
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=10000)


def _row_of(tab, kind):
    return next(r for r in range(tab.proxy.rowCount()) if tab.proxy.finding(r)["kind"] == kind)


def test_the_tab_is_registered():
    assert CodeAuditTab in tab_classes() and CodeAuditTab.title == "Code audit"


def test_scan_filter_preview_export_attach(qtbot, env, folder, tmp_path, monkeypatch):
    tab, store, _context = env
    _scan(qtbot, tab, store, folder, monkeypatch)
    run = store.latest_run("code_audit")
    assert tab.run_id == run["id"] and tab.model.rowCount() == len(run["result"]["findings"])
    assert "FAILED" in tab.summary_label.text() and "3 file(s)" in tab.summary_label.text()
    assert tab.attach_button.isEnabled() and tab.export_button.isEnabled()

    # filters: severity, kind, text
    tab.severity_filter.setCurrentIndex(tab.severity_filter.findData("high"))
    assert tab.proxy.rowCount() == 1 and tab.proxy.finding(0)["kind"] == "secret"
    tab.severity_filter.setCurrentIndex(tab.severity_filter.findData("info"))
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData("magic_number"))
    shown = sorted(tab.proxy.finding(r)["message"].split()[2] for r in range(tab.proxy.rowCount()))
    assert shown == ["10000", "5", "512"] and tab.count_label.text().startswith("3 of")
    tab.kind_filter.setCurrentIndex(0)
    tab.text_filter.setText("explore.ipynb")
    assert {tab.proxy.finding(r)["path"] for r in range(tab.proxy.rowCount())} == {"explore.ipynb"}
    tab.text_filter.setText("")

    # preview: the offending line highlighted, a secret masked
    tab.table.selectRow(_row_of(tab, "absolute_path"))
    qtbot.waitUntil(lambda: tab.preview.highlighted_line == 2, timeout=10000)
    assert "/Users/john/data.csv" in tab.preview.highlighted_text()
    assert tab.preview.suggestion.isVisible()
    tab.table.selectRow(_row_of(tab, "secret"))
    qtbot.waitUntil(lambda: tab.preview.highlighted_line == 3, timeout=10000)
    assert "AWS_KEY" in tab.preview.highlighted_text() and "•" * 20 in tab.preview.highlighted_text()
    assert SECRET not in tab.preview.text.toPlainText()
    assert all(SECRET not in str(tab.proxy.index(r, c).data()) for r in range(tab.proxy.rowCount())
               for c in range(tab.proxy.columnCount()))
    tab.table.selectRow(_row_of(tab, "unseeded_random"))
    qtbot.waitUntil(lambda: tab.preview.highlighted_line == 2 and "cell 1" in tab.preview.title.text(),
                    timeout=10000)
    assert "np.random.rand" in tab.preview.highlighted_text()

    # export CSV through the dialog: the rows shown, secret redacted
    out = tmp_path / "findings.csv"
    monkeypatch.setattr("ui.codeaudit.tab.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    tab.text_filter.setText("keys.py")
    qtbot.mouseClick(tab.export_button, Qt.LeftButton)
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["path"] for r in rows} == {"keys.py"}
    assert list(rows[0]) == ["path", "cell", "line", "kind", "severity", "message", "suggestion"]
    assert SECRET not in out.read_text() and any(r["kind"] == "secret" for r in rows)

    # attach as evidence: the dialog suggests Error handling first; the link is stored
    dialog = tab.attach_dialog()
    assert "Error handling" in dialog.list.currentItem().text() and dialog.ok_button.isEnabled()
    assert "bare except" in dialog.note.text()
    item_id = dialog.selected_item_id()
    dialog.deleteLater()
    changed = []
    tab.context.checklist_changed.connect(lambda: changed.append(1))
    monkeypatch.setattr("ui.common.evidence.AttachEvidenceDialog.exec", lambda self: 1)
    qtbot.mouseClick(tab.attach_button, Qt.LeftButton)
    links = store.links(item_id)
    assert [link["run_id"] for link in links] == [run["id"]] and changed


def test_bad_path_shows_one_error_in_the_tab(qtbot, env, tmp_path):
    tab, store, _context = env
    tab.set_path(str(tmp_path / "nope"))
    qtbot.mouseClick(tab.scan_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not tab.busy and tab.error_label.isVisible(), timeout=10000)
    assert "no such file or folder" in tab.error_label.text()
    assert store.runs("code_audit") == []


def test_the_newest_run_is_shown_when_the_assessment_opens(qtbot, env, folder, monkeypatch, tmp_path):
    tab, store, context = env
    _scan(qtbot, tab, store, folder, monkeypatch)
    other = CodeAuditTab(context)
    qtbot.addWidget(other)
    assert other.run_id == tab.run_id and other.model.rowCount() == tab.model.rowCount()
    assert other.path_edit.text() == str(folder) and "results of an earlier choice" not in other.summary_label.text()
    other.path_edit.setText(str(tmp_path))
    assert "results of an earlier choice" in other.summary_label.text()
    other.shutdown()

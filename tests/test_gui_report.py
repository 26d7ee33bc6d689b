"""The Report tab, offscreen: live preview with verdict and charts, refresh on change, and export through the
buttons a user clicks (file dialog -> worker -> file), with no external resources."""

import re
import threading
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocument

import ui.report.tab as report_tab
from core.assessment import templates
from core.assessment.store import create_assessment
from core.drift.compute import compute_drift
from ui.context import AssessmentContext
from ui.report.tab import ReportTab

NAME = "GUI <Report> check"
COLUMN = "<script>alert(1)</script>"


def drift_result():
    """A real drift result (a column that clearly drifted), so a change in the result shape breaks these tests."""
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({COLUMN: rng.normal(0, 1, 400)})
    cur = pd.DataFrame({COLUMN: rng.normal(2, 1, 400)})
    return compute_drift(ref, cur, {COLUMN: "numeric"}, multivariate=False).to_dict()


@pytest.fixture
def tab(qtbot, tmp_path):
    store = create_assessment(tmp_path / "gui.preflight", name=NAME, items=templates.load("seed").items)
    store.add_run("drift", settings={}, inputs=[{"role": "reference", "path": "ref.csv", "sha256": "f" * 64}],
                  result=drift_result(), started_utc="2025-01-01T00:00:00Z")
    context = AssessmentContext()
    context.set_store(store)
    widget = ReportTab(context)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show()
    qtbot.waitUntil(lambda: widget.data is not None, timeout=20000)
    yield widget
    qtbot.waitUntil(lambda: not widget.busy, timeout=20000)
    context.close()


class Urls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def test_preview_shows_name_verdict_and_chart_images(tab):
    text = tab.preview.toPlainText()
    assert NAME in text and "NOT READY" in text and COLUMN in text  # escaped in HTML, shown literally
    assert "NOT READY" in tab.verdict_label.text()
    html = tab.preview.toHtml()
    images = re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', html)
    assert images
    image = tab.preview.document().resource(QTextDocument.ImageResource, QUrl(images[0]))
    assert image is not None and not image.isNull()  # Qt could load the chart


def test_preview_follows_checklist_changes(tab, qtbot):
    before = tab.data.score["weighted_score"]
    store = tab.context.store
    for item in store.items():
        store.update_item(item.id, status="done")
    tab.context.notify("checklist")
    qtbot.waitUntil(lambda: tab.data.score["weighted_score"] == 100.0, timeout=20000)
    assert before < 100.0
    qtbot.waitUntil(lambda: "100.00%" in tab.preview.toPlainText(), timeout=20000)


def export_by_click(tab, qtbot, monkeypatch, suffix, target):
    """Click the export button; the save dialog answers ``target``; wait for the worker to write the file."""
    asked = []

    def fake_dialog(parent, caption, default, filters):
        asked.append((caption, default, filters))
        return str(target), filters

    monkeypatch.setattr(report_tab.QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(tab.export_buttons[suffix], Qt.LeftButton)
    written = target if target.suffix == suffix else target.with_name(target.name + suffix)
    qtbot.waitUntil(lambda: written.exists() and not tab.busy, timeout=20000)
    assert asked and asked[0][1].endswith(f"gui-report{suffix}")
    return written


def test_export_html_by_clicking_is_self_contained(tab, qtbot, monkeypatch, tmp_path):
    messages = []
    tab.context.status_message.connect(messages.append)
    out = export_by_click(tab, qtbot, monkeypatch, ".html", tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    p = Urls()
    p.feed(text)
    assert "script" not in p.tags and COLUMN not in text
    assert all(u.startswith(("data:", "#")) for u in p.urls)
    assert "GUI &lt;Report&gt; check" in text and "<svg " in text
    assert messages == [f"Report written to {out}"]


def test_export_pdf_and_json_by_clicking(tab, qtbot, monkeypatch, tmp_path):
    assert export_by_click(tab, qtbot, monkeypatch, ".pdf", tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    out = export_by_click(tab, qtbot, monkeypatch, ".json", tmp_path / "r")  # the suffix is added
    assert out.name == "r.json"
    assert '"format": "preflight-report"' in out.read_text(encoding="utf-8")


def test_export_failure_is_shown_once(tab, qtbot, monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr(report_tab, "show_error", lambda parent, title, message: shown.append((title, message)))
    monkeypatch.setattr(report_tab.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a: (str(tmp_path / "no-such-folder" / "r.html"), "")))
    qtbot.mouseClick(tab.export_buttons[".html"], Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(shown) and not tab.busy, timeout=20000)
    assert len(shown) == 1 and shown[0][0] == "Export failed" and "r.html" in shown[0][1]


def test_snapshot_and_build_run_in_the_worker(tab, qtbot, monkeypatch):
    threads = []
    real = report_tab.snapshot

    def spy(store):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(store)

    monkeypatch.setattr(report_tab, "snapshot", spy)
    tab.context.notify("checklist")
    qtbot.waitUntil(lambda: bool(threads) and not tab.busy, timeout=20000)
    assert threads == [False]

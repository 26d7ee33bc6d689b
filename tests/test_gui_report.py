"""The Report tab, offscreen: live preview with verdict and charts, refresh on change, export without external resources."""

import re
from html.parser import HTMLParser

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.report.tab import ReportTab
from ui.tabs import tab_classes

NAME = "GUI <Report> check"
COLUMN = "<script>alert(1)</script>"


def drift_result():
    hist = {"edges": [0.0, 1.0, 2.0, 3.0], "reference": [10, 20, 10], "current": [2, 10, 28]}
    return {"dataset_drift": True, "drifted_share": 1.0, "drift_share_threshold": 0.5, "method": "auto",
            "columns": [{"name": COLUMN, "kind": "numeric", "method": "wasserstein", "score": 0.4, "threshold": 0.1,
                         "drifted": True, "psi": 0.6, "psi_band": "major", "histogram": hist}],
            "multivariate": None, "warnings": []}


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
    qtbot.waitUntil(lambda: not widget.task.busy, timeout=20000)
    context.close()


class Urls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def test_report_tab_is_registered():
    assert ReportTab in tab_classes() and ReportTab.title == "Report"


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


def test_export_html_is_self_contained(tab, tmp_path):
    out = tab.export(tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    p = Urls()
    p.feed(text)
    assert "script" not in p.tags and COLUMN not in text
    assert all(u.startswith(("data:", "#")) for u in p.urls)
    assert "GUI &lt;Report&gt; check" in text and "<svg " in text


def test_export_pdf_and_json(tab, tmp_path):
    assert tab.export(tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert '"format": "preflight-report"' in tab.export(tmp_path / "r.json").read_text(encoding="utf-8")

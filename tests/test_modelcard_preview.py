"""The model-card preview shows stored text as Markdown only: no raw HTML, no local files, web links after a yes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl, Qt
from PySide6.QtGui import QTextDocument

from core.assessment import templates
from core.assessment.store import create_assessment
from core.handoff import signing
from ui.context import AssessmentContext
from ui.handoff.modelcard_panel import ModelCardPanel, markdown_to_safe_html
from ui.validation.view import ValidationView

HOSTILE = ("[secret](file:///etc/passwd) <img src=\"file:///etc/hostname\"> ![pic](file:///etc/hosts) "
           "<a href=\"file:///etc/shadow\">raw</a> [js](javascript:alert(1)) [docs](https://example.org/card)")


def _anchors_and_images(doc: QTextDocument) -> tuple[list[str], list[str]]:
    anchors, images = [], []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                images.append(fmt.toImageFormat().name())
            elif fmt.isAnchor():
                anchors.extend(fmt.anchorHref() for _ in [0])
            it += 1
        block = block.next()
    return anchors, images


@pytest.fixture
def panel(qtbot, tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="A", system="churn model",
                              items=list(templates.load("seed").items))
    context = AssessmentContext()
    context.set_store(store)
    widget = ModelCardPanel(context)
    qtbot.addWidget(widget)
    signing.save_handoff(store, signing.load_handoff(store), sections={"intended_use": HOSTILE})
    widget.reset()
    yield widget
    context.close()


def test_stored_html_and_local_links_are_text_not_markup(panel):
    anchors, images = _anchors_and_images(panel.preview.document())
    assert anchors == ["https://example.org/card"]
    assert images == []
    shown = panel.preview.toPlainText()
    assert '<img src="file:///etc/hostname">' in shown  # raw HTML is shown as the text it is
    assert "[secret](file:///etc/passwd)" in shown
    assert "![pic](file:///etc/hosts)" in shown


def test_the_renderer_drops_raw_html_and_non_web_links():
    html = markdown_to_safe_html(HOSTILE)
    assert "<img" not in html and "<a href=\"file:" not in html and "javascript:" not in html.split("&")[0]
    assert '<a href="https://example.org/card">docs</a>' in html
    web_image = markdown_to_safe_html("![chart](https://example.org/chart.png)")
    assert "<img" not in web_image and "[image: chart — https://example.org/chart.png]" in web_image


def test_a_web_link_opens_only_after_confirmation_and_a_file_link_never(panel, monkeypatch):
    preview = panel.preview
    opened, asked = [], []
    monkeypatch.setattr(preview, "open_external", lambda url: opened.append(url.toString()) or True)
    monkeypatch.setattr(preview, "confirm_open", lambda url: asked.append(url.toString()) or False)
    preview.anchorClicked.emit(QUrl("https://example.org/card"))
    assert asked == ["https://example.org/card"] and opened == []
    monkeypatch.setattr(preview, "confirm_open", lambda url: True)
    preview.anchorClicked.emit(QUrl("https://example.org/card"))
    assert opened == ["https://example.org/card"]
    for url in ("file:///etc/passwd", "javascript:alert(1)", "/etc/passwd"):
        preview.anchorClicked.emit(QUrl(url))
    assert opened == ["https://example.org/card"]
    assert not preview.openExternalLinks() and not preview.openLinks()


def test_the_preview_never_loads_a_resource(panel):
    assert panel.preview.loadResource(QTextDocument.ImageResource, QUrl("file:///etc/hostname")) is None


def test_the_validation_message_shows_column_names_as_plain_text(qtbot):
    view = ValidationView()
    qtbot.addWidget(view)
    name = "<img src='file:///etc/hostname'><b>bold</b>"
    view.show_result({"passed": False, "rows": 3, "violations": [
        {"column": name, "check": "not_null", "severity": "critical", "count": 1, "fraction": 1 / 3,
         "message": f"column {name}: 1 missing value", "examples": []}]})
    view.violations_view.selectRow(0)
    view._show_examples(view.violations_model.index(0, 0))
    assert view.message.text() == f"column {name}: 1 missing value"
    assert view.message.textFormat() == Qt.PlainText

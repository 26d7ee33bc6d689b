"""The PDF report: page x of y, a footer with the content ID and audit head on every page, headings kept with
what follows them, table header words never broken.

The text checks read the PDF back with poppler's ``pdftotext`` (skipped where it is not installed); the page
plan and column tests check the layout functions directly and need only Qt.
"""

import json
import re
import shutil
import subprocess

import pytest

from core.report import build_report, content_id_of, render_html, report_json, write_data
from test_report import make_sample, record_real_runs
from ui.report import pdf

WORDS = ("Verdict", "Severity", "Wasserstein", "Thresh.", "Examples")


@pytest.fixture
def sample(tmp_path):
    store = make_sample(tmp_path)
    yield store
    store.close()


def pdf_pages(path) -> list[str]:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    out = out.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\ufb00", "ff")   # ligatures
    return [p for p in out.split("\f") if p.strip()]


def test_every_page_numbered_with_content_id_and_audit_head(sample, tmp_path, qapp):
    record_real_runs(sample, tmp_path / "more", drifted=False)           # a longer report: four runs
    data = build_report(sample)
    out = write_data(data, tmp_path / "report.pdf", {".pdf": pdf.write_pdf})
    pages = pdf_pages(out)
    n = len(pages)
    assert n >= 5
    head = sample.verify_audit().head_hash
    for number, text in enumerate(pages, start=1):
        assert re.search(rf"\bpage {number} of {n}\b", text), (number, text[-400:])
        assert f"Report content ID (SHA-256) {data.content_id}" in text
        assert f"Audit chain head {sample.verify_audit().count}:{head}" in text
        assert "Preflight report: Fraud scoring Q3" in text
    whole = "\n".join(pages)
    for word in WORDS:
        assert word in whole, word
        broken = re.findall(rf"{re.escape(word[:-1])}(?!{re.escape(word[-1])})", whole)
        assert not broken, (word, broken)


def test_pdf_footer_plumbing_gives_the_writer_name_id_and_head(sample, tmp_path):
    seen = {}

    def writer(html, path, footer):
        seen.update(footer)
        path.write_bytes(b"%PDF-1.4")

    data = build_report(sample)
    write_data(data, tmp_path / "r.pdf", {".pdf": writer})
    assert seen == {"title": "Fraud scoring Q3", "content_id": data.content_id,
                    "audit_head": f"{sample.verify_audit().count}:{sample.verify_audit().head_hash}"}
    assert pdf.footer_lines(seen, 2, 9) == ("Preflight report: Fraud scoring Q3", "page 2 of 9",
                                            f"Report content ID (SHA-256) {data.content_id}",
                                            f"Audit chain head {seen['audit_head']}")


def test_content_id_ignores_the_generation_time_and_follows_every_change(sample):
    first = build_report(sample, generated_utc="2025-05-01T00:00:00Z")
    again = build_report(sample, generated_utc="2026-06-02T10:00:00Z")
    assert len(first.content_id) == 64 and first.content_id == again.content_id
    doc = report_json(again)
    assert doc["content_id"] == first.content_id == content_id_of(doc)
    assert content_id_of(json.loads(json.dumps(doc).replace("Fraud scoring Q3", "Fraud scoring Q4"))) \
        != first.content_id                                  # the ID is recomputable and binds the content
    html_text = render_html(again)
    footer = html_text[html_text.index('<p class="footer">'):]
    assert first.content_id in footer and sample.verify_audit().head_hash in footer
    sample.update_item(sample.items()[1].id, notes="one more note")
    assert build_report(sample, generated_utc="2025-05-01T00:00:00Z").content_id != first.content_id


# ---------------------------------------------------------------------------- the layout, directly

WIDTH, PAGE = 680.0, 400.0


def filler(n: int) -> str:
    return "".join(f"<p>Filler paragraph {i} with enough words to take one line of the page.</p>" for i in range(n))


def doc_with_heading_at_the_foot():
    """Headings (a section title, then a sub-title) that land at the foot of the first page, then a table."""
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    rows = "".join(f"<tr><td>row {i}</td><td>value {i}</td></tr>" for i in range(6))
    for n in range(8, 30):  # find a filler length that leaves the headings at the foot of page 1
        html = filler(n) + "<h2>Section title</h2><h3>Sub-title</h3><table><tr><th>A</th><th>B</th></tr>" + \
            rows + "</table>" + filler(3)
        doc = QTextDocument()
        doc.setDocumentMargin(0)
        doc.setHtml(html)
        doc.setTextWidth(WIDTH)
        doc.setPageSize(QSizeF(WIDTH, PAGE))
        plan = pdf.page_plan(doc, PAGE)
        title = next(b for b in plan if b["text"] == "Section title")
        after = next(b for b in plan if b["text"] == "A")
        if title["page"] == 0 and after["page"] == 1:
            return html
    raise AssertionError("no filler length puts the heading at the foot of the page")


def test_a_heading_never_ends_a_page(qapp):
    html = doc_with_heading_at_the_foot()
    doc = pdf.layout(html, WIDTH, PAGE)
    plan = pdf.page_plan(doc, PAGE)
    for n, block in enumerate(plan):
        if block["heading"]:
            following = next(b for b in plan[n + 1:] if not b["heading"])
            assert following["page"] == block["page"], (block, following)
    title = next(b for b in plan if b["text"] == "Section title")
    assert title["page"] == 1 and title["top"] < pdf.TOP_SLACK         # moved, with its sub-title, to page 2
    assert next(b for b in plan if b["text"] == "Sub-title")["page"] == 1
    assert doc.pageCount() >= 2


def test_a_heading_already_followed_on_its_page_stays(qapp):
    html = "<h2>Top</h2>" + filler(3) + "<h3>Middle</h3>" + filler(3)
    doc = pdf.layout(html, WIDTH, PAGE)
    assert pdf.keep_headings_with_next(doc, PAGE) == []
    assert {b["text"]: b["page"] for b in pdf.page_plan(doc, PAGE) if b["heading"]} == {"Top": 0, "Middle": 0}


def _header_lines(doc) -> dict:
    from PySide6.QtGui import QTextTable
    doc.documentLayout().documentSize()
    out, block = {}, doc.begin()
    while block.isValid():
        frame = doc.frameAt(block.position())
        if isinstance(frame, QTextTable):
            for c in range(frame.columns()):
                cell = frame.cellAt(0, c).firstCursorPosition().block()
                out[cell.text()] = cell.layout().lineCount()
        block = block.next()
    return out


def test_table_columns_fit_their_header_words(qapp, sample):
    from PySide6.QtGui import QTextDocument
    html = render_html(build_report(sample), charts="none")
    plain = QTextDocument()
    plain.setDocumentMargin(0)
    plain.setHtml(html)
    plain.setTextWidth(WIDTH)
    before = _header_lines(plain)
    assert before["Severity"] > 1 or before["Thresh."] > 1 or before["Verdict"] > 1   # Qt breaks them by itself
    doc = pdf.layout(html, WIDTH, 1000.0)
    after = _header_lines(doc)
    for word in ("Severity", "Thresh.", "Verdict", "Rows", "Share", "Limit", "Method", "Score", "PSI"):
        assert after[word] == 1, (word, after[word])

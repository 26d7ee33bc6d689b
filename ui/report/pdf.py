"""PDF export through Qt (QTextDocument + QPdfWriter), usable headless.

Qt's own ``QTextDocument.print_`` cannot number pages, draw a footer or keep a
heading with what follows it, so the report is paginated here:

* the document is laid out in pages of the printable height less a footer band
  (``QTextDocument.setPageSize``), and each page is drawn with
  ``drawContents`` through a painter translated to that page;
* :func:`fit_table_columns` widens table columns so that no header word and no
  short data word ("Severity", "Wasserstein") is broken inside; long values
  (hashes, paths, identifiers) may still wrap;
* :func:`keep_headings_with_next` moves a heading that would end a page (its
  following text starting on the next page, or less than :data:`KEEP` of it
  on this one) to the top of the next page;
* every page gets a footer: the assessment name, "page x of y", the report's
  content ID and the audit-chain head.
"""

from __future__ import annotations

import math
import re

#: Page margins (mm) and the footer band at the foot of the printable area (mm).
MARGINS_MM = (15, 14, 15, 12)
FOOTER_MM = 13.0
#: How much of the block after a heading must fit on the heading's page (document pixels, 96 per inch).
KEEP = 44.0
#: A heading this close to the top of its page (document pixels) already starts the page.
TOP_SLACK = 32.0
#: Words up to this many characters are never broken inside a table cell.
SHORT_WORD = 14
_CELL_PAD = 16.0
#: A column without a width gets a share of the free width in proportion to its text, up to this long (pixels).
NATURAL_CAP = 400.0


def register_cli_writers(writers: dict) -> None:
    """Offer the PDF writer to the CLI's ``report`` command (Qt is imported only when used)."""
    writers[".pdf"] = write_pdf


def _ensure_app():
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication
    return QGuiApplication.instance() or QGuiApplication([])


def _cell_words(cell):
    """``(text, font)`` of every word of a table cell."""
    block = cell.firstCursorPosition().block()
    end = cell.lastCursorPosition().position()
    while block.isValid() and block.position() <= end:
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.isValid():
                font = fragment.charFormat().font()
                for word in re.split(r"[\s/]+|(?<=-)", fragment.text()):
                    if word:
                        yield word, font
            it += 1
        block = block.next()


def _table_width(doc, table) -> float:
    """The width the table's columns share, measured on the laid-out first row (cell padding included)."""
    cells = [table.cellAt(0, c) for c in range(table.columns())]
    rects = [_rect(doc, cell.firstCursorPosition().block()) for cell in cells if cell.isValid()]
    if not rects:
        return 0.0
    pad = table.format().cellPadding()
    return max(r.right() for r in rects) - min(r.left() for r in rects) + 2 * pad + _CELL_PAD / 2


def fit_table_columns(doc, width: float | None = None) -> int:
    """Widen percentage-width table columns to their longest short word; returns how many tables changed.

    Qt breaks a word inside when its column is narrower than the word (the
    "Verdic t" of a narrow header).  Each column gets at least the width of its
    longest word of up to :data:`SHORT_WORD` characters (plus the cell padding);
    the other percentage columns give up what they have beyond their own minimum.
    """
    from PySide6.QtGui import QTextTable

    width = float(width or doc.textWidth())
    changed = 0
    tables = {}
    block = doc.begin()
    while block.isValid():
        frame = doc.frameAt(block.position())
        while frame is not None:
            if isinstance(frame, QTextTable):
                tables.setdefault(id(frame), frame)
            frame = frame.parentFrame()
        block = block.next()
    plans = [(table, _column_plan(doc, table, width)) for table in tables.values()]  # measure first, then change
    for table, cons in plans:
        if cons is None:
            continue
        fmt = table.format()
        fmt.setColumnWidthConstraints(cons)
        table.setFormat(fmt)
        changed += 1
    return changed


def _column_plan(doc, table, width: float):
    """The new column width constraints of ``table`` (None when they need not change)."""
    from PySide6.QtGui import QFontMetricsF, QTextLength

    fmt = table.format()
    cols = table.columns()
    cons = list(fmt.columnWidthConstraints())
    if len(cons) < cols:
        cons += [QTextLength()] * (cols - len(cons))
    head, need, natural = [0.0] * cols, [0.0] * cols, [0.0] * cols
    metrics = {}

    def advance(text, font) -> float:
        key = font.key()
        if key not in metrics:
            metrics[key] = QFontMetricsF(font)
        return metrics[key].horizontalAdvance(text)

    for row in range(table.rows()):
        for col in range(cols):
            cell = table.cellAt(row, col)
            if cell.column() != col or cell.columnSpan() > 1:
                continue
            words = list(_cell_words(cell))
            if words:
                line = advance(" ".join(w for w, _f in words), words[0][1])
                natural[col] = max(natural[col], min(line, NATURAL_CAP) + _CELL_PAD)
            for word, font in words:
                if len(word) <= SHORT_WORD:
                    w = advance(word, font) + _CELL_PAD
                    need[col] = max(need[col], w)
                    if row < max(1, fmt.headerRowCount()):
                        head[col] = max(head[col], w)
    pct = {c: cons[c].rawValue() for c in range(cols) if cons[c].type() == QTextLength.PercentageLength}
    if not pct:
        return None
    base = _table_width(doc, table) or width
    need_pct = [100.0 * n / base for n in need]
    head_pct = [100.0 * n / base for n in head]
    if sum(need_pct) > 100.0 and sum(head_pct) < 100.0:
        # not every short word fits: header words first, data words as far as they go
        f = (100.0 - sum(head_pct)) / (sum(need_pct) - sum(head_pct))
        need_pct = [h + (n - h) * f for h, n in zip(head_pct, need_pct)]
    free = [c for c in range(cols) if c not in pct]
    want = {c: max(p, need_pct[c]) for c, p in pct.items()}
    # columns without a width share what is left, but get at least their longest short word
    rest = max(0.0, 100.0 - sum(want.values()))
    spread = sum(natural[c] for c in free) or 1.0
    for c in free:
        want[c] = max(need_pct[c], rest * (natural[c] or 1.0) / spread)
    excess = sum(want.values()) - 100.0
    if excess > 0:
        slack = {c: want[c] - need_pct[c] for c in want if want[c] > need_pct[c]}
        total = sum(slack.values())
        if total > 0:
            cut = min(1.0, excess / total)
            want = {c: want[c] - slack.get(c, 0.0) * cut for c in want}
    pct.update({c: -1.0 for c in free})
    if all(abs(want[c] - pct[c]) < 1e-6 for c in pct):
        return None
    for c, value in want.items():
        cons[c] = QTextLength(QTextLength.PercentageLength, value)
    return cons


def _is_heading(block) -> bool:
    return block.blockFormat().headingLevel() > 0 and bool(block.text().strip())


def _rect(doc, block):
    return doc.documentLayout().blockBoundingRect(block)


def _relayout(doc, start: int = 0) -> None:
    """Lay the document out again from ``start`` (Qt's own relayout after a format change leaves later blocks
    where they were)."""
    doc.markContentsDirty(start, doc.characterCount() - start)  # laid out lazily, as far as positions are asked


def _first_orphan(doc, block, page_height: float, keep: float):
    """The first heading from ``block`` on whose page what follows it does not begin (or None)."""
    while block.isValid():
        if not _is_heading(block):
            block = block.next()
            continue
        first = block
        nxt = block.next()
        while nxt.isValid() and (_is_heading(nxt) or not nxt.text().strip()):
            nxt = nxt.next()
        if not nxt.isValid():
            return None
        top = _rect(doc, first).top()
        page = math.floor(top / page_height)
        content = _rect(doc, nxt)
        reach = content.top() + min(content.height(), keep)
        if top - page * page_height > TOP_SLACK and math.floor((reach - 0.5) / page_height) != page:
            return first
        block = nxt
    return None


def keep_headings_with_next(doc, page_height: float, keep: float = KEEP) -> list[str]:
    """Start a heading on a new page when what follows it would not begin on its page; returns the moved headings.

    A run of headings (a section title, then a sub-title) moves as one.  Call
    after ``doc.setPageSize`` with the page height used for printing.
    """
    from PySide6.QtGui import QTextBlockFormat, QTextCursor, QTextFormat

    moved = []
    block = doc.begin()
    _relayout(doc)
    while True:
        orphan = _first_orphan(doc, block, page_height, keep)
        if orphan is None:
            return moved
        fmt = QTextBlockFormat()
        fmt.setPageBreakPolicy(QTextFormat.PageBreak_AlwaysBefore)
        QTextCursor(orphan).mergeBlockFormat(fmt)
        moved.append(orphan.text())
        _relayout(doc, orphan.position())
        block = orphan.next()


def page_plan(doc, page_height: float) -> list[dict]:
    """Every non-empty top-level block with its page (0-based) and position: what the tests check."""
    out = []
    block = doc.begin()
    while block.isValid():
        text = block.text().strip()
        if text:
            rect = _rect(doc, block)
            page = math.floor(rect.top() / page_height)
            out.append({"text": text, "heading": _is_heading(block), "page": page,
                        "top": rect.top() - page * page_height, "bottom": rect.bottom() - page * page_height})
        block = block.next()
    return out


def layout(html: str, width: float, page_height: float):
    """The report laid out in pages of ``width`` x ``page_height`` document pixels, ready to print."""
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    doc.setTextWidth(width)
    fit_table_columns(doc, width)
    doc.setPageSize(QSizeF(width, page_height))
    keep_headings_with_next(doc, page_height)
    return doc


def footer_lines(footer: dict | None, page: int, pages: int) -> tuple[str, str, str, str]:
    """The footer of one page: (title, "page x of y", content ID line, audit head line)."""
    footer = footer or {}
    return (f"Preflight report: {footer.get('title') or ''}".strip(), f"page {page} of {pages}",
            f"Report content ID (SHA-256) {footer.get('content_id') or '-'}",
            f"Audit chain head {footer.get('audit_head') or '-'}")


def write_pdf(html: str, path, footer: dict | None = None, on_page=None) -> None:
    """Write ``html`` as an A4 PDF; ``footer``: ``title``, ``content_id`` and ``audit_head`` for every page.
    ``on_page(done, total)``, when given, is called after the layout (done 0) and after each page."""
    app = _ensure_app()  # noqa: F841 - keeps Qt alive while rendering
    from PySide6.QtCore import QMarginsF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter

    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.A4))
    writer.setPageMargins(QMarginsF(*MARGINS_MM), QPageLayout.Millimeter)
    writer.setResolution(150)
    writer.setTitle(f"Preflight report: {(footer or {}).get('title') or ''}".strip(": "))
    writer.setCreator("Preflight")
    # QTextDocument lays out at 96 dpi: give it the printable area in those units so text keeps its size
    area = writer.pageLayout().paintRect(QPageLayout.Inch)
    width, full = area.width() * 96, area.height() * 96
    body = full - FOOTER_MM / 25.4 * 96
    doc = layout(html, width, body)
    pages = doc.pageCount()
    scale = writer.resolution() / 96.0
    font = QFont("DejaVu Sans")
    font.setPointSizeF(7.5)
    mono = QFont("DejaVu Sans Mono")
    mono.setPointSizeF(6.5)
    painter = QPainter(writer)
    try:
        if on_page is not None:
            on_page(0, pages)
        for n in range(pages):
            if n:
                writer.newPage()
            painter.save()
            painter.scale(scale, scale)
            painter.translate(0, -n * body)
            doc.drawContents(painter, QRectF(0, n * body, width, body))
            painter.restore()
            top = (body + 6) * scale
            painter.setPen(QColor("#d0d7de"))
            painter.drawLine(0, int(top), int(width * scale), int(top))
            painter.setPen(QColor("#57606a"))
            line = (full - body - 8) * scale / 3
            title, page, ident, head = footer_lines(footer, n + 1, pages)
            row = QRectF(0, top + 4 * scale, width * scale, line)
            painter.setFont(font)
            painter.drawText(row, int(Qt.AlignLeft | Qt.AlignVCenter), title)
            painter.drawText(row, int(Qt.AlignRight | Qt.AlignVCenter), page)
            painter.setFont(mono)
            for i, text in enumerate((ident, head), start=1):
                painter.drawText(row.translated(0, i * line), int(Qt.AlignLeft | Qt.AlignVCenter), text)
            if on_page is not None:
                on_page(n + 1, pages)
    finally:
        painter.end()


def main(argv=None) -> int:
    """``python -m ui.report.pdf JOB.json``: write one PDF (see :mod:`ui.report.pdf_process`).

    ``JOB.json`` holds ``html``, ``path``, ``footer`` and, optionally, ``progress``: a file that gets the
    share of the pages drawn so far (replaced whole each time).  Exits 0 when written; on failure prints
    one ``error: ...`` line on stderr and exits 2.
    """
    import json
    import os
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("error: usage: python -m ui.report.pdf JOB.json", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as fh:
            job = json.load(fh)
        path = job["path"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {args[0]}: not a PDF job ({exc})", file=sys.stderr)
        return 2
    def on_page(done, total):
        if job.get("progress"):
            tmp = f"{job['progress']}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(f"{(0.1 + 0.9 * done / total) if total else 1.0:.4f}")
            os.replace(tmp, job["progress"])

    try:
        write_pdf(job["html"], path, job.get("footer"), on_page=on_page)
    except OSError as exc:
        print(f"error: {path}: cannot write the report ({exc.strerror or exc})", file=sys.stderr)
        return 2
    except Exception as exc:  # one line for the window's error box, not a traceback
        print(f"error: {path}: the PDF writer failed ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

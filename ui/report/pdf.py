"""PDF export through Qt (QTextDocument + QPdfWriter), usable headless."""

from __future__ import annotations


def register_cli_writers(writers: dict) -> None:
    """Offer the PDF writer to the CLI's ``report`` command (Qt is imported only when used)."""
    writers[".pdf"] = write_pdf


def write_pdf(html: str, path) -> None:
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - keeps Qt alive while rendering
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Millimeter)
    writer.setResolution(150)
    writer.setTitle("Preflight report")
    writer.setCreator("Preflight")
    doc = QTextDocument()
    doc.setHtml(html)
    # QTextDocument lays out at 96 dpi; give it the printable area in those units so text keeps its size
    rect = writer.pageLayout().paintRect(QPageLayout.Inch)
    doc.setPageSize(QSizeF(rect.width() * 96, rect.height() * 96))
    doc.print_(writer)

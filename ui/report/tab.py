"""Report tab: a live preview of the assessment's report and export to HTML, PDF and JSON.

The preview is the same HTML as the exported file, with the charts as SVG
images (Qt's rich text cannot draw inline SVG).  It is rebuilt through the task
pipeline shortly after any change, and only while the tab is visible: the
worker reads the assessment on a read-only connection of its own, re-hashes the
evidence files and renders.  A change during a build queues one more build (a
``replace`` key keeps at most one waiting).  Export runs the same way, file
writing included; a PDF is laid out and painted by a child process
(:mod:`ui.report.pdf_process`), so Qt's text machinery never runs in a worker
thread beside the window's own painting.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from core.report import build_from_snapshot, render_html, snapshot, write_data
from core.progress import scaled
from core.render.html import AMBER, GREEN, RED
from ui.common.dialogs import show_error
from ui.common.tasks import TaskBar, TaskQueue
from ui.report.pdf_process import write_pdf_in_child

FILTERS = {".html": "HTML report (*.html)", ".pdf": "PDF report (*.pdf)", ".json": "JSON electronic copy (*.json)"}
STATUS_COLOURS = {"ready": GREEN, "pending_signoff": AMBER, "not_ready": RED}
REFRESH_DELAY_MS = 300
#: Share of the progress bar for building the report when exporting a PDF (the pages drawn take the rest).
PDF_BUILD_SHARE = 0.3
PREVIEW_FAILED = "The report could not be built"


def read_snapshot(store, verified=None) -> dict:
    """The assessment's records, read on a read-only connection of its own (in the worker).

    ``verified`` is the window's latest intact audit-chain check: only newer events are re-checked.
    """
    with store.open_reader(verified) as reader, reader.snapshot():
        return snapshot(reader)


def build_preview(store, font=None, verified=None, progress=None, cancelled=None):
    """Report data and its preview as a parsed QTextDocument (runs in the worker).

    Parsing a large report's HTML takes a few hundred milliseconds, so the document is built here and
    handed to the UI thread, which only swaps it in.
    """
    data = build_from_snapshot(read_snapshot(store, verified), progress=progress, cancelled=cancelled)
    doc = QTextDocument()
    if font is not None:
        doc.setDefaultFont(font)
    doc.setHtml(render_html(data, charts="img"))
    doc.moveToThread(QCoreApplication.instance().thread())
    return data, doc


def export_report(store, path: Path, verified=None, progress=None, cancelled=None) -> Path:
    """Build the report and write it to ``path`` (runs in the worker)."""
    share = PDF_BUILD_SHARE if Path(path).suffix.lower() == ".pdf" else 1.0  # building, then drawing the pages
    data = build_from_snapshot(read_snapshot(store, verified), progress=scaled(progress, 0.0, share),
                               cancelled=cancelled)
    pdf = partial(write_pdf_in_child, cancelled=cancelled, progress=scaled(progress, share, 1.0))
    return write_data(data, path, {".pdf": pdf})


class ReportTab(QWidget):
    title = "Report"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.data = None
        self._dirty = True

        self.verdict_label = QLabel("")
        self.verdict_label.setObjectName("reportVerdict")
        self.verdict_label.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_buttons = {}
        bar = QHBoxLayout()
        bar.addWidget(self.verdict_label, 1)
        bar.addWidget(self.refresh_button)
        for suffix, text in ((".html", "Export HTML..."), (".pdf", "Export PDF..."), (".json", "Export JSON...")):
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, s=suffix: self.export_dialog(s))
            self.export_buttons[suffix] = button
            bar.addWidget(button)

        self.preview = QTextBrowser()
        self.preview.setObjectName("reportPreview")
        self.preview.setOpenExternalLinks(False)
        self.preview.setOpenLinks(True)  # in-page anchors (the contents line) only: the report has no other links
        self.preview.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # the text wraps to the width anyway
        self.task = TaskBar()
        self.tasks = TaskQueue(self.task, context, on_error=self._task_failed, parent=self)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.task)
        lay.addWidget(self.preview, 1)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(REFRESH_DELAY_MS)
        self.timer.timeout.connect(self.refresh)
        for signal in (context.opened, context.checklist_changed, context.runs_changed, context.handoff_changed,
                       context.audit_changed, context.meta_changed):
            signal.connect(self.schedule_refresh)

    # ---------------------------------------------------------------- preview
    def schedule_refresh(self) -> None:
        self._dirty = True
        if self.isVisible():
            self.timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self.timer.start()

    def refresh(self) -> None:
        """Rebuild the preview (in the worker); asking again while it builds queues one more build."""
        if self.context.store is None:
            return
        self._dirty = False
        # the preview re-checks only the audit events after the window's last check; an export checks them all
        self.tasks.run("Building the report...", build_preview, self.context.store, QFont(self.preview.font()),
                       self.context.chain, on_result=self._show_preview,
                       error_title=PREVIEW_FAILED, replace="preview")

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.tasks.shutdown()

    def _show_preview(self, result) -> None:
        data, doc = result
        self.data = data
        bar = self.preview.verticalScrollBar()
        position = bar.value()
        old = self.preview.document()
        ours = old.parent() is self.preview  # the first document belongs to the widget, which deletes it
        doc.setParent(self.preview)
        self.preview.setDocument(doc)
        if ours:
            old.deleteLater()
        bar.setValue(position)
        v = data.verdict
        colour = STATUS_COLOURS.get(v["status"], "#57606a")
        self.verdict_label.setText(f'<b style="color:{colour}">{v["headline"]}</b> &nbsp; '
                                   f"sign-off stage: {data.stage}")

    def _task_failed(self, title: str, message: str) -> None:
        """A failed preview is shown in the preview itself; a failed export in one dialog."""
        if title == PREVIEW_FAILED:
            self.preview.setPlainText(f"{PREVIEW_FAILED}: {message}")
            self.verdict_label.setText("")
        else:
            show_error(self, title, message)

    # ---------------------------------------------------------------- export
    def export_dialog(self, suffix: str) -> None:
        """Ask where to save, then build and write the report in the worker."""
        store = self.context.store
        if store is None:
            return
        default = str(store.path.with_name(f"{store.path.stem}-report{suffix}"))
        path, _ = QFileDialog.getSaveFileName(self, f"Export the report as {suffix[1:].upper()}", default,
                                              FILTERS[suffix])
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        self.tasks.run(f"Exporting {target.name}...", export_report, store, target, on_result=self._exported,
                       error_title="Export failed", replace=f"export:{target}")

    def _exported(self, path: Path) -> None:
        self.context.status_message.emit(f"Report written to {path}")

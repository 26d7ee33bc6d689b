"""Report tab: a live preview of the assessment's report and export to HTML, PDF and JSON.

The preview is the same HTML as the exported file, with the charts as SVG
images (Qt's rich text cannot draw inline SVG).  It is rebuilt in a worker
(re-hashing evidence files can take a while) shortly after any change, and
only while the tab is visible.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from core.errors import PreflightError
from core.report import build_from_snapshot, build_report, render_html, snapshot, write_data
from core.render.html import AMBER, GREEN, RED
from ui.common.dialogs import show_error
from ui.report.pdf import write_pdf
from ui.common.worker import TaskBar

WRITERS = {".pdf": write_pdf}
FILTERS = {".html": "HTML report (*.html)", ".pdf": "PDF report (*.pdf)", ".json": "JSON electronic copy (*.json)"}
STATUS_COLOURS = {"ready": GREEN, "pending_signoff": AMBER, "not_ready": RED}
REFRESH_DELAY_MS = 300


def build_preview(snap: dict, progress=None, cancelled=None):
    """Report data and its Qt-renderable HTML (runs in a worker)."""
    data = build_from_snapshot(snap, progress=progress, cancelled=cancelled)
    return data, render_html(data, charts="img")


def build_for_export(snap: dict, progress=None, cancelled=None):
    return build_from_snapshot(snap, progress=progress, cancelled=cancelled)


class ReportTab(QWidget):
    title = "Report"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.data = None
        self._dirty = True
        self._pending_export: Path | None = None

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
        """Rebuild the preview now (in the worker); a change during the build triggers another one."""
        store = self.context.store
        if store is None:
            return
        if self.task.busy:
            self._dirty = True
            return
        self._dirty = False
        try:
            snap = snapshot(store)
        except PreflightError as exc:
            self._show_problem(str(exc))
            return
        self.task.run("Building the report...", build_preview, snap, on_result=self._show_preview,
                      on_error=self._show_problem, on_cancel=self._after_task)

    def _show_preview(self, result) -> None:
        data, html = result
        self.data = data
        bar = self.preview.verticalScrollBar()
        position = bar.value()
        self.preview.setHtml(html)
        bar.setValue(position)
        v = data.verdict
        colour = STATUS_COLOURS.get(v["status"], "#57606a")
        self.verdict_label.setText(f'<b style="color:{colour}">{v["headline"]}</b> &nbsp; '
                                   f"sign-off stage: {data.stage}")
        self._after_task()

    def _show_problem(self, message: str) -> None:
        self.preview.setPlainText(f"The report could not be built: {message}")
        self.verdict_label.setText("")
        self._after_task()

    def _after_task(self) -> None:
        if self._dirty:
            QTimer.singleShot(0, self.timer.start)

    # ---------------------------------------------------------------- export
    def export(self, path) -> Path:
        """Build the report of the open assessment now and write it to ``path`` (.html, .pdf or .json)."""
        store = self.context.store
        if store is None:
            raise PreflightError("no assessment is open")
        data = build_report(store)
        return self._write(data, Path(path))

    def _write(self, data, path: Path) -> Path:
        write_data(data, path, WRITERS)
        self.context.status_message.emit(f"Report written to {path}")
        return path

    def export_dialog(self, suffix: str) -> None:
        store = self.context.store
        if store is None or self.task.busy:
            return
        default = str(store.path.with_name(f"{store.path.stem}-report{suffix}"))
        path, _ = QFileDialog.getSaveFileName(self, f"Export the report as {suffix[1:].upper()}", default,
                                              FILTERS[suffix])
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        try:
            snap = snapshot(store)
        except PreflightError as exc:
            show_error(self, "Export failed", str(exc))
            return
        self._pending_export = target
        self.task.run(f"Exporting {target.name}...", build_for_export, snap, on_result=self._finish_export,
                      on_error=lambda m: show_error(self, "Export failed", m))

    def _finish_export(self, data) -> None:
        target, self._pending_export = self._pending_export, None
        if target is None:
            return
        try:
            self._write(data, target)
        except PreflightError as exc:
            show_error(self, "Export failed", str(exc))

"""Code audit tab: choose a file or folder (and optionally a requirements file), scan it in the worker,
filter the findings, preview each one's source line (secrets masked), export CSV, attach as evidence.

A finished scan is stored at once (``record_code_audit`` on the UI thread, a quick write) and announced
with ``context.notify("runs")``; opening an assessment shows its newest stored code audit.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from core.codeaudit.export import write_findings_csv
from core.codeaudit.model import KIND_LABELS, SEVERITIES
from core.codeaudit.run import preview_lines, record_code_audit, run_code_audit
from core.errors import PreflightError
from ui.codeaudit.attach import attach_dialog
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.codeaudit.model import FindingsFilter, FindingsModel
from ui.codeaudit.preview import SourcePreview
from ui.common.table_models import read_only_table
from ui.common.tasks import TaskBar, TaskQueue
from ui.common.dialogs import message_label

ERROR_STYLE = "color:#cf222e;font-weight:bold"
HINT_STYLE = "color:#57606a"
REQUIREMENT_NAMES = ("requirements.txt", "pyproject.toml")
SEVERITY_CHOICES = (("All severities", "info"), ("High only", "high"), ("Medium and above", "medium"),
                    ("Low and above", "low"))


def _preview_task(result: dict, path: str, cell, progress=None, cancelled=None) -> list[str]:
    return preview_lines(result, path, cell)


class CodeAuditTab(QWidget):
    title = "Code audit"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.result: dict | None = None
        self.run_id: int | None = None
        self.scanned_path = ""   # the path the shown result was scanned from
        self.last_error = ""
        self._auto_requirements = ""

        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A folder, a .py file or an .ipynb notebook")
        self.path_edit.textChanged.connect(self._inputs_changed)
        self.path_edit.editingFinished.connect(lambda: self.set_path(self.path_edit.text().strip()))
        self.path_edit.returnPressed.connect(self.scan)
        self.folder_button = QPushButton("Folder...")
        self.folder_button.clicked.connect(self.choose_folder)
        self.file_button = QPushButton("File...")
        self.file_button.clicked.connect(self.choose_file)
        self.req_edit = QLineEdit()
        self.req_edit.setPlaceholderText("Optional: requirements.txt or pyproject.toml to check the imports against")
        self.req_edit.textChanged.connect(self._inputs_changed)
        self.req_button = QPushButton("Choose...")
        self.req_button.clicked.connect(self.choose_requirements)
        self.scan_button = QPushButton("Scan")
        self.scan_button.setDefault(True)
        self.scan_button.clicked.connect(self.scan)

        self.error_label = message_label("codeAuditError", ERROR_STYLE)  # one line, shown where the tab is
        self.summary_label = QLabel("Choose a folder or file and press Scan.")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.RichText)

        self.severity_filter = QComboBox()
        for label, value in SEVERITY_CHOICES:
            self.severity_filter.addItem(label, value)
        self.kind_filter = QComboBox()
        self.kind_filter.addItem("All kinds", "")
        for kind, label in KIND_LABELS.items():
            self.kind_filter.addItem(label, kind)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter by file or text")
        self.text_filter.setClearButtonEnabled(True)
        self.model = FindingsModel(self)
        self.proxy = FindingsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = read_only_table(self.proxy, (70, 180, 45, 45, 160), row_height=22)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.severity_filter.currentIndexChanged.connect(self._filters_changed)
        self.kind_filter.currentIndexChanged.connect(self._filters_changed)
        self.text_filter.textChanged.connect(self._filters_changed)
        self.preview = SourcePreview()
        self.count_label = QLabel("")
        self.count_label.setStyleSheet(HINT_STYLE)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setToolTip("Write the findings shown (with the current filters) to a CSV file")
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.setToolTip("Link this stored run to a checklist item")
        self.attach_button.clicked.connect(lambda: self.attach())

        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)
        self._build_layout()
        context.opened.connect(self._on_opened)
        if context.store is not None:
            self._on_opened()
        self._update_buttons()

    def _build_layout(self) -> None:
        grid = QVBoxLayout()
        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Code"), 0)
        row1.addWidget(self.path_edit, 1)
        row1.addWidget(self.folder_button)
        row1.addWidget(self.file_button)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Requirements"), 0)
        row2.addWidget(self.req_edit, 1)
        row2.addWidget(self.req_button)
        row2.addWidget(self.scan_button)
        for row in (row1, row2):
            row.itemAt(0).widget().setMinimumWidth(90)
            grid.addLayout(row)
        filters = QHBoxLayout()
        filters.addWidget(self.severity_filter)
        filters.addWidget(self.kind_filter)
        filters.addWidget(self.text_filter, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(filters)
        ll.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1000, 580])
        self.splitter = splitter
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.attach_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        lay.addLayout(grid)
        lay.addWidget(self.error_label)
        lay.addWidget(self.summary_label)
        lay.addWidget(splitter, 1)
        lay.addLayout(bottom)
        lay.addWidget(self.task_bar)

    # ------------------------------------------------------------------ inputs
    def set_path(self, path: str) -> None:
        """Choose the code to scan (as the Folder.../File... dialogs do); finds a requirements file beside it."""
        if not path:
            return
        if self.path_edit.text() != str(path):
            self.path_edit.setText(str(path))
        folder = Path(path) if Path(path).is_dir() else Path(path).parent
        if not self.req_edit.text() or self.req_edit.text() == self._auto_requirements:
            found = next((folder / n for n in REQUIREMENT_NAMES if (folder / n).is_file()), None)
            self._auto_requirements = str(found) if found else ""
            self.req_edit.setText(self._auto_requirements)

    def set_requirements(self, path: str) -> None:
        self._auto_requirements = ""
        self.req_edit.setText(str(path or ""))

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder to audit", self.path_edit.text())
        if path:
            self.set_path(path)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "File to audit", self.path_edit.text(),
                                              "Python and notebooks (*.py *.ipynb);;All files (*)")
        if path:
            self.set_path(path)

    def choose_requirements(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Requirements file", self.req_edit.text() or
                                              self.path_edit.text(),
                                              "Requirements (requirements*.txt pyproject.toml *.txt *.toml);;"
                                              "All files (*)")
        if path:
            self.set_requirements(path)

    def _inputs_changed(self) -> None:
        self._update_buttons()
        if self.result is not None:
            self._show_summary()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.tasks.shutdown()

    def _update_buttons(self) -> None:
        busy = self.tasks.busy
        self.scan_button.setEnabled(bool(self.path_edit.text().strip()) and not busy)
        has = self.result is not None
        self.export_button.setEnabled(has and self.proxy.rowCount() > 0)
        self.attach_button.setEnabled(has and self.run_id is not None and self.context.store is not None)

    def show_error(self, title: str, message: str) -> None:
        """The error once, in the tab's red line under the inputs (and in the status bar)."""
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        run = self.context.store.latest_run("code_audit") if self.context.store is not None else None
        settings = (run.get("settings") or {}) if run else {}
        self.show_result(run.get("result") if run else None, run.get("id") if run else None,
                         str(settings.get("path") or ""))
        if run:
            self.path_edit.blockSignals(True)
            self.path_edit.setText(str(settings.get("path") or ""))
            self.path_edit.blockSignals(False)
            self.set_requirements(settings.get("requirements") or "")
            self._show_summary()

    # ------------------------------------------------------------------ scan
    def scan(self) -> None:
        path = self.path_edit.text().strip()
        if not path or self.tasks.busy:
            return
        self.error_label.setVisible(False)
        requirements = self.req_edit.text().strip() or None
        self.tasks.run(f"Scanning {Path(path).name or path}", run_code_audit, path, requirements,
                       on_result=self._scan_done, error_title="Cannot scan the code", replace="scan")
        self._update_buttons()

    def _scan_done(self, run) -> None:
        run_id = None
        if self.context.store is not None:
            try:
                run_id = record_code_audit(self.context.store, run)
            except PreflightError as exc:
                self.show_error("Cannot store the run", str(exc))
        self.show_result(run.result, run_id, run.settings["path"])
        if run_id is not None:
            self.context.notify("runs")
        s = run.result["summary"]
        self.context.status_message.emit(f"Code audit: {s['files']} file(s), {s['findings']} finding(s), "
                                         f"{s['high']} high" + (f"; stored as run #{run_id}" if run_id else ""))

    def show_result(self, result: dict | None, run_id: int | None, scanned_path: str = "") -> None:
        self.result = result if isinstance(result, dict) else None
        self.run_id = run_id
        self.scanned_path = scanned_path
        self.model.set_findings((self.result or {}).get("findings") or [])
        self.preview.clear()
        self._show_summary()
        self._filters_changed()

    def _show_summary(self) -> None:
        if self.result is None:
            self.summary_label.setText("Choose a folder or file and press Scan.")
            return
        s = self.result.get("summary") or {}
        by_sev = s.get("by_severity") or {}
        counts = ", ".join(f"{by_sev[k]} {k}" for k in SEVERITIES if by_sev.get(k)) or "no findings"
        verdict = ('<span style="color:#1a7f37;font-weight:bold">PASSED</span> (no high-severity finding)'
                   if s.get("passed") else
                   '<span style="color:#cf222e;font-weight:bold">FAILED</span> (high-severity findings)')
        where = self.result.get("root") or ""
        run = f"run #{self.run_id}" if self.run_id is not None else "not stored"
        stale = ""
        if self.scanned_path and self.path_edit.text().strip() != self.scanned_path:
            stale = ' <span style="color:#9a6700">(results of an earlier choice: press Scan)</span>'
        score = s.get("score")
        self.summary_label.setText(
            f"{verdict} · {s.get('files', 0)} file(s): {s.get('python_files', 0)} Python, "
            f"{s.get('notebooks', 0)} notebook(s) · {counts} · score {score if score is not None else '-'} / 100"
            f" · {s.get('functions', 0)} function(s) · <span style='color:#57606a'>{escape(where)} ({run})</span>"
            + stale)

    # ------------------------------------------------------------------ table and preview
    def _filters_changed(self) -> None:
        self.proxy.set_filters(min_severity=self.severity_filter.currentData(), kind=self.kind_filter.currentData(),
                               text=self.text_filter.text())
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        self.count_label.setText(f"{shown} of {total} finding(s) shown" if total else
                                 ("No findings." if self.result is not None else ""))
        self._update_buttons()

    def selected_finding(self) -> dict | None:
        index = self.table.currentIndex()
        return self.proxy.finding(index.row()) if index.isValid() else None

    def _current_changed(self, index, _previous) -> None:
        if not index.isValid() or self.result is None:
            return
        f = self.proxy.finding(index.row())
        where = f["path"] + (f", cell {f['cell']}" if f.get("cell") is not None else "") + \
            (f", line {f['line']}" if f.get("line") is not None else "")
        self.preview.title.setText(f"{where} — reading...")
        self.tasks.run(f"Reading {f['path']}", _preview_task, self.result, f["path"], f.get("cell"),
                       on_result=lambda lines, f=f, where=where: self._preview_done(f, where, lines),
                       on_error=lambda m: self.preview.clear(f"Cannot show the source: {m}"),
                       error_title="Cannot show the source", replace="preview")

    def _preview_done(self, f: dict, where: str, lines: list[str]) -> None:
        if self.selected_finding() is not f:
            return  # another finding was selected meanwhile
        self.preview.show_source(f"{where}: {f['message']}", lines, f.get("line"), f.get("suggestion") or "")

    # ------------------------------------------------------------------ export and evidence
    def export_csv(self, path: str | None = None) -> int | None:
        if self.result is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export findings", "code-audit-findings.csv",
                                                  "CSV files (*.csv)")
            if not path:
                return None
        findings = self.proxy.visible_findings()
        try:
            n = write_findings_csv(findings, path)
        except PreflightError as exc:
            self.show_error("Cannot export", str(exc))
            return None
        self.context.status_message.emit(f"Exported {n} of {self.model.rowCount()} finding(s) to {path}")
        return n

    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.run_id is None or self.context.store is None or self.result is None:
            return None
        return attach_dialog(self.context.store.items(), self.run_id, self.result.get("summary") or {}, self)

    def attach(self, item_id: int | None = None) -> int | None:
        """Link the shown run to a checklist item (asked in a dialog when not given); returns the link id."""
        if self.run_id is None or self.context.store is None:
            return None
        return attach_run(self.context, self.run_id, f"code audit run #{self.run_id}", self.attach_dialog,
                          self.show_error, item_id)

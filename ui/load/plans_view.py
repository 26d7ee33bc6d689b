"""The Load tab's "Locust / k6" view: hand a plan to the load generators teams already run, and bring their
results back as load-test runs.

The plan comes from the same form as the Load test view (ui/load/setup_form.py).  "Export to Locust..." and
"Export to k6..." write :func:`core.load.plans.write_export`'s file; "Import results..." reads Locust's
``--csv`` files or k6's JSON with :func:`core.load.imports.import_results` in the task pipeline, stores the
run (:func:`core.load.imports.record_import`) on the UI thread and shows its summary, verdict and
provenance: tool, version, each file's SHA-256 and what the numbers mean.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSpinBox, QVBoxLayout, QWidget)

from core.errors import PreflightError
from core.load.imports import import_results, record_import
from core.load.plans import write_export
from ui.common.layout import form_and_results
from ui.common.dialogs import message_label, show_error
from ui.common.table_models import table_view
from ui.common.tasks import TaskBar, TaskQueue
from ui.load.result_view import SummaryModel, VerdictCard

ERROR_STYLE = "color:#cf222e;font-weight:bold"
FILTERS = {"locust": "Locust file (*.py)", "k6": "k6 script (*.js)"}
IMPORT_FILTER = ("Locust or k6 results (*_stats.csv *.json *.json.gz *.ndjson);;Locust stats (*_stats.csv);;"
                 "k6 JSON (*.json *.json.gz *.ndjson);;All files (*)")
INTRO = ("Run the plan on the load generators your team already runs (distributed Locust or k6), then import "
         "their results here: they are stored as load-test runs with their tool, version and file SHA-256, "
         "and judged by the same verdict as a native run.")


def provenance_html(result: dict, run_id: int | None) -> str:
    """Where an imported run's numbers come from and what they mean (text from the result's source)."""
    src = result.get("source") or {}
    parts = [f"<b>Run #{run_id}</b> imported from <b>{html.escape(str(src.get('tool', '?')))}</b>, "
             f"version {html.escape(str(src.get('version') or 'unknown'))}"
             + (f" ({html.escape(str(src.get('format')))})" if src.get("format") else "")]
    for f in src.get("files") or []:
        parts.append(f"<tt>{html.escape(str(f.get('path')))}</tt><br>&nbsp;&nbsp;SHA-256 "
                     f"<tt>{html.escape(str(f.get('sha256')))}</tt>")
    parts.append("<b>What these numbers mean:</b> " + html.escape(str(src.get("meaning") or "")))
    return "<br>".join(parts)


class PlansView(QWidget):
    title = "Locust / k6"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.last_error = ""
        self.last_export: dict | None = None
        self.shown_run_id: int | None = None
        self.shown_result: dict | None = None

        self.error_label = message_label(style=ERROR_STYLE)
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)

        from ui.load.setup_form import LoadSetupForm

        self.form = LoadSetupForm()
        self.form.run_button.hide()
        self.form.peak_requested.connect(self.form.use_peak_preset)
        self.users = QSpinBox()
        self.users.setRange(0, 1_000_000)
        self.users.setSpecialValueText("automatic")
        self.users.setToolTip("Locust users sending the plan's rate; automatic: enough for the peak rate while "
                              "replies take up to twice the SLO's p95")
        self.export_locust = QPushButton("Export to Locust...")
        self.export_locust.clicked.connect(lambda: self.choose_export("locust"))
        self.export_k6 = QPushButton("Export to k6...")
        self.export_k6.clicked.connect(lambda: self.choose_export("k6"))
        self.export_label = QLabel("")
        self.export_label.setWordWrap(True)
        self.export_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        export_box = QGroupBox("Export the plan")
        el = QVBoxLayout(export_box)
        el.addWidget(self.form)
        users_row = QFormLayout()
        users_row.addRow("Locust users", self.users)
        el.addLayout(users_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_locust)
        buttons.addWidget(self.export_k6)
        el.addLayout(buttons)
        el.addWidget(self.export_label)
        scroll = QScrollArea()
        scroll.setWidget(export_box)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(380)

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.import_button = QPushButton("Import results...")
        self.import_button.clicked.connect(self.choose_import)
        self.headline = QLabel("No results imported in this session yet.")
        self.headline.setWordWrap(True)
        self.verdict = VerdictCard()
        self.summary_model = SummaryModel(self)
        self.summary_view = table_view(self.summary_model, (260, 160), single_selection=False)
        self.provenance = QLabel("")
        self.provenance.setObjectName("importProvenance")
        self.provenance.setWordWrap(True)
        self.provenance.setTextFormat(Qt.RichText)
        self.provenance.setTextInteractionFlags(Qt.TextSelectableByMouse)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(intro)
        top = QHBoxLayout()
        top.addWidget(self.import_button)
        top.addStretch(1)
        rl.addLayout(top)
        rl.addWidget(self.headline)
        rl.addWidget(self.verdict)
        rl.addWidget(self.summary_view, 1)
        rl.addWidget(self.provenance)
        form_and_results(self, scroll, right, form_width=420, bottom=(self.error_label, self.task_bar))

        context.opened.connect(self._on_opened)
        context.handoff_changed.connect(self.refresh_expected_qps)
        self.refresh_expected_qps()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.tasks.shutdown()

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.show_result(None)
        self.refresh_expected_qps()

    def refresh_expected_qps(self) -> None:
        store = self.context.store
        qps = None
        if store is not None:
            try:
                value = (store.handoff_data()[0] or {}).get("expected_qps")
                qps = float(value) if value is not None and float(value) > 0 else None
            except (PreflightError, TypeError, ValueError):
                qps = None
        self.form.set_expected_qps(qps)

    def _update_buttons(self) -> None:
        busy = self.busy
        self.import_button.setEnabled(not busy and self.context.store is not None)
        self.export_locust.setEnabled(not busy)
        self.export_k6.setEnabled(not busy)

    def show_error(self, title: str, message: str) -> None:
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ export
    def plan(self):
        """The form's plan; an https:// target is kept (Locust and k6 speak TLS, Preflight's generator not)."""
        text = self.form.url.text()
        secure = text.strip().lower().startswith("https://")
        if secure:
            self.form.url.setText("http://" + text.strip()[len("https://"):])
        try:
            plan = self.form.plan()
        finally:
            if secure:
                self.form.url.setText(text)
        return plan.with_(url=text.strip()) if secure else plan

    def choose_export(self, tool: str) -> None:
        suggested = "locustfile.py" if tool == "locust" else "k6_plan.js"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the plan to {tool}", suggested, FILTERS[tool])
        if path:
            self.export_to(tool, path)

    def export_to(self, tool: str, path: str) -> None:
        self.error_label.setVisible(False)
        try:
            plan = self.plan()
        except PreflightError as exc:
            self.show_error(f"Cannot export to {tool}", str(exc))
            return
        users = self.users.value() or None

        def export(progress=None, cancelled=None):
            return write_export(plan, tool, path, users=users)

        self.tasks.run(f"Export to {tool}", export, on_result=self._exported, error_title=f"Export to {tool} failed")

    def _exported(self, info: dict) -> None:
        self.last_export = info
        users = f", {info['users']} users" if info.get("users") else ""
        self.export_label.setText(f"Wrote {info['path']} ({info['tool']}{users}), SHA-256 {info['sha256']}. "
                                  + ("Run it with: locust -f FILE --headless --csv RESULTS, then import "
                                     "RESULTS_stats.csv." if info["tool"] == "locust" else
                                     "Run it with: k6 run --summary-export RESULTS.json FILE, then import "
                                     "RESULTS.json."))
        self.context.status_message.emit(f"Plan exported to {info['path']}")

    # ------------------------------------------------------------------ import
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Locust or k6 results", "", IMPORT_FILTER)
        if path:
            self.import_file(path)

    def import_file(self, path: str, tool: str | None = None) -> None:
        if self.context.store is None:
            return
        self.error_label.setVisible(False)
        self.tasks.run("Import load-test results", import_results, path, tool, on_result=self._imported,
                       error_title="Cannot import the results")

    def _imported(self, run) -> None:
        run_id = record_import(self.context.store, run)
        self.context.notify("runs")
        self.show_result(run.result.to_dict(), run_id)
        state = "production ready" if run.result.production_ready else "not production ready"
        self.context.status_message.emit(f"Imported {run.result.source.get('tool')} results as run #{run_id}: {state}")

    def show_result(self, result: dict | None, run_id: int | None = None) -> None:
        self.shown_result = result
        self.shown_run_id = run_id if result is not None else None
        self.verdict.show_result(result)
        self.summary_model.set_result(result)
        if result is None:
            self.headline.setText("No results imported in this session yet.")
            self.provenance.setText("")
            return
        tool = (result.get("source") or {}).get("tool", "?")
        self.headline.setText(f"Run #{run_id}: {result.get('requests') or 0:,} requests imported from {tool}; "
                              "it is listed with the other load tests in the Load test view.")
        self.provenance.setText(provenance_html(result, run_id))

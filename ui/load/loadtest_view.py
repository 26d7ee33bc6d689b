"""The Load tab's "Load test" view: set up an open-loop test, watch it second by second, read the verdict.

The form (ui/load/setup_form.py) builds a :class:`core.load.plan.LoadPlan`; a host other than this machine
is run only after the user confirms it.  :func:`core.load.run.run_loadtest` runs in the task pipeline with
progress, Cancel and ``on_tick`` partials that feed the live charts; the finished run is stored with
:func:`core.load.run.record_loadtest` on the UI thread and announced with ``context.notify("runs")``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox, QPushButton, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from core.errors import PreflightError
from core.load.plan import DEMO_URL, is_loopback
from core.load.run import record_loadtest, run_loadtest
from ui.common.layout import column, form_and_results, runs_bar
from ui.common.dialogs import message_label, show_error
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.common.table_models import table_view
from ui.common.tasks import TaskBar, TaskQueue
from ui.load.demo_panel import DemoPanel
from ui.load.evidence import attach_dialog
from ui.load.live_chart import LiveCharts
from ui.load.result_view import HistogramChart, SummaryModel, VerdictCard

ERROR_STYLE = "color:#cf222e;font-weight:bold"
KIND = "loadtest"


def confirm_remote(parent, url: str) -> bool:
    """Ask before sending load to a host that is not this machine."""
    host = urlsplit(url).hostname or url
    answer = QMessageBox.warning(
        parent, "Send load to another machine?",
        f"{host} is not this machine. The test will send real traffic to {url}.\n\n"
        "Run it only against a system you are allowed to load. Continue?",
        QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    return answer == QMessageBox.Yes


def run_label(run: dict) -> str:
    s = run.get("summary") or {}
    state = "ready" if s.get("production_ready") else "NOT ready"
    tool = s.get("tool") or "preflight"
    p95 = s.get("p95_ms")
    rate = s.get("target_rate")
    when = (run.get("finished_utc") or "")[:19].replace("T", " ")
    parts = [f"#{run['id']}  {state}"]
    if rate is not None:
        parts.append(f"{float(rate):g} req/s")
    parts.append("p95 " + ("n/a" if p95 is None else f"{float(p95):.1f} ms"))
    if tool != "preflight":
        parts.append(f"from {tool}")
    return " · ".join(parts) + (f" · {when} UTC" if when else "")


def headline(result: dict, run_id: int | None) -> str:
    where = f"Run #{run_id}: " if run_id is not None else ""
    requests = result.get("requests") or 0
    target, achieved = result.get("target_rate"), result.get("achieved_rate")
    rates = ""
    if target is not None and achieved is not None:
        rates = f" at {float(target):,.1f} req/s asked, {float(achieved):,.1f} req/s sent"
    seconds = result.get("duration_s")
    over = f" over {float(seconds):.1f} s" if isinstance(seconds, (int, float)) and seconds > 0 else ""
    return f"{where}{requests:,} requests{rates}{over}."


class LoadTestView(QWidget):
    title = "Load test"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.shown_run_id: int | None = None
        self.shown_result: dict | None = None
        self.last_error = ""
        self.ticks_received = 0  # timeline points drawn live during the current (or last) run

        self.error_label = message_label(style=ERROR_STYLE)
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._on_idle)
        self._pending_plan = None   # the plan of the running load test until its result is shown
        self._pending_failed = False

        from ui.load.setup_form import LoadSetupForm

        self.form = LoadSetupForm()
        self.form.run_requested.connect(self.run_test)
        self.form.peak_requested.connect(self.form.use_peak_preset)
        self.demo = DemoPanel(self.tasks)
        self.demo.url_changed.connect(self._demo_url_changed)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.demo)
        ll.addWidget(self.form, 1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(380)

        self.runs = QComboBox()
        self.runs.setMinimumWidth(300)
        self.runs.activated.connect(self._run_chosen)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_evidence())
        self.headline = QLabel("Start the demo endpoint (or enter a URL), set the load and run the test.")
        self.headline.setWordWrap(True)
        self.verdict = VerdictCard()
        self.live = LiveCharts()
        self.histogram = HistogramChart()
        self.summary_model = SummaryModel(self)
        self.summary_view = table_view(self.summary_model, (300, 160), single_selection=False,
                                       stretch_last=False)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.live, "Per second")
        self.pages.addTab(self.histogram.plot, "Latency histogram")
        self.pages.addTab(self.summary_view, "Summary")

        right = column(runs_bar(self.runs, self.attach_button), self.headline, self.verdict, (self.pages, 1))
        self.form.layout().removeWidget(self.form.run_button)  # pinned under the form, never scrolled out of view
        form_and_results(self, column((scroll, 1), self.form.run_button), right, form_width=400,
                         bottom=(self.error_label, self.task_bar))

        context.opened.connect(self._on_opened)
        context.runs_changed.connect(self.refresh_runs)
        context.handoff_changed.connect(self.refresh_expected_qps)
        if context.store is not None:
            self._on_opened()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.tasks.shutdown()
        self.demo.shutdown()

    def _on_opened(self) -> None:
        self._pending_plan = None  # a test still stopping belongs to the assessment that was closed
        self.tasks.cancel_all()
        self.show_result(None)
        self.refresh_runs()
        self.refresh_expected_qps()
        if self.runs.itemData(0) is not None:
            self.show_stored(self.runs.itemData(0))

    def refresh_expected_qps(self) -> None:
        """The handoff's expected peak load, for the 10x preset (read from the stored handoff fields)."""
        store = self.context.store
        qps = None
        if store is not None:
            try:
                value = (store.handoff_data()[0] or {}).get("expected_qps")
                qps = float(value) if value is not None and float(value) > 0 else None
            except (PreflightError, TypeError, ValueError):
                qps = None
        self.form.set_expected_qps(qps)

    def refresh_runs(self) -> None:
        store = self.context.store
        runs = [] if store is None else sorted(store.runs(KIND, with_result=False), key=lambda r: -r["id"])
        self.runs.blockSignals(True)
        self.runs.clear()
        for run in runs:
            self.runs.addItem(run_label(run), run["id"])
        if self.shown_run_id is not None:
            self.runs.setCurrentIndex(max(0, self.runs.findData(self.shown_run_id)))
        self.runs.blockSignals(False)
        self.runs.setEnabled(bool(runs))
        if not runs:
            self.runs.addItem("No load test stored yet")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.busy
        self.form.run_button.setEnabled(not busy and self.context.store is not None)
        self.attach_button.setEnabled(self.shown_run_id is not None and not busy)
        self.runs.setEnabled(not busy and self.runs.itemData(0) is not None)
        self.demo.update_buttons(busy)

    def _on_idle(self) -> None:
        self._update_buttons()
        if not self.busy and self._pending_plan is not None:  # the test ended without a result
            plan, self._pending_plan = self._pending_plan, None
            what = "failed" if self._pending_failed else "was cancelled"
            seconds = len(self.live.points)
            self.headline.setText(f"The load test of {plan.url} {what} after {seconds} s: nothing was stored."
                                  + (" The chart shows the seconds before it stopped." if seconds else ""))
            self.live.caption.setText(f"Stopped after {seconds} s (not stored).")

    def show_error(self, title: str, message: str) -> None:
        if self._pending_plan is not None:
            self._pending_failed = True
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    def _demo_url_changed(self, url: str) -> None:
        """Point the form at the demo when it was aimed at the demo's usual address (or a previous demo)."""
        current = self.form.target_url()
        if url and (current in ("", DEMO_URL) or is_loopback(current) and current.endswith("/predict")):
            self.form.url.setText(url)

    # ------------------------------------------------------------------ run
    def run_test(self) -> None:
        self.error_label.setVisible(False)
        try:
            plan = self.form.plan()
        except PreflightError as exc:
            self.show_error("Cannot run the load test", str(exc))
            return
        if not is_loopback(plan.url) and not confirm_remote(self, plan.url):
            self.context.status_message.emit("Load test not started: the target was not confirmed")
            return
        self.ticks_received = 0
        self.show_result(None, keep_live=True)
        self.runs.setCurrentIndex(-1)  # no stored run is shown while this one runs
        self.headline.setText(f"Running: {plan.method} {plan.url}, {plan.expected_requests:,} requests planned over "
                              f"{plan.total_duration_s:g} s.")
        self.live.clear(f"Waiting for the first second of {plan.url}...")
        self.live.set_slo(plan.slo_p95_ms)
        self.live.set_duration(plan.total_duration_s)
        self.pages.setCurrentWidget(self.live)
        label = f"Load test: {plan.expected_requests:,} requests over {plan.total_duration_s:g} s"
        self._pending_plan, self._pending_failed = plan, False
        self.tasks.run(label, run_loadtest, plan, on_partial=self._tick, on_result=self._run_done,
                       error_title="Load test failed")

    def _tick(self, point: dict) -> None:
        self.ticks_received += 1
        self.live.add_point(point)

    def _run_done(self, run) -> None:
        self._pending_plan = None
        run_id = record_loadtest(self.context.store, run)
        self.shown_run_id = run_id
        self.context.notify("runs")
        result = run.result.to_dict()
        self.show_result(result, run_id, keep_live=True)
        self.pages.setCurrentWidget(self.histogram.plot)
        state = "production ready" if result.get("production_ready") else "not production ready"
        self.context.status_message.emit(f"Load test run #{run_id} stored: {state}")

    # ------------------------------------------------------------------ show
    def _run_chosen(self, index: int) -> None:
        run_id = self.runs.itemData(index)
        if run_id is not None:
            self.show_stored(run_id)

    def show_stored(self, run_id: int) -> None:
        try:
            run = self.context.store.run(run_id)
        except PreflightError as exc:
            self.show_error("Cannot show the run", str(exc))
            return
        self.show_result(run.get("result"), run_id)

    def show_result(self, result: dict | None, run_id: int | None = None, keep_live: bool = False) -> None:
        self.shown_result = result
        self.shown_run_id = run_id if result is not None else None
        self.verdict.show_result(result)
        self.histogram.show(result)
        self.summary_model.set_result(result)
        if result is None:
            self.headline.setText("Start the demo endpoint (or enter a URL), set the load and run the test.")
            if not keep_live:
                self.live.clear("Run a load test: its throughput and latency appear here second by second.")
            self._update_buttons()
            return
        self.headline.setText(headline(result, run_id))
        self.live.set_slo((result.get("slo") or {}).get("p95_ms"))
        self.live.set_duration(None)
        self.live.set_timeline(result.get("timeline") or [],
                               f"{len(result.get('timeline') or [])} seconds of run #{run_id}."
                               if run_id is not None else "")
        if run_id is not None and self.runs.findData(run_id) >= 0:
            self.runs.setCurrentIndex(self.runs.findData(run_id))
        self._update_buttons()

    # --------------------------------------------------------------- evidence
    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.shown_run_id is None or self.context.store is None:
            return None
        summary = "production ready" if (self.shown_result or {}).get("production_ready") else "not ready"
        return attach_dialog(self.context.store.items(), KIND, self.shown_run_id, summary, self)

    def attach_evidence(self, item_id: int | None = None) -> int | None:
        """Link the shown run to a checklist item (asked in a dialog when not given); returns the link id."""
        if self.shown_run_id is None:
            return None
        return attach_run(self.context, self.shown_run_id, f"load test run #{self.shown_run_id}",
                          self.attach_dialog, lambda title, message: show_error(self, title, message), item_id)

"""The Canary tab: rehearse a rollout, watch its timeline, read its decisions, compare the rules.

The setup form (ui/canary/form.py) builds the settings; :func:`core.canary.run.run_canary` runs
in the task pipeline (ui/common/tasks.py) with this tab's progress bar and Cancel button; the
finished run is stored on the UI thread with :func:`record_canary` and announced with
``context.notify("runs")``.  The timeline plays the steps back one by one, the decision log
lists each step's sentence, and the Monte Carlo page compares every rule.  "Attach as
evidence..." links the shown run to a checklist item.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QLabel, QPushButton, QScrollArea, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from core.canary.run import record_canary, run_canary
from core.errors import PreflightError
from ui.canary.evidence import attach_dialog
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.canary.form import SetupForm
from ui.canary.models import DecisionLogModel, MonteCarloModel
from ui.canary.timeline import Timeline
from ui.common.charts import make_plot, pg
from ui.common.layout import column, form_and_results, runs_bar
from ui.common.dialogs import message_label, show_error
from ui.common.tasks import TaskBar, TaskQueue
from ui.common.table_models import table_view

OUTCOME_STYLE = {"promoted": ("#1a7f37", "PROMOTED"), "rolled_back": ("#cf222e", "ROLLED BACK"),
                 "paused": ("#9a6700", "PAUSED")}
ERROR_STYLE = "color:#cf222e;font-weight:bold"
HINT_STYLE = "color:#57606a"



def run_label(run: dict) -> str:
    s = run.get("summary") or {}
    outcome = OUTCOME_STYLE.get(s.get("outcome"), ("", str(s.get("outcome") or "?")))[1].lower()
    when = (run.get("finished_utc") or "")[:19].replace("T", " ")
    mc = f", Monte Carlo {s['monte_carlo_runs']}" if s.get("monte_carlo_runs") else ""
    return f"#{run['id']}  {outcome} · {s.get('rule', '?')} · {s.get('mode', '?')}{mc} · {when} UTC"


class CanaryTab(QWidget):
    title = "Canary"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.shown_run_id: int | None = None
        self.shown_result: dict | None = None
        self.last_error = ""

        self.form = SetupForm()
        self.form.run_requested.connect(self.run_simulation)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.form.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)

        self.headline = QLabel("Set up a rollout on the left and run it.")
        self.headline.setObjectName("canaryHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.RichText)
        self.runs = QComboBox()
        self.runs.setMinimumWidth(320)
        self.runs.activated.connect(self._run_chosen)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_evidence())
        self.skip_button = QPushButton("Show all steps")
        self.skip_button.clicked.connect(lambda: self.timeline.finish())

        self.timeline = Timeline()
        self.timeline.finished.connect(self._update_buttons)
        self.log_model = DecisionLogModel(self)
        self.log_view = table_view(self.log_model, (45, 60, 150, 150, 80, 80, 75))
        self.log_view.selectionModel().currentRowChanged.connect(self._step_chosen)
        self.step_text = QLabel("")
        self.step_text.setWordWrap(True)
        self.step_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        log_page = QWidget()
        lp = QVBoxLayout(log_page)
        lp.setContentsMargins(0, 4, 0, 0)
        lp.addWidget(self.log_view, 1)
        lp.addWidget(self.step_text)
        self.mc_model = MonteCarloModel(self)
        self.mc_view = table_view(self.mc_model, (130, 100, 90, 140, 130, 110))
        self.mc_note = QLabel("Set Monte Carlo runs above 0 to compare every rule on the same simulated traffic.")
        self.mc_note.setWordWrap(True)
        self.mc_note.setStyleSheet(HINT_STYLE)
        self.mc_plot = make_plot("False rollbacks vs detection speed (one point per rule)",
                                 "false rollback rate %", "mean requests until a worse candidate is rolled back")
        self.mc_points = pg.ScatterPlotItem(size=12)
        self.mc_plot.addItem(self.mc_points)
        self.mc_labels: list = []
        mc_page = QWidget()
        ml = QVBoxLayout(mc_page)
        ml.setContentsMargins(0, 4, 0, 0)
        ml.addWidget(self.mc_note)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.mc_view)
        split.addWidget(self.mc_plot)
        split.setSizes([160, 300])
        ml.addWidget(split, 1)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.timeline, "Timeline")
        self.pages.addTab(log_page, "Decision log")
        self.pages.addTab(mc_page, "Monte Carlo")

        self.error_label = message_label(style=ERROR_STYLE)  # one line, shown where the tab is
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)

        right = column(runs_bar(self.runs, self.skip_button, self.attach_button), self.headline, (self.pages, 1))
        form_and_results(self, scroll, right, form_width=scroll.minimumWidth(),
                         bottom=(self.error_label, self.task_bar))

        context.opened.connect(self._on_opened)
        context.runs_changed.connect(self.refresh_runs)
        if context.store is not None:
            self._on_opened()
        self._update_buttons()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.timeline.timer.stop()
        self.tasks.shutdown()

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.show_result(None)
        self.refresh_runs()
        if self.runs.itemData(0) is not None:
            self.show_stored(self.runs.itemData(0), animate=False)

    def refresh_runs(self) -> None:
        store = self.context.store
        runs = [] if store is None else sorted(store.runs("canary", with_result=False), key=lambda r: -r["id"])
        self.runs.blockSignals(True)
        self.runs.clear()
        for run in runs:
            self.runs.addItem(run_label(run), run["id"])
        if self.shown_run_id is not None:
            self.runs.setCurrentIndex(max(0, self.runs.findData(self.shown_run_id)))
        self.runs.blockSignals(False)
        if not runs:
            self.runs.addItem("No canary run stored yet")
            self.runs.setEnabled(False)
        else:
            self.runs.setEnabled(True)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.form.run_button.setEnabled(not self.busy and self.context.store is not None)
        self.attach_button.setEnabled(self.shown_run_id is not None and not self.busy)
        self.skip_button.setVisible(self.timeline.animating)

    def show_error(self, title: str, message: str) -> None:
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ run
    def run_simulation(self) -> None:
        self.error_label.setVisible(False)
        try:
            settings = self.form.settings()
        except PreflightError as exc:
            self.show_error("Cannot run the simulation", str(exc))
            return
        label = "Simulating the canary rollout" + (f" and {settings.monte_carlo:,} Monte Carlo rollouts per rule"
                                                    if settings.monte_carlo else "")
        self.tasks.run(label, run_canary, settings, on_result=self._run_done, error_title="Canary simulation failed")

    def _run_done(self, run) -> None:
        run_id = record_canary(self.context.store, run)
        self.shown_run_id = run_id
        self.context.notify("runs")
        self.show_result(run.result, run_id, animate=True)
        self.pages.setCurrentWidget(self.timeline)
        self.context.status_message.emit(f"Canary run #{run_id} stored: {run.result['summary']}")

    # ------------------------------------------------------------------ show
    def _run_chosen(self, index: int) -> None:
        run_id = self.runs.itemData(index)
        if run_id is not None:
            self.show_stored(run_id, animate=False)

    def show_stored(self, run_id: int, animate: bool = False) -> None:
        try:
            run = self.context.store.run(run_id)
        except PreflightError as exc:
            self.show_error("Cannot show the run", str(exc))
            return
        self.show_result(run.get("result"), run_id, animate=animate)

    def show_result(self, result: dict | None, run_id: int | None = None, animate: bool = False) -> None:
        self.shown_result = result
        self.shown_run_id = run_id if result is not None else None
        if result is None:
            self.headline.setText("Set up a rollout on the left and run it.")
            self.timeline.show_steps([], animate=False)
            self.log_model.set_steps([])
            self.step_text.setText("")
            self._show_monte_carlo(None)
            self._update_buttons()
            return
        colour, word = OUTCOME_STYLE.get(result.get("outcome"), ("#57606a", str(result.get("outcome"))))
        where = f"run #{run_id} · " if run_id is not None else ""
        self.headline.setText(f'<span style="color:{colour};font-weight:bold;font-size:13pt">{word}</span>'
                              f'&nbsp;&nbsp;<span style="color:#57606a">{where}rule {result.get("rule")}</span>'
                              f"<br>{_escape(result.get('summary') or '')}")
        steps = result.get("steps") or []
        self.timeline.show_steps(steps, animate=animate)
        self.log_model.set_steps(steps)
        self.step_text.setText(steps[-1]["explanation"] if steps else "")
        if steps:
            self.log_view.scrollToBottom()
        self._show_monte_carlo(result)
        if run_id is not None:
            index = self.runs.findData(run_id)
            if index >= 0:
                self.runs.setCurrentIndex(index)
        self._update_buttons()

    def _step_chosen(self, index, _previous) -> None:
        if index.isValid() and index.row() < len(self.log_model.steps):
            self.step_text.setText(self.log_model.steps[index.row()]["explanation"])

    def _show_monte_carlo(self, result: dict | None) -> None:
        rules = (result or {}).get("rules")
        self.mc_model.set_rules(rules, (result or {}).get("rule", ""))
        for label in self.mc_labels:
            self.mc_plot.removeItem(label)
        self.mc_labels = []
        if not rules:
            self.mc_points.setData([])
            self.mc_note.setText("Set Monte Carlo runs above 0 to compare every rule on the same simulated traffic.")
            return
        mc = result.get("monte_carlo") or {}
        self.mc_note.setText(f"{mc.get('runs', 0):,} simulated rollouts per scenario with this schedule and these "
                             f"guards: an equal candidate ({100 * mc.get('baseline_error', 0):.2f}% errors) and a worse "
                             f"one ({100 * mc.get('worse_error', 0):.2f}%). Lower left is better.")
        spots = []
        for name, m in rules.items():
            x = m.get("mean_requests_to_detect")
            y = 100 * m["false_rollback_rate"]
            if x is None:
                continue
            chosen = name == result.get("rule")
            spots.append({"pos": (x, y), "brush": pg.mkBrush("#cf222e" if chosen else "#0969da"),
                          "symbol": "star" if chosen else "o", "size": 16 if chosen else 11})
            label = pg.TextItem(name, anchor=(0, 1.1), color="#24292f")
            label.setPos(x, y)
            self.mc_plot.addItem(label)
            self.mc_labels.append(label)
        self.mc_points.setData(spots)
        if spots:
            xs = [s["pos"][0] for s in spots]
            ys = [s["pos"][1] for s in spots]
            span = max(max(xs) - min(xs), 0.05 * max(xs), 1.0)
            self.mc_plot.setXRange(min(xs) - 0.08 * span, max(xs) + 0.2 * span, padding=0)
            top = max(max(ys) * 1.2, 5.0)
            self.mc_plot.setYRange(-0.04 * top, top, padding=0)

    # --------------------------------------------------------------- evidence
    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.shown_run_id is None or self.context.store is None:
            return None
        summary = (self.shown_result or {}).get("outcome", "").replace("_", " ")
        return attach_dialog(self.context.store.items(), self.shown_run_id, summary, self)

    def attach_evidence(self, item_id: int | None = None) -> int | None:
        """Link the shown run to a checklist item (asked in a dialog when not given); returns the link id."""
        if self.shown_run_id is None:
            return None
        return attach_run(self.context, self.shown_run_id, f"canary run #{self.shown_run_id}", self.attach_dialog,
                          lambda title, message: show_error(self, title, message), item_id)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))

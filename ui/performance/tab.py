"""The Performance tab: a prediction log's metrics over time against the baseline, the CBPE estimate beside
the realised metric, per-segment table, confusion matrix, the alert, business value and cold start.

The form (ui/performance/form.py) maps the columns; :func:`core.performance.run.run_performance` runs in
the task pipeline (ui/common/tasks.py); the finished run is stored with :func:`record_performance` on the
UI thread and announced with ``context.notify("runs")``.  Everything drawn comes from the run's result.
"""

from __future__ import annotations

import html
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from core.errors import PreflightError
from core.performance.prometheus import drift_psi, export_metrics
from core.performance.run import latest_drift_run_id, log_column_names, record_performance, run_performance
from ui.common.charts import CURRENT_COLOUR, REFERENCE_COLOUR, make_plot, pg
from ui.common.layout import column, form_and_results, runs_bar
from ui.common.dialogs import message_label, show_error
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.common.tasks import TaskBar, TaskQueue
from ui.performance.evidence import attach_dialog
from ui.performance.form import SetupForm
from ui.performance.models import ConfusionModel, SegmentModel
from ui.common.table_models import table_view

ERROR_STYLE = "color:#cf222e;font-weight:bold"
ALERT_STYLE = "background:#ffebe9;color:#1f2328;padding:6px;border:1px solid #cf222e"
OK_STYLE = "background:#dafbe1;color:#1f2328;padding:6px;border:1px solid #1a7f37"



def _series(windows, part: str, key: str) -> np.ndarray:
    return np.array([np.nan if (w.get(part) or {}).get(key) is None else float(w[part][key]) for w in windows])


def run_label(run: dict) -> str:
    s = run.get("summary") or {}
    state = "ALERT" if s.get("alert") else "ok"
    when = (run.get("finished_utc") or "")[:19].replace("T", " ")
    return f"#{run['id']}  {state} · {s.get('task', '?')} · {s.get('windows', '?')} windows · {when} UTC"


class PerformanceTab(QWidget):
    title = "Performance"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.shown_run_id: int | None = None
        self.shown_result: dict | None = None
        self.log_path = ""
        self.last_error = ""

        self.form = SetupForm()
        self.form.run_requested.connect(self.run_evaluation)
        self.form.columns_requested.connect(self.read_columns)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(340)

        self.runs = QComboBox()
        self.runs.setMinimumWidth(300)
        self.runs.activated.connect(self._run_chosen)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_evidence())
        self.export_button = QPushButton("Export Prometheus...")
        self.export_button.clicked.connect(lambda: self.export_prometheus())
        self.headline = QLabel("Choose a prediction log on the left and evaluate it.")
        self.headline.setWordWrap(True)
        self.alert_panel = QLabel("")
        self.alert_panel.setObjectName("performanceAlert")
        self.alert_panel.setWordWrap(True)
        self.alert_panel.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.alert_panel.setVisible(False)

        self.metric_box = QComboBox()
        self.metric_box.currentIndexChanged.connect(lambda _i: self._draw_metric())
        self.metric_plot = make_plot("Metric per window", "", "window")
        self.metric_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.realised_curve = self.metric_plot.plot([], [], pen=pg.mkPen(CURRENT_COLOUR[:3], width=2), symbol="o",
                                                    symbolSize=5, symbolBrush=CURRENT_COLOUR[:3], name="realised")
        self.estimated_curve = self.metric_plot.plot([], [], pen=pg.mkPen(REFERENCE_COLOUR[:3], width=2,
                                                                          style=Qt.DashLine), name="estimated (CBPE)")
        self.band_lo = pg.PlotDataItem([], [], pen=pg.mkPen(None))
        self.band_hi = pg.PlotDataItem([], [], pen=pg.mkPen(None))
        self.band = pg.FillBetweenItem(self.band_lo, self.band_hi, brush=pg.mkBrush(31, 119, 180, 50))
        self.metric_plot.addItem(self.band)
        self.baseline_line = pg.InfiniteLine(angle=0, pen=pg.mkPen((154, 103, 0), width=1.5, style=Qt.DashLine))
        self.threshold_band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                                  brush=pg.mkBrush(255, 212, 100, 60), pen=pg.mkPen(None))
        self.metric_plot.addItem(self.threshold_band)
        self.metric_plot.addItem(self.baseline_line)
        over_time = QWidget()
        ol = QVBoxLayout(over_time)
        ol.setContentsMargins(0, 4, 0, 0)
        mrow = QHBoxLayout()
        mrow.addWidget(QLabel("Metric"))
        mrow.addWidget(self.metric_box)
        mrow.addStretch(1)
        ol.addLayout(mrow)
        ol.addWidget(self.metric_plot, 1)

        self.segment_model = SegmentModel(self)
        self.segment_view = table_view(self.segment_model, single_selection=False)
        self.confusion_model = ConfusionModel(self)
        self.confusion_view = table_view(self.confusion_model, single_selection=False)
        self.roi_card = QLabel("The log has no business_value column.")
        self.roi_card.setWordWrap(True)
        self.value_plot = make_plot("Cumulative business value", "value", "day / prediction")
        self.value_curve = self.value_plot.plot([], [], pen=pg.mkPen((26, 127, 55), width=2))
        self.coldstart_plot = make_plot("Cold start: performance by history length", "", "interactions")
        self.coldstart_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.coldstart_policy = self.coldstart_plot.plot([], [], pen=pg.mkPen(CURRENT_COLOUR[:3], width=2),
                                                         symbol="o", name="policy")
        self.coldstart_global = self.coldstart_plot.plot([], [], pen=pg.mkPen(REFERENCE_COLOUR[:3], width=2),
                                                         symbol="t", name="global only")
        business = QWidget()
        bl = QVBoxLayout(business)
        bl.setContentsMargins(0, 4, 0, 0)
        bl.addWidget(self.roi_card)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.value_plot)
        split.addWidget(self.coldstart_plot)
        bl.addWidget(split, 1)

        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(over_time, "Over time")
        self.pages.addTab(self.segment_view, "Segments")
        self.pages.addTab(self.confusion_view, "Confusion matrix")
        self.pages.addTab(business, "Business and cold start")

        self.error_label = message_label(style=ERROR_STYLE)  # one line, shown where the tab is
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)

        right = column(runs_bar(self.runs, self.export_button, self.attach_button), self.headline, self.alert_panel,
                       (self.pages, 1))
        form_and_results(self, scroll, right, form_width=360, bottom=(self.error_label, self.task_bar))

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
        self.tasks.shutdown()

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.show_result(None)
        self.refresh_runs()
        if self.runs.itemData(0) is not None:
            self.show_stored(self.runs.itemData(0))

    def refresh_runs(self) -> None:
        store = self.context.store
        runs = [] if store is None else sorted(store.runs("performance", with_result=False), key=lambda r: -r["id"])
        self.runs.blockSignals(True)
        self.runs.clear()
        for run in runs:
            self.runs.addItem(run_label(run), run["id"])
        if self.shown_run_id is not None:
            self.runs.setCurrentIndex(max(0, self.runs.findData(self.shown_run_id)))
        self.runs.blockSignals(False)
        self.runs.setEnabled(bool(runs))
        if not runs:
            self.runs.addItem("No performance run stored yet")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.form.run_button.setEnabled(not self.busy and self.context.store is not None)
        self.attach_button.setEnabled(self.shown_run_id is not None and not self.busy)
        self.export_button.setEnabled(bool(self.log_path) and not self.busy)

    def show_error(self, title: str, message: str) -> None:
        self.last_error = message
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ run
    def read_columns(self, path: str) -> None:
        if path:
            self.tasks.run("Reading the log's columns", log_column_names, path, replace="columns",
                           on_result=lambda r: self.form.set_columns(r["columns"], r["detected"]),
                           error_title="Cannot read the log")

    def run_evaluation(self) -> None:
        self.error_label.setVisible(False)
        try:
            path, settings = self.form.settings()
        except PreflightError as exc:
            self.show_error("Cannot evaluate", str(exc))
            return
        settings = replace(settings, drift_run_id=latest_drift_run_id(self.context.store))
        self.tasks.run("Evaluating model performance", run_performance, path, settings,
                       on_result=lambda run: self._run_done(run, path), error_title="Performance evaluation failed")

    def _run_done(self, run, path: str) -> None:
        run_id = record_performance(self.context.store, run)
        self.log_path = path
        self.shown_run_id = run_id
        self.context.notify("runs")
        self.show_result(run.result, run_id)
        state = "degradation alert" if run.result["alert"] else "no degradation"
        self.context.status_message.emit(f"Performance run #{run_id} stored: {state}")

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
        inputs = run.get("inputs") or []
        self.log_path = str(inputs[0].get("path") or "") if inputs else ""
        self.show_result(run.get("result"), run_id)

    def show_result(self, result: dict | None, run_id: int | None = None) -> None:
        self.shown_result = result
        self.shown_run_id = run_id if result is not None else None
        self.segment_model.set_result(result)
        if result is None:
            self.headline.setText("Choose a prediction log on the left and evaluate it.")
            self.alert_panel.setVisible(False)
            self.metric_box.clear()
            self.confusion_model.set_matrix(None)
            self._draw_business(None)
            self._update_buttons()
            return
        where = f"Run #{run_id}: " if run_id is not None else ""
        self.headline.setText(f"{where}{result['task']} task, {result['rows']:,} rows ({result['labelled']:,} "
                              f"labelled), {len(result['windows'])} windows of {result['window']}; baseline from "
                              f"{result.get('baseline_source')}.")
        if result.get("alert"):
            self.alert_panel.setStyleSheet(ALERT_STYLE)
            self.alert_panel.setText(html.escape(result["alert_text"]).replace("\n", "<br>"))
        else:
            self.alert_panel.setStyleSheet(OK_STYLE)
            self.alert_panel.setText(f"No metric dropped more than {100 * result['threshold']:g}% below the "
                                     "baseline.")
        self.alert_panel.setVisible(True)
        keys = [k for k in ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2")
                if any((w.get("metrics") or {}).get(k) is not None or (w.get("estimated") or {}).get(k) is not None
                       for w in result["windows"])]
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        self.metric_box.addItems(keys)
        self.metric_box.blockSignals(False)
        self._draw_metric()
        cur = result.get("current_window")
        judged = result["windows"][cur] if isinstance(cur, int) else {}
        self.confusion_model.set_matrix((judged.get("metrics") or {}).get("confusion_matrix"))
        self._draw_business(result)
        if run_id is not None and self.runs.findData(run_id) >= 0:
            self.runs.setCurrentIndex(self.runs.findData(run_id))
        self._update_buttons()

    def _draw_metric(self) -> None:
        result, key = self.shown_result, self.metric_box.currentText()
        if not result or not key:
            for curve in (self.realised_curve, self.estimated_curve, self.band_lo, self.band_hi):
                curve.setData([], [])
            return
        windows = result["windows"]
        x = np.arange(len(windows), dtype=float)
        real = _series(windows, "metrics", key)
        self.realised_curve.setData(x, real, connect="finite")
        est = _series(windows, "estimated", key)
        ok = np.isfinite(est)
        self.estimated_curve.setData(x[ok], est[ok])
        self.band_lo.setData(x[ok], _series(windows, "estimated", f"{key}_low")[ok])
        self.band_hi.setData(x[ok], _series(windows, "estimated", f"{key}_high")[ok])
        base = (result.get("baseline") or {}).get(key)
        shown = base is not None
        self.baseline_line.setVisible(shown)
        self.threshold_band.setVisible(shown)
        if shown:
            edge = base * (1 + result["threshold"]) if key in ("mae", "rmse") else base * (1 - result["threshold"])
            self.baseline_line.setPos(base)
            self.threshold_band.setRegion(sorted((base, edge)))
        self.metric_plot.setTitle(f"{key} per window (baseline dashed, alert band shaded)", size="10pt")
        ticks = [(i, str(w["start"])[:10]) for i, w in enumerate(windows)][:: max(1, len(windows) // 8)]
        self.metric_plot.getAxis("bottom").setTicks([ticks])

    def _draw_business(self, result: dict | None) -> None:
        roi = (result or {}).get("roi")
        if roi:
            lines = [f"<b>Total value</b> {roi['total_value']:,.2f} over {roi['predictions']:,} predictions "
                     f"({roi['value_per_prediction']:,.4g} per prediction)"]
            if roi.get("high_confidence_value") is not None:
                lines.append(f"from confidence &gt; {roi['confidence_threshold']:g}: {roi['high_confidence_value']:,.2f}")
            if roi.get("by_outcome"):
                lines.append("by outcome: " + ", ".join(f"{html.escape(k)} {v:,.2f}"
                                                       for k, v in roi["by_outcome"].items()))
            self.roi_card.setText("<br>".join(lines))
            values = [c["value"] for c in roi.get("cumulative") or []]
            self.value_curve.setData(np.arange(len(values), dtype=float), np.array(values, float))
        else:
            self.roi_card.setText("The log has no business_value column." if result else "")
            self.value_curve.setData([], [])
        cs = (result or {}).get("coldstart") or {}
        bins = cs.get("by_history") or []
        x = np.arange(len(bins), dtype=float)
        pol = np.array([np.nan if b["policy"] is None else b["policy"] for b in bins], float)
        glo = np.array([np.nan if b["global_only"] is None else b["global_only"] for b in bins], float)
        self.coldstart_policy.setData(x, pol, connect="finite")
        self.coldstart_global.setData(x, glo, connect="finite")
        self.coldstart_plot.getAxis("bottom").setTicks([[(i, b["bin"]) for i, b in enumerate(bins)]])

    # ------------------------------------------------------------------ export
    def export_prometheus(self, out: str | None = None, rules: str | None = None) -> None:
        """Write the Prometheus file (and alert rules) for the shown run's log."""
        if not self.log_path:
            return
        if out is None:
            out, _ = QFileDialog.getSaveFileName(self, "Export Prometheus metrics", "metrics.prom",
                                                 "Prometheus text (*.prom);;All files (*)")
            if not out:
                return
            rules = str(out).rsplit(".", 1)[0] + "-alerts.yml"

        drift = drift_psi(self.context.store) if self.context.store is not None else None

        def job(progress=None, cancelled=None):
            return export_metrics(self.log_path, out, rules=rules, drift=drift)

        self.tasks.run("Writing Prometheus metrics", job, error_title="Cannot export the metrics",
                       on_result=lambda r: self.context.status_message.emit(
                           f"Wrote {r['out']}" + (f" and {r['rules']}" if r.get("rules") else "")))

    # --------------------------------------------------------------- evidence
    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.shown_run_id is None or self.context.store is None:
            return None
        summary = "degradation alert" if (self.shown_result or {}).get("alert") else "no degradation"
        return attach_dialog(self.context.store.items(), self.shown_run_id, summary, self)

    def attach_evidence(self, item_id: int | None = None) -> int | None:
        """Link the shown run to a checklist item (asked in a dialog when not given); returns the link id."""
        if self.shown_run_id is None:
            return None
        return attach_run(self.context, self.shown_run_id, f"performance run #{self.shown_run_id}",
                          self.attach_dialog, lambda title, message: show_error(self, title, message), item_id)

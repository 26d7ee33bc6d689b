"""The Autoscaling sub-view: replay a traffic pattern or trace through two scaling policies side by side
(replicas and p95 latency over time), Record the replay as an autoscale run, Attach it as evidence
(suggested item: "Auto-scaling").

The replay is :func:`core.load.capacity_run.run_autoscale`, run in the task pipeline; this module reads the
form and draws the result.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from core.errors import PreflightError
from core.load import capacity_run as cr
from ui.common.charts import CURRENT_COLOUR, REFERENCE_COLOUR, make_plot, pg
from ui.common.dialogs import message_label, show_error
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.common.tasks import TaskBar, TaskQueue
from ui.load.evidence import attach_dialog

ERROR_STYLE = "color:#cf222e;font-weight:bold"
PASS_STYLE = "background:#dafbe1;color:#1f2328;padding:6px;border:1px solid #1a7f37"
FAIL_STYLE = "background:#ffebe9;color:#1f2328;padding:6px;border:1px solid #cf222e"
COLOURS = (REFERENCE_COLOUR[:3], CURRENT_COLOUR[:3])
TRACE = "trace file..."


def _spin(lo, hi, value, decimals=None):
    box = QSpinBox() if decimals is None else QDoubleSpinBox()
    if decimals is not None:
        box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setValue(value)
    return box


class AutoscaleView(QWidget):
    title = "Autoscaling"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.run = None           # the last replay (a FeatureRun), recorded or not
        self.shown_run_id: int | None = None

        self.source = QComboBox()
        self.source.addItems(["spike", "diurnal", "ramp", TRACE])
        self.trace = QLineEdit()
        self.trace.setPlaceholderText("CSV with time (s or date-time) and rate (requests/s)")
        browse = QPushButton("...")
        browse.clicked.connect(self._browse)
        trace_row = QHBoxLayout()
        trace_row.addWidget(self.trace, 1)
        trace_row.addWidget(browse)
        self.base_rate = _spin(0, 1e6, 20, 1)
        self.peak_rate = _spin(0, 1e6, 200, 1)
        self.service_ms = _spin(0.1, 1e5, 40, 1)
        self.slo = _spin(1, 1e6, 200, 0)
        self.policy_a = QComboBox()
        self.policy_a.addItems(["hpa", "seed"])
        self.policy_b = QComboBox()
        self.policy_b.addItems(["seed", "hpa"])
        self.metric_box = QComboBox()
        self.metric_box.addItems(["utilisation", "queue_depth", "p95_ms"])
        self.target = _spin(0.001, 1e6, 0.6, 3)
        self.min_replicas = _spin(1, 10_000, 2)
        self.max_replicas = _spin(1, 10_000, 20)
        self.readiness = _spin(0, 3600, 60, 0)
        self.up = _spin(1.0, 100, 1.5, 2)
        self.down = _spin(0.0, 1.0, 0.5, 2)
        self.cooldown = _spin(0, 86400, 300, 0)
        self.tolerance = _spin(0.0, 0.99, 0.1, 2)
        self.window_s = _spin(0, 86400, 300, 0)
        form = QFormLayout()
        form.addRow("Traffic", self.source)
        form.addRow("Trace", trace_row)
        form.addRow("Base rate, requests/s", self.base_rate)
        form.addRow("Peak rate, requests/s", self.peak_rate)
        form.addRow("Mean service, ms", self.service_ms)
        form.addRow("SLO p95, ms", self.slo)
        form.addRow("Policy", self.policy_a)
        form.addRow("Compared with", self.policy_b)
        form.addRow("Metric", self.metric_box)
        form.addRow("Target", self.target)
        form.addRow("Min replicas", self.min_replicas)
        form.addRow("Max replicas", self.max_replicas)
        form.addRow("Readiness delay, s", self.readiness)
        form.addRow("Seed: up above target x", self.up)
        form.addRow("Seed: down below target x", self.down)
        form.addRow("Seed: cooldown, s", self.cooldown)
        form.addRow("HPA: tolerance", self.tolerance)
        form.addRow("HPA: scale-down window, s", self.window_s)
        self.source.currentTextChanged.connect(self._source_changed)

        self.replay_button = QPushButton("Replay")
        self.replay_button.clicked.connect(self.replay)
        self.record_button = QPushButton("Record")
        self.record_button.setToolTip("Store the shown replay in the assessment")
        self.record_button.clicked.connect(self.record)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_evidence())
        buttons = QHBoxLayout()
        for b in (self.replay_button, self.record_button, self.attach_button):
            buttons.addWidget(b)
        form_box = QWidget()
        fl = QVBoxLayout(form_box)
        fl.addLayout(form)
        fl.addLayout(buttons)
        fl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(form_box)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(360)

        self.verdict = QLabel("Choose the traffic and the two policies, then Replay.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.replica_plot = make_plot("Replicas over time", "replicas", "minutes")
        self.replica_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.latency_plot = make_plot("p95 latency over time", "p95 ms", "minutes")
        self.latency_plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.latency_plot.setXLink(self.replica_plot)
        self.replica_curves, self.latency_curves = [], []
        for i in range(2):
            pen = pg.mkPen(COLOURS[i], width=2)
            self.replica_curves.append(self.replica_plot.plot([], [], pen=pen, name=f"policy {i + 1}"))
            self.latency_curves.append(self.latency_plot.plot([], [], pen=pen, connect="finite", name=f"policy {i + 1}"))
        self.rate_curve = self.replica_plot.plot([], [], pen=pg.mkPen((110, 119, 129), width=1, style=Qt.DotLine))
        self.slo_line = pg.InfiniteLine(angle=0, pen=pg.mkPen((207, 34, 46), width=1.5, style=Qt.DashLine))
        self.slo_line.setVisible(False)  # drawn once a replay says where the SLO is
        self.latency_plot.addItem(self.slo_line)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.verdict)
        rl.addWidget(self.replica_plot, 1)
        rl.addWidget(self.latency_plot, 1)

        self.error_label = message_label(style=ERROR_STYLE)
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)
        body = QSplitter(Qt.Horizontal)
        body.addWidget(scroll)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        body.setSizes([380, 900])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(body, 1)
        lay.addWidget(self.error_label)
        lay.addWidget(self.task_bar)
        context.opened.connect(self._on_opened)
        self._source_changed(self.source.currentText())
        self._update_buttons()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.tasks.shutdown()

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.run, self.shown_run_id = None, None
        self.show_result(None)

    def _source_changed(self, text: str) -> None:
        self.trace.setEnabled(text == TRACE)
        for w in (self.base_rate, self.peak_rate):
            w.setEnabled(text != TRACE)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Traffic trace", "", "Tables (*.csv *.tsv *.parquet);;All (*)")
        if path:
            self.trace.setText(path)
            self.source.setCurrentText(TRACE)

    def _update_buttons(self) -> None:
        has_store = self.context.store is not None
        self.replay_button.setEnabled(has_store and not self.busy)
        self.record_button.setEnabled(has_store and self.run is not None and self.shown_run_id is None
                                      and not self.busy)
        self.attach_button.setEnabled(self.shown_run_id is not None and not self.busy)

    def show_error(self, title: str, message: str) -> None:
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ replay
    def settings(self) -> cr.AutoscaleSettings:
        trace = self.source.currentText() == TRACE
        if trace and not self.trace.text().strip():
            raise PreflightError("choose a trace file (a CSV of time and rate)")
        return cr.AutoscaleSettings(
            trace=self.trace.text().strip() if trace else None, pattern=None if trace else self.source.currentText(),
            base_rate=self.base_rate.value(), peak_rate=self.peak_rate.value(), policy=self.policy_a.currentText(),
            compare=self.policy_b.currentText() if self.policy_b.currentText() != self.policy_a.currentText() else None,
            metric=self.metric_box.currentText(), target=self.target.value(), min_replicas=self.min_replicas.value(),
            max_replicas=self.max_replicas.value(), scale_up_threshold=self.up.value(),
            scale_down_threshold=self.down.value(), cooldown_s=self.cooldown.value(), tolerance=self.tolerance.value(),
            stabilization_s=self.window_s.value(), readiness_s=self.readiness.value(),
            service_ms=self.service_ms.value(), slo_p95_ms=self.slo.value())

    def replay(self) -> None:
        self.error_label.setVisible(False)
        try:
            settings = self.settings()
        except PreflightError as exc:
            self.show_error("Cannot replay", str(exc))
            return
        self.tasks.run("Replaying the traffic through the policies", cr.run_autoscale, settings, replace="replay",
                       on_result=self._replayed, error_title="Replay failed")

    def _replayed(self, run) -> None:
        self.run, self.shown_run_id = run, None
        self.show_result(run.result)
        self._update_buttons()

    def show_result(self, result: dict | None) -> None:
        policies = (result or {}).get("policies") or []
        for i in range(2):
            p = policies[i] if i < len(policies) else None
            if p is None:
                self.replica_curves[i].setData([], [])
                self.latency_curves[i].setData([], [])
                continue
            minutes = np.asarray(p["times"], float) / 60
            self.replica_curves[i].setData(minutes, np.asarray(p["replicas"], float))
            lat = np.array([np.nan if v is None else v for v in p["p95_ms"]], float)
            self.latency_curves[i].setData(minutes, lat)
            for plot in (self.replica_plot, self.latency_plot):
                plot.plotItem.legend.items[i][1].setText(f"{p['policy']}")
        if result is None:
            self.rate_curve.setData([], [])
            self.verdict.setText("Choose the traffic and the two policies, then Replay.")
            self.verdict.setStyleSheet("")
            self.slo_line.setVisible(False)
            return
        first = policies[0]
        scale = max(first["replicas"]) / max(max(first["rate"]), 1e-9)
        self.rate_curve.setData(np.asarray(first["times"], float) / 60, np.asarray(first["rate"], float) * scale)
        slo = result["slo_p95_ms"]
        self.slo_line.setPos(slo)
        self.slo_line.setVisible(True)
        self.latency_plot.setYRange(0, 3 * slo)
        rows = [f"<b>{p['policy']}</b>: {p['slo_violation_minutes']:,.1f} SLO-violation minutes, "
                f"{p['replica_minutes']:,.0f} replica-minutes, up to {p['max_replicas_used']} replicas, "
                f"{p['scaling_events']} scaling events" for p in policies]
        better = f"<br>Better: <b>{result['winner']}</b> (fewer violation minutes, then fewer replica-minutes)" \
            if len(policies) > 1 else ""
        self.verdict.setStyleSheet(PASS_STYLE if result["slo_met"] else FAIL_STYLE)
        self.verdict.setText("<br>".join(rows) + better + "<br><span style='color:#57606a'>Dotted: the arrival "
                             "rate, scaled to the replica axis.</span>")

    # ------------------------------------------------------------------ record
    def record(self) -> int | None:
        if self.run is None or self.context.store is None:
            return None
        self.shown_run_id = cr.record_autoscale(self.context.store, self.run)
        self.context.notify("runs")
        self.context.status_message.emit(f"Autoscale run #{self.shown_run_id} stored")
        self._update_buttons()
        return self.shown_run_id

    # --------------------------------------------------------------- evidence
    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.shown_run_id is None or self.context.store is None:
            return None
        summary = f"better: {self.run.result['winner']}" if self.run is not None else ""
        return attach_dialog(self.context.store.items(), "autoscale", self.shown_run_id, summary, self)

    def attach_evidence(self, item_id: int | None = None) -> int | None:
        if self.shown_run_id is None:
            return None
        return attach_run(self.context, self.shown_run_id, f"autoscale run #{self.shown_run_id}",
                          self.attach_dialog, lambda title, message: show_error(self, title, message), item_id)

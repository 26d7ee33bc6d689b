"""The Capacity sub-view: sliders and fields for the traffic, the service time and the replicas, with the
closed-form p95-against-rate curves redrawn on every change, the simulation at the design point run in the
task pipeline, and Record (a full capacity run, stored) and Attach as evidence.

Every number comes from :mod:`core.load.capacity_run`; this module only reads the form and draws.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout, QWidget)

from core.errors import PreflightError
from core.load import capacity_run as cr
from core.load import sizing
from ui.common.charts import make_plot, pg, plain_log_ticks
from ui.common.layout import form_and_results
from ui.common.dialogs import message_label, show_error
from ui.common.evidence import AttachEvidenceDialog, attach_run
from ui.common.tasks import TaskBar, TaskQueue
from ui.load.evidence import attach_dialog

PALETTE = [(9, 105, 218), (225, 111, 36), (26, 127, 55), (130, 80, 223), (191, 57, 137), (154, 103, 0),
           (10, 123, 131), (207, 34, 46), (87, 96, 106), (102, 57, 186), (149, 56, 0), (17, 99, 41)]
SIM_DELAY_MS = 400
ERROR_STYLE = "color:#cf222e;font-weight:bold"
PASS_STYLE = "background:#dafbe1;color:#1f2328;padding:6px;border:1px solid #1a7f37"
FAIL_STYLE = "background:#ffebe9;color:#1f2328;padding:6px;border:1px solid #cf222e"


class LogSliderField(QWidget):
    """A slider (log scale when ``log``) and a spin box showing the same value."""

    def __init__(self, lo: float, hi: float, value: float, *, decimals: int = 1, log: bool = True,
                 integer: bool = False, parent=None):
        super().__init__(parent)
        self.lo, self.hi, self.log, self.integer = lo, hi, log, integer
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, 1000)
        self.box = QSpinBox() if integer else QDoubleSpinBox()
        if not integer:
            self.box.setDecimals(decimals)
        self.box.setRange(lo, hi)
        self.box.setKeyboardTracking(False)
        self.box.setValue(value)
        self.slider.setValue(self._to_slider(value))
        self.slider.valueChanged.connect(lambda v: self.box.setValue(self._from_slider(v)))
        self.box.valueChanged.connect(self._box_changed)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.box)
        self.valueChanged = self.box.valueChanged

    def _to_slider(self, v: float) -> int:
        if self.log:
            return int(round(1000 * math.log(v / self.lo) / math.log(self.hi / self.lo)))
        return int(round(1000 * (v - self.lo) / (self.hi - self.lo)))

    def _from_slider(self, s: int) -> float:
        f = s / 1000
        v = self.lo * (self.hi / self.lo) ** f if self.log else self.lo + (self.hi - self.lo) * f
        return int(round(v)) if self.integer else v

    def _box_changed(self, v) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_slider(float(v)))
        self.slider.blockSignals(False)

    def value(self) -> float:
        return self.box.value()

    def setValue(self, v) -> None:
        self.box.setValue(v)


class CapacityView(QWidget):
    title = "Capacity"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.quick: dict | None = None
        self.sim: dict | None = None
        self.judged: tuple = (None, "")
        self.shown_run_id: int | None = None
        self.histograms: dict[int, tuple[dict, dict]] = {}

        self.rate = LogSliderField(0.1, 100_000, 20, decimals=2)
        self.service_ms = LogSliderField(0.1, 10_000, 40, decimals=2)
        self.cv = LogSliderField(0.0, 4.0, 1.0, decimals=2, log=False)
        self.replicas = LogSliderField(1, 2000, 4, log=True, integer=True)
        self.slo = LogSliderField(1, 60_000, 200, decimals=0)
        self.factor = QDoubleSpinBox()
        self.factor.setRange(1, 1000)
        self.factor.setValue(10)
        self.factor.setKeyboardTracking(False)
        self.dist = QComboBox()
        self.dist.addItem("exponential", "exponential")
        self.dist.addItem("lognormal (with the CV)", "lognormal")
        self.source_run = QComboBox()
        form = QFormLayout()
        form.addRow("Expected peak, requests/s", self.rate)
        form.addRow("Design point = peak x", self.factor)
        form.addRow("Service time", self.dist)
        form.addRow("Load-test run", self.source_run)
        form.addRow("Mean service, ms", self.service_ms)
        form.addRow("Service CV", self.cv)
        form.addRow("Replicas", self.replicas)
        form.addRow("SLO p95, ms", self.slo)
        for w in (self.rate, self.service_ms, self.cv, self.replicas, self.slo):
            w.valueChanged.connect(self.recompute)
        self.factor.valueChanged.connect(self.recompute)
        self.dist.currentIndexChanged.connect(self._dist_changed)
        self.source_run.currentIndexChanged.connect(self.recompute)

        self.record_button = QPushButton("Record")
        self.record_button.setToolTip("Run the closed forms and the simulation and store the run in the assessment")
        self.record_button.clicked.connect(self.record)
        self.attach_button = QPushButton("Attach as evidence...")
        self.attach_button.clicked.connect(lambda: self.attach_evidence())
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.attach_button)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addLayout(form)
        ll.addLayout(buttons)
        ll.addWidget(self.verdict)
        ll.addWidget(self.summary)
        ll.addStretch(1)

        self.plot = make_plot("p95 latency against the arrival rate (closed form)", "p95 ms", "requests/s (log)")
        self.plot.setLogMode(x=True, y=False)
        plain_log_ticks(self.plot)
        self.plot.addLegend(offset=(8, 4), labelTextSize="8pt")
        self.curves: list[pg.PlotDataItem] = []
        self.slo_line = pg.InfiniteLine(angle=0, pen=pg.mkPen((207, 34, 46), width=1.5, style=Qt.DashLine))
        self.design_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((154, 103, 0), width=1.2, style=Qt.DashLine))
        self.sim_point = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(207, 34, 46), symbol="x")
        for item in (self.slo_line, self.design_line, self.sim_point):
            self.plot.addItem(item)

        self.error_label = message_label(style=ERROR_STYLE)
        self.task_bar = TaskBar()
        self.tasks = TaskQueue(self.task_bar, context, on_error=self.show_error, on_idle=self._update_buttons)
        self.sim_timer = QTimer(self)
        self.sim_timer.setSingleShot(True)
        self.sim_timer.setInterval(SIM_DELAY_MS)
        self.sim_timer.timeout.connect(self.start_simulation)
        form_and_results(self, left, self.plot, form_width=420, bottom=(self.error_label, self.task_bar))
        context.opened.connect(self._on_opened)
        context.runs_changed.connect(self.refresh_runs)
        self.refresh_runs()
        self._dist_changed()

    # ------------------------------------------------------------------ state
    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def shutdown(self) -> None:
        self.sim_timer.stop()
        self.tasks.shutdown()

    def _on_opened(self) -> None:
        self.tasks.cancel_all()
        self.shown_run_id = None
        self.histograms.clear()
        self.refresh_runs()
        self.recompute()

    def refresh_runs(self) -> None:
        store = self.context.store
        runs = [] if store is None else sorted(store.runs("loadtest", with_result=False), key=lambda r: -r["id"])
        current = self.source_run.currentData()
        self.source_run.blockSignals(True)
        self.source_run.clear()
        for run in runs:
            self.source_run.addItem(f"#{run['id']} {(run.get('finished_utc') or '')[:16].replace('T', ' ')}",
                                    run["id"])
        if current is not None and self.source_run.findData(current) >= 0:
            self.source_run.setCurrentIndex(self.source_run.findData(current))
        self.source_run.blockSignals(False)
        has = self.dist.findData("empirical") >= 0
        if runs and not has:
            self.dist.addItem("empirical (from a load-test run)", "empirical")
        elif not runs and has:
            self.dist.removeItem(self.dist.findData("empirical"))
        self._update_buttons()

    def _dist_changed(self) -> None:
        kind = self.dist.currentData()
        self.cv.setEnabled(kind == "lognormal")
        self.service_ms.setEnabled(kind != "empirical")
        self.source_run.setEnabled(kind == "empirical")
        self.recompute()

    def _update_buttons(self) -> None:
        ok = self.context.store is not None and self.quick is not None
        self.record_button.setEnabled(ok and not self.busy)
        self.attach_button.setEnabled(self.shown_run_id is not None and not self.busy)

    def show_error(self, title: str, message: str) -> None:
        self.error_label.setText(f"{title}: {message}")
        self.error_label.setVisible(True)
        self.context.status_message.emit(f"{title}: {message}")
        show_error(self, title, message)

    # ------------------------------------------------------------------ compute
    def settings(self) -> tuple[cr.CapacitySettings, dict | None, tuple]:
        kind = self.dist.currentData()
        hist, inputs, run_id = None, (), None
        if kind == "empirical":
            run_id = self.source_run.currentData()
            if run_id is None:
                raise PreflightError("choose a stored load-test run for the empirical service time")
            if run_id not in self.histograms:
                self.histograms[run_id] = cr.loadtest_histogram(self.context.store, run_id)
            hist, record = self.histograms[run_id]
            inputs = (record,)
        s = cr.CapacitySettings(rate=float(self.rate.value()),
                                service_ms=None if kind == "empirical" else float(self.service_ms.value()),
                                cv=float(self.cv.value()) if kind == "lognormal" else None,
                                replicas=int(self.replicas.value()), slo_p95_ms=float(self.slo.value()),
                                peak_factor=float(self.factor.value()), from_run=run_id)
        return s, hist, inputs

    def recompute(self) -> None:
        """Redraw the closed-form curves now; the simulation follows in the task pipeline."""
        self.error_label.setVisible(False)
        try:
            settings, hist, _inputs = self.settings()
            dist = cr.service_of(settings, hist)
            self.quick = cr.quick_capacity(settings, dist)
        except PreflightError as exc:
            self.quick = None
            self.error_label.setText(str(exc))
            self.error_label.setVisible(True)
            self._update_buttons()
            return
        self.sim = None
        p95, basis = sizing.judged_p95(settings, dist, self.quick["design_rate"], settings.replicas, None)
        self.judged = (p95, basis if sizing.exact(settings, dist) or p95 is None else "Allen–Cunneen until the "
                       "simulation is done")
        self._draw()
        self._update_buttons()
        self.sim_timer.start()

    def start_simulation(self) -> None:
        if self.quick is None or self.context.store is None:
            return
        try:
            settings, hist, _inputs = self.settings()
            dist = cr.service_of(settings, hist)
        except PreflightError:
            return
        key = (settings.rate * settings.peak_factor, settings.replicas, dist)
        self.tasks.run("Simulating the design point", sizing.simulate_design, settings, dist, replace="sim",
                       on_result=lambda sim: self._sim_done(key, sim), error_title="Simulation failed")

    def _sim_done(self, key, sim: dict) -> None:
        try:
            settings, hist, _inputs = self.settings()
            current = (settings.rate * settings.peak_factor, settings.replicas, cr.service_of(settings, hist))
        except PreflightError:
            return
        if current == key:   # the form has not moved since this simulation started
            self.sim = sim
            self.judged = sizing.judged_p95(settings, current[2], current[0], settings.replicas, sim)
            self._draw()

    def _draw(self) -> None:
        q = self.quick
        for c in self.curves:
            self.plot.removeItem(c)
        self.curves = []
        legend = self.plot.plotItem.legend
        if legend is not None:
            legend.clear()
        if q is None:
            return
        curves = q["curves"]
        rates = np.asarray(curves["rates"], float)
        for i, (c, ys) in enumerate(zip(curves["replicas"], curves["p95_ms"])):
            y = np.array([np.nan if v is None else v for v in ys], float)
            pen = pg.mkPen(PALETTE[i % len(PALETTE)], width=2.5 if c == q["replicas"] else 1.3)
            self.curves.append(self.plot.plot(rates, y, pen=pen, connect="finite",
                                              name=f"{c} replica{'s' if c != 1 else ''}"))
        self.slo_line.setPos(q["slo_p95_ms"])
        self.design_line.setPos(math.log10(q["design_rate"]))
        self.plot.setYRange(0, 3 * q["slo_p95_ms"])
        sim = self.sim
        if sim and sim.get("stable"):
            self.sim_point.setData([math.log10(q["design_rate"])], [sim["p95_ms"]])
        else:
            self.sim_point.setData([], [])
        self._describe(q, sim)

    def _describe(self, q: dict, sim: dict | None) -> None:
        d, n, needed = q["at_design"], q["replicas"], q["needed"]
        lines = [f"<b>{n} replica(s) at {q['design_rate']:,.4g} requests/s</b> ({q['peak_factor']:g}x the peak):"]
        if d["stable"]:
            lines.append(f"utilisation {d['utilisation']:.2f}, P(wait) {d['p_wait']:.3f}, mean wait "
                         f"{d['mean_wait_ms']:,.1f} ms; p50/p95/p99 {d['p50_ms']:,.1f} / {d['p95_ms']:,.1f} / "
                         f"{d['p99_ms']:,.1f} ms ({d['method']})")
        else:
            lines.append(d["note"])
        if sim is not None and sim.get("stable"):
            lines.append(f"simulation ({sim['requests']:,} requests): p50/p95/p99 {sim['p50_ms']:,.1f} / "
                         f"{sim['p95_ms']:,.1f} / {sim['p99_ms']:,.1f} ms")
        elif sim is None and d["stable"]:
            lines.append("simulation: running...")
        lines.append(f"replicas needed at the design point (closed form): {needed['closed_form'] or '-'}; at the "
                     f"peak itself: {needed['at_rate'] or '-'}" + (f" — {needed['reason']}" if needed.get("reason")
                                                                   else ""))
        self.summary.setText("<br>".join(lines))
        p95, basis = self.judged
        ok = p95 is not None and p95 <= q["slo_p95_ms"]
        self.verdict.setStyleSheet(PASS_STYLE if ok else FAIL_STYLE)
        self.verdict.setText(f"{'Meets' if ok else 'Misses'} p95 ≤ {q['slo_p95_ms']:g} ms at the design point: "
                             + (f"{p95:,.1f} ms by {basis}" if p95 is not None else "unstable"))

    # ------------------------------------------------------------------ record
    def record(self) -> None:
        try:
            settings, hist, inputs = self.settings()
        except PreflightError as exc:
            self.show_error("Cannot record", str(exc))
            return
        self.tasks.run("Capacity run: closed forms and simulation", cr.run_capacity, settings, histogram=hist,
                       inputs=inputs, on_result=self._recorded, error_title="Capacity run failed")

    def _recorded(self, run) -> None:
        self.shown_run_id = cr.record_capacity(self.context.store, run)
        self.context.notify("runs")
        self.context.status_message.emit(f"Capacity run #{self.shown_run_id} stored: "
                                         f"{'SLO met' if run.result['slo_met'] else 'SLO missed'}")
        self._update_buttons()

    # --------------------------------------------------------------- evidence
    def attach_dialog(self) -> AttachEvidenceDialog | None:
        if self.shown_run_id is None or self.context.store is None:
            return None
        return attach_dialog(self.context.store.items(), "capacity", self.shown_run_id, "", self)

    def attach_evidence(self, item_id: int | None = None) -> int | None:
        if self.shown_run_id is None:
            return None
        return attach_run(self.context, self.shown_run_id, f"capacity run #{self.shown_run_id}", self.attach_dialog,
                          lambda title, message: show_error(self, title, message), item_id)

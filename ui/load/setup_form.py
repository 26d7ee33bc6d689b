"""The load test's setup form: target, load shape, body, timeout, SLO and stop rules.

The form only collects values; :meth:`LoadSetupForm.plan` builds the plan with :mod:`core.load.plan`
(which parses the stages and checks every field).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from core.errors import PreflightError
from core.load.plan import DEMO_URL, LoadPlan, constant_plan, parse_stages, ten_x_peak_plan

MODE_CONSTANT, MODE_STAGES, MODE_PEAK = range(3)
BODY_DEMO, BODY_FIXED, BODY_ROWS = range(3)
STAGES_EXAMPLE = "duration_s,rate,ramp_to\n5,10,100\n10,100\n"


def _spin(low: float, high: float, value: float, suffix: str = "", decimals: int = 0) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setValue(value)
    if suffix:
        box.setSuffix(suffix)
    return box


class LoadSetupForm(QWidget):
    run_requested = Signal()
    peak_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.expected_qps: float | None = None

        self.url = QLineEdit(DEMO_URL)
        self.url.setToolTip("http:// only. A host other than this machine must be confirmed before the run.")
        self.method = QComboBox()
        self.method.addItems(["POST", "GET", "PUT"])

        self.mode = QComboBox()
        self.mode.addItems(["Constant rate", "Stages (ramps and steps)", "10x expected peak"])
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.rate = _spin(0.1, 1_000_000, 50, " req/s", 1)
        self.duration = _spin(1, 86_400, 10, " s")
        self.arrival = QComboBox()
        self.arrival.addItem("Constant spacing", "constant")
        self.arrival.addItem("Poisson arrivals", "poisson")
        self.stages = QPlainTextEdit(STAGES_EXAMPLE)
        self.stages.setToolTip("CSV with a header: duration_s,rate[,ramp_to] per line (ramp_to: linear ramp to "
                               "that rate by the end of the stage), or a JSON list of stages")
        self.stages.setMaximumHeight(90)
        self.peak_button = QPushButton("10x peak")
        self.peak_button.setToolTip("Ten times the expected peak load from the Handoff tab")
        self.peak_button.clicked.connect(self.peak_requested.emit)
        self.peak_note = QLabel("")
        self.peak_note.setWordWrap(True)
        self.peak_note.setStyleSheet("color:#57606a")

        self.body_mode = QComboBox()
        self.body_mode.addItems(["Demo model's JSON", "Fixed JSON body", "One JSON body per CSV row"])
        self.body_mode.currentIndexChanged.connect(self._body_changed)
        self.body = QPlainTextEdit()
        self.body.setPlaceholderText('{"feature": 1.0}')
        self.body.setMaximumHeight(70)
        self.rows_path = QLineEdit()
        self.rows_path.setPlaceholderText("feature rows (CSV)")
        self.rows_browse = QPushButton("Browse...")
        self.rows_browse.clicked.connect(self._browse_rows)

        self.timeout = _spin(1, 600_000, 5000, " ms")
        self.processes = QSpinBox()
        self.processes.setRange(1, max(1, os.cpu_count() or 1))
        self.processes.setToolTip("Generator processes (one per core passes one core's ceiling)")
        self.slo_p95 = _spin(1, 600_000, 200, " ms")
        self.slo_success = _spin(0.01, 100, 99, " %", 2)
        self.stop_p95_on = QCheckBox("Stop when p95 over")
        self.stop_p95 = _spin(1, 600_000, 1000, " ms")
        self.stop_err_on = QCheckBox("Stop when errors over")
        self.stop_err = _spin(0, 100, 5, " %", 1)
        self.stop_window = _spin(1, 3600, 5, " s")
        self.run_button = QPushButton("Run load test")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_requested.emit)

        target = QGroupBox("Target")
        tf = QFormLayout(target)
        tf.addRow("URL", self.url)
        tf.addRow("Method", self.method)
        load = QGroupBox("Load")
        lf = QFormLayout(load)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode, 1)
        mode_row.addWidget(self.peak_button)
        lf.addRow("Shape", mode_row)
        lf.addRow("", self.peak_note)
        lf.addRow("Rate", self.rate)
        lf.addRow("Duration", self.duration)
        lf.addRow("Stages", self.stages)
        lf.addRow("Arrivals", self.arrival)
        lf.addRow("Generators", self.processes)
        self._load_form = lf
        body = QGroupBox("Request body")
        bf = QFormLayout(body)
        bf.addRow("Body", self.body_mode)
        bf.addRow("JSON", self.body)
        rows_row = QHBoxLayout()
        rows_row.addWidget(self.rows_path, 1)
        rows_row.addWidget(self.rows_browse)
        bf.addRow("Rows", rows_row)
        bf.addRow("Timeout", self.timeout)
        slo = QGroupBox("SLO and stop rules")
        sf = QFormLayout(slo)
        sf.addRow("p95 below", self.slo_p95)
        sf.addRow("Success above", self.slo_success)
        sf.addRow(self.stop_p95_on, self.stop_p95)
        sf.addRow(self.stop_err_on, self.stop_err)
        sf.addRow("Over a window of", self.stop_window)
        for f in (tf, lf, bf, sf):
            f.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        for box in (target, load, body, slo):
            lay.addWidget(box)
        lay.addWidget(self.run_button)
        lay.addStretch(1)
        self.set_expected_qps(None)
        self._mode_changed()
        self._body_changed()

    # ------------------------------------------------------------------ state
    def set_expected_qps(self, qps: float | None) -> None:
        """The handoff's expected peak (requests/s), or None: enables the 10x preset."""
        self.expected_qps = float(qps) if qps else None
        self.peak_button.setEnabled(self.expected_qps is not None)
        if self.expected_qps is None:
            self.peak_note.setText("Enter the expected peak load on the Handoff tab to enable the 10x preset.")
            if self.mode.currentIndex() == MODE_PEAK:
                self.mode.setCurrentIndex(MODE_CONSTANT)
        else:
            self.peak_note.setText(f"Expected peak {self.expected_qps:g} req/s (Handoff): the preset holds "
                                   f"{10 * self.expected_qps:g} req/s after a short ramp.")

    def use_peak_preset(self) -> None:
        if self.expected_qps is not None:
            self.mode.setCurrentIndex(MODE_PEAK)

    def _mode_changed(self) -> None:
        mode = self.mode.currentIndex()
        if mode == MODE_PEAK and self.expected_qps is None:
            self.mode.setCurrentIndex(MODE_CONSTANT)
            return
        self._load_form.setRowVisible(self.rate, mode == MODE_CONSTANT)
        self._load_form.setRowVisible(self.duration, mode in (MODE_CONSTANT, MODE_PEAK))
        self._load_form.setRowVisible(self.stages, mode == MODE_STAGES)

    def _body_changed(self) -> None:
        mode = self.body_mode.currentIndex()
        self.body.setEnabled(mode == BODY_FIXED)
        self.rows_path.setEnabled(mode == BODY_ROWS)
        self.rows_browse.setEnabled(mode == BODY_ROWS)

    def _browse_rows(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Feature rows", "", "CSV (*.csv);;All files (*)")
        if path:
            self.rows_path.setText(path)

    # ------------------------------------------------------------------ plan
    def target_url(self) -> str:
        return self.url.text().strip()

    def plan(self) -> LoadPlan:
        """The plan these fields describe; raises :class:`PreflightError` naming a bad field."""
        url = self.target_url()
        if not url:
            raise PreflightError("enter the target URL")
        kw = dict(method=self.method.currentText(), arrival=self.arrival.currentData(),
                  timeout_ms=self.timeout.value(), processes=self.processes.value(),
                  slo_p95_ms=self.slo_p95.value(), slo_success_rate=self.slo_success.value() / 100.0,
                  stop_p95_ms=self.stop_p95.value() if self.stop_p95_on.isChecked() else None,
                  stop_error_pct=self.stop_err.value() if self.stop_err_on.isChecked() else None,
                  stop_window_s=self.stop_window.value())
        body_mode = self.body_mode.currentIndex()
        if body_mode == BODY_FIXED:
            text = self.body.toPlainText().strip()
            if not text:
                raise PreflightError("enter the fixed JSON body, or choose the demo model's body")
            kw["body"] = text
        elif body_mode == BODY_ROWS:
            path = self.rows_path.text().strip()
            if not path:
                raise PreflightError("choose the CSV of feature rows")
            kw["rows_csv"] = path
        mode = self.mode.currentIndex()
        if mode == MODE_PEAK and self.expected_qps is not None:
            plan = ten_x_peak_plan(url, self.expected_qps, self.duration.value(), **kw)
        elif mode == MODE_STAGES:
            plan = LoadPlan(url=url, stages=parse_stages(self.stages.toPlainText()), **kw)
        else:
            plan = constant_plan(url, self.rate.value(), self.duration.value(), **kw)
        return plan.validate()

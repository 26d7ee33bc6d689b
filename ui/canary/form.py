"""The Canary tab's setup form: behaviour (synthetic or replay), schedule, rule, guards and Monte Carlo runs.

It only collects values; :meth:`SetupForm.settings` turns them into a
:class:`core.canary.run.CanarySettings` (core checks them).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from core.canary.run import CanarySettings
from core.errors import PreflightError

LOG_FILTER = "Prediction logs (*.csv *.tsv *.csv.gz *.parquet *.xlsx *.jsonl *.ndjson *.json);;All files (*)"
RULE_LABELS = (("fisher", "Fisher exact, one-sided (default)"), ("sprt", "Wald SPRT"),
               ("msprt", "mSPRT (always-valid p)"), ("seed", "Article: 1.5x baseline"))
SCHEDULES = (("seed", "Article: +10% per step"), ("flagger", "Flagger: step / max weight"),
             ("custom", "Explicit weights"))


def _percent(value: float, decimals: int = 2, maximum: float = 100.0) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(0.0, maximum)
    box.setSuffix(" %")
    box.setValue(value)
    return box


def _ms(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.1, 600_000.0)
    box.setDecimals(1)
    box.setSuffix(" ms")
    box.setValue(value)
    return box


class LogPicker(QWidget):
    """A path field with a Browse... button."""

    def __init__(self, placeholder: str, parent=None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        button = QPushButton("Browse...")
        button.clicked.connect(self.browse)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(button)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a prediction log", "", LOG_FILTER)
        if path:
            self.edit.setText(path)

    @property
    def path(self) -> str:
        return self.edit.text().strip()


class SetupForm(QWidget):
    """Inputs of one canary simulation; ``run_requested`` when the user presses Run."""

    run_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.mode = QComboBox()
        self.mode.addItem("Synthetic traffic", "synthetic")
        self.mode.addItem("Replay two prediction logs", "replay")
        # synthetic
        self.baseline_error = _percent(1.0)
        self.candidate_error = _percent(5.0)
        self.latency_on = QCheckBox("Simulate latency")
        self.baseline_latency = _ms(100.0)
        self.candidate_latency = _ms(100.0)
        self.latency_cv = QDoubleSpinBox()
        self.latency_cv.setRange(0.0, 10.0)
        self.latency_cv.setSingleStep(0.1)
        self.latency_cv.setValue(0.5)
        self.degrade_on = QCheckBox("Candidate degrades from step")
        self.degrade_step = QSpinBox()
        self.degrade_step.setRange(1, 1000)
        self.degrade_step.setValue(4)
        self.degraded_error = _percent(5.0)
        syn = QWidget()
        sf = QFormLayout(syn)
        sf.setContentsMargins(0, 0, 0, 0)
        sf.addRow("Baseline error rate", self.baseline_error)
        sf.addRow("Candidate error rate", self.candidate_error)
        sf.addRow(self.latency_on)
        sf.addRow("Baseline / candidate latency", self._pair(self.baseline_latency, self.candidate_latency))
        sf.addRow("Latency CV", self.latency_cv)
        sf.addRow(self.degrade_on, self._pair(self.degrade_step, self.degraded_error))
        # replay
        self.baseline_log = LogPicker("baseline model's prediction log")
        self.candidate_log = LogPicker("candidate's log of the same requests")
        rep = QWidget()
        rf = QFormLayout(rep)
        rf.setContentsMargins(0, 0, 0, 0)
        rf.addRow("Baseline log", self.baseline_log)
        rf.addRow("Candidate log", self.candidate_log)
        self.behaviour = QStackedWidget()
        self.behaviour.addWidget(syn)
        self.behaviour.addWidget(rep)
        self.mode.currentIndexChanged.connect(self.behaviour.setCurrentIndex)
        # schedule and rule
        self.schedule = QComboBox()
        for key, label in SCHEDULES:
            self.schedule.addItem(label, key)
        self.weights = QLineEdit("5,10,25,50,100")
        self.weights.setToolTip("Candidate traffic share at each step, in percent")
        self.step_weight = _percent(5.0, 1)
        self.max_weight = _percent(50.0, 1)
        self.requests = QSpinBox()
        self.requests.setRange(1, 10_000_000)
        self.requests.setSingleStep(100)
        self.requests.setValue(500)
        self.requests.setToolTip("Requests per step, baseline plus candidate, split by the weight")
        self.rule = QComboBox()
        for key, label in RULE_LABELS:
            self.rule.addItem(label, key)
        self.alpha = QDoubleSpinBox()
        self.alpha.setDecimals(4)
        self.alpha.setRange(0.0001, 0.5)
        self.alpha.setSingleStep(0.005)
        self.alpha.setValue(0.01)
        self.min_samples = QSpinBox()
        self.min_samples.setRange(1, 1_000_000)
        self.min_samples.setValue(100)
        self.failure_limit = QSpinBox()
        self.failure_limit.setRange(0, 100)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_000_000_000)
        self.monte_carlo = QSpinBox()
        self.monte_carlo.setRange(0, 100_000)
        self.monte_carlo.setSingleStep(100)
        self.monte_carlo.setValue(500)
        self.monte_carlo.setSpecialValueText("off")
        self.monte_carlo.setToolTip("Also compare every rule over this many simulated rollouts (0: off)")
        self.schedule.currentIndexChanged.connect(self._schedule_changed)
        self.latency_on.toggled.connect(self._enable)
        self.degrade_on.toggled.connect(self._enable)
        self.run_button = QPushButton("Run simulation")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_requested)

        behaviour_box = QGroupBox("Behaviour")
        bl = QVBoxLayout(behaviour_box)
        bl.addWidget(self.mode)
        bl.addWidget(self.behaviour)
        rollout_box = QGroupBox("Rollout and decision")
        rf2 = QFormLayout(rollout_box)
        rf2.addRow("Schedule", self.schedule)
        rf2.addRow("Weights", self.weights)
        rf2.addRow("Step / max weight", self._pair(self.step_weight, self.max_weight))
        rf2.addRow("Requests per step", self.requests)
        rf2.addRow("Rule", self.rule)
        rf2.addRow("Alpha", self.alpha)
        rf2.addRow("Min samples / failure limit", self._pair(self.min_samples, self.failure_limit))
        rf2.addRow("Seed", self.seed)
        rf2.addRow("Monte Carlo runs", self.monte_carlo)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(behaviour_box)
        lay.addWidget(rollout_box)
        lay.addWidget(self.run_button)
        lay.addStretch(1)
        self._schedule_changed()
        self._enable()

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(a)
        lay.addWidget(b)
        return w

    def _schedule_changed(self) -> None:
        key = self.schedule.currentData()
        self.weights.setEnabled(key == "custom")
        self.step_weight.setEnabled(key == "flagger")
        self.max_weight.setEnabled(key == "flagger")

    def _enable(self) -> None:
        on = self.latency_on.isChecked()
        for w in (self.baseline_latency, self.candidate_latency, self.latency_cv):
            w.setEnabled(on)
        self.degrade_step.setEnabled(self.degrade_on.isChecked())
        self.degraded_error.setEnabled(self.degrade_on.isChecked())

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def settings(self) -> CanarySettings:
        key = self.schedule.currentData()
        spec = self.weights.text().strip() if key == "custom" else key
        common = dict(rule=self.rule.currentData(), alpha=self.alpha.value(), schedule=spec,
                      requests_per_step=self.requests.value(), step_weight=self.step_weight.value(),
                      max_weight=self.max_weight.value(), min_samples=self.min_samples.value(),
                      failure_limit=self.failure_limit.value(), seed=self.seed.value(),
                      monte_carlo=self.monte_carlo.value())
        if self.mode.currentData() == "replay":
            if not (self.baseline_log.path and self.candidate_log.path):
                raise PreflightError("choose both prediction logs: the baseline's and the candidate's")
            return CanarySettings(baseline_log=self.baseline_log.path or None,
                                  candidate_log=self.candidate_log.path or None, **common)
        latency = self.latency_on.isChecked()
        degrade = self.degrade_on.isChecked()
        return CanarySettings(
            baseline_error=self.baseline_error.value() / 100, candidate_error=self.candidate_error.value() / 100,
            baseline_latency_ms=self.baseline_latency.value() if latency else None,
            candidate_latency_ms=self.candidate_latency.value() if latency else None,
            latency_cv=self.latency_cv.value(), degrade_from_step=self.degrade_step.value() if degrade else None,
            degraded_error=self.degraded_error.value() / 100 if degrade else None, **common)

"""The drift options box: method, threshold, dataset drift share, multivariate, and the Run button."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QLineEdit,
                               QPushButton)

from core.drift.run import DRIFT_METHODS, DriftSettings
from core.errors import PreflightError
from ui.drift.model import method_label

METHOD_TIPS = {
    "auto": "KS / chi-square (p-values, Benjamini-Hochberg adjusted) up to 1,000 reference values, "
            "Wasserstein / Jensen-Shannon effect sizes above",
    "psi": "Population Stability Index; drift at 0.2 (PSI bands: stable below 0.1, major above 0.25)",
    "ks": "Kolmogorov-Smirnov test on numeric columns; drift when the adjusted p-value < 0.05",
    "wasserstein": "Wasserstein distance / reference std on numeric columns; drift at 0.1",
    "jensenshannon": "Jensen-Shannon distance; drift at 0.1",
    "chi2": "Chi-square test on categorical columns; drift when the adjusted p-value < 0.05",
}


class DriftOptions(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Drift", parent)
        self.method = QComboBox()
        for m in DRIFT_METHODS:
            self.method.addItem(method_label(m), m)
            self.method.setItemData(self.method.count() - 1, METHOD_TIPS[m], 3)  # 3 = Qt.ToolTipRole
        self.method.setToolTip("The statistic that decides each column's verdict")
        self.threshold = QLineEdit()
        self.threshold.setPlaceholderText("default")
        self.threshold.setToolTip("Replaces the method's default threshold; leave blank for the default")
        self.threshold.setMaximumWidth(80)
        self.share = QDoubleSpinBox()
        self.share.setRange(0.05, 1.0)
        self.share.setSingleStep(0.05)
        self.share.setDecimals(2)
        self.share.setValue(0.5)
        self.share.setToolTip("The dataset drifts when at least this share of the analysed columns drift")
        self.multivariate = QCheckBox("Multivariate")
        self.multivariate.setChecked(True)
        self.multivariate.setToolTip("Also train a classifier to tell reference rows from current rows (AUC)")
        self.run_button = QPushButton("Run drift")
        self.run_button.setMinimumHeight(34)
        self.run_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 14px; }")
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setVerticalSpacing(3)
        grid.addWidget(QLabel("Method"), 0, 0)
        grid.addWidget(self.method, 0, 1)
        grid.addWidget(QLabel("Threshold"), 0, 2)
        grid.addWidget(self.threshold, 0, 3)
        grid.addWidget(QLabel("Drift share"), 1, 0)
        grid.addWidget(self.share, 1, 1)
        grid.addWidget(self.multivariate, 1, 2, 1, 2)
        grid.addWidget(self.run_button, 0, 4, 2, 1)
        grid.setColumnStretch(1, 1)

    def set_default_share(self, value) -> None:
        """Use the assessment's stored dataset drift share as the box's value."""
        try:
            share = float(value)
        except (TypeError, ValueError):
            return
        self.share.setValue(share)
        self.share.setToolTip("The dataset drifts when at least this share of the analysed columns drift "
                              f"(the assessment's setting: {100 * share:g}%)")

    def threshold_value(self) -> float | None:
        text = self.threshold.text().strip().replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise PreflightError(f"threshold {text!r} is not a number (leave it blank for the default)") from None

    def settings(self, kind_overrides: dict | None = None) -> DriftSettings:
        return DriftSettings(method=self.method.currentData(), threshold=self.threshold_value(),
                             drift_share=round(self.share.value(), 4), multivariate=self.multivariate.isChecked(),
                             kind_overrides=dict(kind_overrides or {}))

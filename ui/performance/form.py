"""The Performance tab's setup form: the log, its column mapping, the window, the baseline and the threshold."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QWidget)

from core.errors import PreflightError
from core.performance.run import PerformanceSettings

AUTO = "(auto-detect)"
NONE = "(none)"
ROLES = (("timestamp", "Timestamp"), ("y_true", "Label (y_true)"), ("y_pred", "Prediction (y_pred)"),
         ("y_score", "Score / probability"))


class SetupForm(QWidget):
    run_requested = Signal()
    columns_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.path = QLineEdit()
        self.path.setPlaceholderText("prediction log (CSV, Parquet, ...)")
        self.path.editingFinished.connect(lambda: self.columns_requested.emit(self.path.text().strip()))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.combos = {}
        for role, _label in ROLES:
            box = QComboBox()
            box.addItem(AUTO)
            self.combos[role] = box
        self.segment = QComboBox()
        self.segment.addItem(NONE)
        self.proba_prefix = QLineEdit()
        self.proba_prefix.setPlaceholderText("auto: proba_<class>, prob_<class>, score_<class>")
        self.proba_prefix.setToolTip("per-class probability columns are this prefix followed by the class "
                                     "(multiclass ROC AUC, one-vs-rest)")
        self.window = QLineEdit("1D")
        self.window.setToolTip("a time period (1D, 7D, 12h) or a number of rows")
        self.baseline_mode = QComboBox()
        self.baseline_mode.addItems(["First N windows", "Entered numbers"])
        self.baseline_windows = QSpinBox()
        self.baseline_windows.setRange(1, 1000)
        self.baseline_numbers = QLineEdit()
        self.baseline_numbers.setPlaceholderText("accuracy=0.92, precision=0.89, recall=0.88, f1=0.885")
        self.baseline_mode.currentIndexChanged.connect(self._mode_changed)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.5, 90.0)
        self.threshold.setValue(5.0)
        self.threshold.setSuffix(" %")
        self.min_labels = QSpinBox()
        self.min_labels.setRange(1, 100000)
        self.min_labels.setValue(30)
        self.run_button = QPushButton("Evaluate")
        self.run_button.clicked.connect(self.run_requested.emit)
        form = QFormLayout(self)
        form.addRow("Log", row)
        for role, label in ROLES:
            form.addRow(label, self.combos[role])
        form.addRow("Class probabilities", self.proba_prefix)
        form.addRow("Segment", self.segment)
        form.addRow("Window", self.window)
        form.addRow("Baseline", self.baseline_mode)
        form.addRow("Baseline windows", self.baseline_windows)
        form.addRow("Baseline metrics", self.baseline_numbers)
        form.addRow("Alert threshold", self.threshold)
        form.addRow("Labels per window", self.min_labels)
        form.addRow(self.run_button)
        self._mode_changed()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Prediction log", "", "Tables (*.csv *.parquet *.tsv *.json "
                                              "*.jsonl *.xlsx);;All files (*)")
        if path:
            self.path.setText(path)
            self.columns_requested.emit(path)

    def _mode_changed(self) -> None:
        numbers = self.baseline_mode.currentIndex() == 1
        self.baseline_numbers.setEnabled(numbers)
        self.baseline_windows.setEnabled(not numbers)

    def set_columns(self, columns: list[str], detected: dict) -> None:
        """Offer the log's columns in every mapping box, the auto-detected one shown in the first entry."""
        for role, box in self.combos.items():
            box.clear()
            found = detected.get(role)
            box.addItem(f"{AUTO}: {found}" if found else AUTO, None)
            for c in columns:
                box.addItem(c, c)
        self.segment.clear()
        self.segment.addItem(NONE, None)
        for c in columns:
            self.segment.addItem(c, c)
        guess = self.segment.findData("segment")
        if guess >= 0:
            self.segment.setCurrentIndex(guess)

    def baseline(self) -> dict | None:
        if self.baseline_mode.currentIndex() == 0:
            return None
        out = {}
        for part in self.baseline_numbers.text().replace(";", ",").split(","):
            if not part.strip():
                continue
            name, _, value = part.partition("=")
            try:
                out[name.strip()] = float(value)
            except ValueError:
                raise PreflightError(f"baseline {part.strip()!r} is not metric=number") from None
        if not out:
            raise PreflightError("enter the baseline metrics, e.g. accuracy=0.92, f1=0.885")
        return out

    def settings(self) -> tuple[str, PerformanceSettings]:
        path = self.path.text().strip()
        if not path:
            raise PreflightError("choose a prediction log first")
        baseline = self.baseline()
        cols = {role: box.currentData() for role, box in self.combos.items()}
        return path, PerformanceSettings(
            window=self.window.text().strip() or "1D", baseline=baseline,
            baseline_windows=None if baseline else self.baseline_windows.value(),
            threshold=self.threshold.value() / 100.0, min_labels=self.min_labels.value(),
            segment=self.segment.currentData(), timestamp_col=cols["timestamp"], y_true_col=cols["y_true"],
            y_pred_col=cols["y_pred"], score_col=cols["y_score"],
            proba_prefix=self.proba_prefix.text().strip() or None)

"""Score panel: weighted score, completion, ready badge, blockers and the ML Test Score chart."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QListView, QVBoxLayout, QWidget

from core.assessment.checklist import Score
from ui.common.charts import bar_chart, make_plot

READY_STYLE = "background:#1b7f3b;color:white;border-radius:6px;padding:6px 12px;font-weight:bold;font-size:15px"
NOT_READY_STYLE = "background:#cf222e;color:white;border-radius:6px;padding:6px 12px;font-weight:bold;font-size:15px"


class ScorePanel(QWidget):
    blocker_clicked = Signal(str, str)  # category, name

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.badge = QLabel("")
        self.badge.setAlignment(Qt.AlignCenter)
        self.badge.setObjectName("readyBadge")
        self.badge.setFixedHeight(44)
        lay.addWidget(self.badge)
        grid = QGridLayout()
        self.weighted = QLabel("-")
        self.weighted.setStyleSheet("font-size:26px;font-weight:bold")
        self.completion = QLabel("-")
        self.completion.setStyleSheet("font-size:18px")
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color:#57606a")
        grid.addWidget(QLabel("Weighted score"), 0, 0)
        grid.addWidget(self.weighted, 1, 0)
        grid.addWidget(QLabel("Completion"), 0, 1)
        grid.addWidget(self.completion, 1, 1)
        lay.addLayout(grid)
        lay.addWidget(self.detail)
        line = QFrame()
        line.setFrameShape(QFrame.HLine)
        lay.addWidget(line)
        self.blockers_title = QLabel("Critical blockers")
        self.blockers_title.setStyleSheet("font-weight:bold")
        lay.addWidget(self.blockers_title)
        self.blockers_model = QStringListModel(self)
        self.blockers = QListView()
        self.blockers.setModel(self.blockers_model)
        self.blockers.setEditTriggers(QListView.NoEditTriggers)
        self.blockers.setMaximumHeight(150)
        self.blockers.clicked.connect(self._clicked)
        lay.addWidget(self.blockers)
        self.mlts_title = QLabel("")
        self.mlts_title.setWordWrap(True)
        self.mlts_title.setStyleSheet("font-weight:bold")
        lay.addWidget(self.mlts_title)
        self.mlts_plot = make_plot(left="", bottom="section score (0-7)")
        self.mlts_plot.setMinimumHeight(170)
        lay.addWidget(self.mlts_plot, 1)
        self.spacer = QWidget()
        lay.addWidget(self.spacer, 1)
        self._blocker_keys: list[tuple[str, str]] = []

    def show_score(self, score: Score) -> None:
        self.badge.setText("READY" if score.ready else "NOT READY")
        self.badge.setStyleSheet(READY_STYLE if score.ready else NOT_READY_STYLE)
        self.badge.setToolTip("; ".join(score.reasons))
        self.weighted.setText(f"{score.weighted_score:.2f}")
        self.completion.setText(f"{score.completion:.2f}%")
        self.detail.setText(f"Threshold {score.readiness_threshold:g}. " + "; ".join(score.reasons) + ".")
        self._blocker_keys = [(b["category"], b["name"]) for b in score.critical_blockers]
        self.blockers_title.setText(f"Critical blockers ({len(self._blocker_keys)})")
        self.blockers_model.setStringList([f"{c}: {n}" for c, n in self._blocker_keys])
        mlts = score.ml_test_score
        self.mlts_plot.setVisible(mlts is not None)
        self.spacer.setVisible(mlts is None)
        if mlts is None:
            self.mlts_title.setText("ML Test Score: no item carries a maturity (use the ml-test-score-2017 template).")
            return
        self.mlts_title.setText(f"ML Test Score (2017 rubric): final {mlts.final:g} - {mlts.band}")
        names = list(mlts.sections)
        values = [mlts.sections[n] for n in names]
        colours = [(207, 34, 46, 200) if v == mlts.final else (31, 119, 180, 200) for v in values]
        bar_chart(self.mlts_plot, names, values, colours=colours, horizontal=True)
        self.mlts_plot.setXRange(0, 7, padding=0.02)

    def _clicked(self, index) -> None:
        if 0 <= index.row() < len(self._blocker_keys):
            self.blocker_clicked.emit(*self._blocker_keys[index.row()])

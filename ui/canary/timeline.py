"""The canary timeline: traffic split, error rates with 95 % bands and decisions, latency per step.

Three stacked plots over the same steps (each given the same x range: linked views would
misalign while the latency plot is hidden).  :meth:`Timeline.show_steps` draws the step log
either at once or step by step (a timer reveals one more step every ``STEP_MS``), so a run
plays back like the rollout it simulates.  Everything drawn comes from core's step log.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.common.charts import CURRENT_COLOUR, REFERENCE_COLOUR, make_plot, pg

STEP_MS = 140
DECISION_BRUSH = {"rollback": (207, 34, 46), "pause": (154, 103, 0), "promote": (26, 127, 55),
                  "continue": (110, 119, 129), "start": (110, 119, 129)}
BASE_PEN = pg.mkPen(REFERENCE_COLOUR[:3], width=2)
CAND_PEN = pg.mkPen(CURRENT_COLOUR[:3], width=2)


def _rate(side: dict, key: str) -> float:
    v = (side or {}).get(key)
    return np.nan if v is None else 100.0 * float(v)


def _lat(side: dict, key: str) -> float:
    lat = (side or {}).get("latency_ms") or {}
    v = lat.get(key)
    return np.nan if v is None else float(v)


class Timeline(QWidget):
    """The three plots; ``finished`` once the last step is drawn."""

    finished = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.split_plot = make_plot("Candidate share of traffic by step", "%")
        self.error_plot = make_plot("Error rate after each step (cumulative, 95% band)", "%")
        self.latency_plot = make_plot("Latency per step (median, bar from p25 to p75)", "ms", "step")
        self.split_plot.setYRange(0, 100, padding=0.05)
        for p in (self.split_plot, self.error_plot, self.latency_plot):
            p.addLegend(offset=(8, 4), labelTextSize="8pt")
            p.getAxis("left").enableAutoSIPrefix(False)
            p.getAxis("left").setWidth(48)
        self.split_plot.getAxis("bottom").setTicks(None)
        self.split_curve = self.split_plot.plot([], [], pen=pg.mkPen((87, 96, 106), width=2), stepMode="center",
                                                name="candidate weight")
        self.base_curve = self.error_plot.plot([], [], pen=BASE_PEN, symbol="o", symbolSize=5,
                                               symbolBrush=REFERENCE_COLOUR[:3], name="baseline")
        self.cand_curve = self.error_plot.plot([], [], pen=CAND_PEN, symbol="o", symbolSize=5,
                                               symbolBrush=CURRENT_COLOUR[:3], name="candidate")
        self.bands = []
        for colour, curve in ((REFERENCE_COLOUR, self.base_curve), (CURRENT_COLOUR, self.cand_curve)):
            lo = pg.PlotDataItem([], [], pen=pg.mkPen(None))
            hi = pg.PlotDataItem([], [], pen=pg.mkPen(None))
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(*colour[:3], 45))
            self.error_plot.addItem(lo)
            self.error_plot.addItem(hi)
            self.error_plot.addItem(fill)
            self.bands.append((lo, hi))
        self.markers = pg.ScatterPlotItem(size=13, symbol="t", pen=pg.mkPen("w"))
        self.error_plot.addItem(self.markers)
        self.marker_text = pg.TextItem("", anchor=(0.5, 1.2))
        self.error_plot.addItem(self.marker_text)
        self.lat_base = pg.ErrorBarItem(x=np.array([]), y=np.array([]), pen=pg.mkPen(REFERENCE_COLOUR[:3], width=6),
                                        beam=0)
        self.lat_cand = pg.ErrorBarItem(x=np.array([]), y=np.array([]), pen=pg.mkPen(CURRENT_COLOUR[:3], width=6),
                                        beam=0)
        self.latency_plot.addItem(self.lat_base)
        self.latency_plot.addItem(self.lat_cand)
        self.lat_base_med = self.latency_plot.plot([], [], pen=None, symbol="s", symbolSize=7,
                                                   symbolBrush=REFERENCE_COLOUR[:3], symbolPen=REFERENCE_COLOUR[:3],
                                                   name="baseline")
        self.lat_cand_med = self.latency_plot.plot([], [], pen=None, symbol="s", symbolSize=7,
                                                   symbolBrush=CURRENT_COLOUR[:3], symbolPen=CURRENT_COLOUR[:3],
                                                   name="candidate")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.split_plot, 2)
        lay.addWidget(self.error_plot, 3)
        lay.addWidget(self.latency_plot, 2)
        self.steps: list[dict] = []
        self.shown = 0
        self.timer = QTimer(self)
        self.timer.setInterval(STEP_MS)
        self.timer.timeout.connect(self._tick)

    @property
    def animating(self) -> bool:
        return self.timer.isActive()

    def show_steps(self, steps: list[dict] | None, animate: bool = True) -> None:
        self.timer.stop()
        self.steps = list(steps or [])
        n = len(self.steps)
        for p in (self.split_plot, self.error_plot, self.latency_plot):
            p.setXRange(0.5, max(n, 1) + 0.5, padding=0.02)
        ticks = [[(float(k), str(k)) for k in range(1, n + 1)]] if 0 < n <= 40 else None
        for p in (self.split_plot, self.error_plot, self.latency_plot):
            p.getAxis("bottom").setTicks(ticks)
        self.latency_plot.setVisible(self.has_latency())
        if n == 0:
            self.error_plot.setYRange(0, 5, padding=0)
        else:
            self.error_plot.enableAutoRange(axis="y")
            self.latency_plot.enableAutoRange(axis="y")
        if animate and n > 1:
            self.shown = 1
            self._draw()
            self.timer.start()
        else:
            self.shown = n
            self._draw()
            self.finished.emit()

    def finish(self) -> None:
        """Draw every step now (stop the playback)."""
        if self.timer.isActive():
            self.timer.stop()
            self.shown = len(self.steps)
            self._draw()
            self.finished.emit()

    def _tick(self) -> None:
        self.shown += 1
        self._draw()
        if self.shown >= len(self.steps):
            self.timer.stop()
            self.finished.emit()

    def _draw(self) -> None:
        steps = self.steps[: self.shown]
        x = np.arange(1, len(steps) + 1, dtype=float)
        weights = np.array([100.0 * s["weight"] for s in steps])
        if len(steps):
            self.split_curve.setData(np.append(x - 0.5, x[-1] + 0.5), weights)
        else:
            self.split_curve.setData([], [])
        sides = (("baseline", self.base_curve, self.bands[0]), ("candidate", self.cand_curve, self.bands[1]))
        for side, curve, (lo, hi) in sides:
            rate = np.array([_rate(s[side], "error_rate") for s in steps])
            keep = ~np.isnan(rate)
            curve.setData(x[keep], rate[keep])
            lo.setData(x[keep], np.array([_rate(s[side], "ci_low") for s in steps])[keep])
            hi.setData(x[keep], np.array([_rate(s[side], "ci_high") for s in steps])[keep])
        self._draw_markers(steps, x)
        self._draw_latency(steps, x)

    def _draw_markers(self, steps, x) -> None:
        spots = []
        for xi, s in zip(x, steps):
            if s["state"] != "check" and s["decision"] not in ("pause", "rollback", "promote"):
                continue
            y = _rate(s["candidate"], "error_rate")
            brush = DECISION_BRUSH.get(s["decision"], DECISION_BRUSH["continue"])
            if s.get("failed") and s["decision"] == "continue":
                brush = DECISION_BRUSH["pause"]
            spots.append({"pos": (xi, 0.0 if np.isnan(y) else y), "brush": pg.mkBrush(*brush),
                          "size": 15 if s["decision"] in ("rollback", "pause", "promote") else 9,
                          "data": s["decision"]})
        self.markers.setData(spots)
        final = steps[-1] if steps and self.shown == len(self.steps) else None
        if final is not None and final["decision"] in ("rollback", "pause", "promote"):
            y = _rate(final["candidate"], "error_rate")
            self.marker_text.setText(final["decision"], color=DECISION_BRUSH[final["decision"]])
            self.marker_text.setPos(x[-1], 0.0 if np.isnan(y) else y)
        else:
            self.marker_text.setText("")

    def _draw_latency(self, steps, x) -> None:
        for side, bars, med, offset in (("baseline", self.lat_base, self.lat_base_med, -0.12),
                                        ("candidate", self.lat_cand, self.lat_cand_med, 0.12)):
            p25 = np.array([_lat(s[side], "p25") for s in steps])
            p50 = np.array([_lat(s[side], "p50") for s in steps])
            p75 = np.array([_lat(s[side], "p75") for s in steps])
            keep = ~np.isnan(p50)
            xs = x[keep] + offset
            bars.setData(x=xs, y=p50[keep], top=(p75 - p50)[keep], bottom=(p50 - p25)[keep])
            med.setData(xs, p50[keep])

    def has_latency(self) -> bool:
        return any((s["baseline"] or {}).get("latency_ms") for s in self.steps)

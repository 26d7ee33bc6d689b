"""The load test's per-second charts: throughput and p50/p95/p99 latency, drawn live while a run goes and
again from a stored run's timeline.

Every point is a timeline entry of :mod:`core.load.result` (``t``, ``sent``, ``completed``, ``errors``,
``throughput``, ``p50_ms``, ``p95_ms``, ``p99_ms``); the widget only draws them.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from core.load.result import per_second
from ui.common.charts import make_plot, pg

SERIES_THROUGHPUT = (("throughput", "completed/s", (31, 119, 180)), ("sent", "sent/s", (140, 140, 140)),
                     ("errors", "errors/s", (207, 34, 46)))
SERIES_LATENCY = (("p50_ms", "p50", (26, 127, 55)), ("p95_ms", "p95", (255, 127, 14)),
                  ("p99_ms", "p99", (130, 80, 223)))
EMPTY_SECONDS = 10
MAX_DOTS = 180  # longer runs are drawn as lines only (a dot per second would cost more than the line)


def _value(point: dict, key: str) -> float:
    v = per_second(point, key)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


class LiveCharts(QWidget):
    """Two plots over the run's seconds; :meth:`add_point` appends one second, :meth:`set_timeline` all."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points: list[dict] = []
        self.throughput_plot = make_plot("Throughput per second", "requests/s", "second")
        self.latency_plot = make_plot("Latency per second (from the intended send time)", "ms", "second")
        self.curves = {}
        for plot, series in ((self.throughput_plot, SERIES_THROUGHPUT), (self.latency_plot, SERIES_LATENCY)):
            plot.addLegend(offset=(8, 2), labelTextSize="8pt", colCount=len(series))
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            for key, name, colour in series:
                width = 1 if key == "sent" else 2
                style = Qt.DashLine if key == "sent" else Qt.SolidLine
                self.curves[key] = plot.plot([], [], pen=pg.mkPen(colour, width=width, style=style), name=name,
                                             symbol="o", symbolSize=4, symbolBrush=colour, symbolPen=None)
        self.slo_line = pg.InfiniteLine(angle=0, pen=pg.mkPen((207, 34, 46), width=1, style=Qt.DashLine),
                                        label="SLO p95", labelOpts={"position": 0.95, "color": (207, 34, 46),
                                                                    "anchors": [(1, 1), (1, 1)]})
        self.slo_line.setVisible(False)
        self.latency_plot.addItem(self.slo_line)
        self.caption = QLabel("Run a load test: its throughput and latency appear here second by second.")
        self.caption.setWordWrap(True)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.throughput_plot)
        split.addWidget(self.latency_plot)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.caption)
        lay.addWidget(split, 1)
        self.set_duration(EMPTY_SECONDS)

    def clear(self, caption: str = "") -> None:
        self.points = []
        self._redraw()
        self.set_duration(EMPTY_SECONDS)  # an empty chart reads as seconds, not as 0.1 ... 0.9
        if caption:
            self.caption.setText(caption)

    def set_slo(self, p95_ms: float | None) -> None:
        self.slo_line.setVisible(bool(p95_ms))
        if p95_ms:
            self.slo_line.setValue(float(p95_ms))
            self.slo_line.label.setFormat(f"SLO p95 {float(p95_ms):g} ms")

    def set_duration(self, seconds: float | None) -> None:
        """Fix the time axis to a run's planned length (None: fit the points)."""
        for plot in (self.throughput_plot, self.latency_plot):
            if seconds:
                plot.setXRange(0, max(1.0, float(seconds)), padding=0.02)
            else:
                plot.enableAutoRange(axis="x")

    def add_point(self, point: dict) -> None:
        """One more second of a running test (a newer point for a second already drawn replaces it)."""
        if self.points and point.get("t") == self.points[-1].get("t"):
            self.points[-1] = dict(point)
        else:
            self.points.append(dict(point))
        self._redraw()
        last = self.points[-1]
        p95, rate = _value(last, "p95_ms"), _value(last, "throughput")
        self.caption.setText(f"Running: second {int(_value(last, 't')) + 1 if last.get('t') is not None else '?'}, "
                             + ("n/a" if math.isnan(rate) else f"{rate:.0f}") + " completed/s, p95 "
                             + ("n/a" if math.isnan(p95) else f"{p95:.1f} ms"))

    def set_timeline(self, timeline: list[dict], caption: str = "") -> None:
        self.points = [dict(p) for p in timeline or []]
        self._redraw()
        self.caption.setText(caption or (f"{len(self.points)} seconds of the run." if self.points
                                         else "This run has no per-second timeline."))

    def _redraw(self) -> None:
        xs = [_value(p, "t") for p in self.points]
        dots = len(self.points) <= MAX_DOTS
        for plot, series in ((self.throughput_plot, SERIES_THROUGHPUT), (self.latency_plot, SERIES_LATENCY)):
            top = 0.0
            for key, _name, _colour in series:
                curve = self.curves[key]
                if dots != (curve.opts.get("symbol") is not None):
                    curve.setSymbol("o" if dots else None)
                ys = [_value(p, key) for p in self.points]
                curve.setData(xs, ys, connect="finite")
                top = max([top] + [y for y in ys if y == y])
            if plot is self.latency_plot and self.slo_line.isVisible():
                top = max(top, self.slo_line.value())
            # from zero, with room above the highest point for the legend
            plot.setYRange(0, top * 1.3 if top > 0 else 1.0, padding=0)

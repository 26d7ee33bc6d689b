"""A finished load test: the latency histogram with its percentile lines, the verdict card and the summary
table.  Everything shown is read from a :class:`core.load.result.LoadResult` dict; nothing is computed here
beyond formatting.
"""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

from ui.common.charts import make_plot, pg, plain_log_ticks
from ui.common.table_models import ListTableModel

READY_STYLE = "background:#dafbe1;color:#1f2328;padding:8px;border:1px solid #1a7f37"
NOT_READY_STYLE = "background:#ffebe9;color:#1f2328;padding:8px;border:1px solid #cf222e"
EMPTY_STYLE = "background:#f6f8fa;color:#57606a;padding:8px;border:1px solid #d0d7de"
WARN_COLOUR = "#9a6700"

PERCENTILE_LINES = (("p50_ms", "p50", (26, 127, 55)), ("p95_ms", "p95", (255, 127, 14)),
                    ("p99_ms", "p99", (130, 80, 223)), ("p999_ms", "p99.9", (87, 96, 106)))


def _ms(v) -> str:
    return "n/a" if v is None else f"{float(v):,.1f} ms"


def _num(v, fmt: str = ",.0f") -> str:
    return "n/a" if v is None else format(float(v), fmt)


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * float(v):.2f}%"


class HistogramChart:
    """The intended-time latency histogram on a log-scaled axis, with p50/p95/p99/p99.9 and the SLO marked."""

    def __init__(self):
        self.plot = make_plot("Latency histogram (from the intended send time)", "requests",
                              "latency (ms, log scale)")
        self.plot.setLogMode(x=True, y=False)
        plain_log_ticks(self.plot)
        self.curve = self.plot.plot([], [], stepMode="center", fillLevel=0, brush=(31, 119, 180, 110),
                                    pen=pg.mkPen((31, 119, 180), width=1))
        self.lines: dict[str, pg.InfiniteLine] = {}
        for key, name, colour in PERCENTILE_LINES:
            line = pg.InfiniteLine(angle=90, pen=pg.mkPen(colour, width=1.5), label=name,
                                   labelOpts={"position": 0.92, "color": colour, "rotateAxis": (1, 0),
                                              "anchors": [(0, 0), (0, 0)]})
            line.setVisible(False)
            self.plot.addItem(line)
            self.lines[key] = line
        self.slo_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((207, 34, 46), width=1.5, style=Qt.DashLine),
                                        label="SLO", labelOpts={"position": 0.75, "color": (207, 34, 46)})
        self.slo_line.setVisible(False)
        self.plot.addItem(self.slo_line)

    @property
    def bars(self) -> int:
        """How many histogram buckets are drawn."""
        _x, y = self.curve.getData()
        return 0 if y is None else len(y)

    def show(self, result: dict | None) -> None:
        hist = (result or {}).get("histogram") or {}
        bounds = np.asarray(hist.get("bounds_ms") or [], dtype=float)
        counts = np.asarray(hist.get("counts") or [], dtype=float)
        if len(counts) and len(bounds) == len(counts) + 1:
            bounds = bounds.copy()
            if bounds[0] <= 0:  # the first bucket starts at 0, which a log axis cannot place
                bounds[0] = bounds[1] / 2 if len(bounds) > 1 and bounds[1] > 0 else 1e-3
            self.curve.setData(bounds, counts, stepMode="center", fillLevel=0, brush=(31, 119, 180, 110))
        else:
            self.curve.setData([], [])
        shown = len(counts) > 0
        for key, line in self.lines.items():
            value = (result or {}).get(key)
            ok = shown and value is not None and float(value) > 0
            if ok:
                line.setValue(math.log10(float(value)))
            line.setVisible(ok)
        slo = ((result or {}).get("slo") or {}).get("p95_ms")
        if shown and slo:
            self.slo_line.setValue(math.log10(float(slo)))
        self.slo_line.setVisible(bool(shown and slo))
        self.plot.enableAutoRange()
        if shown:
            self._ticks(bounds[0], max(bounds[-1], float(slo or 0)))

    def _ticks(self, low: float, high: float) -> None:
        """Plain millisecond labels (1, 2, 5, 10, 20, 50, ...) on the log axis instead of powers of ten."""
        ticks, minor = [], []
        for exp in range(math.floor(math.log10(max(low, 1e-3))), math.ceil(math.log10(max(high, 1e-3))) + 1):
            for mant in range(1, 10):
                v = mant * 10.0 ** exp
                if low / 1.5 <= v <= high * 1.5:
                    (ticks if mant in (1, 2, 5) else minor).append((math.log10(v), f"{v:g}" if mant in (1, 2, 5)
                                                                   else ""))
        self.plot.getAxis("bottom").setTicks([ticks, minor])


def verdict_html(result: dict) -> str:
    """The verdict card's text: production ready or not, why, and what to be wary of."""
    slo = result.get("slo") or {}
    ready = bool(result.get("production_ready"))
    head = "Production ready" if ready else "Not production ready"
    bar = (f"SLO: p95 below {float(slo.get('p95_ms', 200)):g} ms and success rate above "
           f"{100 * float(slo.get('success_rate', 0.99)):g}%")
    parts = [f"<b style='font-size:13pt'>{head}</b> &nbsp; <span>{html.escape(bar)}</span>"]
    reasons = result.get("verdict_reasons") or []
    if reasons:
        parts.append("<ul style='margin:2px 0 2px -20px'>"
                     + "".join(f"<li>{html.escape(str(r))}</li>" for r in reasons) + "</ul>")
    if result.get("stopped_early"):
        parts.append(f"<b>Stopped early:</b> {html.escape(str(result.get('stop_reason') or 'a stop rule fired'))}")
    notes = list(result.get("generator_notes") or [])
    if result.get("generator_limited") or notes:
        head = "Generator health: the load generator limited this run" if result.get("generator_limited") \
            else "Generator health"
        parts.append(f"<span style='color:{WARN_COLOUR}'><b>{head}</b>"
                     + ("".join(f"<br>⚠ {html.escape(str(n))}" for n in notes)) + "</span>")
    source = result.get("source") or {}
    if source.get("tool") and source.get("tool") != "preflight":
        parts.append(f"<i>Imported from {html.escape(str(source.get('tool')))} "
                     f"{html.escape(str(source.get('version') or ''))}: "
                     f"{html.escape(str(source.get('meaning') or ''))}</i>")
    return "<br>".join(parts)


class VerdictCard(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("loadVerdict")
        self.setWordWrap(True)
        self.setTextFormat(Qt.RichText)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)  # never squeezed below its text
        self.show_result(None)

    def show_result(self, result: dict | None) -> None:
        if result is None:
            self.setStyleSheet(EMPTY_STYLE)
            self.setText("No load test yet: the verdict (production ready or not, and why) appears here.")
            return
        self.setStyleSheet(READY_STYLE if result.get("production_ready") else NOT_READY_STYLE)
        self.setText(verdict_html(result))


def summary_rows(result: dict | None) -> list[tuple[str, str]]:
    """(measure, value) rows of a load-test result, formatted for the table."""
    if not result:
        return []
    r = result
    rows = [("Requests", _num(r.get("requests"))), ("Errors", _num(r.get("errors"))),
            ("Success rate", _pct(r.get("success_rate"))),
            ("Target rate", f"{_num(r.get('target_rate'), ',.1f')} /s"),
            ("Achieved rate", f"{_num(r.get('achieved_rate'), ',.1f')} /s"),
            ("Sends more than 1 ms late", _num(r.get("late_sends"))),
            ("In-flight cap reached", _num(r.get("in_flight_cap_hits")))]
    for key, name in (("p50_ms", "p50"), ("p90_ms", "p90"), ("p95_ms", "p95"), ("p99_ms", "p99"),
                      ("p999_ms", "p99.9"), ("max_ms", "max"), ("mean_ms", "mean")):
        rows.append((f"Latency {name} (intended send)", _ms(r.get(key))))
    for key, name in (("service_p50_ms", "p50"), ("service_p95_ms", "p95"), ("service_p99_ms", "p99"),
                      ("service_max_ms", "max")):
        rows.append((f"Service time {name} (actual send)", _ms(r.get(key))))
    for code, n in sorted((r.get("status_counts") or {}).items()):
        rows.append((f"HTTP {code}", _num(n)))
    for kind, n in sorted((r.get("error_types") or {}).items()):
        rows.append((f"Error: {kind}", _num(n)))
    if r.get("stopped_early"):
        rows.append(("Stopped early", str(r.get("stop_reason") or "yes")))
    return rows


class SummaryModel(ListTableModel):
    HEADERS = ("Measure", "Value")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []

    def rows(self) -> list:
        return self._rows

    def set_result(self, result: dict | None) -> None:
        self.beginResetModel()
        self._rows = summary_rows(result)
        self.endResetModel()

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

"""The drift results: a summary header, the per-column table and the two charts.

The histogram plot shows the selected column: reference and current distributions
overlaid as step curves (numeric and datetime columns) or paired bars (categorical
and boolean columns), both as shares of their table.  Under it a note says which
values fall outside the drawn range and how many; "Log x" switches positive numeric
columns to core's log-spaced histogram, which draws every value.  Next to it the
column's summary statistics of both tables.  The PSI chart covers every column,
coloured by PSI band, with the 0.1 and 0.25 band limits drawn.

The dataset verdict is the per-column rule only; a domain classifier that tells the
tables apart is shown as a separate amber warning, never as a second verdict.
"""

from __future__ import annotations

import datetime as dt
import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QSplitter, QTableView, QToolButton, QVBoxLayout, QWidget)

from ui.common.charts import (CURRENT_COLOUR, REFERENCE_COLOUR, bar_chart, make_plot, pg, plain_log_ticks,
                              set_category_axis)
from ui.drift.model import BAND_BAR_COLOURS, NUMERIC_KINDS, DriftResultsModel, DriftSortProxy, method_label, number
from ui.drift.summary_model import SummaryModel

MAX_BARS = 12
WIDTHS = (140, 85, 105, 75, 75, 80, 80, 75, 75, 85, 80, 80)


def percents(values, total=None) -> np.ndarray:
    """Counts as percentages of ``total`` (the column's non-missing values; default: their sum)."""
    arr = np.asarray(values, dtype=float)
    total = total or arr.sum()
    return 100 * arr / total if total > 0 else arr


def top_categories(cats: dict, limit: int = MAX_BARS):
    """(labels, reference counts, current counts) of the ``limit`` most frequent categories
    (core lists them most frequent first)."""
    return ([str(v) for v in cats["labels"][:limit]], list(cats["reference"][:limit]),
            list(cats["current"][:limit]))


WARN_STYLE = "color:#9a6700"
HINT_STYLE = "color:#57606a"
LOG_TIP = "Log-spaced bins over every value; available for numeric columns whose values are all above 0"
LOG_MISSING_TIP = ("Not available for this column: it has values at or below 0, is not numeric, or comes "
                   "from a run stored before log histograms existed")


def clipped_note(col: dict) -> str:
    """What the linear histogram of ``col`` leaves out, e.g. "Not shown: 25 current values above 790."."""
    h = col.get("histogram") or {}
    clipped, bounds = h.get("clipped"), h.get("range")
    if not clipped or not bounds:
        return ("The chart shows the 0.5 to 99.5 percentile range; values outside it are not drawn "
                "(this stored run does not record how many).")
    lo, hi = (_bound(v, col.get("kind")) for v in bounds)
    parts = []
    for table in ("current", "reference"):
        counts = clipped.get(table) or {}
        sides = [(int(counts.get(side) or 0), side, bound) for side, bound in (("above", hi), ("below", lo))]
        sides = [(n, side, bound) for n, side, bound in sides if n]
        if sides:
            first, rest = sides[0], sides[1:]
            text = f"{first[0]:,} {table} value{'s' if first[0] != 1 else ''} {first[1]} {first[2]}"
            parts.append(text + "".join(f" and {n:,} {side} {bound}" for n, side, bound in rest))
    if not parts:
        return "Every value is inside the chart."
    return "Not shown: " + "; ".join(parts) + "."


def _bound(value, kind) -> str:
    if kind == "datetime":
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc).strftime("%Y-%m-%d")
    return number(float(value), 4)


def _pen(colour):
    return pg.mkPen(colour[:3] + (255,), width=2)


class DriftView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.result: dict | None = None
        self.summary = QLabel("No drift result yet: choose the two files and press Run drift.")
        self.summary.setObjectName("driftSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.RichText)
        self.multivariate = QLabel("")
        self.multivariate.setWordWrap(True)
        self.multivariate.setTextFormat(Qt.RichText)
        self.warnings_button = QToolButton()
        self.warnings_button.setCheckable(True)
        self.warnings_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.warnings_button.setArrowType(Qt.RightArrow)
        self.warnings_button.toggled.connect(self._toggle_warnings)
        self.warnings_button.setVisible(False)
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        self.warnings.setMaximumHeight(110)
        self.warnings.setVisible(False)

        self.model = DriftResultsModel(self)
        self.proxy = DriftSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate(WIDTHS):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_row(cur))

        self.hist_plot = make_plot(left="% of values")
        self.hist_plot.getAxis("left").enableAutoSIPrefix(False)
        self.hist_plot.setTitle("Select a column to compare its distributions", size="10pt")
        self.legend = self.hist_plot.addLegend(offset=(-10, 5), brush=(255, 255, 255, 210))
        self.clip_note = QLabel("")
        self.clip_note.setObjectName("clipNote")
        self.clip_note.setWordWrap(True)
        self.clip_note.setStyleSheet(HINT_STYLE)
        self.log_x = QCheckBox("Log x")
        self.log_x.setEnabled(False)
        self.log_x.setToolTip(LOG_MISSING_TIP)
        self.log_x.toggled.connect(lambda _on: self._show_row(self.table.currentIndex()))
        self.summary_model = SummaryModel(self)
        self.summary_table = QTableView()
        self.summary_table.setModel(self.summary_model)
        self.summary_table.verticalHeader().setVisible(False)
        self.summary_table.verticalHeader().setDefaultSectionSize(20)
        self.summary_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.summary_table.setSelectionMode(QAbstractItemView.NoSelection)
        self.summary_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.summary_table.setMinimumWidth(230)
        hist_box = QWidget()
        hl = QVBoxLayout(hist_box)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.setSpacing(2)
        hl.addWidget(self.hist_plot, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.clip_note, 1)
        note_row.addWidget(self.log_x, 0, Qt.AlignTop)
        hl.addLayout(note_row)
        self.psi_plot = make_plot(bottom="PSI")
        self.psi_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.psi_plot.setTitle("PSI by column (green stable, amber moderate, red major)", size="10pt")
        charts = QSplitter(Qt.Horizontal)
        charts.addWidget(hist_box)
        charts.addWidget(self.summary_table)
        charts.addWidget(self.psi_plot)
        charts.setSizes([560, 260, 480])
        body = QSplitter(Qt.Vertical)
        body.addWidget(self.table)
        body.addWidget(charts)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 1)
        body.setSizes([235, 355])

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.warnings_button, 0, Qt.AlignTop)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addWidget(self.multivariate)
        lay.addWidget(self.warnings)
        lay.addWidget(body, 1)

    # --------------------------------------------------------------- result
    def show_result(self, result: dict | None, origin: str = "") -> None:
        """Show a drift result dict (as run_drift / store.run(id)["result"] give it); None clears."""
        self.result = result
        self.table.setSortingEnabled(False)
        self.model.set_columns((result or {}).get("columns", []))
        self.proxy.sort(-1)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self._summarise(result, origin)
        self._psi_chart()
        self._clear_hist("Select a column to compare its distributions")
        self.clip_note.setText("")
        self.summary_model.set_column(None)
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def _summarise(self, result, origin: str) -> None:
        warnings = (result or {}).get("warnings", [])
        self.warnings.clear()
        self.warnings.addItems(warnings)
        self.warnings_button.setText(f"Warnings ({len(warnings)})")
        self.warnings_button.setVisible(bool(warnings))
        self.warnings_button.setChecked(False)
        self.warnings.setVisible(False)
        if result is None:
            self.summary.setText(html.escape(origin) if origin else
                                 "No drift result yet: choose the two files and press Run drift.")
            self.multivariate.setText("")
            return
        cols = result.get("columns", [])
        analysed = [c for c in cols if c.get("method") is not None]
        drifted = [c["name"] for c in analysed if c.get("drifted")]
        yes = result.get("dataset_drift")
        flag = ('<span style="color:#cf222e"><b>Dataset drift: YES</b></span>' if yes
                else '<span style="color:#1a7f37"><b>Dataset drift: no</b></span>')
        ref, cur = result.get("reference", {}), result.get("current", {})
        files = ""
        if ref or cur:
            files = (f"<br><span style='color:#57606a'>{html.escape(_file_name(ref))} ({_rows(ref)}) → "
                     f"{html.escape(_file_name(cur))} ({_rows(cur)}) · "
                     f"method {html.escape(method_label(result.get('method')))}"
                     f"{' · ' + html.escape(origin) if origin else ''}</span>")
        if result.get("engine"):
            engine = {"duckdb": "out of core (DuckDB)", "memory": "in memory"}.get(result["engine"],
                                                                                 str(result["engine"]))
            files += (f"<br><span style='color:#57606a'>Engine: {html.escape(engine)}"
                      f"{' · ' + html.escape(str(result.get('engine_reason'))) if result.get('engine_reason') else ''}"
                      "</span>")
        self.summary.setText(
            f"{flag} &nbsp; {len(drifted)} of {len(analysed)} analysed columns drifted "
            f"(share {100 * result.get('drifted_share', 0):.0f}%, threshold "
            f"{100 * result.get('drift_share_threshold', 0.5):.0f}%)"
            + (f": {html.escape(', '.join(drifted[:8]))}{', ...' if len(drifted) > 8 else ''}" if drifted else "")
            + files)
        self._multivariate(result)

    def _multivariate(self, result: dict) -> None:
        """The domain classifier's finding: an amber warning beside the dataset verdict, never a verdict."""
        mv = result.get("multivariate")
        if not mv:
            self.multivariate.setText("Multivariate: not computed" if result.get("columns") else "")
            return
        auc = mv.get("auc")
        auc_text = f"AUC {auc:.3f}" if isinstance(auc, (int, float)) else "AUC unknown"
        top = ", ".join(f"{html.escape(str(f['name']))} ({f['importance']:.3f})"
                        for f in mv.get("top_features", []) if f.get("importance", 0) > 0)
        features = f" · columns that tell them apart most: {top}" if top else ""
        if mv.get("sample"):
            features += f"<br><span style='color:#57606a'>{html.escape(str(mv['sample']))}</span>"
        warned = result.get("multivariate_warning", mv.get("drifted"))
        if warned:
            rule = ("the per-column rule also found dataset drift" if result.get("dataset_drift")
                    else "the per-column rule found no dataset drift")
            self.multivariate.setText(
                f"<span style='color:#9a6700'><b>Warning:</b> a domain classifier tells the tables apart "
                f"({auc_text}, warning from {mv.get('threshold', 0.55)}); {rule}</span>{features}")
        else:
            self.multivariate.setText(
                f"<span style='color:#57606a'>Multivariate: a domain classifier cannot tell the tables apart "
                f"({auc_text}, warning from {mv.get('threshold', 0.55)})</span>{features}")

    def _toggle_warnings(self, shown: bool) -> None:
        self.warnings.setVisible(shown)
        self.warnings_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    # --------------------------------------------------------------- charts
    def _psi_chart(self) -> None:
        cols = list(reversed((self.result or {}).get("columns", [])))  # first column at the top
        if not cols:
            self.psi_plot.clear()
            return
        values = [c.get("psi") or 0.0 for c in cols]
        colours = [BAND_BAR_COLOURS.get(c.get("psi_band"), BAND_BAR_COLOURS[None]) for c in cols]
        bar_chart(self.psi_plot, [str(c["name"]) for c in cols], values, colours=colours, horizontal=True)
        for limit in (0.1, 0.25):
            self.psi_plot.addItem(pg.InfiniteLine(pos=limit, angle=90,
                                                  pen=pg.mkPen((87, 96, 106), style=Qt.DashLine)))
        self.psi_plot.setXRange(0, max(0.3, max(values) * 1.05), padding=0.02)
        self.psi_plot.setYRange(-0.6, len(cols) - 0.4, padding=0)

    def _bottom_axis(self, dates: bool) -> None:
        """Dates on the bottom axis for datetime columns (epoch seconds), plain numbers otherwise."""
        if isinstance(self.hist_plot.getAxis("bottom"), pg.DateAxisItem) != dates:
            axis = pg.DateAxisItem(orientation="bottom", utcOffset=0) if dates else pg.AxisItem("bottom")
            self.hist_plot.setAxisItems({"bottom": axis})
        self.hist_plot.getAxis("bottom").setTicks(None)

    def _clear_hist(self, title: str) -> None:
        self.hist_plot.clear()
        self.hist_plot.setLogMode(x=False, y=False)
        plain_log_ticks(self.hist_plot)
        self._bottom_axis(False)
        self.hist_plot.setLabel("bottom", "")
        self.hist_plot.setTitle(title, size="10pt")

    def select_column(self, name: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    def _show_row(self, index) -> None:
        if not index.isValid():
            return
        col = self.model.column_at(self.proxy.mapToSource(index).row())
        name = html.escape(str(col["name"]))
        self.summary_model.set_column(col)
        has_log = bool(col.get("histogram_log")) and col.get("kind") == "numeric"
        self.log_x.setEnabled(has_log)
        self.log_x.setToolTip(LOG_TIP if has_log else LOG_MISSING_TIP)
        if col.get("kind") in NUMERIC_KINDS and col.get("histogram"):
            self._histogram(col, name, log=has_log and self.log_x.isChecked())
        elif col.get("categories"):
            self._categories(col, name)
            self.clip_note.setText("")
        else:
            self._clear_hist(f"{name}: no distribution to show")
            self.clip_note.setText("")

    def _histogram(self, col: dict, name: str, log: bool = False) -> None:
        h = col["histogram_log"] if log else col["histogram"]
        self._clear_hist(f"{name} ({col['kind']}): % of values per {'log-spaced ' if log else ''}bin")
        if log:  # a linear range read as powers of ten would overflow the axis
            self.hist_plot.setXRange(0, 1, padding=0)
        self.hist_plot.setLogMode(x=log, y=False)
        self.clip_note.setText("Log x: every value is shown." if log else clipped_note(col))
        edges = np.asarray(h["edges"], dtype=float)
        for label, counts, total, colour in (
                ("reference", h["reference"], col.get("reference_count"), REFERENCE_COLOUR),
                ("current", h["current"], col.get("current_count"), CURRENT_COLOUR)):
            self.hist_plot.addItem(pg.PlotDataItem(edges, percents(counts, total), stepMode="center", fillLevel=0,
                                                   brush=colour[:3] + (70,), pen=_pen(colour), name=label))
        self._bottom_axis(col["kind"] == "datetime")
        self.hist_plot.setLabel("bottom", f"{col['name']} (UTC)" if col["kind"] == "datetime" else col["name"])
        self._fit(*((np.log10(edges[0]), np.log10(edges[-1])) if log else (edges[0], edges[-1])))

    def _fit(self, x0: float, x1: float) -> None:
        """Show everything, with head room above the tallest bar for the legend."""
        top = max((float(np.max(i.yData)) if isinstance(i, pg.PlotDataItem) and i.yData is not None and
                   len(i.yData) else float(np.max(i.opts["height"])) if isinstance(i, pg.BarGraphItem) else 0.0)
                  for i in self.hist_plot.getPlotItem().items if isinstance(i, (pg.PlotDataItem, pg.BarGraphItem)))
        self.hist_plot.setXRange(x0, x1, padding=0.02)
        self.hist_plot.setYRange(0, max(top, 1e-9) * 1.35, padding=0.02)

    def _categories(self, col: dict, name: str) -> None:
        ref_total, cur_total = col.get("reference_count") or 0, col.get("current_count") or 0
        labels, ref, cur = top_categories(col["categories"])
        more = len(col["categories"]["labels"]) > len(labels)
        self._clear_hist(f"{name} ({col['kind']}): % of values per category"
                         + (f" (the {len(labels)} most frequent)" if more else ""))
        x = np.arange(len(labels), dtype=float)
        for label, counts, total, colour, offset in (("reference", ref, ref_total, REFERENCE_COLOUR, -0.2),
                                                     ("current", cur, cur_total, CURRENT_COLOUR, 0.2)):
            self.hist_plot.addItem(pg.BarGraphItem(x=x + offset, height=percents(counts, total), width=0.4,
                                                   brush=colour[:3] + (200,), pen=_pen(colour), name=label))
        set_category_axis(self.hist_plot, labels, max_len=max(4, 110 // len(labels)))
        self._fit(-0.7, len(labels) - 0.3)

    def hist_items(self) -> tuple[list, list]:
        """(curves, bar items) currently drawn in the histogram plot."""
        items = self.hist_plot.getPlotItem().items
        return ([i for i in items if isinstance(i, pg.PlotDataItem)],
                [i for i in items if isinstance(i, pg.BarGraphItem)])


def _file_name(info: dict) -> str:
    return str(info.get("path") or "?").replace("\\", "/").rsplit("/", 1)[-1]


def _rows(info: dict) -> str:
    rows = info.get("rows")
    return f"{rows:,} rows" if isinstance(rows, int) else "? rows"


__all__ = ["DriftView", "number", "percents"]

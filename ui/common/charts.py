"""pyqtgraph helpers shared by the tabs."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

pg.setConfigOptions(antialias=True, background="w", foreground="#24292f")

REFERENCE_COLOUR = (31, 119, 180, 150)
CURRENT_COLOUR = (255, 127, 14, 150)


def make_plot(title: str = "", left: str = "", bottom: str = "") -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setMenuEnabled(False)
    plot.showGrid(x=False, y=True, alpha=0.2)
    for axis in ("left", "bottom"):  # ticks carry their own numbers; no "(x0.001)" beside an empty axis
        plot.getAxis(axis).enableAutoSIPrefix(False)
    if title:
        plot.setTitle(title, size="10pt")
    if left:
        plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)
    return plot


def plain_log_ticks(plot: pg.PlotWidget, axis: str = "bottom") -> None:
    """Label a log-scaled axis with plain numbers (20, 50, 100) instead of pyqtgraph's "2·10¹"."""
    plot.getAxis(axis).logTickStrings = lambda values, scale, spacing: [
        f"{10 ** float(v) * scale:,.4g}" for v in values]


def set_category_axis(plot: pg.PlotWidget, labels: list[str], axis: str = "bottom", max_len: int = 18) -> None:
    ticks = [(i, (lab if len(lab) <= max_len else lab[: max_len - 1] + "…")) for i, lab in enumerate(labels)]
    plot.getAxis(axis).setTicks([ticks])


def bar_chart(plot: pg.PlotWidget, labels: list[str], values: list[float], *, colours=None,
              horizontal: bool = False, width: float = 0.6) -> pg.BarGraphItem:
    plot.clear()
    x = np.arange(len(values), dtype=float)
    brushes = colours or [(31, 119, 180, 200)] * len(values)
    if horizontal:
        item = pg.BarGraphItem(x0=0, y=x, height=width, width=np.asarray(values, float), brushes=brushes)
        set_category_axis(plot, labels, axis="left")
    else:
        item = pg.BarGraphItem(x=x, height=np.asarray(values, float), width=width, brushes=brushes)
        set_category_axis(plot, labels, axis="bottom")
    plot.addItem(item)
    return item

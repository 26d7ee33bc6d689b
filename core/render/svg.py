"""Tiny inline SVG charts for the report: horizontal bars, overlaid histograms, paired category bars.

No external library and no script: each chart is a few ``rect``, ``line`` and
``text`` elements in SVG Tiny, so it draws the same in a browser and in Qt.

How a chart is embedded depends on the chart mode of the rendering (see
:func:`use_charts`):

* ``"svg"`` - inline ``<svg>`` markup (the stand-alone HTML file);
* ``"img"`` - ``<img src="data:image/svg+xml;base64,...">`` (Qt's rich text
  cannot draw inline SVG but loads SVG images through its image plugin, so the
  PDF and the GUI preview use this);
* ``"none"`` - a one-line note instead of the chart.

All labels are escaped; long ones are shortened.
"""

from __future__ import annotations

import base64
import contextvars
from contextlib import contextmanager

from core.render.html import CURRENT_COLOUR, GREY, REFERENCE_COLOUR, esc, fmt, number

MODES = ("svg", "img", "none")
_MODE: contextvars.ContextVar[str] = contextvars.ContextVar("preflight_report_charts", default="svg")
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
WIDTH = 680
LABEL_CHARS = 26


@contextmanager
def use_charts(mode: str):
    """Render charts in ``mode`` ("svg", "img" or "none") inside the ``with`` block."""
    if mode not in MODES:
        raise ValueError(f"chart mode {mode!r} is not one of {', '.join(MODES)}")
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def chart_mode() -> str:
    return _MODE.get()


def shorten(label, limit: int = LABEL_CHARS) -> str:
    text = " ".join(str(label).split()) if label is not None else "(missing)"
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(x, y, text, *, size=10, anchor="start", fill="#1f2328", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(text)}</text>')


def _rect(x, y, w, h, fill, opacity: float | None = None) -> str:
    extra = f' fill-opacity="{opacity}"' if opacity is not None else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(0.0, w):.1f}" height="{max(0.0, h):.1f}" fill="{fill}"{extra}/>'


def _line(x1, y1, x2, y2, stroke="#8c959f", dash: bool = False, width: float = 1) -> str:
    d = ' stroke-dasharray="4,3"' if dash else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="{width}"{d}/>')


def embed(body: str, width: int, height: int, title: str = "") -> str:
    """Wrap chart elements in an ``<svg>`` and embed it the way the current chart mode asks."""
    mode = chart_mode()
    if mode == "none":
        return f'<p class="note">[chart omitted: {esc(title or "chart")}]</p>'
    label = f"<title>{esc(title)}</title>" if title else ""
    box = f'viewBox="0 0 {width} {height}"'
    if mode == "svg":
        return (f'<div class="chart"><svg width="{width}" height="{height}" {box} role="img" '
                f'aria-label="{esc(title)}">{label}{body}</svg></div>')
    # Drawn at twice the size and shown scaled down, so it stays sharp in print.
    doc = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{2 * height}" {box}>'
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>{body}</svg>')
    data = base64.b64encode(doc.encode("utf-8")).decode("ascii")
    return (f'<p class="chart"><img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" '
            f'alt="{esc(title)}"></p>')


def _legend(x, y, entries) -> str:
    out = []
    for colour, name in entries:
        out.append(_rect(x, y - 8, 10, 10, colour, 0.8))
        out.append(_text(x + 14, y + 1, name, size=9))
        x += 24 + 6.5 * len(name)
    return "".join(out)


def bar_chart(labels, values, *, colours=None, title: str = "", ref_lines=(), max_value: float | None = None,
              value_text=None, width: int = WIDTH) -> str:
    """Horizontal bars, one row per label.

    ``ref_lines`` are ``(value, label, colour)`` vertical markers (thresholds);
    ``value_text(v)`` formats the number printed after each bar.
    """
    values = [number(v) for v in values]
    rows = len(labels)
    value_text = value_text or (lambda v: fmt(v, 3))
    top, row_h, left, right = 26, 16, 170, 60
    height = top + rows * row_h + 24
    plot = width - left - right
    finite = [v for v in values if v is not None] + [number(r[0]) or 0.0 for r in ref_lines]
    vmax = max_value if max_value else max([abs(v) for v in finite] + [1e-12])
    out = [_text(0, 14, title, size=11, weight="bold")] if title else []
    out.append(_line(left, top - 4, left, top + rows * row_h, "#57606a"))
    for i, (label, v) in enumerate(zip(labels, values)):
        y = top + i * row_h
        out.append(_text(left - 6, y + 11, shorten(label), size=9, anchor="end"))
        if v is None:
            out.append(_text(left + 4, y + 11, "n/a", size=9, fill=GREY))
            continue
        w = plot * min(1.0, max(0.0, v) / vmax)
        colour = colours[i] if colours else REFERENCE_COLOUR
        out.append(_rect(left, y + 2, w, row_h - 5, colour, 0.85))
        out.append(_text(left + w + 4, y + 11, value_text(v), size=9, fill="#424a53"))
    base = top + rows * row_h
    for value, label, colour in ref_lines:
        value = number(value)
        if value is None or value > vmax:
            continue
        x = left + plot * value / vmax
        out.append(_line(x, top - 4, x, base, colour, dash=True))
        out.append(_text(x, base + 14, label, size=8.5, anchor="middle", fill=colour))
    out.append(_text(left, base + 14, "0", size=8.5, anchor="middle", fill=GREY))
    return embed("".join(out), width, height, title)


def _shares(counts) -> list[float]:
    vals = [max(0.0, number(c) or 0.0) for c in counts]
    total = sum(vals)
    return [v / total for v in vals] if total else [0.0 for _ in vals]


def histogram(edges, reference, current, *, title: str = "", width: int = 310, height: int = 170) -> str:
    """Reference and current distributions over the same bins, drawn as shares, overlaid."""
    ref, cur = _shares(reference or []), _shares(current or [])
    n = min(len(ref), len(cur))
    if n == 0:
        return f'<p class="note">{esc(title)}: no histogram stored.</p>'
    ref, cur = ref[:n], cur[:n]
    edges = [number(e) for e in (edges or [])]
    usable = len(edges) == n + 1 and all(e is not None for e in edges) and edges[-1] > edges[0]
    left, right, top, bottom = 34, 8, 22, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = max(ref + cur) or 1.0

    def xpos(i):
        if usable:
            return left + plot_w * (edges[i] - edges[0]) / (edges[-1] - edges[0])
        return left + plot_w * i / n

    out = [_text(0, 13, title, size=10, weight="bold")] if title else []
    for shares, colour in ((ref, REFERENCE_COLOUR), (cur, CURRENT_COLOUR)):
        for i, s in enumerate(shares):
            x0, x1 = xpos(i), xpos(i + 1)
            h = plot_h * s / ymax
            out.append(_rect(x0, top + plot_h - h, max(0.5, x1 - x0 - 0.5), h, colour, 0.45))
    out.append(_line(left, top + plot_h, left + plot_w, top + plot_h, "#57606a"))
    out.append(_line(left, top, left, top + plot_h, "#57606a"))
    out.append(_text(left - 3, top + 8, f"{100 * ymax:.0f}%", size=8, anchor="end", fill=GREY))
    out.append(_text(left - 3, top + plot_h, "0", size=8, anchor="end", fill=GREY))
    if usable:
        out.append(_text(left, top + plot_h + 12, fmt(edges[0], 3), size=8, fill=GREY))
        out.append(_text(left + plot_w, top + plot_h + 12, fmt(edges[-1], 3), size=8, anchor="end", fill=GREY))
    out.append(_legend(left, height - 4, ((REFERENCE_COLOUR, "reference"), (CURRENT_COLOUR, "current"))))
    return embed("".join(out), width, height, title)


def paired_bars(labels, reference, current, *, title: str = "", width: int = 310, limit: int = 12) -> str:
    """Each category's share in the reference and the current data, as a pair of horizontal bars."""
    ref, cur = _shares(reference or []), _shares(current or [])
    n = min(len(labels or []), len(ref), len(cur))
    if n == 0:
        return f'<p class="note">{esc(title)}: no category counts stored.</p>'
    order = sorted(range(n), key=lambda i: -(ref[i] + cur[i]))[:limit]
    left, right, top, pair_h = 100, 40, 22, 20
    height = top + len(order) * pair_h + 20
    plot = width - left - right
    vmax = max([ref[i] for i in order] + [cur[i] for i in order]) or 1.0
    out = [_text(0, 13, title, size=10, weight="bold")] if title else []
    for row, i in enumerate(order):
        y = top + row * pair_h
        out.append(_text(left - 5, y + 12, shorten(labels[i], 16), size=8.5, anchor="end"))
        for k, (shares, colour) in enumerate(((ref, REFERENCE_COLOUR), (cur, CURRENT_COLOUR))):
            w = plot * shares[i] / vmax
            out.append(_rect(left, y + 2 + 8 * k, w, 7, colour, 0.85))
            out.append(_text(left + w + 3, y + 9 + 8 * k, f"{100 * shares[i]:.1f}%", size=7.5, fill=GREY))
    out.append(_line(left, top - 2, left, top + len(order) * pair_h, "#57606a"))
    out.append(_legend(left, height - 4, ((REFERENCE_COLOUR, "reference"), (CURRENT_COLOUR, "current"))))
    if n > len(order):
        out.append(_text(width - 2, height - 4, f"top {len(order)} of {n}", size=8, anchor="end", fill=GREY))
    return embed("".join(out), width, height, title)

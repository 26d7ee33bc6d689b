"""The canary timeline as an inline SVG chart for the report.

Error rates of the baseline and the candidate after each step (cumulative, with their 95 %
intervals as shaded bands), the candidate's traffic share as a grey step line on the right
axis, and the final decision as a marker.  Plain ``polyline``/``polygon``/``line``/``text``
elements, so it draws in a browser and in Qt's SVG image plugin alike.
"""

from __future__ import annotations

from core.render.html import CURRENT_COLOUR, GREY, GREEN, RED, REFERENCE_COLOUR, AMBER, esc
from core.render.svg import FONT, embed

DECISION_COLOUR = {"rollback": RED, "pause": AMBER, "promote": GREEN}


def _t(x, y, text, size=9, anchor="start", fill="#1f2328", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(text)}</text>')


def _points(pts) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def timeline_svg(steps: list[dict], *, title: str = "Error rates by step (95% intervals) and traffic split",
                 width: int = 680, height: int = 230) -> str:
    steps = [s for s in steps if isinstance(s, dict)]
    if not steps:
        return ""
    left, right, top, bottom = 48, 44, 26, 34
    pw, ph = width - left - right, height - top - bottom
    n = len(steps)
    xs = [left + (pw * (i + 0.5) / n) for i in range(n)]
    highs = [_num((s.get(side) or {}).get("ci_high")) for s in steps for side in ("baseline", "candidate")]
    ymax = max([h for h in highs if h is not None] + [0.01]) * 1.1

    def y_rate(r):
        return top + ph * (1 - min(r, ymax) / ymax)

    out = [_t(0, 14, title, size=11, weight="bold")]
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>')
    for frac in (0, 0.5, 1):
        y = top + ph * (1 - frac)
        out.append(_t(left - 4, y + 3, f"{100 * ymax * frac:.1f}%", size=8, anchor="end", fill=GREY))
        out.append(_t(left + pw + 4, y + 3, f"{100 * frac:.0f}%", size=8, fill=GREY))
    split = []
    for i, s in enumerate(steps):
        w = _num(s.get("weight")) or 0.0
        x0, x1 = left + pw * i / n, left + pw * (i + 1) / n
        y = top + ph * (1 - w)
        split += [(x0, y), (x1, y)]
        out.append(_t(xs[i], top + ph + 12, str(s.get("step", i + 1)), size=8, anchor="middle", fill=GREY))
    out.append(f'<polyline points="{_points(split)}" fill="none" stroke="{GREY}" stroke-width="1.5" '
               'stroke-dasharray="4,3"/>')
    bands, lines = [], []
    for side, colour, band in (("baseline", REFERENCE_COLOUR, "#cfe0f7"), ("candidate", CURRENT_COLOUR, "#f8d9c4")):
        idx = [i for i, s in enumerate(steps) if _num((s.get(side) or {}).get("error_rate")) is not None]
        if not idx:
            continue
        hi = [(xs[i], y_rate(_num(steps[i][side].get("ci_high")) or 0.0)) for i in idx]
        lo = [(xs[i], y_rate(_num(steps[i][side].get("ci_low")) or 0.0)) for i in reversed(idx)]
        bands.append(f'<polygon points="{_points(hi + lo)}" fill="{band}" stroke="none"/>')
        line = [(xs[i], y_rate(_num(steps[i][side]["error_rate"]))) for i in idx]
        lines.append(f'<polyline points="{_points(line)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    out += bands + lines  # both bands under both lines
    last = steps[-1]
    colour = DECISION_COLOUR.get(last.get("decision"))
    if colour:
        x = xs[-1]
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(_t(x, top - 4, str(last.get("decision")), size=9, anchor="middle", fill=colour, weight="bold"))
    legend_y = height - 6
    x = left
    for colour, name in ((REFERENCE_COLOUR, "baseline error rate"), (CURRENT_COLOUR, "candidate error rate"),
                         (GREY, "candidate traffic share (right axis)")):
        out.append(f'<rect x="{x}" y="{legend_y - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(_t(x + 14, legend_y + 1, name, size=8.5))
        x += 24 + 5.2 * len(name)
    out.append(_t(left + pw / 2, top + ph + 22, "", size=8))
    return embed("".join(out), width, height, title)

"""The report's performance charts: a metric per window (realised, and the CBPE estimate with its band), the
baseline as a line and the alert threshold as a shaded band below it; and a plain line chart (cumulative
business value, cold-start performance by history length)."""

from __future__ import annotations

from core.render.html import AMBER, CURRENT_COLOUR, GREY, REFERENCE_COLOUR, esc
from core.render.svg import FONT, embed


def _t(x, y, text, size=9, anchor="start", fill="#1f2328", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(text)}</text>')


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _points(pts) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def metric_svg(windows: list[dict], metric: str, baseline: float | None, threshold: float, *,
               lower_is_better: bool = False, width: int = 680, height: int = 230) -> str:
    windows = [w for w in windows if isinstance(w, dict)]
    real = [_num((w.get("metrics") or {}).get(metric)) for w in windows]
    est = [_num((w.get("estimated") or {}).get(metric)) for w in windows]
    lows = [_num((w.get("estimated") or {}).get(f"{metric}_low")) for w in windows]
    highs = [_num((w.get("estimated") or {}).get(f"{metric}_high")) for w in windows]
    values = [v for v in real + est + lows + highs + [baseline] if v is not None]
    if not values:
        return ""
    title = f"{metric} per window" + (" (realised and estimated)" if any(e is not None for e in est) else "")
    left, right, top, bottom = 48, 16, 26, 34
    pw, ph = width - left - right, height - top - bottom
    lo_v, hi_v = min(values), max(values)
    if baseline is not None:
        edge = baseline * (1 + threshold) if lower_is_better else baseline * (1 - threshold)
        lo_v, hi_v = min(lo_v, edge), max(hi_v, edge)
    pad = (hi_v - lo_v) * 0.1 or 0.05
    lo_v, hi_v = lo_v - pad, hi_v + pad
    n = len(windows)
    xs = [left + pw * (i + 0.5) / n for i in range(n)]

    def y(v):
        return top + ph * (1 - (v - lo_v) / (hi_v - lo_v))

    out = [_t(0, 14, title, size=11, weight="bold"),
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>']
    for frac in (0, 0.5, 1):
        v = lo_v + (hi_v - lo_v) * frac
        out.append(_t(left - 4, y(v) + 3, f"{v:.3g}", size=8, anchor="end", fill=GREY))
    if baseline is not None:
        edge = baseline * (1 + threshold) if lower_is_better else baseline * (1 - threshold)
        y0, y1 = sorted((y(baseline), y(edge)))
        out.append(f'<rect x="{left}" y="{y0:.1f}" width="{pw}" height="{y1 - y0:.1f}" fill="#fff1c2"/>')
        out.append(f'<line x1="{left}" y1="{y(baseline):.1f}" x2="{left + pw}" y2="{y(baseline):.1f}" '
                   f'stroke="{AMBER}" stroke-width="1.5" stroke-dasharray="5,3"/>')
    idx = [i for i in range(n) if lows[i] is not None and highs[i] is not None]
    if idx:
        band = [(xs[i], y(highs[i])) for i in idx] + [(xs[i], y(lows[i])) for i in reversed(idx)]
        out.append(f'<polygon points="{_points(band)}" fill="#cfe0f7" stroke="none"/>')
        out.append(f'<polyline points="{_points([(xs[i], y(est[i])) for i in idx])}" fill="none" '
                   f'stroke="{REFERENCE_COLOUR}" stroke-width="1.5" stroke-dasharray="4,2"/>')
    real_idx = [i for i in range(n) if real[i] is not None]
    if real_idx:
        out.append(f'<polyline points="{_points([(xs[i], y(real[i])) for i in real_idx])}" fill="none" '
                   f'stroke="{CURRENT_COLOUR}" stroke-width="2"/>')
        for i in real_idx:
            out.append(f'<circle cx="{xs[i]:.1f}" cy="{y(real[i]):.1f}" r="2.5" fill="{CURRENT_COLOUR}"/>')
    step = max(1, n // 8)
    for i in range(0, n, step):
        out.append(_t(xs[i], top + ph + 12, str(windows[i].get("start", ""))[:10], size=8, anchor="middle",
                      fill=GREY))
    x, ly = left, height - 6
    for colour, name in ((CURRENT_COLOUR, "realised"), (REFERENCE_COLOUR, "estimated (CBPE, band)"),
                         (AMBER, f"baseline, alert band {threshold * 100:g}%")):
        out.append(f'<rect x="{x}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(_t(x + 14, ly + 1, name, size=8.5))
        x += 24 + 5.2 * len(name)
    return embed("".join(out), width, height, title)


def lines_svg(title: str, labels: list[str], series: list[tuple[str, str, list]], *, width: int = 680,
              height: int = 200) -> str:
    """Lines over labelled points: ``series`` is ``[(name, colour, values)]`` (None where a value is missing)."""
    series = [(name, colour, [_num(v) for v in values]) for name, colour, values in series]
    values = [v for _, _, vs in series for v in vs if v is not None]
    n = len(labels)
    if not values or n == 0:
        return ""
    left, right, top, bottom = 64, 16, 26, 34
    pw, ph = width - left - right, height - top - bottom
    lo_v, hi_v = min(values), max(values)
    pad = (hi_v - lo_v) * 0.1 or abs(hi_v) * 0.1 or 0.05
    lo_v, hi_v = lo_v - pad, hi_v + pad
    xs = [left + pw * (i + 0.5) / n for i in range(n)]

    def y(v):
        return top + ph * (1 - (v - lo_v) / (hi_v - lo_v))

    out = [_t(0, 14, title, size=11, weight="bold"),
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>']
    for frac in (0, 0.5, 1):
        v = lo_v + (hi_v - lo_v) * frac
        out.append(_t(left - 4, y(v) + 3, f"{v:.4g}", size=8, anchor="end", fill=GREY))
    for _name, colour, vs in series:
        idx = [i for i in range(n) if vs[i] is not None]
        if idx:
            out.append(f'<polyline points="{_points([(xs[i], y(vs[i])) for i in idx])}" fill="none" '
                       f'stroke="{colour}" stroke-width="2"/>')
            if len(idx) <= 40:
                out += [f'<circle cx="{xs[i]:.1f}" cy="{y(vs[i]):.1f}" r="2.5" fill="{colour}"/>' for i in idx]
    step = max(1, n // 8)
    for i in range(0, n, step):
        out.append(_t(xs[i], top + ph + 12, str(labels[i])[:10], size=8, anchor="middle", fill=GREY))
    x, ly = left, height - 6
    for name, colour, _vs in series:
        out.append(f'<rect x="{x}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(_t(x + 14, ly + 1, name, size=8.5))
        x += 24 + 5.2 * len(name)
    return embed("".join(out), width, height, title)

"""Report body and readiness gate of a load-test run (native or imported from Locust/k6).

The body shows the verdict card, the latency histogram (log scale) with its percentile lines and the
SLO, the per-second timeline (throughput and errors; p50/p95/p99), the latency and service-time
percentiles, the statuses and failures, the generator's health and what the numbers mean.
"""

from __future__ import annotations

import math

from core.render.html import AMBER, BLUE, CURRENT_COLOUR, GREY, RED, REFERENCE_COLOUR, bullet_list, esc, fmt, \
    kv_table, mark, table
from core.load.result import per_second
from core.render.registry import gate, gate_result, register
from core.render.svg import FONT, embed

LABEL = "Load test"
PCTS = (("p50", "p50"), ("p90", "p90"), ("p95", "p95"), ("p99", "p99"), ("p99.9", "p999"), ("max", "max"),
        ("mean", "mean"))


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _n(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _t(x, y, text, size=9, anchor="start", fill="#1f2328", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(text)}</text>')


def _ms(v) -> str:
    v = _n(v)
    if v is None:
        return "-"
    return f"{v:.3g}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def rebin(bounds: list, counts: list, bins: int = 60) -> tuple[list[float], list[float]]:
    """Fewer, wider log-spaced bins over the histogram's span (edges, counts), for drawing."""
    pairs = [(float(lo), float(hi), float(c)) for lo, hi, c in zip(bounds[:-1], bounds[1:], counts)
             if _n(c) is not None]
    if not pairs:
        return [], []
    lo = max(min(p[0] for p in pairs), 1e-3)
    hi = max(p[1] for p in pairs)
    if hi <= lo * 1.0001:
        hi = lo * 1.1
    step = (math.log10(hi) - math.log10(lo)) / bins
    edges = [10 ** (math.log10(lo) + i * step) for i in range(bins + 1)]
    out = [0.0] * bins
    for a, b, c in pairs:
        mid = math.sqrt(max(a, lo) * b)
        i = min(bins - 1, max(0, int((math.log10(mid) - math.log10(lo)) / step)))
        out[i] += c
    return edges, out


def histogram_svg(r: dict, width: int = 680, height: int = 220) -> str:
    hist = _d(r.get("histogram"))
    edges, counts = rebin(hist.get("bounds_ms") or [], hist.get("counts") or [])
    if not edges or not sum(counts):
        return ""
    title = "Latency from the intended send time (log scale), with percentiles and the SLO"
    left, right, top, bottom = 44, 16, 26, 40
    pw, ph = width - left - right, height - top - bottom
    l0, l1 = math.log10(edges[0]), math.log10(edges[-1])
    l1 += (l1 - l0) * 0.04  # room on the right for the last line's label
    top_count = max(counts)

    def x(v):
        return left + pw * (math.log10(max(v, edges[0])) - l0) / (l1 - l0)

    out = [_t(0, 14, title, size=11, weight="bold"),
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>']
    for i, c in enumerate(counts):
        if c:
            h = ph * c / top_count
            out.append(f'<rect x="{x(edges[i]):.1f}" y="{top + ph - h:.1f}" '
                       f'width="{max(0.5, x(edges[i + 1]) - x(edges[i]) - 0.5):.1f}" height="{h:.1f}" '
                       f'fill="{REFERENCE_COLOUR}" fill-opacity="0.75"/>')
    ticks = [m * 10 ** k for k in range(math.floor(l0), math.ceil(l1) + 1) for m in (1, 2, 5)]
    ticks = [v for v in ticks if edges[0] <= v <= edges[-1]]
    if len(ticks) > 8:
        ticks = [v for v in ticks if f"{v:g}".lstrip("0.").startswith("1")]
    for v in ticks:
        out.append(f'<line x1="{x(v):.1f}" y1="{top + ph}" x2="{x(v):.1f}" y2="{top + ph + 3}" stroke="#57606a"/>')
        out.append(_t(x(v), top + ph + 13, f"{v:g} ms", size=8, anchor="middle", fill=GREY))
    out.append(_t(left - 4, top + 8, f"{top_count:,.0f}", size=8, anchor="end", fill=GREY))
    lines = [(r.get("p50_ms"), "p50", BLUE), (r.get("p95_ms"), "p95", AMBER), (r.get("p99_ms"), "p99", CURRENT_COLOUR),
             (r.get("p999_ms"), "p99.9", RED), (_d(r.get("slo")).get("p95_ms"), "SLO p95", RED)]
    for k, (v, name, colour) in enumerate(lines):
        v = _n(v)
        if v is None or not edges[0] <= v <= edges[-1]:
            continue
        dash = ' stroke-dasharray="2,2"' if name == "SLO p95" else ' stroke-dasharray="5,3"'
        out.append(f'<line x1="{x(v):.1f}" y1="{top}" x2="{x(v):.1f}" y2="{top + ph}" stroke="{colour}" '
                   f'stroke-width="1.5"{dash}/>')
        right_half = x(v) > left + pw * 0.6
        out.append(_t(x(v) + (-3 if right_half else 3), top + 9 + 10 * k, f"{name} {_ms(v)} ms", size=8,
                      anchor="end" if right_half else "start", fill=colour))
    out.append(_t(left, height - 6, "requests per latency bin; dashed lines: percentiles and the SLO's p95", size=8,
                  fill=GREY))
    return embed("".join(out), width, height, title)


def _series_chart(title: str, timeline: list, series, unit: str, width=680, height=190, ref=None) -> str:
    ts = [p.get("t") for p in timeline]
    values = [_n(v) for name, key, colour in series for v in (per_second(p, key) for p in timeline)]
    vals = [v for v in values if v is not None] + ([ref[0]] if ref else [])
    if not ts or not vals:
        return ""
    left, right, top, bottom = 52, 16, 26, 34
    pw, ph = width - left - right, height - top - bottom
    vmax = max(vals) * 1.08 or 1.0
    n = len(ts)

    def x(i):
        return left + pw * (i + 0.5) / n

    def y(v):
        return top + ph * (1 - v / vmax)

    out = [_t(0, 14, title, size=11, weight="bold"),
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>',
           _t(left - 4, top + 4, f"{vmax:,.3g} {unit}", size=8, anchor="end", fill=GREY),
           _t(left - 4, top + ph, "0", size=8, anchor="end", fill=GREY)]
    if ref and _n(ref[0]) is not None and ref[0] <= vmax:
        out.append(f'<line x1="{left}" y1="{y(ref[0]):.1f}" x2="{left + pw}" y2="{y(ref[0]):.1f}" stroke="{RED}" '
                   f'stroke-dasharray="2,2"/>')
        out.append(_t(left + pw - 2, y(ref[0]) - 3, ref[1], size=8, anchor="end", fill=RED))
    for name, key, colour in series:
        pts = [(x(i), y(_n(per_second(p, key)))) for i, p in enumerate(timeline)
               if _n(per_second(p, key)) is not None]
        if pts:
            out.append(f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}" fill="none" '
                       f'stroke="{colour}" stroke-width="1.6"/>')
    step = max(1, n // 10)
    for i in range(0, n, step):
        out.append(_t(x(i), top + ph + 12, f"{ts[i]}s", size=8, anchor="middle", fill=GREY))
    lx = left
    for name, key, colour in series:
        out.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour}"/>')
        out.append(_t(lx + 14, height - 5, name, size=8.5))
        lx += 24 + 5.2 * len(name)
    return embed("".join(out), width, height, title)


def timeline_svgs(r: dict) -> str:
    timeline = [p for p in r.get("timeline") or [] if isinstance(p, dict)]
    if not timeline:
        return ""
    slo = _n(_d(r.get("slo")).get("p95_ms"))
    return (_series_chart("Requests per second", timeline,
                          [("sent", "sent", GREY), ("completed", "completed", REFERENCE_COLOUR),
                           ("errors", "errors", RED)], "/s")
            + _series_chart("Latency per second (from the intended send time)", timeline,
                            [("p50", "p50_ms", BLUE), ("p95", "p95_ms", AMBER), ("p99", "p99_ms", CURRENT_COLOUR)],
                            "ms", ref=(slo, f"SLO p95 {_ms(slo)} ms") if slo else None))


def _verdict_card(r: dict) -> str:
    ready = r.get("production_ready")
    slo = _d(r.get("slo"))
    sr = _n(r.get("success_rate"))
    pairs = [("Verdict", mark("pass", "PRODUCTION READY") if ready else mark("fail", "NOT READY")),
             ("Bar", esc(f"success rate above {fmt((_n(slo.get('success_rate')) or 0.99) * 100)}% and p95 below "
                         f"{fmt(slo.get('p95_ms'))} ms")),
             ("Success rate", esc("-" if sr is None else f"{sr * 100:.2f}% of {r.get('requests', 0):,} requests")),
             ("p95 latency", esc(f"{_ms(r.get('p95_ms'))} ms"))]
    if r.get("stopped_early"):
        pairs.append(("Stopped early", esc(r.get("stop_reason"))))
    reasons = [esc(x) for x in r.get("verdict_reasons") or []]
    return kv_table(pairs) + (bullet_list(reasons) if reasons else "")


def _percentiles(r: dict) -> str:
    rows = [[esc(name), esc(_ms(r.get(f"{key}_ms"))), esc(_ms(r.get(f"service_{key}_ms")))] for name, key in PCTS]
    return table(["", "Latency, ms (from intended send)", "Service time, ms (from actual send)"], rows,
                 numeric={1, 2})


def _health(r: dict) -> str:
    ex = r
    pairs = [("Target rate", esc(f"{fmt(r.get('target_rate'))} requests/s")),
             ("Achieved rate", esc(f"{fmt(r.get('achieved_rate'))} requests/s")),
             ("Late sends (> 1 ms)", esc(fmt(r.get("late_sends")))),
             ("In-flight cap reached", esc(fmt(r.get("in_flight_cap_hits")))),
             ("Generator limited", mark("warn", "YES") if r.get("generator_limited") else mark("pass", "no"))]
    if ex.get("processes"):
        pairs.append(("Generator processes", esc(fmt(ex.get("processes")))))
    notes = [esc(n) for n in r.get("generator_notes") or []]
    return kv_table(pairs) + (bullet_list(notes) if notes else "")


def _outcomes(r: dict) -> str:
    status = _d(r.get("status_counts"))
    kinds = _d(r.get("error_types"))
    rows = [[esc(f"HTTP {k}"), esc(fmt(v))] for k, v in status.items()]
    rows += [[esc(k.replace("_", " ")), esc(fmt(v))] for k, v in kinds.items() if not k.startswith("http_")]
    return table(["Outcome", "Requests"], rows, numeric={1}, empty="No request finished.")


def _meaning(r: dict) -> str:
    src = _d(r.get("source"))
    tool = src.get("tool") or "preflight"
    head = f"Measured by {tool}" + (f" {src.get('version')}" if src.get("version") else "") + "."
    files = [f for f in src.get("files") or [] if isinstance(f, dict)]
    listed = "".join(f"<li>{esc(f.get('path'))} <code>{esc(str(f.get('sha256', ''))[:16])}</code></li>"
                     for f in files)
    return (f"<p>{esc(head)} {esc(src.get('meaning') or '')}</p>"
            + (f"<ul class='small'>{listed}</ul>" if listed else ""))


@register("loadtest")
def render(run: dict) -> str:
    r = _d(run.get("result"))
    return (_verdict_card(r) + histogram_svg(r) + timeline_svgs(r)
            + "<h4>Percentiles</h4>" + _percentiles(r)
            + "<h4>Outcomes</h4>" + _outcomes(r)
            + "<h4>Generator health</h4>" + _health(r)
            + "<h4>What the numbers mean</h4>" + _meaning(r))


@gate("loadtest", LABEL)
def loadtest_gate(run: dict | None) -> dict:
    """Fails when the verdict failed; warns when it passed but the generator limited the run or it stopped
    early; passes otherwise."""
    if run is None:
        return gate_result("loadtest", LABEL, "none", "no load-test run recorded")
    r = _d(run.get("result"))
    where = f"run #{run.get('id')}"
    tool = _d(r.get("source")).get("tool") or "preflight"
    src = "" if tool == "preflight" else f" (imported from {tool})"
    sr, p95 = _n(r.get("success_rate")), _n(r.get("p95_ms"))
    figures = (f"{'-' if sr is None else f'{sr * 100:.2f}%'} success, p95 {_ms(p95)} ms at "
               f"{fmt(r.get('achieved_rate'))} requests/s")
    reasons = [str(x) for x in r.get("verdict_reasons") or []]
    if not r.get("production_ready"):
        return gate_result("loadtest", LABEL, "fail", f"{where}{src}: not ready ({figures})", reasons)
    worries = []
    if r.get("generator_limited"):
        worries.append("the load generator limited the run")
    if r.get("stopped_early"):
        worries.append(f"stopped early ({r.get('stop_reason')})")
    if worries:
        return gate_result("loadtest", LABEL, "warn", f"{where}{src}: {figures}; but {'; '.join(worries)}",
                           reasons + worries)
    return gate_result("loadtest", LABEL, "pass", f"{where}{src}: {figures}", reasons)

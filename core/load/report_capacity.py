"""Report bodies and readiness gates of capacity runs ("Capacity") and autoscale runs ("Auto-scaling")."""

from __future__ import annotations

import math

from core.render.html import AMBER, CURRENT_COLOUR, GREY, RED, REFERENCE_COLOUR, esc, fmt, kv_table, mark, table
from core.render.registry import gate, gate_result, register
from core.render.svg import FONT, embed

PALETTE = ("#0969da", "#e16f24", "#1a7f37", "#8250df", "#bf3989", "#9a6700", "#0a7b83", "#cf222e", "#57606a",
           "#6639ba", "#953800", "#116329")
MAX_POINTS = 600


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def _t(x, y, text, size=9, anchor="start", fill="#1f2328", weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(text)}</text>')


def thin(xs: list, ys: list, limit: int = MAX_POINTS) -> tuple[list, list]:
    """At most ``limit`` points, keeping the highest value of each bucket (peaks stay visible)."""
    n = len(xs)
    if n <= limit:
        return list(xs), list(ys)
    size = math.ceil(n / limit)
    ox, oy = [], []
    for i in range(0, n, size):
        vals = [_num(v) for v in ys[i:i + size]]
        vals = [v for v in vals if v is not None]
        ox.append(xs[i])
        oy.append(max(vals) if vals else None)
    return ox, oy


def lines_svg(series, *, title: str, x_label: str, y_label: str, log_x: bool = False, hlines=(), vlines=(),
              y_cap: float | None = None, step: bool = False, width: int = 680, height: int = 250) -> str:
    """Lines ``(name, xs, ys, colour)`` (None breaks a line); values above ``y_cap`` are drawn at the cap."""
    series = [(n, list(xs), [_num(v) for v in ys], c) for n, xs, ys, c in series]
    xs_all = [x for _n, xs, _ys, _c in series for x in xs if _num(x) is not None and (not log_x or x > 0)]
    ys_all = [y for _n, _xs, ys, _c in series for y in ys if y is not None]
    ys_all += [_num(v) for v, _l, _c in hlines if _num(v) is not None]
    if not xs_all or not ys_all:
        return ""
    left, right, top, bottom = 52, 16, 26, 44
    pw, ph = width - left - right, height - top - bottom
    x0, x1 = min(xs_all), max(xs_all)
    if x1 <= x0:
        x1 = x0 + 1
    y_hi = max(ys_all)
    if y_cap is not None:
        y_hi = min(y_hi, y_cap)
    y_hi = y_hi * 1.08 or 1.0

    def fx(x):
        if log_x:
            return left + pw * (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
        return left + pw * (x - x0) / (x1 - x0)

    def fy(y):
        return top + ph * (1 - min(y, y_hi) / y_hi)

    out = [_t(0, 14, title, size=11, weight="bold"),
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#57606a"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#57606a"/>']
    for frac in (0, 0.25, 0.5, 0.75, 1):
        v = y_hi * frac
        out.append(_t(left - 4, fy(v) + 3, f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}", size=8, anchor="end",
                      fill=GREY))
    ticks = ([x0 * (x1 / x0) ** f for f in (0, 0.25, 0.5, 0.75, 1)] if log_x
             else [x0 + (x1 - x0) * f for f in (0, 0.25, 0.5, 0.75, 1)])
    for x in ticks:
        out.append(_t(fx(x), top + ph + 12, f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}", size=8, anchor="middle",
                      fill=GREY))
    out.append(_t(left + pw / 2, top + ph + 24, x_label, size=8.5, anchor="middle", fill=GREY))
    out.append(_t(left + 2, top - 4, y_label, size=8.5, fill=GREY))
    for value, label, colour in hlines:
        v = _num(value)
        if v is not None and v <= y_hi:
            out.append(f'<line x1="{left}" y1="{fy(v):.1f}" x2="{left + pw}" y2="{fy(v):.1f}" stroke="{colour}" '
                       'stroke-dasharray="5,3" stroke-width="1.2"/>')
            out.append(_t(left + pw - 2, fy(v) - 3, label, size=8, anchor="end", fill=colour))
    for value, label, colour in vlines:
        v = _num(value)
        if v is not None and x0 <= v <= x1:
            out.append(f'<line x1="{fx(v):.1f}" y1="{top}" x2="{fx(v):.1f}" y2="{top + ph}" stroke="{colour}" '
                       'stroke-dasharray="3,3"/>')
            out.append(_t(fx(v) + 3, top + 9, label, size=8, fill=colour))
    for _name, xs, ys, colour in series:
        run: list[tuple[float, float]] = []
        segments = []
        for x, y in zip(xs, ys):
            if y is None or (log_x and x <= 0):
                if run:
                    segments.append(run)
                run = []
                continue
            if step and run:
                run.append((fx(x), run[-1][1]))
            run.append((fx(x), fy(y)))
        if run:
            segments.append(run)
        for seg in segments:
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in seg)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    x, ly = left, height - 4
    for name, _xs, _ys, colour in series[:12]:
        out.append(f'<rect x="{x}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(_t(x + 13, ly + 1, name, size=8))
        x += 22 + 5 * len(name)
        if x > width - 60:
            break
    return embed("".join(out), width, height, title)


def _closed_row(name: str, d: dict) -> list[str]:
    if not d:
        return [esc(name)] + ["-"] * 6
    if not d.get("stable"):
        return [esc(name), esc(fmt(d.get("utilisation"))), mark("fail", "unstable")] + ["-"] * 4
    return [esc(name), esc(fmt(d.get("utilisation"))), esc(fmt(d.get("p_wait"))), esc(fmt(d.get("mean_wait_ms"))),
            esc(fmt(d.get("p50_ms"))), esc(fmt(d.get("p95_ms"))), esc(fmt(d.get("p99_ms")))]


def capacity_chart(r: dict) -> str:
    curves = _dict(r.get("curves"))
    rates = curves.get("rates") or []
    series = [(f"{c} replica{'s' if c != 1 else ''}", rates, ys, PALETTE[i % len(PALETTE)])
              for i, (c, ys) in enumerate(zip(curves.get("replicas") or [], curves.get("p95_ms") or []))]
    slo = _num(r.get("slo_p95_ms"))
    return lines_svg(series, title="p95 latency against the arrival rate (closed form)", x_label="requests/s (log)",
                     y_label="p95 ms", log_x=True, hlines=[(slo, f"SLO {fmt(slo)} ms", RED)] if slo else (),
                     vlines=[(r.get("rate"), "expected peak", GREY), (r.get("design_rate"), "design point", AMBER)],
                     y_cap=3 * slo if slo else None)


@register("capacity")
def render_capacity(run: dict) -> str:
    r = _dict(run.get("result"))
    dist, needed = _dict(r.get("distribution")), _dict(r.get("needed"))
    pairs = [("Verdict", mark("pass" if r.get("slo_met") else "fail", "SLO MET" if r.get("slo_met") else "SLO MISSED")),
             ("Why", esc(r.get("verdict"))),
             ("Service time", esc(f"{dist.get('kind')}, mean {fmt(dist.get('mean_ms'))} ms, CV {fmt(dist.get('cv'))}; "
                                  f"its own p95 {fmt(r.get('service_p95_ms'))} ms")),
             ("Traffic", esc(f"expected peak {fmt(r.get('rate'))} requests/s, design point {fmt(r.get('design_rate'))}"
                             f"/s ({fmt(r.get('peak_factor'))}x), arrival CV {fmt(r.get('arrival_cv'))}")),
             ("Replicas needed", esc(f"{fmt(needed.get('replicas'))} at the design point"
                                     + (f" (by {needed.get('basis')})" if needed.get("replicas") else "")
                                     + f"; {fmt(needed.get('at_rate'))} at the expected peak"))]
    body = kv_table(pairs)
    if r.get("replicas") is not None:
        rows = [_closed_row(f"closed form at {fmt(r.get('rate'))}/s", _dict(r.get("at_rate"))),
                _closed_row(f"closed form at {fmt(r.get('design_rate'))}/s", _dict(r.get("at_design"))),
                _closed_row(f"simulation at {fmt(r.get('design_rate'))}/s", _dict(r.get("simulation")))]
        sim = _dict(r.get("simulation"))
        body += (f"<h4>{esc(fmt(r.get('replicas')))} replica(s)</h4>"
                 + table(["", "Utilisation", "P(wait)", "Mean wait ms", "p50 ms", "p95 ms", "p99 ms"], rows,
                         numeric={1, 2, 3, 4, 5, 6}))
        judged = _dict(r.get("judged"))
        if judged.get("p95_ms") is not None:
            body += (f"<p>The p95 that decides: <b>{esc(fmt(judged.get('p95_ms')))} ms</b>, by "
                     f"{esc(judged.get('basis'))}.</p>")
        if sim.get("requests"):
            body += (f'<p class="small muted">Simulation: {esc(fmt(sim.get("requests")))} requests, seed '
                     f'{esc(fmt(sim.get("seed")))}, the first {esc(fmt(100 * (sim.get("warmup") or 0), 2))}% left '
                     "out as warm-up.</p>")
    return body + capacity_chart(r) + (
        '<p class="small muted">Closed forms: Erlang C (exact for exponential service and Poisson arrivals), '
        "otherwise the Allen–Cunneen approximation, which is good for means and can be optimistic in the tail, so "
        "then the discrete-event simulation decides (or the larger of the two when the simulation may not have "
        "settled).</p>")


@gate("capacity", "Capacity")
def capacity_gate(run: dict | None) -> dict:
    """Passes when the capacity run met its SLO at the design point, fails when it did not."""
    if run is None:
        return gate_result("capacity", "Capacity", "none", "no capacity run recorded")
    r = _dict(run.get("result"))
    state = "pass" if r.get("slo_met") else "fail"
    return gate_result("capacity", "Capacity", state, f"run #{run.get('id')}: {r.get('verdict') or 'no verdict'}")


def autoscale_charts(r: dict) -> str:
    policies = [p for p in r.get("policies") or [] if isinstance(p, dict)]
    if not policies:
        return ""
    colours = (REFERENCE_COLOUR, CURRENT_COLOUR)
    reps, lats = [], []
    for i, p in enumerate(policies[:2]):
        minutes = [(_num(t) or 0.0) / 60 for t in p.get("times") or []]
        reps.append((f"{p.get('policy')} replicas", *thin(minutes, p.get("replicas") or []), colours[i]))
        lats.append((f"{p.get('policy')} p95", *thin(minutes, p.get("p95_ms") or []), colours[i]))
    first = policies[0]
    minutes = [(_num(t) or 0.0) / 60 for t in first.get("times") or []]
    slo = _num(r.get("slo_p95_ms"))
    return (lines_svg(reps, title="Replicas over time", x_label="minutes", y_label="replicas", step=True)
            + lines_svg(lats, title="p95 latency over time (capped at 3x the SLO)", x_label="minutes",
                        y_label="p95 ms", hlines=[(slo, f"SLO {fmt(slo)} ms", RED)] if slo else (),
                        y_cap=3 * slo if slo else None)
            + lines_svg([("arrival rate", *thin(minutes, first.get("rate") or []), GREY)], title="Traffic",
                        x_label="minutes", y_label="requests/s", height=180))


@register("autoscale")
def render_autoscale(run: dict) -> str:
    r = _dict(run.get("result"))
    traffic, service = _dict(r.get("traffic")), _dict(r.get("service"))
    pairs = [("Verdict", mark("pass" if r.get("slo_met") else "fail", "SLO MET" if r.get("slo_met") else "SLO MISSED")),
             ("Why", esc(r.get("verdict"))),
             ("Traffic", esc(f"{traffic.get('source')}: {fmt((_num(traffic.get('duration_s')) or 0) / 60)} minutes, "
                             f"peak {fmt(traffic.get('peak_rate'))} requests/s")),
             ("Service time", esc(f"{service.get('kind')}, mean {fmt(service.get('mean_ms'))} ms")),
             ("Replay", esc(f"steps of {fmt(r.get('step_s'))} s, new replicas ready after {fmt(r.get('readiness_s'))} s"))]
    rows = []
    for p in r.get("policies") or []:
        p = _dict(p)
        best = p.get("policy") == r.get("winner") and len(r.get("policies") or []) > 1
        rows.append([esc(p.get("policy")) + (" " + mark("pass", "better") if best else ""), esc(p.get("description")),
                     esc(fmt(p.get("slo_violation_minutes"))), esc(fmt(p.get("replica_minutes"))),
                     esc(fmt(p.get("max_replicas_used"))), esc(fmt(p.get("scaling_events")))])
    return (kv_table(pairs)
            + table(["Policy", "Settings", "SLO-violation minutes", "Replica-minutes", "Max replicas", "Events"],
                    rows, numeric={2, 3, 4, 5})
            + autoscale_charts(r))


@gate("autoscale", "Auto-scaling")
def autoscale_gate(run: dict | None) -> dict:
    """Passes when the replayed policy stayed within its allowed SLO-violation minutes."""
    if run is None:
        return gate_result("autoscale", "Auto-scaling", "none", "no autoscale run recorded")
    r = _dict(run.get("result"))
    state = "pass" if r.get("slo_met") else "fail"
    return gate_result("autoscale", "Auto-scaling", state, f"run #{run.get('id')}: {r.get('verdict') or 'no verdict'}")

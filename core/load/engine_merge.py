"""Merging what the generator processes saw: the per-second timeline, the stop rules, the result.

Each process sends one :class:`~core.load.engine_core.Tick` per second; a second's timeline point is
final once every process has sent its tick for it.  A point's ``throughput`` is its completed requests per
second; the run's last second is usually cut short, and then the point says how much of it the run covered
(``seconds``) and its throughput is the rate over that span (None under half a second).  The SLO stop rules look at the last
``stop_window_s`` seconds of merged points: stop when their p95 latency is above ``stop_p95_ms`` or
their error share above ``stop_error_pct`` (once the window holds at least ``MIN_WINDOW`` replies).
"""

from __future__ import annotations

import math
from collections import deque

from core.load.histogram import Histogram
from core.load.result import MIN_RATE_SPAN, NATIVE_MEANING, LoadResult

MIN_WINDOW = 20          # replies a stop-rule window needs before it can stop the run
LATE_SHARE_LIMIT = 0.01  # more dispatches >10 ms late than this share: the generator could not keep the schedule
RATE_SHARE_LIMIT = 0.95  # achieved below this share of the target: the generator fell short
CPU_BUSY = 0.9           # a generator process busy this share of its wall time was saturated


def _version() -> str:
    try:
        from core import __version__
        return str(__version__)
    except ImportError:
        return ""


class Merger:
    """Collects ticks from ``sources`` processes; calls ``on_tick(point)`` and ``progress(f)`` as seconds close."""

    def __init__(self, plan, sources: int = 1, *, on_tick=None, progress=None):
        self.plan = plan
        self.sources = sources
        self.on_tick = on_tick
        self.progress = progress
        self.pending: dict[int, list] = {}
        self.next_t = 0
        self.timeline: list[dict] = []
        self.window: deque = deque()
        self.stop_reason = ""
        self.waiting = 0

    def add(self, tick) -> None:
        self.pending.setdefault(tick.t, []).append(tick)
        while len(self.pending.get(self.next_t, ())) >= self.sources:
            self._close(self.next_t)

    def finish(self) -> None:
        """Close every second still waiting (a process may have ended a second earlier than another)."""
        for t in sorted(self.pending):
            if t >= self.next_t:
                self._close(t)

    def _close(self, t: int) -> None:
        ticks = self.pending.pop(t, [])
        self.next_t = t + 1
        h = Histogram()
        for k in ticks:
            if k.latency:
                h.merge(Histogram.from_state(k.latency))
        sent = sum(k.sent for k in ticks)
        completed = sum(k.completed for k in ticks)
        errors = sum(k.errors for k in ticks)
        self.waiting = sum(getattr(k, "waiting", 0) for k in ticks)
        span = max((getattr(k, "seconds", 1.0) for k in ticks), default=1.0)
        point = {"t": t, "sent": sent, "completed": completed, "errors": errors, "throughput": completed,
                 "p50_ms": h.percentile(0.5), "p95_ms": h.percentile(0.95), "p99_ms": h.percentile(0.99)}
        if span < 1.0:  # the run's last second, cut short: its counts cover only ``seconds`` of it
            point["seconds"] = round(span, 4)
            point["throughput"] = completed / span if span >= MIN_RATE_SPAN else None
        self.timeline.append(point)
        self.window.append((t, h, completed, errors))
        while self.window and self.window[0][0] <= t - self.plan.stop_window_s:
            self.window.popleft()
        self._check_rules()
        if self.on_tick is not None:
            self.on_tick(dict(point))
        if self.progress is not None:
            total = self.plan.total_duration_s
            self.progress(min(1.0, (t + 1) / total) if total > 0 else 1.0)

    def _check_rules(self) -> None:
        plan = self.plan
        if self.stop_reason or (plan.stop_p95_ms is None and plan.stop_error_pct is None):
            return
        completed = sum(w[2] for w in self.window)
        waiting = self.waiting
        if completed + waiting < MIN_WINDOW:
            return
        span = f"over the last {len(self.window)} s"
        if plan.stop_error_pct is not None and completed >= MIN_WINDOW:
            share = 100.0 * sum(w[3] for w in self.window) / completed
            if share > plan.stop_error_pct:
                self.stop_reason = f"slo: errors {share:.1f}% > {plan.stop_error_pct:g}% {span}"
                return
        if plan.stop_p95_ms is not None:
            h = Histogram()
            for w in self.window:
                h.merge(w[1])
            # unanswered requests older than the limit rank above every reply
            rank = math.ceil(0.95 * (h.count + waiting) - 1e-9)
            if rank > h.count:
                self.stop_reason = (f"slo: p95 above {plan.stop_p95_ms:g} ms {span} ({waiting:,} requests "
                                    f"still waiting longer than that)")
                return
            p95 = h.percentile(rank / h.count) if h.count else None
            if p95 is not None and p95 > plan.stop_p95_ms:
                self.stop_reason = f"slo: p95 {p95:.1f} ms > {plan.stop_p95_ms:g} ms {span}"


def build_result(plan, totals: list, timeline: list[dict], stop_reason: str = "") -> LoadResult:
    """The :class:`LoadResult` of a finished run from every process's totals."""
    lat, svc = Histogram(), Histogram()
    status: dict = {}
    kinds: dict = {}
    for t in totals:
        if t.latency:
            lat.merge(Histogram.from_state(t.latency))
        if t.service:
            svc.merge(Histogram.from_state(t.service))
        for k, v in t.status_counts.items():
            status[k] = status.get(k, 0) + v
        for k, v in t.error_types.items():
            kinds[k] = kinds.get(k, 0) + v
    sent = sum(t.sent for t in totals)
    finished = sum(t.finished for t in totals)
    errors = sum(t.errors for t in totals)
    late = sum(t.late_sends for t in totals)
    late_dispatch = sum(t.late_dispatches for t in totals)
    cap_hits = sum(t.cap_hits for t in totals)
    abandoned = sum(t.abandoned for t in totals)
    span = max((t.send_span_s for t in totals), default=0.0)
    written = sum(t.written for t in totals)
    achieved = written / span if span > 0 else 0.0
    target = plan.mean_rate
    planned = sum(s.expected_requests for s in plan.stages)
    if not stop_reason and sent >= plan.max_requests and planned > plan.max_requests + 0.5:
        stop_reason = f"max_requests: the plan's bound of {plan.max_requests:,} requests was reached"
    notes: list[str] = []
    limited = False
    behind = sum(t.behind_dispatches for t in totals)
    if sent and behind / sent > LATE_SHARE_LIMIT:
        limited = True
        lag = max(t.max_dispatch_lag_ms for t in totals)
        notes.append(f"{behind:,} of {sent:,} sends ({100 * behind / sent:.1f}%) left the scheduler more than 10 ms "
                     f"late (worst {lag:.1f} ms): the generator could not keep its schedule")
    elif late_dispatch:
        notes.append(f"{late_dispatch:,} of {sent:,} sends ({100 * late_dispatch / sent:.1f}%) left the scheduler "
                     "more than 1 ms late (a busy machine or a saturated generator); their latency includes the "
                     "delay")
    if not stop_reason and target > 0 and achieved < RATE_SHARE_LIMIT * target:
        # short of the target because connections ran out is the server's doing (noted below); otherwise the
        # generator's
        limited = limited or not cap_hits
        notes.append(f"achieved {achieved:,.0f} requests/s of the {target:,.0f} planned")
    busy = [t.cpu_s / t.elapsed_s for t in totals if t.elapsed_s > 0]
    if busy and max(busy) > CPU_BUSY:
        notes.append(f"a generator process was busy {100 * max(busy):.0f}% of the time (one core's ceiling); "
                     "more processes (--processes) may help")
    if cap_hits:
        notes.append(f"the in-flight cap of {plan.max_in_flight:,} connections was reached {cap_hits:,} times: those "
                     "requests waited for a connection, and their latency counts that wait (the server was not "
                     "keeping up)")
    if abandoned:
        notes.append(f"{abandoned:,} requests still queued or in flight when the run stopped were abandoned "
                     "(not counted)")
    summary = lat.summary()
    service = svc.summary("service_")
    extra = {"sent": sent, "written": written, "abandoned": abandoned, "late_dispatches": late_dispatch, "behind_dispatches": behind,
             "max_dispatch_lag_ms": max((t.max_dispatch_lag_ms for t in totals), default=0.0),
             "connections_opened": sum(t.connections_opened for t in totals),
             "retries": sum(t.retries for t in totals), "processes": len(totals),
             "duration_s": max((t.elapsed_s for t in totals), default=0.0), "send_span_s": span,
             "generator_cpu_share": max(busy) if busy else None, "planned_requests": int(round(planned)),
             "service_p90_ms": service["service_p90_ms"], "service_p999_ms": service["service_p999_ms"],
             "service_mean_ms": service["service_mean_ms"]}
    result = LoadResult(
        requests=finished, errors=errors, success_rate=(finished - errors) / finished if finished else None,
        target_rate=target, achieved_rate=achieved, late_sends=late,
        p50_ms=summary["p50_ms"], p90_ms=summary["p90_ms"], p95_ms=summary["p95_ms"], p99_ms=summary["p99_ms"],
        p999_ms=summary["p999_ms"], max_ms=summary["max_ms"], mean_ms=summary["mean_ms"],
        service_p50_ms=service["service_p50_ms"], service_p95_ms=service["service_p95_ms"],
        service_p99_ms=service["service_p99_ms"], service_max_ms=service["service_max_ms"],
        timeline=timeline, status_counts=dict(sorted(status.items())), error_types=dict(sorted(kinds.items())),
        generator_limited=limited, generator_notes=notes, in_flight_cap_hits=cap_hits,
        stopped_early=bool(stop_reason), stop_reason=stop_reason,
        histogram=lat.to_dict(), service_histogram=svc.to_dict(),
        slo={"p95_ms": plan.slo_p95_ms, "success_rate": plan.slo_success_rate},
        source={"tool": "preflight", "version": _version(), "files": [], "meaning": NATIVE_MEANING},
        extra=extra)
    return result.with_verdict()

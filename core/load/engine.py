"""The open-loop HTTP load generator: ``run_load(plan) -> LoadResult``.

Requests leave on the plan's schedule (constant or Poisson arrivals, stages with ramps) whatever the
server does, over a keep-alive connection pool (:mod:`core.load.engine_core`,
:mod:`core.load.engine_http`).  Latency is timed from each request's *intended* send time, so a
stalled server is charged for every request that should have gone out during the stall; service time
from the actual send is kept too.  With ``plan.processes > 1`` one generator process per share of the
arrivals runs (``spawn`` start method) and their per-second ticks and histograms are merged.

``on_tick(point)`` is called about once a second from the calling thread with the newest timeline
point; ``progress(fraction)`` follows the plan's clock; ``cancelled()`` stops the run and raises
:class:`core.errors.Cancelled`.  Statuses 2xx count as successes, any other status as an error
(``http_4xx``...); failures without a status are classified as ``timeout``, ``connection_refused``,
``connection_reset``, ``connection_closed``, ``protocol_error``, ``connection_error`` or ``not_sent``.
Latency histograms hold the replies that carried a status (of any class).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time

from core.errors import Cancelled, PreflightError, check_cancel
from core.load.engine_core import run_generator
from core.load.engine_http import build_requests
from core.load.engine_merge import Merger, build_result
from core.load.plan import DEFAULT_BODY, LoadPlan
from core.load.result import LoadResult

BODYLESS = ("GET", "HEAD", "DELETE", "OPTIONS")
START_DELAY_S = 0.3     # processes start together this long after the last one is ready
READY_TIMEOUT_S = 120.0


def plan_requests(plan: LoadPlan, bodies: list[str] | None = None) -> list[bytes]:
    """The raw requests the plan sends, cycling: one per row body, or the one fixed/default body."""
    if bodies:
        chosen = list(bodies)
    elif plan.body is not None:
        chosen = [plan.body]
    elif plan.method.upper() in BODYLESS:
        chosen = [None]
    else:
        chosen = [DEFAULT_BODY]
    return build_requests(plan.method, plan.url, plan.headers, chosen)


def _bodies_from_plan(plan: LoadPlan, bodies):
    if bodies is None and plan.rows_csv:
        from core.load.engine_bodies import read_row_bodies
        bodies, _ = read_row_bodies(plan.rows_csv, template=plan.body)
    return bodies


def run_load(plan: LoadPlan, *, progress=None, cancelled=None, on_tick=None, bodies=None) -> LoadResult:
    """Send ``plan``'s requests open-loop and measure them (see the module docstring)."""
    plan.validate()
    check_cancel(cancelled)
    requests = plan_requests(plan, _bodies_from_plan(plan, bodies))
    if plan.processes > 1:
        return _run_processes(plan, requests, progress=progress, cancelled=cancelled, on_tick=on_tick)
    merger = Merger(plan, 1, on_tick=on_tick, progress=progress)

    def should_stop() -> str:
        if cancelled is not None and cancelled():
            return "cancelled"
        return merger.stop_reason

    totals = run_generator(plan, requests, emit=merger.add, should_stop=should_stop)
    merger.finish()
    if totals.stop_reason == "cancelled":
        raise Cancelled()
    return build_result(plan, [totals], merger.timeline, merger.stop_reason)


# ---------------------------------------------------------------------- several processes
def _child(plan_dict, requests, share, out, stop, go, start_at) -> None:
    """A generator process: report ready, wait for the common start, send ticks, then the totals."""
    try:
        plan = LoadPlan.from_dict(plan_dict)
        out.put(("ready", share[0], None))
        if not go.wait(READY_TIMEOUT_S):
            out.put(("error", share[0], "the other generator processes did not start"))
            return
        totals = run_generator(plan, requests, share=share, emit=lambda tick: out.put(("tick", share[0], tick)),
                               should_stop=lambda: "stop" if stop.is_set() else "", start_wall=start_at.value)
        out.put(("done", share[0], totals))
    except BaseException as exc:  # reported to the parent, which raises it there
        out.put(("error", share[0], f"{type(exc).__name__}: {exc}"))


def _run_processes(plan: LoadPlan, requests, *, progress, cancelled, on_tick) -> LoadResult:
    n = plan.processes
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    stop, go = ctx.Event(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    plan_dict = plan.to_dict()
    procs = [ctx.Process(target=_child, args=(plan_dict, requests, (i, n), out, stop, go, start_at), daemon=True)
             for i in range(n)]
    merger = Merger(plan, n, on_tick=on_tick, progress=progress)
    totals: dict[int, object] = {}
    ready: set[int] = set()
    reason = ""
    try:
        for p in procs:
            p.start()
        deadline = time.monotonic() + READY_TIMEOUT_S + plan.total_duration_s + plan.timeout_ms / 1000 + 30
        while len(totals) < n:
            if time.monotonic() > deadline:
                raise PreflightError("the generator processes did not finish in time")
            if cancelled is not None and cancelled() and not reason:
                reason = "cancelled"
                stop.set()
                go.set()
            if merger.stop_reason and not reason:
                reason = merger.stop_reason
                stop.set()
            try:
                kind, who, payload = out.get(timeout=0.1)
            except queue_mod.Empty:
                dead = [p for i, p in enumerate(procs) if i not in totals and not p.is_alive() and p.exitcode]
                if dead:
                    raise PreflightError(f"a generator process ended unexpectedly (exit code {dead[0].exitcode})")
                continue
            if kind == "ready":
                ready.add(who)
                if len(ready) == n and not go.is_set():
                    start_at.value = time.time() + START_DELAY_S
                    go.set()
            elif kind == "tick":
                merger.add(payload)
            elif kind == "done":
                totals[who] = payload
            else:
                raise PreflightError(f"a generator process failed: {payload}")
    finally:
        stop.set()
        go.set()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=2)
    merger.finish()
    if reason == "cancelled":
        raise Cancelled()
    return build_result(plan, [totals[i] for i in range(n)], merger.timeline, merger.stop_reason)

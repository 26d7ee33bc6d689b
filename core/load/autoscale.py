"""Autoscaling replay: traffic through a scaling policy, coupled to the capacity model for latency.

Time advances in steps of ``step_s`` (default 15 s).  In each step:

* the arrival rate is the traffic's rate at the middle of the step;
* ``ready`` replicas serve (a new replica becomes ready ``readiness_s`` after it was asked for; pods that
  are still starting are removed first on a scale-down); capacity is ``ready / mean service time``;
* a backlog carries over between steps: it grows by (rate − capacity) × step while the rate is above
  capacity and drains at (capacity − rate) afterwards;
* without backlog the p95 latency is the closed form of :mod:`core.load.capacity` for ``ready`` replicas
  (tabulated per replica count); with backlog it is the time to drain the backlog ahead plus the service
  time's p95, and the step is *overloaded*;
* the policy is evaluated every ``sync_s`` on the previous step's metric: ``utilisation`` (busy share of the
  ready replicas, 1 while a backlog exists; the replicas that were ready in that step are the ones that
  reported it), ``queue_depth`` (mean requests waiting plus the backlog) or ``p95_ms``.

Outputs per policy: replicas (asked for) and ready replicas over time, p95 latency over time, SLO-violation
minutes (steps whose p95 is above the SLO or that have no ready replica), replica-minutes (every replica
asked for is paid from the moment it is asked for) and the scaling events.
"""

from __future__ import annotations

import math

import numpy as np

from core.errors import PreflightError, check_cancel
from core.load.capacity import ServiceDist, dist_p95_ms, latency_quantiles, wait_rate
from core.load.traffic import Traffic

MAX_STEPS = 200_000
RHO_GRID = np.concatenate([np.linspace(0.0, 0.9, 91)[:-1], 1 - np.geomspace(0.1, 1e-4, 120)])


class LatencyModel:
    """p95 latency (ms) and mean queue length for a rate and a ready-replica count, from cached tables."""

    def __init__(self, dist: ServiceDist, arrival_scv: float = 1.0):
        self.dist, self.scv = dist, arrival_scv
        self.service_p95_ms = dist_p95_ms(dist)
        self._nodes = dist.nodes(200)
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _table(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        if c not in self._tables:
            rates = RHO_GRID * c / self.dist.mean_s
            pairs = [wait_rate(max(r, 1e-12), c, self.dist, self.scv) for r in rates]
            p95 = latency_quantiles([p for p, _ in pairs], [t for _, t in pairs], self._nodes, (0.95,),
                                    iterations=32)[:, 0] * 1000
            wq = np.array([0.0 if math.isinf(t) else p / t for p, t in pairs])
            self._tables[c] = (np.log(p95), wq)
        return self._tables[c]

    def at(self, rate: float, c: int) -> tuple[float, float]:
        """(p95 ms, mean requests waiting) for a stable system (rate below c / mean service time)."""
        rho = rate * self.dist.mean_s / c
        log_p95, wq = self._table(c)
        return float(np.exp(np.interp(rho, RHO_GRID, log_p95))), float(rate * np.interp(rho, RHO_GRID, wq))


def replay(traffic: Traffic, policy, model: LatencyModel, *, slo_p95_ms: float = 200.0, step_s: float = 15.0,
           readiness_s: float = 60.0, start_replicas: int | None = None, progress=None, cancelled=None) -> dict:
    """Replay ``traffic`` through ``policy`` (a :class:`~core.load.policies.SeedPolicy` or ``HpaPolicy``)."""
    policy.check()
    if not (step_s > 0 and readiness_s >= 0):
        raise PreflightError("the step must be positive and the readiness delay not negative")
    n_steps = int(math.ceil(traffic.duration_s / step_s))
    if n_steps > MAX_STEPS:
        raise PreflightError(f"{n_steps:,} steps of {step_s:g} s: at most {MAX_STEPS:,} are replayed; use a longer step")
    start = policy.min_replicas if start_replicas is None else int(start_replicas)
    if not policy.min_replicas <= start <= policy.max_replicas:
        raise PreflightError(f"the starting replica count {start} is outside {policy.min_replicas}-{policy.max_replicas}")
    scaler = policy.scaler(start)
    pods = [-readiness_s] * start  # ready-at times; the starting replicas are ready
    mean_s = model.dist.mean_s
    backlog = 0.0
    metric_value, metric_ready = None, start
    next_sync = 0.0
    times, rates, asked, ready_l, p95s, utils, queues, events = [], [], [], [], [], [], [], []
    violation_s = replica_s = overloaded_s = 0.0
    for k in range(n_steps):
        if k % 500 == 0:
            check_cancel(cancelled)
            if progress:
                progress(k / n_steps)
        t = k * step_s
        if metric_value is not None and t >= next_sync - 1e-9:
            before = len(pods)
            reporting = metric_ready if policy.metric == "utilisation" else sum(1 for r in pods if r <= t)
            new, why = scaler.evaluate(t, metric_value, min(reporting, before), before)
            if new > before:
                pods += [t + readiness_s] * (new - before)
            elif new < before:
                pods = sorted(pods)[: new]  # the newest (not yet ready) pods go first
            if new != before:
                events.append({"t": t, "from": before, "to": new, "reason": why})
            next_sync = t + policy.sync_s
        rate = float(traffic.rate_at(t + step_s / 2))
        ready = sum(1 for r in pods if r <= t)
        cap = ready / mean_s
        old = backlog
        backlog = max(0.0, backlog + (rate - cap) * step_s)
        if ready == 0:
            p95, util, queue, over = None, 1.0, backlog, True
        elif backlog > 0 or old > 0 or rate >= cap:
            over = backlog > 0 or rate >= cap
            p95 = 1000 * max(old, backlog) / cap + model.service_p95_ms
            if not over:
                p95 = max(p95, model.at(rate, ready)[0])
            util, queue = (1.0 if over else rate / cap), backlog
        else:
            p95, queue = model.at(rate, ready)
            util, over = rate / cap, False
        metric_ready = ready
        metric_value = {"utilisation": util, "queue_depth": queue,
                        "p95_ms": p95 if p95 is not None else 1e9}[policy.metric]
        violated = p95 is None or p95 > slo_p95_ms
        violation_s += step_s if violated else 0.0
        overloaded_s += step_s if over else 0.0
        replica_s += len(pods) * step_s
        times.append(t)
        rates.append(round(rate, 4))   # rounded for storage: far finer than the model's accuracy
        asked.append(len(pods))
        ready_l.append(ready)
        p95s.append(None if p95 is None else round(p95, 2))
        utils.append(round(util, 4))
        queues.append(round(queue, 3))
    if progress:
        progress(1.0)
    return {"policy": policy.name, "description": policy.describe(), "settings": policy.to_dict(),
            "times": times, "rate": rates, "replicas": asked, "ready": ready_l, "p95_ms": p95s,
            "utilisation": utils, "queue_depth": queues, "events": events,
            "slo_violation_minutes": violation_s / 60, "overloaded_minutes": overloaded_s / 60,
            "replica_minutes": replica_s / 60, "max_replicas_used": max(asked) if asked else start,
            "scaling_events": len(events)}


def better(a: dict, b: dict) -> dict:
    """The policy with fewer SLO-violation minutes, then fewer replica-minutes (``a`` on a tie)."""
    key = (lambda r: (round(r["slo_violation_minutes"], 6), round(r["replica_minutes"], 6)))
    return b if key(b) < key(a) else a

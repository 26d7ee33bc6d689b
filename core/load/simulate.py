"""Discrete-event simulation of c replicas behind one FCFS queue (G/G/c), for latency tails.

Arrivals and service times are drawn with numpy up front; the event loop keeps one heap of the
times at which each replica becomes free.  The next request starts at ``max(its arrival, the earliest
free time)``, so one ``heapreplace`` per request is the whole simulation.  The first ``warmup`` share of
requests (the system starts empty) is left out of the statistics.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from core.errors import PreflightError, check_cancel
from core.load.capacity import ServiceDist, unstable_text

DEFAULT_REQUESTS = 200_000
MAX_REQUESTS = 5_000_000
CHUNK = 50_000


def interarrivals(rng: np.random.Generator, rate: float, n: int, scv: float = 1.0) -> np.ndarray:
    """Poisson (SCV 1), constant (SCV 0) or gamma gaps with the given squared coefficient of variation."""
    mean = 1.0 / rate
    if scv == 1.0:
        return rng.exponential(mean, n)
    if scv == 0:
        return np.full(n, mean)
    return rng.gamma(1.0 / scv, mean * scv, n)


def simulate(rate: float, replicas: int, dist: ServiceDist, *, requests: int = DEFAULT_REQUESTS,
             arrival_scv: float = 1.0, seed: int = 0, warmup: float = 0.05, progress=None,
             cancelled=None) -> dict:
    """Simulate ``requests`` arrivals; returns P(wait), mean wait, wait and latency percentiles (ms).

    An unstable system (utilisation ≥ 1) is not simulated: the result says so (``stable`` false).
    """
    if not (isinstance(requests, int) and 1000 <= requests <= MAX_REQUESTS):
        raise PreflightError(f"the simulation needs between 1,000 and {MAX_REQUESTS:,} requests (got {requests!r})")
    if replicas < 1:
        raise PreflightError("the number of replicas must be at least 1")
    if not (math.isfinite(rate) and rate > 0):
        raise PreflightError(f"the arrival rate must be a positive number (got {rate!r})")
    rho = rate * dist.mean_s / replicas
    out = {"rate": rate, "replicas": replicas, "requests": requests, "seed": seed, "warmup": warmup,
           "utilisation": rho, "stable": rho < 1}
    if rho >= 1:
        out.update(p_wait=None, mean_wait_ms=None, wait_p99_ms=None, p50_ms=None, p95_ms=None, p99_ms=None,
                   mean_ms=None, note=unstable_text(rate, replicas, dist))
        return out
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(interarrivals(rng, rate, requests, arrival_scv)).tolist()
    service = dist.sample(rng, requests)
    svc = service.tolist()
    waits = [0.0] * requests
    free = [0.0] * replicas
    replace = heapq.heapreplace
    for lo in range(0, requests, CHUNK):
        check_cancel(cancelled)
        for i in range(lo, min(lo + CHUNK, requests)):
            a = arrivals[i]
            f = free[0]
            if f > a:
                waits[i] = f - a
                replace(free, f + svc[i])
            else:
                replace(free, a + svc[i])
        if progress:
            progress(min(1.0, (lo + CHUNK) / requests))
    skip = int(requests * warmup)
    w = np.asarray(waits[skip:])
    lat = w + service[skip:]
    wq = np.percentile(w, [50, 95, 99])
    lq = np.percentile(lat, [50, 95, 99])
    span = arrivals[-1] - arrivals[skip]
    busy = float(service[skip:].sum())
    out.update(p_wait=float((w > 0).mean()), mean_wait_ms=1000 * float(w.mean()), wait_p50_ms=1000 * float(wq[0]),
               wait_p95_ms=1000 * float(wq[1]), wait_p99_ms=1000 * float(wq[2]), p50_ms=1000 * float(lq[0]),
               p95_ms=1000 * float(lq[1]), p99_ms=1000 * float(lq[2]), mean_ms=1000 * float(lat.mean()),
               max_ms=1000 * float(lat.max()),
               measured_utilisation=busy / (replicas * span) if span > 0 else None)
    return out

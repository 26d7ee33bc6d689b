"""Sizing checks of a capacity run: how long to simulate, which p95 decides, and the fewest replicas.

* :func:`sim_requests`: a simulation gets at least 100 requests per replica and spans 50 relaxation times
  ``1 / (cμ(1 − √ρ)²)`` of a queue that starts empty (raised up to 1M requests; more may be asked for);
* :func:`judged_p95`: Erlang C decides when it is exact (exponential service, Poisson arrivals); otherwise the
  simulation, or the larger of it and Allen–Cunneen when the simulation may not have settled;
* :func:`verify_needed`: from the closed-form count, up or down until the judged p95 says it is the fewest.
"""

from __future__ import annotations

import math

from core.errors import check_cancel
from core.load import capacity as cap
from core.load.simulate import simulate

MAX_SIM_STEPS = 8


#: a simulation gives every replica at least this many requests, and spans this many relaxation times,
#: raising the request count up to AUTO_MAX_REQUESTS (a longer run may still be asked for)
PER_REPLICA, SPAN_RELAXATIONS, AUTO_MAX_REQUESTS = 100, 50, 1_000_000


def relaxation_s(rate: float, c: int, dist: cap.ServiceDist) -> float:
    """About how long a queue that starts empty takes to settle: 1 / (cμ(1 − √ρ)²) (heavy-traffic estimate)."""
    rho = rate * dist.mean_s / c
    return math.inf if rho >= 1 else 1.0 / (c / dist.mean_s * (1 - math.sqrt(rho)) ** 2)


def sim_requests(requests: int, replicas: int, rate: float | None = None, dist: cap.ServiceDist | None = None) -> int:
    """The simulated request count: as asked, raised to PER_REPLICA per replica and to SPAN_RELAXATIONS
    relaxation times of the queue (raised to at most AUTO_MAX_REQUESTS)."""
    n = PER_REPLICA * replicas
    if rate is not None and dist is not None:
        tau = relaxation_s(rate, replicas, dist)
        if math.isfinite(tau):
            n = max(n, int(math.ceil(SPAN_RELAXATIONS * tau * rate)))
    return max(requests, min(AUTO_MAX_REQUESTS, n))


def _sim(settings, dist, rate, c, progress=None, cancelled=None) -> dict:
    n = sim_requests(settings.requests, c, rate, dist)
    out = simulate(rate, c, dist, requests=n, arrival_scv=settings.arrival_cv ** 2, seed=settings.seed,
                   progress=progress, cancelled=cancelled)
    if out.get("stable"):
        out["settled"] = n / rate >= SPAN_RELAXATIONS * relaxation_s(rate, c, dist)
    return out


def simulate_design(settings, dist: cap.ServiceDist, *, progress=None, cancelled=None) -> dict:
    """The simulation at the design point for ``settings.replicas`` (what a capacity run stores)."""
    return _sim(settings, dist, settings.rate * settings.peak_factor, settings.replicas, progress, cancelled)


def exact(settings, dist: cap.ServiceDist) -> bool:
    """Exponential service and Poisson arrivals: Erlang C is exact, so it decides."""
    return dist.kind == "exponential" and settings.arrival_cv == 1.0


def judged_p95(settings, dist, rate: float, c: int, sim: dict | None) -> tuple[float | None, str]:
    """The p95 (ms) that decides at ``rate`` with ``c`` replicas, and what it rests on (None: unstable).

    Erlang C when it is exact; otherwise the simulation, or, when the simulation may not have settled, the
    larger of it and the Allen–Cunneen value."""
    cf = cap.closed_form(rate, c, dist, settings.arrival_cv ** 2)
    if not cf["stable"]:
        return None, "unstable"
    if exact(settings, dist):
        return cf["p95_ms"], "Erlang C (exact for exponential service and Poisson arrivals)"
    if sim and sim.get("stable") and sim.get("settled"):
        return sim["p95_ms"], "simulation"
    sim_p95 = (sim or {}).get("p95_ms")
    return (max(cf["p95_ms"], sim_p95) if sim_p95 is not None else cf["p95_ms"],
            "the larger of the simulation (which may not have settled) and Allen–Cunneen")


def verify_needed(settings, dist, start: int, progress=None, cancelled=None) -> dict:
    """From the closed-form count, move up or down until the judged p95 says it is the fewest replicas."""
    design, slo = settings.rate * settings.peak_factor, settings.slo_p95_ms
    by_sim = not exact(settings, dist)

    def at(c):
        check_cancel(cancelled)
        if progress:
            progress(min(0.9, steps / (MAX_SIM_STEPS + 1)))
        sim = _sim(settings, dist, design, c, cancelled=cancelled) if by_sim else None
        p95, basis = judged_p95(settings, dist, design, c, sim)
        return p95 is not None and p95 <= slo, p95, basis, sim

    c, steps = start, 0
    ok, p95, basis, sim = at(c)
    while not ok:
        c, steps = c + 1, steps + 1
        if c > settings.max_replicas or steps > MAX_SIM_STEPS:
            return {"replicas": None, "simulated": None,
                    "reason": f"no count within {MAX_SIM_STEPS} of the closed form met the SLO"}
        ok, p95, basis, sim = at(c)
    while c > 1 and steps <= MAX_SIM_STEPS and design * dist.mean_s < c - 1:
        below = at(c - 1)
        if not below[0]:
            break
        _, p95, basis, sim = below
        c, steps = c - 1, steps + 1
    if sim is None:
        sim = _sim(settings, dist, design, c, cancelled=cancelled)
    return {"replicas": c, "p95_ms": p95, "basis": basis, "simulated": sim}

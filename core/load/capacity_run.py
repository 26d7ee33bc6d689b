"""Capacity and autoscaling runs: ``run_capacity``/``record_capacity`` (kind "capacity") and
``run_autoscale``/``record_autoscale`` (kind "autoscale").

A capacity run answers "how many replicas for this traffic?" without an endpoint.  ``settings.rate`` is the
expected peak; the design point is ``peak_factor`` (10) times it, the readiness bar "p95 under the SLO at
10x the expected peak".  The result (a JSON-able dict):

* ``distribution`` (kind, mean_ms, cv), ``rate``, ``peak_factor``, ``design_rate``, ``slo_p95_ms``, ``replicas``;
* ``at_rate`` / ``at_design``: closed forms (:func:`core.load.capacity.closed_form`) for the given replicas;
* ``simulation``: the discrete-event simulation at the design point for the given replicas (``settled``: it
  spanned enough time for a queue started empty to settle), and ``judged``: the p95 that decides and its
  ``basis``: Erlang C when it is exact (exponential service, Poisson arrivals), otherwise the simulation
  (or the larger of it and Allen–Cunneen when the simulation may not have settled);
* ``needed``: the fewest replicas meeting the SLO at the design point: ``closed_form`` (the search start),
  ``replicas`` (the answer, by the judged p95), ``basis``, ``p95_ms``, ``simulated`` (the simulation at that
  count), ``at_rate`` (the closed-form count at the expected peak itself) and ``reason`` when no count can;
* ``curves``: ``{"rates", "replicas", "p95_ms"}``, closed-form p95 latency against the arrival rate for
  a spread of 1..N replicas (null where unstable);
* ``slo_met`` and ``verdict`` (a sentence): with ``replicas``, whether their judged p95 meets the SLO at the
  design point; without, whether any count up to ``max_replicas`` does.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from core.canonical import canonical_json, sha256_text, utc_now
from core.errors import PreflightError, check_cancel
from core.load import capacity as cap
from core.load.simulate import DEFAULT_REQUESTS
from core.load.sizing import judged_p95, simulate_design, verify_needed
from core.progress import scaled

CAPACITY_KIND, AUTOSCALE_KIND = "capacity", "autoscale"
MAX_CURVES = 10


@dataclass(frozen=True)
class CapacitySettings:
    rate: float                        # expected peak arrival rate, requests/s
    service_ms: float | None = None    # mean service time (from the run's histogram when from_run is set)
    cv: float | None = None            # None: exponential service; a number: lognormal with this CV
    replicas: int | None = None
    slo_p95_ms: float = 200.0
    peak_factor: float = 10.0
    arrival_cv: float = 1.0            # 1: Poisson arrivals
    requests: int = DEFAULT_REQUESTS
    seed: int = 0
    max_replicas: int = 100_000
    from_run: int | None = None        # a stored loadtest run whose service_histogram is the service time

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> None:
        for name in ("rate", "slo_p95_ms", "peak_factor"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise PreflightError(f"{name.replace('_', ' ')} must be a positive number (got {v!r})")
        if self.replicas is not None and (not isinstance(self.replicas, int) or self.replicas < 1):
            raise PreflightError(f"replicas must be a whole number of at least 1 (got {self.replicas!r})")
        if not (math.isfinite(self.arrival_cv) and self.arrival_cv >= 0):
            raise PreflightError("the arrival CV must be 0 or more")
        if not 1 <= self.max_replicas <= 100_000:
            raise PreflightError("max replicas must be between 1 and 100,000")


@dataclass(frozen=True)
class FeatureRun:
    """A finished capacity or autoscale run (the store's record_run reads these fields)."""

    kind: str
    result: dict
    settings: dict
    inputs: tuple = ()
    started_utc: str = ""
    finished_utc: str = ""
    summary: dict = field(default_factory=dict)


def service_of(settings: CapacitySettings, histogram: dict | None = None) -> cap.ServiceDist:
    if settings.from_run is not None or histogram is not None:
        return cap.empirical(histogram, f"run #{settings.from_run} service_histogram")
    if settings.service_ms is None:
        raise PreflightError("give the mean service time (--service-ms) or a load-test run (--from-run)")
    if settings.cv is None:
        return cap.exponential(settings.service_ms)
    return cap.lognormal(settings.service_ms, settings.cv)


def loadtest_histogram(store, run_id: int) -> tuple[dict, dict]:
    """The service-time histogram of stored loadtest run ``run_id`` and its input record (with SHA-256)."""
    run = store.run(run_id)
    if run.get("kind") != "loadtest":
        raise PreflightError(f"run #{run_id} is a {run.get('kind')} run, not a loadtest run")
    hist = (run.get("result") or {}).get("service_histogram")
    if not isinstance(hist, dict) or not hist.get("counts"):
        raise PreflightError(f"run #{run_id} has no service_histogram (an imported run may lack one)")
    text = canonical_json(hist)
    record = {"role": "service_times", "path": f"run #{run_id} (loadtest) service_histogram",
              "sha256": sha256_text(text), "size": len(text.encode()), "rows": int(sum(hist["counts"])),
              "run_id": run_id}
    return hist, record


def rate_grid(dist: cap.ServiceDist, top_rate: float, n: int = 48) -> list[float]:
    lo = min(0.05 / dist.mean_s, top_rate / 50)
    return [float(r) for r in np.geomspace(lo, top_rate, n)]


def curve_replicas(n_max: int, extra=()) -> list[int]:
    if n_max <= MAX_CURVES:
        chosen = set(range(1, n_max + 1))
    else:
        chosen = {int(round(v)) for v in np.linspace(1, n_max, MAX_CURVES)}
    return sorted(chosen | {int(e) for e in extra if e})


def quick_capacity(settings: CapacitySettings, dist: cap.ServiceDist) -> dict:
    """The closed-form part of a capacity run (fast enough to redraw on every slider move)."""
    settings.check()
    design = settings.rate * settings.peak_factor
    scv = settings.arrival_cv ** 2
    n = settings.replicas
    needed = cap.smallest_replicas(design, dist, settings.slo_p95_ms, scv, settings.max_replicas)
    at_rate_needed = cap.smallest_replicas(settings.rate, dist, settings.slo_p95_ms, scv, settings.max_replicas)
    n_max = max(n or 1, needed or 1, at_rate_needed or 1)
    reps = curve_replicas(min(n_max, settings.max_replicas), (n, needed))
    top = 1.2 * max(design, max(reps) / dist.mean_s)
    rates = rate_grid(dist, top)
    out = {"distribution": dist.to_dict(), "rate": settings.rate, "peak_factor": settings.peak_factor,
           "design_rate": design, "slo_p95_ms": settings.slo_p95_ms, "replicas": n, "arrival_cv": settings.arrival_cv,
           "service_p95_ms": cap.dist_p95_ms(dist),
           "needed": {"closed_form": needed, "at_rate": at_rate_needed},
           "curves": {"rates": rates, "replicas": reps,
                      "p95_ms": cap.p95_curves(rates, reps, dist, scv)}}
    if needed is None:
        out["needed"]["reason"] = _no_count_reason(dist, settings)
    if n is not None:
        out["at_rate"] = cap.closed_form(settings.rate, n, dist, scv)
        out["at_design"] = cap.closed_form(design, n, dist, scv)
    return out


def _no_count_reason(dist, settings) -> str:
    own = cap.dist_p95_ms(dist)
    if own > settings.slo_p95_ms:
        return (f"no replica count can: the service time's own p95 ({own:,.1f} ms) is above the SLO "
                f"({settings.slo_p95_ms:g} ms)")
    return f"more than {settings.max_replicas:,} replicas would be needed"


def run_capacity(settings: CapacitySettings, *, histogram: dict | None = None, inputs: tuple = (),
                 progress=None, cancelled=None) -> FeatureRun:
    """Closed forms, curves, the simulation at the design point and the replica count that meets the SLO.

    ``histogram`` is the service histogram of ``settings.from_run`` (see :func:`loadtest_histogram`)."""
    started = utc_now()
    dist = service_of(settings, histogram)
    result = quick_capacity(settings, dist)
    check_cancel(cancelled)
    if progress:
        progress(0.1)
    design, slo = result["design_rate"], settings.slo_p95_ms
    n = settings.replicas
    if n is not None:
        sim = simulate_design(settings, dist, progress=scaled(progress, 0.1, 0.5), cancelled=cancelled)
        p95, basis = judged_p95(settings, dist, design, n, sim)
        result["simulation"], result["judged"] = sim, {"p95_ms": p95, "basis": basis}
    needed = result["needed"]
    if needed["closed_form"] is not None:
        needed.update(verify_needed(settings, dist, needed["closed_form"], scaled(progress, 0.5, 1.0), cancelled))
    else:
        needed.update(replicas=None, simulated=None)
    if progress:
        progress(1.0)
    result["slo_met"], result["verdict"] = _verdict(result, n, slo)
    summary = {"slo_met": result["slo_met"], "design_rate": design, "replicas": n,
               "needed": needed.get("replicas"), "distribution": dist.kind}
    return FeatureRun(CAPACITY_KIND, result, settings.to_dict(), tuple(inputs), started, utc_now(), summary)


def _verdict(result: dict, n: int | None, slo: float) -> tuple[bool, str]:
    needed = result["needed"]
    design = result["design_rate"]
    want = (f"the fewest replicas for p95 ≤ {slo:g} ms at {design:,.4g} requests/s "
            f"({result['peak_factor']:g}x the expected peak) is {needed['replicas']} (by {needed['basis']})"
            if needed.get("replicas") is not None else needed.get("reason") or "no replica count meets the SLO")
    if n is None:
        return needed.get("replicas") is not None, want[:1].upper() + want[1:] + "."
    judged = result["judged"]
    if judged["p95_ms"] is None:
        return False, f"{n} replica(s) are {(result.get('at_design') or {}).get('note') or 'unstable'}; {want}."
    ok = judged["p95_ms"] <= slo
    said = (f"{n} replica(s) give a p95 of {judged['p95_ms']:,.1f} ms at {design:,.4g} requests/s "
            f"(by {judged['basis']}): {'within' if ok else 'above'} the {slo:g} ms SLO")
    return ok, f"{said}; {want}."


def record_capacity(store, run: FeatureRun) -> int:
    """Store a capacity run (one transaction with its audit event); returns the run id."""
    return store.record_run(CAPACITY_KIND, run)


# ---------------------------------------------------------------------------------------------- autoscale
@dataclass(frozen=True)
class AutoscaleSettings:
    """An autoscaling replay: the traffic, the service, the policy (and the one it is compared with)."""

    trace: str | None = None            # a CSV (time, rate); else ``pattern``
    pattern: str | None = "spike"
    base_rate: float = 20.0
    peak_rate: float = 200.0
    duration_s: float | None = None
    policy: str = "hpa"
    compare: str | None = None
    metric: str = "utilisation"
    target: float = 0.6
    min_replicas: int = 2
    max_replicas: int = 20
    scale_up_threshold: float = 1.5
    scale_down_threshold: float = 0.5
    cooldown_s: float = 300.0
    tolerance: float = 0.1
    sync_s: float = 15.0
    stabilization_s: float = 300.0
    readiness_s: float = 60.0
    step_s: float = 15.0
    start_replicas: int | None = None
    service_ms: float = 40.0
    cv: float | None = None
    slo_p95_ms: float = 200.0
    max_violation_minutes: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def make_policy(self, name: str):
        from core.load.policies import POLICIES, HpaPolicy, SeedPolicy

        common = dict(metric=self.metric, target=self.target, min_replicas=self.min_replicas,
                      max_replicas=self.max_replicas, sync_s=self.sync_s)
        if name == "seed":
            policy = SeedPolicy(scale_up_threshold=self.scale_up_threshold,
                                scale_down_threshold=self.scale_down_threshold, cooldown_s=self.cooldown_s, **common)
        elif name == "hpa":
            policy = HpaPolicy(tolerance=self.tolerance, down_window_s=self.stabilization_s, **common)
        else:
            raise PreflightError(f"unknown policy {name!r}; use one of {', '.join(POLICIES)}")
        policy.check()
        return policy


def traffic_of(settings: AutoscaleSettings, progress=None, cancelled=None):
    """The replayed traffic and its input records (the trace file with its SHA-256)."""
    from core.load.traffic import pattern, trace_from_table

    if settings.trace:
        from core.data.tables import read_table

        table = read_table(settings.trace, progress=progress, cancelled=cancelled)
        return trace_from_table(table), (table.input_record("trace"),)
    if not settings.pattern:
        raise PreflightError("give a trace file (--trace) or a pattern (--pattern diurnal|spike|ramp)")
    return pattern(settings.pattern, settings.base_rate, settings.peak_rate, settings.duration_s), ()


def run_autoscale(settings: AutoscaleSettings, *, progress=None, cancelled=None) -> FeatureRun:
    """Replay the traffic through the policy (and the compared one); see :mod:`core.load.autoscale`."""
    from core.load.autoscale import LatencyModel, better, replay

    started = utc_now()
    if not (math.isfinite(settings.slo_p95_ms) and settings.slo_p95_ms > 0):
        raise PreflightError("the SLO must be a positive number of milliseconds")
    if settings.compare is not None and settings.compare == settings.policy:
        raise PreflightError(f"--compare names the same policy as --policy ({settings.policy})")
    names = [settings.policy] + ([settings.compare] if settings.compare else [])
    policies = [settings.make_policy(n) for n in names]
    traffic, inputs = traffic_of(settings, scaled(progress, 0.0, 0.1), cancelled)
    dist = cap.exponential(settings.service_ms) if settings.cv is None else cap.lognormal(settings.service_ms,
                                                                                           settings.cv)
    model = LatencyModel(dist)
    share = 0.9 / len(policies)
    replays = [replay(traffic, p, model, slo_p95_ms=settings.slo_p95_ms, step_s=settings.step_s,
                      readiness_s=settings.readiness_s, start_replicas=settings.start_replicas,
                      progress=scaled(progress, 0.1 + i * share, 0.1 + (i + 1) * share), cancelled=cancelled)
               for i, p in enumerate(policies)]
    first = replays[0]
    winner = better(first, replays[1])["policy"] if len(replays) > 1 else first["policy"]
    ok = first["slo_violation_minutes"] <= settings.max_violation_minutes + 1e-9
    verdict = (f"{first['description']}: {first['slo_violation_minutes']:,.1f} SLO-violation minutes "
               f"(p95 above {settings.slo_p95_ms:g} ms; {settings.max_violation_minutes:g} allowed) and "
               f"{first['replica_minutes']:,.0f} replica-minutes over {traffic.duration_s / 60:,.0f} minutes")
    if len(replays) > 1:
        other = replays[1]
        verdict += (f"; {other['policy']}: {other['slo_violation_minutes']:,.1f} violation minutes and "
                    f"{other['replica_minutes']:,.0f} replica-minutes; better: {winner}")
    result = {"traffic": traffic.to_dict(), "service": dist.to_dict(), "slo_p95_ms": settings.slo_p95_ms,
              "step_s": settings.step_s, "readiness_s": settings.readiness_s,
              "max_violation_minutes": settings.max_violation_minutes, "policies": replays, "winner": winner,
              "slo_met": ok, "verdict": verdict + "."}
    summary = {"slo_met": ok, "policy": first["policy"], "winner": winner,
               "slo_violation_minutes": first["slo_violation_minutes"], "replica_minutes": first["replica_minutes"],
               "traffic": traffic.source, "policy_description": first["description"]}
    return FeatureRun(AUTOSCALE_KIND, result, settings.to_dict(), tuple(inputs), started, utc_now(), summary)


def record_autoscale(store, run: FeatureRun) -> int:
    """Store an autoscale run (one transaction with its audit event); returns the run id."""
    return store.record_run(AUTOSCALE_KIND, run)

"""A canary run: build the behaviour (synthetic, or replay from two prediction logs), simulate, compare.

The CLI (``canary``) and the Canary tab (through the task pipeline) call :func:`run_canary`, then
:func:`record_canary` to store the run - its settings, its input logs' SHA-256 and the result -
in one transaction with its audit event.

The result (``CanaryRun.result``) is a JSON-able dict:

* ``outcome`` (``promoted``, ``rolled_back`` or ``paused``), ``final_traffic_split`` (the candidate's
  share at the end: 1.0 promoted, 0.0 rolled back, the last weight when paused), ``rule``;
* ``steps``: ``[{step, weight, baseline, candidate, statistic, statistic_name, p_value, state, failed,
  failures, latency, decision, explanation}]`` where ``baseline``/``candidate`` hold the step's
  ``requests`` and ``errors``, the cumulative ``total_requests``/``total_errors``/``error_rate`` with
  its 95 % Wilson interval ``ci_low``/``ci_high``, and ``latency_ms`` quantiles (or null);
* ``requests``, ``latency_checked``, ``behaviour``, ``schedule``, ``params``, ``guards``, ``summary``;
* with a Monte Carlo: ``rules`` (see :mod:`core.canary.montecarlo`) and ``monte_carlo``
  (``runs``, ``baseline_error``, ``worse_error``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.canary.behaviour import Replay, Synthetic, align_logs
from core.canary.explain import pct
from core.canary.montecarlo import MAX_RUNS, compare_rules
from core.canary.rules import RULES, RuleParams
from core.canary.schedules import make_schedule
from core.canary.simulate import Guards, simulate_rollout
from core.canonical import utc_now
from core.data.prediction_log import read_prediction_log
from core.errors import PreflightError, check_cancel
from core.progress import scaled

KIND = "canary"
#: the default rule, chosen by Monte Carlo evidence (see README.md, "Canary")
DEFAULT_RULE = "fisher"
DEFAULT_ALPHA = 0.01


@dataclass(frozen=True)
class CanarySettings:
    rule: str = DEFAULT_RULE
    alpha: float = DEFAULT_ALPHA
    beta: float = 0.2
    tolerance: float = 1.0
    msprt_tau: float = 0.02
    latency_tolerance: float = 0.25
    schedule: str = "seed"
    requests_per_step: int | None = None
    interval_s: float | None = None
    rate_rps: float | None = None
    step_weight: float = 0.05
    max_weight: float = 0.5
    min_samples: int = 100
    failure_limit: int = 0
    baseline_error: float = 0.01
    candidate_error: float = 0.01
    baseline_latency_ms: float | None = None
    candidate_latency_ms: float | None = None
    latency_cv: float = 0.5
    degrade_from_step: int | None = None
    degraded_error: float | None = None
    degraded_latency_ms: float | None = None
    baseline_log: str | None = None
    candidate_log: str | None = None
    seed: int = 0
    monte_carlo: int = 0

    @property
    def replay(self) -> bool:
        return bool(self.baseline_log or self.candidate_log)

    def params(self) -> RuleParams:
        if not 0 < self.alpha < 1:
            raise PreflightError(f"alpha must be between 0 and 1 (got {self.alpha:g})")
        if not 0 < self.beta < 1:
            raise PreflightError(f"beta must be between 0 and 1 (got {self.beta:g})")
        if not self.tolerance > 0:
            raise PreflightError(f"the SPRT tolerance must be a positive relative increase (got {self.tolerance:g})")
        if not self.msprt_tau > 0:
            raise PreflightError(f"the mSPRT mixture scale must be positive (got {self.msprt_tau:g})")
        if not self.latency_tolerance >= 0:
            raise PreflightError("the latency tolerance cannot be negative")
        return RuleParams(alpha=self.alpha, beta=self.beta, tolerance=self.tolerance, msprt_tau=self.msprt_tau,
                          latency_tolerance=self.latency_tolerance)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CanaryRun:
    result: dict
    settings: dict
    inputs: tuple
    started_utc: str
    finished_utc: str

    @property
    def summary(self) -> dict:
        r = self.result
        out = {"outcome": r["outcome"], "final_traffic_split": r["final_traffic_split"], "rule": r["rule"],
               "steps": len(r["steps"]), "mode": r["behaviour"]["mode"]}
        if r.get("rules"):
            out["monte_carlo_runs"] = r["monte_carlo"]["runs"]
        return out


def worse_rate(baseline: float, candidate: float, degraded: float | None = None) -> float:
    """The worse candidate's error rate a Monte Carlo compares with: the given one, else 5 x the baseline's."""
    for rate in (candidate, degraded):
        if rate is not None and rate > baseline:
            return float(rate)
    return float(min(1.0, 5 * baseline)) if baseline > 0 else 0.05


def _summary(sim: dict) -> str:
    last = sim["steps"][-1] if sim["steps"] else None
    what = {"promoted": "promoted to 100% of traffic", "rolled_back": "rolled back to the baseline",
            "paused": f"paused at {sim['final_traffic_split'] * 100:g}% of traffic"}[sim["outcome"]]
    tail = ""
    if last is not None:
        tail = (f" after {last['step']} step(s); the candidate served {sim['requests']['candidate']:,} requests "
                f"with {pct(last['candidate']['error_rate'])} errors (baseline {pct(last['baseline']['error_rate'])})")
    return f"The candidate was {what}{tail}."


def run_canary(settings: CanarySettings = CanarySettings(), *, progress=None, cancelled=None) -> CanaryRun:
    """Simulate one rollout (and, with ``monte_carlo`` > 0, compare every rule over that many rollouts)."""
    started = utc_now()
    if settings.rule not in RULES:
        raise PreflightError(f"unknown rule {settings.rule!r}; use one of {', '.join(RULES)}")
    if not 0 <= settings.monte_carlo <= MAX_RUNS:
        raise PreflightError(f"the Monte Carlo needs between 1 and {MAX_RUNS:,} runs (got {settings.monte_carlo})")
    params = settings.params()
    guards = Guards(min_samples=settings.min_samples, failure_limit=settings.failure_limit)
    schedule = make_schedule(settings.schedule, requests_per_step=settings.requests_per_step,
                             interval_s=settings.interval_s, rate_rps=settings.rate_rps,
                             step_weight=settings.step_weight, max_weight=settings.max_weight)
    inputs: tuple = ()
    warnings: list[str] = []
    sim_share = 0.5 if settings.monte_carlo else 1.0
    if settings.replay:
        if not (settings.baseline_log and settings.candidate_log):
            raise PreflightError("a replay needs both logs: the baseline's and the candidate's")
        base = read_prediction_log(settings.baseline_log, require=("y_true", "y_pred"),
                                   progress=scaled(progress, 0.0, 0.1), cancelled=cancelled)
        check_cancel(cancelled)
        cand = read_prediction_log(settings.candidate_log, require=("y_true", "y_pred"),
                                   progress=scaled(progress, 0.1, 0.2), cancelled=cancelled)
        behaviour = align_logs(base, cand)
        inputs = (base.input_record("baseline_log"), cand.input_record("candidate_log"))
        warnings += [f"baseline log: {w}" for w in base.table.warnings]
        warnings += [f"candidate log: {w}" for w in cand.table.warnings]
        needed = schedule.requests_per_step * len(schedule.weights)
        if behaviour.requests < needed:
            warnings.append(f"the logs hold {behaviour.requests:,} requests but the schedule needs {needed:,}: "
                            "later steps get fewer (or no) requests")
        lo = 0.2
    else:
        behaviour = Synthetic(baseline_error=settings.baseline_error, candidate_error=settings.candidate_error,
                              baseline_latency_ms=settings.baseline_latency_ms,
                              candidate_latency_ms=settings.candidate_latency_ms, latency_cv=settings.latency_cv,
                              degrade_from_step=settings.degrade_from_step, degraded_error=settings.degraded_error,
                              degraded_latency_ms=settings.degraded_latency_ms)
        lo = 0.0
    mid = lo + (1 - lo) * sim_share
    sim = simulate_rollout(behaviour, schedule, settings.rule, params, guards, seed=settings.seed,
                           progress=scaled(progress, lo, mid), cancelled=cancelled)
    result = {**sim, "behaviour": behaviour.to_dict(), "schedule": schedule.to_dict(), "params": params.to_dict(),
              "guards": guards.to_dict(), "summary": _summary(sim), "warnings": warnings}
    if settings.monte_carlo:
        if isinstance(behaviour, Replay):
            base_rate, cand_rate = behaviour.rates()
            worse = worse_rate(base_rate, cand_rate)
        else:
            base_rate = settings.baseline_error
            worse = worse_rate(base_rate, settings.candidate_error, settings.degraded_error)
        result["rules"] = compare_rules(schedule, base_rate, worse, runs=settings.monte_carlo, params=params,
                                        guards=guards, seed=settings.seed, progress=scaled(progress, mid, 1.0),
                                        cancelled=cancelled)
        result["monte_carlo"] = {"runs": settings.monte_carlo, "baseline_error": base_rate, "worse_error": worse,
                                 "seed": settings.seed}
    if progress:
        progress(1.0)
    return CanaryRun(result=result, settings=settings.to_dict(), inputs=inputs, started_utc=started,
                     finished_utc=utc_now())


def record_canary(store, run: CanaryRun) -> int:
    """Store the run in the assessment (one transaction with its audit event); returns the run id."""
    return store.record_run(KIND, run)

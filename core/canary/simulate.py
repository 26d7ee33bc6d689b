"""One canary rollout, step by step, and the guards every decision rule shares.

:func:`judge` turns per-step counts (arrays ``(runs, steps)``) into decisions, the same way for
every rule and for one rollout or thousands:

* a step at weight 0 is a **start** step: the candidate gets no traffic and the rollout moves on;
* a step with a positive weight that brought the candidate **no requests** pauses the rollout
  (no data: Argo's inconclusive) instead of dividing by zero;
* until both sides have ``min_samples`` requests (cumulative) there is **no decision** yet and
  the rollout continues; a rollout that ends that way is paused, never promoted unchecked;
* otherwise the rule (and, in a single rollout, the latency check) judges the cumulative counts;
  a failing check counts against the **failure limit**: the rollout rolls back at the first
  failure beyond ``failure_limit`` (0: at the first failure);
* a rollout whose last step passes is **promoted**.

:func:`simulate_rollout` runs one rollout and logs each step with its counts, rates, 95 %
Wilson intervals, latency quantiles, the statistic, the decision and a plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.canary.behaviour import step_traffic
from core.canary.explain import explanation
from core.canary.rules import RULES, RuleParams, latency_check
from core.canary.schedules import Schedule
from core.errors import PreflightError, check_cancel

START, NO_DATA, FEW, CHECK = 0, 1, 2, 3
STATE_NAMES = ("start", "no_data", "too_few", "check")
PROMOTED, ROLLED_BACK, PAUSED = "promoted", "rolled_back", "paused"
LATENCY_QUANTILES = (5, 25, 50, 75, 95, 99)


@dataclass(frozen=True)
class Guards:
    min_samples: int = 100       # cumulative requests each side needs before a rule decides
    failure_limit: int = 0       # failing checks tolerated; one more rolls back

    def __post_init__(self):
        if self.min_samples < 1:
            raise PreflightError("the minimum sample must be at least 1 request")
        if self.failure_limit < 0:
            raise PreflightError("the failure limit cannot be negative")

    def to_dict(self) -> dict:
        return {"min_samples": self.min_samples, "failure_limit": self.failure_limit}


@dataclass(frozen=True)
class Judgement:
    """Per-step arrays (runs, steps) and per-run outcome of :func:`judge`."""

    state: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    fails: np.ndarray           # the check ran and failed
    failures: np.ndarray        # failing checks so far
    outcome: np.ndarray         # per run: "promoted", "rolled_back" or "paused"
    end: np.ndarray             # per run: index of the step where the rollout stopped (or the last)


def _first(mask: np.ndarray) -> np.ndarray:
    """Index of the first True per row, or the row length when there is none."""
    steps = mask.shape[-1]
    return np.where(mask.any(axis=-1), mask.argmax(axis=-1), steps)


def judge(weights, nb, xb, nc, xc, rule: str, params: RuleParams = RuleParams(), guards: Guards = Guards(),
          extra_fails=None) -> Judgement:
    """Decisions for per-step counts ``nb, xb, nc, xc`` of shape (runs, steps); see the module docstring."""
    if rule not in RULES:
        raise PreflightError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    w = np.asarray(weights, float)[None, :]
    nb, xb, nc, xc = (np.atleast_2d(np.asarray(a, float)) for a in (nb, xb, nc, xc))
    cb, cxb, cc, cxc = (np.cumsum(a, axis=-1) for a in (nb, xb, nc, xc))
    state = np.full(nb.shape, CHECK, dtype=np.int8)
    state[(cc < guards.min_samples) | (cb < guards.min_samples)] = FEW
    state[np.broadcast_to((w > 0), nb.shape) & (nc == 0)] = NO_DATA
    state[np.broadcast_to(w == 0, nb.shape)] = START
    check = RULES[rule].fn(cb, cxb, cc, cxc, params)
    fails = np.asarray(check.fails, bool)
    if extra_fails is not None:
        fails = fails | np.asarray(extra_fails, bool)
    fails = fails & (state == CHECK)
    failures = np.cumsum(fails, axis=-1)
    steps = nb.shape[-1]
    rollback_at = _first(failures > guards.failure_limit)
    pause_at = _first(state == NO_DATA)
    end = np.minimum(np.minimum(rollback_at, pause_at), steps - 1)
    last_state = state[:, -1]
    outcome = np.where(rollback_at < pause_at, ROLLED_BACK,
                       np.where(pause_at < steps, PAUSED, np.where(last_state == CHECK, PROMOTED, PAUSED)))
    return Judgement(state, np.asarray(check.statistic, float), np.asarray(check.p_value, float), fails, failures,
                     outcome.astype(object), end)


def wilson(errors: int, n: int, z: float = 1.959963984540054) -> tuple[float | None, float | None]:
    """95 % Wilson score interval of an error rate (None, None without requests)."""
    if n <= 0:
        return None, None
    p = errors / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def latency_summary(samples) -> dict | None:
    if samples is None or len(samples) == 0:
        return None
    s = np.asarray(samples, float)
    qs = np.percentile(s, LATENCY_QUANTILES)
    return {"n": int(len(s)), "mean": float(s.mean()), **{f"p{q}": float(v) for q, v in zip(LATENCY_QUANTILES, qs)}}


def _side(n: int, x: int, total_n: int, total_x: int, latency) -> dict:
    low, high = wilson(total_x, total_n)
    return {"requests": int(n), "errors": int(x), "total_requests": int(total_n), "total_errors": int(total_x),
            "error_rate": (total_x / total_n) if total_n else None, "step_error_rate": (x / n) if n else None,
            "ci_low": low, "ci_high": high, "latency_ms": latency_summary(latency)}


def _num(value) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else (None if np.isnan(v) else v)


def decision_of(index: int, end: int, state: int, outcome: str) -> str:
    if index == end:
        if outcome == ROLLED_BACK:
            return "rollback"
        if outcome == PAUSED:
            return "pause"
        return "promote"
    return "start" if state == START else "continue"


def simulate_rollout(behaviour, schedule: Schedule, rule: str, params: RuleParams = RuleParams(),
                     guards: Guards = Guards(), *, seed: int = 0, progress=None, cancelled=None) -> dict:
    """One rollout: the outcome, the final traffic split and the step log (see the module docstring)."""
    if rule not in RULES:
        raise PreflightError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    rng = np.random.default_rng(seed)
    traffic, cursor = [], 0
    steps = len(schedule.weights)
    for k, weight in enumerate(schedule.weights):
        check_cancel(cancelled)
        t, cursor = step_traffic(behaviour, k, weight, schedule.requests_per_step, rng, cursor)
        traffic.append(t)
        if progress:
            progress(0.8 * (k + 1) / steps)
    counts = [np.array([[getattr(t, key) for t in traffic]]) for key in ("nb", "xb", "nc", "xc")]
    latency = [latency_check(t.latency_b, t.latency_c, params) if t.latency_b is not None else None
               for t in traffic]
    lat_fails = np.array([[bool(c and c.fails) for c in latency]])
    j = judge(schedule.weights, *counts, rule, params, guards, extra_fails=lat_fails)
    outcome, end = str(j.outcome[0]), int(j.end[0])
    log, totals = [], np.zeros(4, int)
    for k in range(end + 1):
        check_cancel(cancelled)
        t = traffic[k]
        totals += (t.nb, t.xb, t.nc, t.xc)
        state = int(j.state[0, k])
        checked = state == CHECK
        lat = latency[k]
        entry = {
            "step": k + 1, "weight": float(schedule.weights[k]),
            "baseline": _side(t.nb, t.xb, totals[0], totals[1], t.latency_b),
            "candidate": _side(t.nc, t.xc, totals[2], totals[3], t.latency_c),
            "statistic": _num(j.statistic[0, k]) if checked else None,
            "statistic_name": RULES[rule].statistic_name,
            "p_value": _num(j.p_value[0, k]) if checked else None,
            "state": STATE_NAMES[state], "failed": bool(j.fails[0, k]), "failures": int(j.failures[0, k]),
            "latency": None if lat is None else {"u_statistic": lat.u_statistic, "p_value": lat.p_value,
                                                 "shift_ms": lat.shift_ms, "allowed_shift_ms": lat.allowed_shift_ms,
                                                 "fails": lat.fails},
            "decision": decision_of(k, end, state, outcome),
        }
        entry["explanation"] = explanation(entry, rule, params, guards)
        log.append(entry)
    if progress:
        progress(1.0)
    final = 1.0 if outcome == PROMOTED else 0.0 if outcome == ROLLED_BACK else float(schedule.weights[end])
    return {"outcome": outcome, "final_traffic_split": final, "rule": rule, "steps": log,
            "requests": {"baseline": int(totals[0]), "candidate": int(totals[2]), "total": int(totals[0] + totals[2])},
            "latency_checked": any(c is not None for c in latency[: end + 1])}

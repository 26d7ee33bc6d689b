"""Monte Carlo comparison of the decision rules over many simulated rollouts.

Two scenarios are simulated with the same schedule and guards: an **equal** candidate (its
error rate is the baseline's) and a **worse** one.  Every rule judges the *same* simulated
traffic (common random numbers), so the differences between rules are the rules'.  Per rule:

* ``false_rollback_rate`` - share of equal-candidate rollouts rolled back;
* ``detection_rate`` - share of worse-candidate rollouts rolled back;
* ``detection_before_half_rate`` - rolled back at a step where the candidate had < 50 % of traffic;
* ``mean_requests_to_detect`` / ``mean_steps_to_detect`` - over the detected rollouts, the
  requests served (both sides) and the steps run until the rollback;
* ``exposed_users`` - requests the worse candidate served before the rollout stopped, mean over
  all worse-candidate rollouts;
* ``promote_rate`` (equal candidate) and ``paused_rate_equal`` / ``paused_rate_worse``.

Traffic is drawn in batches of arrays (runs x steps), so thousands of rollouts take well under
a second; ``progress`` is reported and ``cancelled`` checked after every batch.
"""

from __future__ import annotations

import numpy as np

from core.canary.rules import RULES, RuleParams
from core.canary.schedules import Schedule
from core.canary.simulate import PAUSED, PROMOTED, ROLLED_BACK, Guards, judge
from core.errors import PreflightError, check_cancel

BATCH = 500
MAX_RUNS = 100_000


def draw_counts(rng: np.random.Generator, schedule: Schedule, baseline_error: float, candidate_errors,
                runs: int) -> tuple[np.ndarray, ...]:
    """Per-step counts (runs, steps): requests routed by the weight, errors drawn for each side."""
    w = np.asarray(schedule.weights, float)
    nc = rng.binomial(schedule.requests_per_step, np.broadcast_to(w, (runs, len(w))))
    nb = schedule.requests_per_step - nc
    xb = rng.binomial(nb, baseline_error)
    xc = rng.binomial(nc, np.broadcast_to(np.asarray(candidate_errors, float), (runs, len(w))))
    return nb, xb, nc, xc


def _served(j, nb, nc):
    """Per run: requests served (both sides) and candidate requests, through the step the rollout stopped at."""
    steps = nb.shape[-1]
    upto = np.arange(steps)[None, :] <= j.end[:, None]
    return ((nb + nc) * upto).sum(axis=-1), (nc * upto).sum(axis=-1)


def _mean(values) -> float | None:
    return float(np.mean(values)) if len(values) else None


def compare_rules(schedule: Schedule, baseline_error: float, worse_error: float, *, runs: int = 1000,
                  rules=None, params: RuleParams = RuleParams(), guards: Guards = Guards(), seed: int = 0,
                  progress=None, cancelled=None) -> dict:
    """The per-rule metrics of the module docstring: ``{rule: {...}}``."""
    if not 1 <= runs <= MAX_RUNS:
        raise PreflightError(f"the Monte Carlo needs between 1 and {MAX_RUNS:,} runs (got {runs})")
    rules = list(rules or RULES)
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise PreflightError(f"unknown rule {unknown[0]!r}; use one of {', '.join(RULES)}")
    rng = np.random.default_rng(seed)
    weights = np.asarray(schedule.weights, float)
    acc = {r: {"equal": [], "worse": [], "end": [], "served": [], "exposed": []} for r in rules}
    done = 0
    while done < runs:
        check_cancel(cancelled)
        n = min(BATCH, runs - done)
        equal = draw_counts(rng, schedule, baseline_error, baseline_error, n)
        worse = draw_counts(rng, schedule, baseline_error, worse_error, n)
        for r in rules:
            je = judge(weights, *equal, r, params, guards)
            jw = judge(weights, *worse, r, params, guards)
            served, exposed = _served(jw, worse[0], worse[2])
            acc[r]["equal"].append(je.outcome)
            acc[r]["worse"].append(jw.outcome)
            acc[r]["end"].append(jw.end)
            acc[r]["served"].append(served)
            acc[r]["exposed"].append(exposed)
        done += n
        if progress:
            progress(done / runs)
    out = {}
    for r in rules:
        eq = np.concatenate(acc[r]["equal"])
        wo = np.concatenate(acc[r]["worse"])
        end = np.concatenate(acc[r]["end"])
        served = np.concatenate(acc[r]["served"])
        exposed = np.concatenate(acc[r]["exposed"])
        hit = wo == ROLLED_BACK
        out[r] = {
            "label": RULES[r].label,
            "false_rollback_rate": float(np.mean(eq == ROLLED_BACK)),
            "promote_rate": float(np.mean(eq == PROMOTED)),
            "paused_rate_equal": float(np.mean(eq == PAUSED)),
            "detection_rate": float(np.mean(hit)),
            "detection_before_half_rate": float(np.mean(hit & (weights[end] < 0.5))),
            "paused_rate_worse": float(np.mean(wo == PAUSED)),
            "mean_requests_to_detect": _mean(served[hit]),
            "mean_steps_to_detect": _mean(end[hit] + 1),
            "exposed_users": float(np.mean(exposed)),
        }
    return out

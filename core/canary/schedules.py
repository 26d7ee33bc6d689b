"""Canary traffic schedules: the candidate's share of traffic at each step, and how long a step lasts.

Three shapes:

* ``seed`` - the rollout Preflight's reference article describes: start at 0 % and raise the
  candidate's share by 10 % after each check, up to 100 % (11 steps: 0, 0.1, ..., 1.0);
* ``flagger`` - Flagger's ``stepWeight``/``maxWeight``: step_weight, 2 x step_weight, ... up to
  max_weight (promoted after the max_weight step passes);
* an explicit list such as ``"5,10,25,50,100"`` (percentages) or ``"0.05,0.1,0.5"`` (fractions:
  used when every value is at most 1).

A step lasts either ``requests_per_step`` requests in total (baseline plus candidate, split by
the weight), or ``interval_s`` seconds at ``rate_rps`` requests per second.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PreflightError

SCHEDULE_NAMES = ("seed", "flagger")
DEFAULT_REQUESTS_PER_STEP = 500


@dataclass(frozen=True)
class Schedule:
    name: str                      # "seed", "flagger" or "custom"
    weights: tuple[float, ...]     # the candidate's share of traffic at each step, in [0, 1]
    requests_per_step: int         # total requests in one step (baseline + candidate)
    interval_s: float | None = None  # seconds one step lasts, when known

    def to_dict(self) -> dict:
        return {"name": self.name, "weights": list(self.weights), "requests_per_step": self.requests_per_step,
                "interval_s": self.interval_s}


def seed_weights() -> tuple[float, ...]:
    return tuple(round(0.1 * k, 10) for k in range(11))


def flagger_weights(step_weight: float = 0.05, max_weight: float = 0.5) -> tuple[float, ...]:
    if not 0 < step_weight <= 1:
        raise PreflightError(f"step weight must be in (0, 1] (or (0, 100] as a percentage), got {step_weight:g}")
    if not step_weight <= max_weight <= 1:
        raise PreflightError(f"max weight must be between the step weight and 1 (100 %), got {max_weight:g}")
    count = int(round(max_weight / step_weight, 9) // 1)
    weights = [round(step_weight * k, 10) for k in range(1, count + 1)]
    if not weights or weights[-1] < max_weight - 1e-9:
        weights.append(max_weight)
    return tuple(weights)


def parse_weights(text: str) -> tuple[float, ...]:
    """``"5,10,50"`` (percentages) or ``"0.05,0.1,0.5"`` (fractions) to fractions, with clear errors."""
    parts = [p.strip().rstrip("%") for p in str(text).split(",") if p.strip()]
    if not parts:
        raise PreflightError("the schedule lists no weights; give e.g. 5,10,25,50,100")
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError:
            raise PreflightError(f"schedule weight {p!r} is not a number") from None
    percent = any(v > 1 for v in values)
    weights = tuple(round(v / 100 if percent else v, 10) for v in values)
    bad = [v for v, w in zip(values, weights) if not 0 <= w <= 1 or w != w]
    if bad:
        raise PreflightError(f"schedule weight {bad[0]:g} is outside 0-100 %")
    if not any(w > 0 for w in weights):
        raise PreflightError("the schedule never sends the candidate any traffic (every weight is 0)")
    return weights


def as_fraction(value: float) -> float:
    """A weight given as a percentage (> 1) or a fraction, as a fraction."""
    return value / 100 if value > 1 else value


def make_schedule(spec: str = "seed", *, requests_per_step: int | None = None, interval_s: float | None = None,
                  rate_rps: float | None = None, step_weight: float = 0.05, max_weight: float = 0.5) -> Schedule:
    """Build a schedule from its name or weight list and the step length (requests, or interval x rate)."""
    spec = (spec or "seed").strip()
    if spec == "seed":
        name, weights = "seed", seed_weights()
    elif spec == "flagger":
        name, weights = "flagger", flagger_weights(as_fraction(step_weight), as_fraction(max_weight))
    elif spec and (spec[0].isdigit() or spec[0] == "."):
        name, weights = "custom", parse_weights(spec)
    else:
        raise PreflightError(f"unknown schedule {spec!r}; use seed, flagger or a list of weights such as 5,10,50,100")
    if interval_s is not None or rate_rps is not None:
        if interval_s is None or rate_rps is None:
            raise PreflightError("a time-based step needs both the interval (seconds) and the request rate")
        if interval_s <= 0 or rate_rps <= 0:
            raise PreflightError("the step interval and the request rate must be positive")
        if requests_per_step is not None:
            raise PreflightError("give either requests per step or an interval and a rate, not both")
        requests = int(round(interval_s * rate_rps))
    else:
        requests = DEFAULT_REQUESTS_PER_STEP if requests_per_step is None else int(requests_per_step)
    if requests < 1:
        raise PreflightError(f"a step needs at least 1 request (got {requests})")
    if requests > 10_000_000:
        raise PreflightError(f"{requests:,} requests per step is more than the simulator handles (10,000,000)")
    return Schedule(name=name, weights=weights, requests_per_step=requests, interval_s=interval_s)

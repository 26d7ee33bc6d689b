"""How the baseline and the candidate behave during a simulated rollout.

* :class:`Synthetic` - each request fails with a fixed probability (the candidate's may change
  from a given step on: a degradation), and takes a lognormal latency with the given mean and
  coefficient of variation (sigma^2 = ln(1 + CV^2), mu = ln(mean) - sigma^2 / 2).
* :class:`Replay` - a baseline and a candidate prediction log over the same requests (shadow
  mode): request i's outcome and latency under each model are read from row i of each log (or
  matched by request id when both logs have one).  A request is an error when the model
  mispredicted it or the log marks it failed.  Steps consume the requests in order; when the
  logs run out, later steps get fewer (or no) requests.

Each step routes ``requests`` requests: every request goes to the candidate with probability
``weight`` (so the split varies around the weight, as real routing does).  All draws come from
the ``numpy.random.Generator`` the caller passes, so a seed reproduces a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.errors import PreflightError


@dataclass(frozen=True)
class StepTraffic:
    """What one step served: requests and errors per side, and latency samples (or None)."""

    nb: int
    xb: int
    nc: int
    xc: int
    latency_b: np.ndarray | None = field(default=None, repr=False)
    latency_c: np.ndarray | None = field(default=None, repr=False)


def _rate(name: str, value) -> float:
    if value is None or not isinstance(value, (int, float)) or not 0 <= float(value) <= 1 or math.isnan(value):
        raise PreflightError(f"{name} must be an error rate between 0 and 1 (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class Synthetic:
    baseline_error: float = 0.01
    candidate_error: float = 0.01
    baseline_latency_ms: float | None = None
    candidate_latency_ms: float | None = None
    latency_cv: float = 0.5
    degrade_from_step: int | None = None      # 1-based step from which the candidate degrades
    degraded_error: float | None = None
    degraded_latency_ms: float | None = None

    def __post_init__(self):
        _rate("the baseline error rate", self.baseline_error)
        _rate("the candidate error rate", self.candidate_error)
        if self.degraded_error is not None:
            _rate("the degraded error rate", self.degraded_error)
        for name in ("baseline_latency_ms", "candidate_latency_ms", "degraded_latency_ms"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise PreflightError(f"{name.replace('_', ' ')} must be a positive number of milliseconds")
        if (self.baseline_latency_ms is None) != (self.candidate_latency_ms is None):
            raise PreflightError("give both the baseline and the candidate latency, or neither")
        if not (self.latency_cv >= 0 and math.isfinite(self.latency_cv)):
            raise PreflightError(f"the latency CV must be zero or positive (got {self.latency_cv!r})")
        if self.degrade_from_step is not None and self.degrade_from_step < 1:
            raise PreflightError("the degradation starts at step 1 or later")

    @property
    def has_latency(self) -> bool:
        return self.baseline_latency_ms is not None

    def degraded(self, step: int) -> bool:
        return self.degrade_from_step is not None and step + 1 >= self.degrade_from_step

    def candidate_rate(self, step: int) -> float:
        if self.degraded(step) and self.degraded_error is not None:
            return self.degraded_error
        return self.candidate_error

    def candidate_latency(self, step: int) -> float | None:
        if self.degraded(step) and self.degraded_latency_ms is not None:
            return self.degraded_latency_ms
        return self.candidate_latency_ms

    def to_dict(self) -> dict:
        return {"mode": "synthetic", "baseline_error": self.baseline_error, "candidate_error": self.candidate_error,
                "baseline_latency_ms": self.baseline_latency_ms, "candidate_latency_ms": self.candidate_latency_ms,
                "latency_cv": self.latency_cv, "degrade_from_step": self.degrade_from_step,
                "degraded_error": self.degraded_error, "degraded_latency_ms": self.degraded_latency_ms}


def lognormal(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    """Latencies with the given mean and coefficient of variation."""
    if cv == 0:
        return np.full(size, float(mean))
    sigma2 = math.log1p(cv * cv)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size)


@dataclass(frozen=True)
class Replay:
    """Aligned per-request outcomes of the two logs (row i of each is the same request)."""

    baseline_errors: np.ndarray = field(repr=False)
    candidate_errors: np.ndarray = field(repr=False)
    baseline_latency: np.ndarray | None = field(default=None, repr=False)
    candidate_latency: np.ndarray | None = field(default=None, repr=False)
    matched_by: str = "row order"

    @property
    def requests(self) -> int:
        return int(len(self.baseline_errors))

    @property
    def has_latency(self) -> bool:
        return self.baseline_latency is not None and self.candidate_latency is not None

    def rates(self) -> tuple[float, float]:
        n = max(self.requests, 1)
        return float(self.baseline_errors.sum()) / n, float(self.candidate_errors.sum()) / n

    def to_dict(self) -> dict:
        rb, rc = self.rates()
        return {"mode": "replay", "requests": self.requests, "matched_by": self.matched_by,
                "baseline_error_rate": rb, "candidate_error_rate": rc, "latency": self.has_latency}


def align_logs(baseline, candidate) -> Replay:
    """Pair two :class:`core.data.prediction_log.PredictionLog` of the same requests into a :class:`Replay`."""
    if baseline.request_id is not None and candidate.request_id is not None:
        b_ids = np.asarray([str(v) for v in baseline.request_id], dtype=object)
        c_ids = np.asarray([str(v) for v in candidate.request_id], dtype=object)
        for log, ids in ((baseline, b_ids), (candidate, c_ids)):
            uniq, counts = np.unique(ids, return_counts=True)
            if (counts > 1).any():
                raise PreflightError(f"{log.path}: request id {uniq[counts > 1][0]!r} appears more than once")
        position = {v: i for i, v in enumerate(c_ids)}
        pairs = [(i, position[v]) for i, v in enumerate(b_ids) if v in position]
        if not pairs:
            raise PreflightError(f"{baseline.path} and {candidate.path} share no request id: a replay needs both "
                                 "models' answers to the same requests")
        bi = np.asarray([p[0] for p in pairs])
        ci = np.asarray([p[1] for p in pairs])
        how = f"request id ({len(pairs)} of {baseline.rows} baseline rows matched)"
    else:
        if baseline.rows != candidate.rows:
            raise PreflightError(f"the logs have {baseline.rows} and {candidate.rows} rows: without a request id "
                                 "column in both, a replay pairs them row by row, so they must be equally long")
        bi = ci = np.arange(baseline.rows)
        how = "row order"
    eb, ec = baseline.errors()[bi], candidate.errors()[ci]
    lb = baseline.latency_ms[bi] if baseline.latency_ms is not None else None
    lc = candidate.latency_ms[ci] if candidate.latency_ms is not None else None
    if (lb is None) != (lc is None):
        lb = lc = None
    return Replay(eb.astype(bool), ec.astype(bool), lb, lc, how)


def step_traffic(behaviour, step: int, weight: float, requests: int, rng: np.random.Generator,
                 cursor: int = 0) -> tuple[StepTraffic, int]:
    """Route one step's requests and draw (or look up) their outcomes; returns the traffic and the new cursor."""
    if isinstance(behaviour, Replay):
        rows = np.arange(cursor, min(cursor + requests, behaviour.requests))
        to_c = rng.random(len(rows)) < weight
        bi, ci = rows[~to_c], rows[to_c]
        lat_b = behaviour.baseline_latency[bi] if behaviour.has_latency else None
        lat_c = behaviour.candidate_latency[ci] if behaviour.has_latency else None
        return StepTraffic(len(bi), int(behaviour.baseline_errors[bi].sum()), len(ci),
                           int(behaviour.candidate_errors[ci].sum()), lat_b, lat_c), cursor + len(rows)
    nc = int(rng.binomial(requests, weight))
    nb = requests - nc
    xb = int(rng.binomial(nb, behaviour.baseline_error))
    xc = int(rng.binomial(nc, behaviour.candidate_rate(step)))
    lat_b = lat_c = None
    if behaviour.has_latency:
        lat_b = lognormal(rng, behaviour.baseline_latency_ms, behaviour.latency_cv, nb)
        lat_c = lognormal(rng, behaviour.candidate_latency(step), behaviour.latency_cv, nc)
    return StepTraffic(nb, xb, nc, xc, lat_b, lat_c), cursor + requests

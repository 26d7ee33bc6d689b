"""Capacity model without an endpoint: closed forms for c identical replicas behind one queue.

* :func:`erlang_c`: the M/M/c probability of waiting, from Erlang B: the recursion
  ``B(k) = a·B(k-1) / (k + a·B(k-1))`` up to 500 replicas, the Poisson law in log space above
  (no factorials; stable and fast for thousands of replicas);
* :func:`closed_form`: utilisation, P(wait), mean wait and wait/latency percentiles.  With exponential
  service and Poisson arrivals these are the exact M/M/c values; otherwise the mean wait is the
  Allen–Cunneen approximation ``E[Wq] ≈ E[Wq]_{M/M/c} · (SCVa + SCVs)/2`` and the wait keeps the
  M/M/c shape (no wait with probability 1 − C, else exponential), which is good for means and a few
  percent optimistic in the tails (the discrete-event simulation in :mod:`core.load.simulate` is the
  judge for tails);
* :class:`ServiceDist`: exponential, lognormal with a coefficient of variation, constant (CV 0), or the
  empirical distribution of a stored load-test run's ``service_histogram``.

Rates are requests per second, times are seconds inside and milliseconds in every result.
An unstable system (utilisation ≥ 1) is reported as such: ``stable`` false and no latency numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import PreflightError

KINDS = ("exponential", "lognormal", "empirical")
#: quadrature nodes of the service-time distribution for latency percentiles (headline / curves)
NODES, CURVE_NODES, SIZING_NODES = 2000, 120, 1000


#: above this many replicas Erlang B comes from the Poisson law (O(1)) instead of the O(c) recursion
RECURSION_LIMIT = 500


def erlang_b_recursive(c: int, a: float) -> float:
    """Erlang B by ``B(k) = a·B(k-1) / (k + a·B(k-1))``: stable for any c, O(c)."""
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_b_poisson(c: int, a: float) -> float:
    """Erlang B as P(N = c) / P(N ≤ c) for N ~ Poisson(a), in log space: O(1) for thousands of replicas."""
    from scipy.special import gammaincc, gammaln

    log_pmf = c * math.log(a) - a - float(gammaln(c + 1))
    return math.exp(log_pmf) / float(gammaincc(c + 1, a))


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability for ``c`` servers and offered load ``a`` (no factorials)."""
    if a <= 0:
        return 0.0
    return erlang_b_recursive(c, a) if c <= RECURSION_LIMIT else erlang_b_poisson(c, a)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = λ/μ`` (1.0 when ``a >= c``)."""
    if c < 1:
        raise PreflightError("the number of replicas must be at least 1")
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


@dataclass(frozen=True)
class ServiceDist:
    """A service-time distribution (seconds)."""

    kind: str
    mean_s: float
    cv: float = 1.0
    bounds_s: tuple = ()     # empirical: bucket edges (len(counts) + 1)
    counts: tuple = ()

    @property
    def scv(self) -> float:
        return self.cv ** 2

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "mean_ms": self.mean_s * 1000, "cv": self.cv}
        if self.kind == "empirical":
            d["buckets"] = len(self.counts)
        return d

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "exponential":
            return rng.exponential(self.mean_s, n)
        if self.kind == "lognormal":
            if self.cv == 0:
                return np.full(n, self.mean_s)
            s2 = math.log1p(self.cv ** 2)
            return rng.lognormal(math.log(self.mean_s) - s2 / 2, math.sqrt(s2), n)
        edges = np.asarray(self.bounds_s, float)
        p = np.asarray(self.counts, float)
        idx = rng.choice(len(p), size=n, p=p / p.sum())
        return edges[idx] + rng.random(n) * (edges[idx + 1] - edges[idx])

    def nodes(self, n: int = NODES) -> np.ndarray:
        """``n`` equally likely points of the distribution (its quantiles at (i + ½)/n)."""
        u = (np.arange(n) + 0.5) / n
        return self.quantile(u)

    def quantile(self, u) -> np.ndarray:
        u = np.asarray(u, float)
        if self.kind == "exponential":
            return -self.mean_s * np.log1p(-u)
        if self.kind == "lognormal":
            if self.cv == 0:
                return np.full_like(u, self.mean_s)
            from scipy.special import ndtri

            s2 = math.log1p(self.cv ** 2)
            return np.exp(math.log(self.mean_s) - s2 / 2 + math.sqrt(s2) * ndtri(u))
        edges = np.asarray(self.bounds_s, float)
        cum = np.concatenate([[0.0], np.cumsum(self.counts)]) / float(sum(self.counts))
        return np.interp(u, cum, edges)


def exponential(mean_ms: float) -> ServiceDist:
    _positive(mean_ms, "the mean service time")
    return ServiceDist("exponential", mean_ms / 1000.0, 1.0)


def lognormal(mean_ms: float, cv: float) -> ServiceDist:
    _positive(mean_ms, "the mean service time")
    if not (isinstance(cv, (int, float)) and math.isfinite(cv) and cv >= 0):
        raise PreflightError(f"the coefficient of variation must be 0 or more (got {cv!r})")
    return ServiceDist("lognormal", mean_ms / 1000.0, float(cv))


def empirical(histogram: dict, where: str = "the service histogram") -> ServiceDist:
    """The distribution of a load-test run's ``service_histogram`` ``{"bounds_ms", "counts"}``.

    ``bounds_ms`` are bucket edges (one more than ``counts``) or upper edges (as many as ``counts``, the
    first bucket starting at 0).  Values are spread uniformly within a bucket; a bucket with no finite upper
    edge is taken at its lower edge.
    """
    if not isinstance(histogram, dict):
        raise PreflightError(f"{where} is missing")
    try:
        bounds = [float(b) for b in histogram.get("bounds_ms") or []]
        counts = [float(c) for c in histogram.get("counts") or []]
    except (TypeError, ValueError):
        raise PreflightError(f"{where}: bounds_ms and counts must be numbers") from None
    if len(bounds) == len(counts):
        bounds = [0.0] + bounds
    if not counts or len(bounds) != len(counts) + 1:
        raise PreflightError(f"{where}: needs bucket bounds_ms and counts (got {len(bounds)} bounds for "
                             f"{len(counts)} counts)")
    if any(c < 0 for c in counts) or sum(counts) <= 0:
        raise PreflightError(f"{where}: holds no request (counts must be non-negative and not all 0)")
    edges = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if not math.isfinite(lo) or lo < 0:
            raise PreflightError(f"{where}: bucket bound {lo!r} is not a time of 0 ms or more")
        hi = hi if math.isfinite(hi) and hi >= lo else lo
        edges.append((lo, hi))
    keep = [(e, c) for e, c in zip(edges, counts) if c > 0]
    # keep the buckets with requests, as consecutive [lo, hi) pieces of one piecewise-uniform law
    lows = np.array([e[0] for e, _ in keep]) / 1000.0
    highs = np.array([e[1] for e, _ in keep]) / 1000.0
    w = np.array([c for _, c in keep])
    p = w / w.sum()
    mids = (lows + highs) / 2
    mean = float((p * mids).sum())
    var = float((p * (mids ** 2 + (highs - lows) ** 2 / 12)).sum()) - mean ** 2
    if mean <= 0:
        raise PreflightError(f"{where}: the mean service time is 0 ms")
    # edges of consecutive kept buckets; gaps between kept buckets carry no probability
    pieces_edges, pieces_counts = [lows[0]], []
    for lo, hi, c in zip(lows, highs, w):
        if lo > pieces_edges[-1]:
            pieces_counts.append(0.0)
            pieces_edges.append(lo)
        pieces_counts.append(float(c))
        pieces_edges.append(max(hi, lo))
    return ServiceDist("empirical", mean, math.sqrt(max(var, 0.0)) / mean, tuple(float(e) for e in pieces_edges),
                       tuple(pieces_counts))


def _positive(value, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PreflightError(f"{what} must be a positive number (got {value!r})")


def wait_rate(rate: float, c: int, dist: ServiceDist, arrival_scv: float = 1.0) -> tuple[float, float]:
    """``(C, θ)``: the probability of waiting and the rate of the exponential wait of those who wait.

    M/M/c: θ = cμ − λ.  Allen–Cunneen scales the mean wait by (SCVa + SCVs)/2, so θ is divided by it.
    """
    mu = 1.0 / dist.mean_s
    a = rate / mu
    p = erlang_c(c, a)
    factor = (arrival_scv + dist.scv) / 2.0
    theta = (c * mu - rate) / factor if factor > 0 else math.inf
    return p, theta


def wait_quantile(p_wait: float, theta: float, q: float) -> float:
    """The q-quantile of the wait (seconds): ln(C/(1−q))/θ, or 0 when q ≤ 1 − C."""
    if p_wait <= 0 or q <= 1 - p_wait or math.isinf(theta):
        return 0.0
    return math.log(p_wait / (1 - q)) / theta


def latency_quantiles(p_wait, theta, nodes: np.ndarray, qs, iterations: int = 40) -> np.ndarray:
    """Quantiles of wait + service for arrays of (C, θ) and one set of service ``nodes`` (seconds).

    ``P(T ≤ t) = mean_i 1{s_i ≤ t}·(1 − C·e^{−θ(t − s_i)})`` (wait independent of the request's own service
    time, as in FCFS); solved by bisection, vectorised over the (C, θ) pairs.  Returns shape (len(C), len(qs)).
    """
    pw = np.atleast_1d(np.asarray(p_wait, float))[:, None, None]
    th = np.minimum(np.atleast_1d(np.asarray(theta, float)), 1e12)[:, None, None]  # θ = ∞: no wait at all
    qs = np.asarray(qs, float)[None, :, None]
    s = np.sort(np.asarray(nodes, float))[None, None, :]
    n = s.shape[2]
    tail = np.log(np.maximum(pw, 1e-300) * 2 / (1 - qs))
    lo = np.zeros(pw.shape[:1] + qs.shape[1:2] + (1,))
    hi = np.maximum(tail, 0.0) / th + s[..., -1:] + 1e-12
    for _ in range(iterations):
        mid = (lo + hi) / 2
        gap = mid - s
        inside = gap >= 0
        cdf = (inside.sum(axis=2, keepdims=True)
               - pw * np.where(inside, np.exp(-th * np.maximum(gap, 0.0)), 0.0).sum(axis=2, keepdims=True)) / n
        below = cdf < qs
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return ((lo + hi) / 2)[:, :, 0]


def closed_form(rate: float, c: int, dist: ServiceDist, arrival_scv: float = 1.0, nodes: int = NODES) -> dict:
    """Utilisation, P(wait), mean wait, wait p50/p95/p99 and latency p50/p95/p99 (ms) for ``c`` replicas."""
    mu = 1.0 / dist.mean_s
    rho = rate / (c * mu)
    exact = dist.kind == "exponential" and arrival_scv == 1.0
    out = {"rate": rate, "replicas": c, "utilisation": rho, "capacity_rps": c * mu, "stable": rho < 1,
           "method": "Erlang C (M/M/c, exact)" if exact else "Allen–Cunneen (G/G/c approximation)"}
    if rho >= 1:
        out.update(p_wait=1.0, mean_wait_ms=None, wait_p50_ms=None, wait_p95_ms=None, wait_p99_ms=None,
                   p50_ms=None, p95_ms=None, p99_ms=None, mean_ms=None,
                   note=unstable_text(rate, c, dist))
        return out
    p, theta = wait_rate(rate, c, dist, arrival_scv)
    mean_wait = 0.0 if math.isinf(theta) else p / theta
    lat = latency_quantiles([p], [theta], dist.nodes(nodes), (0.5, 0.95, 0.99))[0]
    out.update(p_wait=p, mean_wait_ms=1000 * mean_wait,
               wait_p50_ms=1000 * wait_quantile(p, theta, 0.5), wait_p95_ms=1000 * wait_quantile(p, theta, 0.95),
               wait_p99_ms=1000 * wait_quantile(p, theta, 0.99), p50_ms=1000 * float(lat[0]),
               p95_ms=1000 * float(lat[1]), p99_ms=1000 * float(lat[2]), mean_ms=1000 * (mean_wait + dist.mean_s))
    return out


def unstable_text(rate: float, c: int, dist: ServiceDist) -> str:
    cap = c / dist.mean_s
    return (f"unstable: {rate:,.4g} requests/s arrive but {c} replica(s) serve at most {cap:,.4g}/s "
            f"(utilisation {rate / cap:.2f}); the queue and the latency grow without bound")


def p95_curves(rates, replicas, dist: ServiceDist, arrival_scv: float = 1.0, q: float = 0.95,
               nodes: int = CURVE_NODES) -> list[list[float | None]]:
    """The closed-form q-latency (ms) at each rate for each replica count; None where unstable."""
    rates = [float(r) for r in rates]
    cells = [(k, i) for k, c in enumerate(replicas) for i, r in enumerate(rates) if r * dist.mean_s < c]
    out: list[list[float | None]] = [[None] * len(rates) for _ in replicas]
    if cells:
        pairs = [wait_rate(rates[i], int(replicas[k]), dist, arrival_scv) for k, i in cells]
        lat = latency_quantiles([p for p, _ in pairs], [t for _, t in pairs], dist.nodes(nodes), (q,),
                                iterations=24)[:, 0]
        for (k, i), v in zip(cells, lat):
            out[k][i] = float(v) * 1000
    return out


def smallest_replicas(rate: float, dist: ServiceDist, slo_p95_ms: float, arrival_scv: float = 1.0,
                      max_replicas: int = 1000) -> int | None:
    """The fewest replicas whose closed-form p95 latency is within the SLO at ``rate`` (None: none up to max)."""
    if dist_p95_ms(dist) > slo_p95_ms:
        return None
    c = max(1, int(math.floor(rate * dist.mean_s)) + 1)
    while c <= max_replicas:
        p95 = closed_form(rate, c, dist, arrival_scv, nodes=SIZING_NODES)["p95_ms"]
        if p95 is not None and p95 <= slo_p95_ms:
            return c
        c += 1
    return None


def dist_p95_ms(dist: ServiceDist) -> float:
    """The service time's own p95 (ms): a floor under any replica count's p95 latency."""
    return float(dist.quantile([0.95])[0]) * 1000

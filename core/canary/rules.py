"""Canary decision rules: small pure functions over cumulative error counts, registered by name.

Every error rule takes the cumulative counts after each step - arrays of equal shape
``(..., steps)``: baseline requests ``nb`` and errors ``xb``, candidate requests ``nc`` and
errors ``xc`` - and :class:`RuleParams`, and returns a :class:`Check` of arrays of that shape:
the statistic, the p-value (NaN where the rule has none) and whether the check *fails* (the
candidate looks worse).  The guards (no data, minimum samples, failure limit) are applied by
the simulator, the same way for every rule.  Working on whole arrays lets one call judge a
single rollout (shape ``(1, steps)``) or thousands of simulated ones.

* ``seed`` - the article's rule: the candidate's error rate exceeds ``seed_ratio`` (1.5) x the
  baseline's.
* ``fisher`` - one-sided Fisher exact test (candidate has the higher error rate), p < alpha.
  The p-value is the hypergeometric upper tail, the same as
  ``scipy.stats.fisher_exact(table, alternative="greater")``.
* ``sprt`` - Wald's sequential probability ratio test on the candidate's Bernoulli errors:
  H0 p = p0 against H1 p = p0 x (1 + tolerance), where p0 is the baseline's rate (with half an
  error added so a clean baseline is not zero).  The statistic is the log-likelihood ratio;
  it fails when it reaches ln((1 - beta) / alpha).  Increases smaller than the tolerance are
  what the test is not built to catch.
* ``msprt`` - the mixture SPRT's always-valid p-value (Johari et al.) on the difference of the
  error rates d = p_c - p_b with variance V = p(1 - p)(1/n_c + 1/n_b) (p pooled) and a normal
  mixture of scale ``msprt_tau``: Lambda = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V + tau^2))),
  only where d > 0 (one-sided); p = running minimum of min(1, 1/Lambda).  Safe to look after
  every step: it fails when p < alpha.

The latency rule (:func:`latency_check`) compares the step's latency samples the way Kayenta
does: a one-sided Mann-Whitney U test (candidate slower) at ``latency_alpha`` and the
Hodges-Lehmann shift (median of the pairwise differences); it fails when the test is
significant *and* the shift exceeds ``latency_tolerance`` x the baseline's median latency.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

#: Kayenta's Mann-Whitney classifier: confidence 0.98, tolerance 0.25
LATENCY_ALPHA = 0.02
LATENCY_TOLERANCE = 0.25
#: the most pairwise differences the Hodges-Lehmann shift uses (larger samples are thinned evenly)
HL_MAX_SAMPLES = 1500


@dataclass(frozen=True)
class RuleParams:
    alpha: float = 0.01
    beta: float = 0.2                # SPRT: chance of missing an increase of `tolerance`
    tolerance: float = 1.0           # SPRT: relative increase H1 stands for (1.0 = double)
    seed_ratio: float = 1.5          # the article's rule: roll back above 1.5 x the baseline's rate
    msprt_tau: float = 0.02          # mSPRT: scale of the normal mixture over the rate difference
    latency_alpha: float = LATENCY_ALPHA
    latency_tolerance: float = LATENCY_TOLERANCE

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    statistic: np.ndarray
    p_value: np.ndarray
    fails: np.ndarray


@dataclass(frozen=True)
class Rule:
    name: str
    label: str                       # how sentences name the rule
    fn: Callable[..., Check]
    statistic_name: str


RULES: dict[str, Rule] = {}


def register(name: str, label: str, statistic_name: str):
    """Decorator: make an error rule selectable by ``name``."""
    def wrap(fn):
        RULES[name] = Rule(name, label, fn, statistic_name)
        return fn
    return wrap


def rule_names() -> tuple[str, ...]:
    return tuple(RULES)


def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


def _rates(n, x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)


@register("seed", "the article's 1.5x rule", "rate ratio")
def seed_rule(nb, xb, nc, xc, params: RuleParams = RuleParams()) -> Check:
    """Candidate rate > seed_ratio x baseline rate (a clean baseline makes any candidate error fail)."""
    nb, xb, nc, xc = _arrays(nb, xb, nc, xc)
    rb, rc = _rates(nb, xb), _rates(nc, xc)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rb > 0, rc / np.where(rb > 0, rb, 1), np.where(rc > 0, np.inf, np.nan))
    fails = np.nan_to_num(rc, nan=0.0) > params.seed_ratio * np.nan_to_num(rb, nan=0.0)
    return Check(ratio, np.full(ratio.shape, np.nan), fails)


def fisher_p_greater(nb, xb, nc, xc) -> np.ndarray:
    """One-sided Fisher exact p-value that the candidate's error rate is higher (hypergeometric tail)."""
    from scipy.stats import hypergeom

    nb, xb, nc, xc = _arrays(nb, xb, nc, xc)
    total, errors = nb + nc, xb + xc
    with np.errstate(invalid="ignore"):
        p = hypergeom.sf(xc - 1, total, errors, nc)
    return np.where(total > 0, np.clip(p, 0.0, 1.0), np.nan)


@register("fisher", "Fisher", "odds ratio")
def fisher_rule(nb, xb, nc, xc, params: RuleParams = RuleParams()) -> Check:
    nb, xb, nc, xc = _arrays(nb, xb, nc, xc)
    p = fisher_p_greater(nb, xb, nc, xc)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (xc * (nb - xb)) / ((nc - xc) * xb)
    odds = np.where(np.isnan(odds) & (xc * (nb - xb) > 0), np.inf, odds)
    return Check(odds, p, np.nan_to_num(p, nan=1.0) < params.alpha)


def sprt_boundaries(alpha: float, beta: float) -> tuple[float, float]:
    """Wald's (lower, upper) log-likelihood-ratio boundaries: ln(beta/(1-alpha)), ln((1-beta)/alpha)."""
    return math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)


@register("sprt", "SPRT", "log-likelihood ratio")
def sprt_rule(nb, xb, nc, xc, params: RuleParams = RuleParams()) -> Check:
    nb, xb, nc, xc = _arrays(nb, xb, nc, xc)
    p0 = np.clip((xb + 0.5) / (nb + 1.0), 1e-9, 0.5)
    p1 = np.clip(p0 * (1 + params.tolerance), 1e-9, 1 - 1e-9)
    llr = xc * np.log(p1 / p0) + (nc - xc) * np.log((1 - p1) / (1 - p0))
    _lower, upper = sprt_boundaries(params.alpha, params.beta)
    return Check(llr, np.full(llr.shape, np.nan), llr >= upper)


def msprt_lambda(nb, xb, nc, xc, tau: float) -> np.ndarray:
    """The mixture likelihood ratio Lambda on the rate difference (1 where the candidate is not worse)."""
    nb, xb, nc, xc = _arrays(nb, xb, nc, xc)
    ok = (nb > 0) & (nc > 0)
    safe_b, safe_c = np.where(ok, nb, 1), np.where(ok, nc, 1)
    d = xc / safe_c - xb / safe_b
    pooled = (xb + xc + 0.5) / (nb + nc + 1.0)
    v = pooled * (1 - pooled) * (1 / safe_c + 1 / safe_b)
    t2 = tau * tau
    log_lam = 0.5 * np.log(v / (v + t2)) + t2 * d * d / (2 * v * (v + t2))
    return np.where(ok & (d > 0), np.exp(np.minimum(log_lam, 700.0)), 1.0)


@register("msprt", "mSPRT", "mixture likelihood ratio")
def msprt_rule(nb, xb, nc, xc, params: RuleParams = RuleParams()) -> Check:
    lam = msprt_lambda(nb, xb, nc, xc, params.msprt_tau)
    p = np.minimum.accumulate(np.minimum(1.0, 1.0 / lam), axis=-1)
    return Check(lam, p, p < params.alpha)


def hodges_lehmann(baseline, candidate) -> float:
    """Median of all pairwise differences candidate - baseline (samples thinned evenly above the cap)."""
    b, c = np.sort(np.asarray(baseline, float)), np.sort(np.asarray(candidate, float))
    if len(b) > HL_MAX_SAMPLES:
        b = b[np.linspace(0, len(b) - 1, HL_MAX_SAMPLES).astype(int)]
    if len(c) > HL_MAX_SAMPLES:
        c = c[np.linspace(0, len(c) - 1, HL_MAX_SAMPLES).astype(int)]
    return float(np.median(c[:, None] - b[None, :]))


@dataclass(frozen=True)
class LatencyCheck:
    u_statistic: float
    p_value: float
    shift_ms: float
    allowed_shift_ms: float
    fails: bool


def latency_check(baseline, candidate, params: RuleParams = RuleParams()) -> LatencyCheck | None:
    """Kayenta-style latency comparison of one step's samples (None when either side has none)."""
    from scipy.stats import mannwhitneyu

    b = np.asarray(baseline, float)
    c = np.asarray(candidate, float)
    b, c = b[np.isfinite(b)], c[np.isfinite(c)]
    if len(b) == 0 or len(c) == 0:
        return None
    res = mannwhitneyu(c, b, alternative="greater")
    shift = hodges_lehmann(b, c)
    allowed = params.latency_tolerance * float(np.median(b))
    p = float(res.pvalue)
    return LatencyCheck(float(res.statistic), p, shift, allowed, bool(p < params.latency_alpha and shift > allowed))

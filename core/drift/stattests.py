"""Small pure statistics for drift, and the registry of drift-decision methods.

Two layers live here:

* Plain statistic functions on counts or sorted arrays: :func:`psi`,
  :func:`jensen_shannon`, :func:`chi2`, :func:`ks_wasserstein`,
  :func:`bin_counts`, :func:`bh_adjust`, :func:`psi_band`.  They take numpy
  arrays and return Python floats; they never look at pandas objects.
* A registry of *methods* (``psi``, ``ks``, ``wasserstein``,
  ``jensenshannon``, ``chi2``).  A method is a tiny function that reads the
  already computed statistics of one column and decides whether it drifted::

      @register("ks", kinds=("numeric",), default_threshold=0.05)
      def _ks(stats, threshold): ...

  It returns a :class:`TestResult`, or ``None`` when the statistic it needs is
  not available for that column (for example Wasserstein when the reference
  is constant); :mod:`core.drift.compute` then falls back to another method.

Definitions (the contract the tests check):

* PSI = sum (cur - ref) * ln(cur / ref) over bin/category shares, where a
  share of exactly zero is replaced by 1e-4 (no renormalisation).  Because
  every term has the sign of (cur - ref) twice, PSI is never negative.
* Jensen-Shannon distance uses base 2 on the raw shares and equals
  ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.
* Chi-square is ``scipy.stats.chi2_contingency`` on the 2 x K table of counts
  with default arguments; K = 1 gives statistic 0 and p-value 1.
* KS equals ``scipy.stats.ks_2samp(ref, cur)`` with default arguments; the
  statistic is computed once from the two sorted arrays, and the p-value uses
  the same method scipy's ``method="auto"`` picks (exact when both samples
  have at most 10,000 values, else the asymptotic Kolmogorov distribution).
* Wasserstein equals ``scipy.stats.wasserstein_distance(ref, cur)``, computed
  from the same merged sorted arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
from scipy import stats as _st
from scipy.spatial.distance import jensenshannon as _scipy_js

from core.drift.bands import PSI_MAJOR, PSI_MODERATE, psi_band  # noqa: F401  (re-exported)
from core.drift.profile import bin_counts  # noqa: F401  (re-exported)

ZERO_SHARE = 1e-4
KS_EXACT_MAX_N = 10_000  # scipy's ks_2samp(method="auto") switches to asymptotic above this


@dataclass(frozen=True)
class TestResult:
    """The verdict of one method on one column.

    ``score`` is the number compared with ``threshold``: a p-value when
    ``p_value_based`` (drift when it is below the threshold, after the
    Benjamini-Hochberg correction applied by :mod:`core.drift.compute`), otherwise a
    distance (drift when it is at or above the threshold).
    """

    __test__ = False  # not a pytest test class

    score: float
    drifted: bool
    threshold: float
    p_value_based: bool


@dataclass(frozen=True)
class StatTest:
    name: str
    kinds: frozenset
    default_threshold: float
    p_value_based: bool
    func: Callable[[Mapping, float], "TestResult | None"]
    description: str = ""

    __test__ = False

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds

    def __call__(self, stats: Mapping, threshold: float | None = None) -> "TestResult | None":
        return self.func(stats, self.default_threshold if threshold is None else float(threshold))


_REGISTRY: dict[str, StatTest] = {}


def register(name: str, kinds, default_threshold: float, *, p_value_based: bool = False,
             description: str = ""):
    """Decorator adding a decision method to the registry under ``name``."""

    def wrap(func):
        _REGISTRY[name] = StatTest(name, frozenset(kinds), float(default_threshold),
                                   p_value_based, func, description or (func.__doc__ or "").strip())
        return func

    return wrap


def get(name: str) -> StatTest:
    """The registered method called ``name`` (KeyError if unknown)."""
    return _REGISTRY[name]


def names() -> list[str]:
    """Names of all registered methods, sorted."""
    return sorted(_REGISTRY)


# ---------------------------------------------------------------- statistics

def shares(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return counts / total if total > 0 else counts


def psi(ref_counts, cur_counts) -> float:
    """Population stability index of two aligned count (or share) vectors."""
    r = shares(ref_counts)
    c = shares(cur_counts)
    r = np.where(r == 0, ZERO_SHARE, r)
    c = np.where(c == 0, ZERO_SHARE, c)
    return float(np.sum((c - r) * np.log(c / r)))


def jensen_shannon(ref_counts, cur_counts) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between raw shares."""
    value = float(_scipy_js(shares(ref_counts), shares(cur_counts), base=2))
    return 0.0 if math.isnan(value) else value


def chi2(ref_counts, cur_counts) -> tuple[float, float]:
    """(statistic, p-value) of chi2_contingency on the 2 x K table of counts."""
    table = np.vstack([np.asarray(ref_counts, dtype=float), np.asarray(cur_counts, dtype=float)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    res = _st.chi2_contingency(table)
    return float(res.statistic), float(res.pvalue)


def sorted_histogram(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``np.histogram(values, edges)[0]`` for a sorted array (values outside are left out)."""
    cuts = np.searchsorted(sorted_values, edges, side="left")
    cuts[-1] = np.searchsorted(sorted_values, edges[-1], side="right")
    return np.diff(cuts).astype(np.int64)


def ks_p_value(d: float, n1: int, n2: int) -> float:
    """Asymptotic two-sided KS p-value exactly as ``ks_2samp`` computes it."""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(_st.kstwo.sf(d, np.round(en)), 0, 1))


def ks_wasserstein(a: np.ndarray, b: np.ndarray, *, n1: int | None = None,
                   n2: int | None = None) -> tuple[float, float, float, np.ndarray]:
    """KS statistic, KS p-value, raw Wasserstein-1 distance and the merged sorted values.

    ``a`` and ``b`` must be sorted, finite and non-empty.  The empirical CDFs
    are evaluated once at the end of every group of tied values in the merged
    array, which gives exactly the differences ``ks_2samp`` and
    ``wasserstein_distance`` compute.  ``n1``/``n2`` are the true sample sizes
    when ``a`` stands for a larger sample (reconstructed from a quantile
    sketch); they only change the p-value.
    """
    n, m = a.size, b.size
    n1 = n if n1 is None else int(n1)
    n2 = m if n2 is None else int(n2)
    if max(n1, n2) <= KS_EXACT_MAX_N and (n1, n2) == (n, m):
        res = _st.ks_2samp(a, b)
        d, p = float(res.statistic), float(res.pvalue)
        _, w, merged = _cdf_differences(a, b)
        return d, p, w, merged
    d, w, merged = _cdf_differences(a, b)
    return d, ks_p_value(d, n1, n2), w, merged


def _cdf_differences(a: np.ndarray, b: np.ndarray) -> tuple[float, float, np.ndarray]:
    n, m = a.size, b.size
    pooled = np.concatenate([a, b])
    order = np.argsort(pooled, kind="stable")  # a merge of two sorted runs: linear time
    merged = pooled[order]
    from_a = np.cumsum(order < n)
    last = np.empty(merged.size, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=last[:-1])
    last[-1] = True
    ends = np.flatnonzero(last)
    count_a = from_a[ends]
    diff = count_a / n - (ends + 1 - count_a) / m
    d = float(np.abs(diff).max())
    gaps = np.diff(merged[ends])
    w = float(_vecdot(np.abs(diff[:-1]), gaps)) if gaps.size else 0.0
    return d, w, merged


def _vecdot(x, y):
    return np.vecdot(x, y) if hasattr(np, "vecdot") else np.sum(x * y)


def bh_adjust(p_values) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the input order.

    adjusted p_(i) = min over j >= i of p_(j) * m / j (ranks ascending), capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(m)
    out[order] = adjusted_sorted
    return [float(v) for v in out]


# ---------------------------------------------------------------- methods

def _distance(stats: Mapping, key: str, threshold: float) -> TestResult | None:
    value = stats.get(key)
    if value is None:
        return None
    return TestResult(float(value), bool(value >= threshold), threshold, False)


def _pvalue(stats: Mapping, key: str, threshold: float) -> TestResult | None:
    value = stats.get(key)
    if value is None:
        return None
    return TestResult(float(value), bool(value < threshold), threshold, True)


@register("psi", kinds=("numeric", "datetime", "categorical", "boolean"), default_threshold=0.2)
def _psi_method(stats, threshold):
    """Population stability index on reference-decile bins or categories; drift when PSI >= threshold."""
    return _distance(stats, "psi", threshold)


@register("ks", kinds=("numeric", "datetime"), default_threshold=0.05, p_value_based=True)
def _ks_method(stats, threshold):
    """Two-sample Kolmogorov-Smirnov test; drift when the BH-adjusted p-value < threshold."""
    return _pvalue(stats, "ks_p_value", threshold)


@register("wasserstein", kinds=("numeric", "datetime"), default_threshold=0.1)
def _wasserstein_method(stats, threshold):
    """Wasserstein distance divided by the reference standard deviation; drift when >= threshold."""
    return _distance(stats, "wasserstein", threshold)


@register("jensenshannon", kinds=("numeric", "datetime", "categorical", "boolean"),
          default_threshold=0.1)
def _js_method(stats, threshold):
    """Jensen-Shannon distance (base 2) on decile bins or categories; drift when >= threshold."""
    return _distance(stats, "jensen_shannon", threshold)


@register("chi2", kinds=("categorical", "boolean"), default_threshold=0.05, p_value_based=True)
def _chi2_method(stats, threshold):
    """Chi-square test on the 2 x K table of counts; drift when the BH-adjusted p-value < threshold."""
    return _pvalue(stats, "chi2_p_value", threshold)

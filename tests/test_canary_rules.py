"""Canary decision rules against scipy and hand-computed cases, and the guards every rule shares."""

import math

import numpy as np
import pytest
from scipy import stats

from core.canary.rules import (RULES, RuleParams, fisher_p_greater, hodges_lehmann, latency_check, msprt_lambda,
                               sprt_boundaries)
from core.canary.schedules import make_schedule, parse_weights
from core.canary.simulate import Guards, judge
from core.errors import PreflightError

TABLES = [(1000, 10, 200, 9), (500, 5, 100, 1), (850, 8, 150, 7), (300, 0, 50, 2), (40, 3, 60, 0), (1, 0, 1, 1)]


@pytest.mark.parametrize("nb,xb,nc,xc", TABLES)
def test_fisher_matches_scipy_one_sided(nb, xb, nc, xc):
    expected = stats.fisher_exact([[xc, nc - xc], [xb, nb - xb]], alternative="greater")
    check = RULES["fisher"].fn([nb], [xb], [nc], [xc], RuleParams(alpha=0.01))
    assert check.p_value[0] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)
    assert check.statistic[0] == pytest.approx(expected.statistic) or (
        math.isinf(expected.statistic) and math.isinf(check.statistic[0]))
    assert bool(check.fails[0]) == (expected.pvalue < 0.01)


def test_fisher_on_an_array_of_tables_is_each_table():
    nb, xb, nc, xc = (np.array(c) for c in zip(*TABLES))
    p = fisher_p_greater(nb, xb, nc, xc)
    for i, (a, b, c, d) in enumerate(TABLES):
        assert p[i] == pytest.approx(stats.fisher_exact([[d, c - d], [b, a - b]], alternative="greater").pvalue)


def test_sprt_boundaries_and_statistic_by_hand():
    lower, upper = sprt_boundaries(0.01, 0.2)
    assert upper == pytest.approx(math.log(0.8 / 0.01))
    assert lower == pytest.approx(math.log(0.2 / 0.99))
    # baseline 9 errors in 999 requests: p0 = (9 + 0.5) / 1000 = 0.0095, H1 doubles it
    p0, p1 = 0.0095, 0.019
    check = RULES["sprt"].fn([999], [9], [400], [12], RuleParams(alpha=0.01, beta=0.2, tolerance=1.0))
    llr = 12 * math.log(p1 / p0) + 388 * math.log((1 - p1) / (1 - p0))
    assert check.statistic[0] == pytest.approx(llr)
    assert bool(check.fails[0]) == (llr >= upper)
    worse = RULES["sprt"].fn([999], [9], [400], [30], RuleParams())
    assert worse.fails[0] and worse.statistic[0] == pytest.approx(30 * math.log(2) + 370 * math.log(0.981 / 0.9905))


def test_msprt_always_valid_p_value_by_hand():
    # candidate 20/400 = 0.05, baseline 10/1000 = 0.01: d = 0.04, pooled p = 30.5/1401
    p = 30.5 / 1401
    v = p * (1 - p) * (1 / 400 + 1 / 1000)
    tau2 = 0.02 ** 2
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * 0.04 ** 2 / (2 * v * (v + tau2)))
    assert msprt_lambda([1000], [10], [400], [20], 0.02)[0] == pytest.approx(lam)
    check = RULES["msprt"].fn([[1000, 1200]], [[10, 12]], [[400, 500]], [[20, 5]], RuleParams(alpha=0.01))
    assert check.p_value[0, 0] == pytest.approx(min(1.0, 1 / lam))
    # always valid: the p-value never rises again, even when the later step looks better
    assert check.p_value[0, 1] == pytest.approx(check.p_value[0, 0])
    # one-sided: a better candidate gives no evidence
    assert msprt_lambda([1000], [50], [400], [2], 0.02)[0] == 1.0


def test_seed_rule_is_the_article_rule_and_misfires_on_a_clean_baseline():
    params = RuleParams()
    check = RULES["seed"].fn([1000, 1000, 1000], [10, 10, 0], [200, 200, 200], [3, 4, 1], params)
    assert list(check.fails) == [False, True, True]       # 1.5% is not > 1.5%; 2% is; any error vs 0 is
    assert check.statistic[0] == pytest.approx(1.5) and math.isinf(check.statistic[2])


def test_latency_rule_matches_scipy_mann_whitney_and_hodges_lehmann():
    rng = np.random.default_rng(4)
    b = rng.lognormal(np.log(100), 0.3, 300)
    c = rng.lognormal(np.log(140), 0.3, 120)
    res = latency_check(b, c, RuleParams())
    expected = stats.mannwhitneyu(c, b, alternative="greater")
    assert res.p_value == pytest.approx(expected.pvalue) and res.u_statistic == pytest.approx(expected.statistic)
    assert res.shift_ms == pytest.approx(np.median(np.subtract.outer(c, b)))
    assert res.allowed_shift_ms == pytest.approx(0.25 * np.median(b))
    assert res.fails
    same = latency_check(b, rng.lognormal(np.log(100), 0.3, 120), RuleParams())
    assert not same.fails
    assert latency_check(b, [], RuleParams()) is None
    assert hodges_lehmann([1, 2, 3], [11, 12, 13]) == 10


def test_no_data_pauses_instead_of_dividing_by_zero():
    # step 2 at 20% brought the candidate nothing
    j = judge([0.0, 0.1, 0.2, 0.3], [[500, 450, 400, 350]], [[5, 4, 4, 3]], [[0, 50, 0, 150]], [[0, 0, 0, 2]],
              "seed", RuleParams(), Guards(min_samples=10))
    assert list(j.outcome) == ["paused"] and j.end[0] == 2
    assert j.state[0, 0] == 0  # the start step at weight 0 is not "no data"


def test_minimum_samples_guard_holds_every_rule_back():
    # a candidate at 50% errors over 40 requests: every rule would fail it, the guard waits for 100
    for rule in RULES:
        j = judge([0.1], [[360]], [[3]], [[40]], [[20]], rule, RuleParams(), Guards(min_samples=100))
        assert j.state[0, 0] == 2 and not j.fails[0, 0]
        assert list(j.outcome) == ["paused"]  # never promoted unchecked
        j = judge([0.1], [[360]], [[3]], [[40]], [[20]], rule, RuleParams(), Guards(min_samples=40))
        assert list(j.outcome) == ["rolled_back"], rule


def test_failure_limit_tolerates_that_many_failing_checks():
    counts = ([[500] * 3], [[5] * 3], [[200] * 3], [[20] * 3])
    assert judge([0.2, 0.3, 0.4], *counts, "fisher", RuleParams(), Guards(failure_limit=0)).end[0] == 0
    j = judge([0.2, 0.3, 0.4], *counts, "fisher", RuleParams(), Guards(failure_limit=2))
    assert list(j.outcome) == ["rolled_back"] and j.end[0] == 2
    j = judge([0.2, 0.3, 0.4], *counts, "fisher", RuleParams(), Guards(failure_limit=3))
    assert list(j.outcome) == ["promoted"]


def test_schedules():
    assert make_schedule("seed").weights == tuple(round(0.1 * k, 10) for k in range(11))
    assert make_schedule("flagger", step_weight=10, max_weight=50).weights == (0.1, 0.2, 0.3, 0.4, 0.5)
    assert parse_weights("5,10,50,100") == (0.05, 0.1, 0.5, 1.0)
    assert parse_weights("0.05,0.5,1") == (0.05, 0.5, 1.0)
    assert make_schedule("seed", interval_s=60, rate_rps=10).requests_per_step == 600
    assert make_schedule("seed").requests_per_step == 500
    for bad in ("", "0,0", "5,abc", "150", "fast"):
        with pytest.raises(PreflightError):
            make_schedule(bad or ",")

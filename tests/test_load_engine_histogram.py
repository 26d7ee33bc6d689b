"""The latency histogram against numpy's exact percentiles, its merging and exchange forms, and the
arrival schedule (counts, spacing, ramps, Poisson, per-process shares)."""

import numpy as np
import pytest

from core.load.engine_schedule import iter_arrivals, share_count
from core.load.histogram import Histogram, bucket_index, LOWER_MS, UPPER_MS
from core.load.plan import Stage

QS = (0.5, 0.9, 0.95, 0.99, 0.999, 0.0001, 1.0)


def _samples():
    rng = np.random.default_rng(11)
    return {
        "lognormal": rng.lognormal(1.0, 1.2, 50_000),
        "exponential": rng.exponential(5.0, 20_000) + 0.001,  # the bound holds from 1 microsecond up
        "uniform_wide": rng.uniform(0.002, 60_000.0, 30_000),
        "bimodal": np.concatenate([rng.normal(5, 0.5, 9_000).clip(0.01), rng.uniform(5, 505, 3_000)]),
        "few": np.array([3.0, 7.0, 1000.0]),
        "constant": np.full(100, 42.0),
    }


@pytest.mark.parametrize("name", list(_samples()))
def test_percentiles_within_one_percent_of_numpy(name):
    x = _samples()[name]
    h = Histogram()
    h.record_many(x)
    for q in QS:
        exact = float(np.percentile(x, 100 * q, method="inverted_cdf"))
        assert h.percentile(q) == pytest.approx(exact, rel=0.01), q
    assert h.max == x.max() and h.min == x.min()
    assert h.mean == pytest.approx(x.mean(), rel=1e-12)
    assert h.count == x.size


def test_buckets_hold_their_values():
    rng = np.random.default_rng(3)
    x = np.concatenate([10 ** rng.uniform(-4, 7, 100_000), UPPER_MS[:50], LOWER_MS[1:50], [0.0]])
    idx = bucket_index(x)
    inside = (x >= LOWER_MS[idx]) & ((x < UPPER_MS[idx]) | (idx == len(UPPER_MS) - 1))
    assert inside.all()


def test_merge_equals_recording_everything():
    rng = np.random.default_rng(5)
    parts = [rng.lognormal(2, 1, 5000) for _ in range(4)]
    merged = Histogram()
    for p in parts:
        h = Histogram()
        h.record_many(p)
        merged.merge(Histogram.from_state(h.state()))
    whole = Histogram()
    whole.record_many(np.concatenate(parts))
    assert np.array_equal(merged.counts, whole.counts)
    assert merged.summary() == pytest.approx(whole.summary())


def test_dict_round_trip_and_chart_form():
    h = Histogram()
    h.record_many([1.0, 2.0, 2.0, 150.0])
    d = h.to_dict()
    assert len(d["bounds_ms"]) == len(d["counts"]) + 1 and sum(d["counts"]) == 4
    assert d["bounds_ms"][0] <= 1.0 and d["bounds_ms"][-1] > 150.0
    back = Histogram.from_dict(d)
    assert np.array_equal(back.counts, h.counts) and back.summary() == h.summary()
    assert Histogram().percentile(0.5) is None and Histogram().summary()["max_ms"] is None


def test_constant_schedule_spacing_and_count():
    times = np.concatenate(list(iter_arrivals((Stage(2.0, 100.0),))))
    assert times.size == 200
    assert np.allclose(np.diff(times), 0.01)
    assert times[0] == 0.0 and times[-1] < 2.0


def test_ramp_schedule_follows_the_rate():
    times = np.concatenate(list(iter_arrivals((Stage(4.0, 0.0, 400.0), Stage(1.0, 50.0)))))
    assert times.size == 800 + 50
    per_second = np.bincount(times.astype(int), minlength=5)
    # a linear ramp 0 -> 400 over 4 s sends 50, 150, 250, 350 in its four seconds
    assert per_second.tolist() == [50, 150, 250, 350, 50]
    assert np.all(np.diff(times) >= 0)


def test_poisson_schedule():
    times = np.concatenate(list(iter_arrivals((Stage(50.0, 200.0),), "poisson", seed=1)))
    assert times.size == pytest.approx(10_000, rel=0.05)
    gaps = np.diff(times)
    assert gaps.mean() == pytest.approx(1 / 200, rel=0.05)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.05)  # exponential gaps: CV 1


def test_shares_partition_the_constant_schedule():
    stages = (Stage(1.0, 100.0, 300.0),)
    whole = np.concatenate(list(iter_arrivals(stages)))
    parts = [np.concatenate(list(iter_arrivals(stages, share=(i, 3)))) for i in range(3)]
    assert np.allclose(np.sort(np.concatenate(parts)), whole)


def test_max_requests_caps_every_share():
    stages = (Stage(10.0, 1000.0),)
    counts = [sum(len(c) for c in iter_arrivals(stages, share=(i, 3), max_requests=1000)) for i in range(3)]
    assert sum(counts) == 1000 == sum(share_count(1000, (i, 3)) for i in range(3))
    assert sum(len(c) for c in iter_arrivals(stages, "poisson", max_requests=777)) == 777

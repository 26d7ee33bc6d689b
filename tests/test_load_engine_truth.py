"""Truthfulness: a server that answers in 5 ms but stalls 0.5 s every 2 s, at 200 requests/s.

A quarter of the requests arrive during a stall and wait for its end (uniformly 0 to 500 ms), so the
true p99 latency is about 5 + 500 * (1 - 0.01 / 0.25) = 485 ms (a little less when a short run holds
a smaller share of stalled time: 475 ms with two stalls in 6 s).  The bounds are generous so that a
busy machine cannot make the test fail; a closed-loop measurement would be off by two orders of
magnitude, which the second test shows with a single connection.
"""

import pytest

from core.load.demo_server import DemoServer
from core.load.engine import run_load
from core.load.plan import constant_plan


@pytest.fixture(scope="module")
def stalling():
    with DemoServer(latency_ms=5, stall_every_s=2, stall_ms=500) as srv:
        yield srv


def test_open_loop_p99_matches_the_true_tail(stalling):
    r = run_load(constant_plan(stalling.url, 200, 6.0))
    assert r.requests == 1200 and r.errors == 0
    assert 0.9 * 475 <= r.p99_ms <= 1.15 * 485
    assert 450 <= r.max_ms <= 700
    # most requests never meet a stall
    assert r.p50_ms < 100


def test_intended_time_latency_still_sees_the_stall_when_sends_are_held_back(stalling):
    """One connection only: requests queue behind the stalled one, as in a closed loop.  The time from
    the actual send (service time) hides the stall; the time from the intended send does not."""
    r = run_load(constant_plan(stalling.url, 100, 6.0, max_in_flight=1))
    assert r.requests == 600
    assert r.service_p99_ms < 200
    assert r.p99_ms > 300
    assert r.in_flight_cap_hits > 0

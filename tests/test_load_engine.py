"""The open-loop engine against local servers: status and failure classification, HTTP framing,
late-send accounting, the SLO stop rules, the request-count bound, several processes, cancel."""

import time

import pytest

from core.errors import Cancelled
from core.load.engine import run_load
from core.load.engine_schedule import iter_arrivals
from core.load.plan import LoadPlan, Stage, constant_plan
from tests.test_load_engine_support import RawServer, free_port


@pytest.fixture(scope="module")
def srv():
    with RawServer() as s:
        yield s


def _get(url, rate, duration, **kw):
    return constant_plan(url, rate, duration, method="GET", **kw)


def test_statuses_are_classified(srv):
    srv.counter = 0
    r = run_load(_get(srv.url("/cycle"), 80, 0.5))
    assert r.requests == 40
    assert r.status_counts == {"200": 20, "404": 10, "503": 10}
    assert r.error_types == {"http_4xx": 10, "http_5xx": 10}
    assert r.errors == 20 and r.success_rate == pytest.approx(0.5)
    # replies with any status are timed; every reply is in the latency histogram
    assert sum(r.histogram["counts"]) == 40


def test_timeouts_are_classified_and_bounded(srv):
    r = run_load(_get(srv.url("/slow/3000"), 20, 0.5, timeout_ms=200))
    assert r.requests == 10
    assert r.error_types == {"timeout": 10}
    assert r.success_rate == 0.0
    assert r.p95_ms is None  # no reply carried a status
    assert not r.production_ready


def test_connection_refused():
    r = run_load(_get(f"http://127.0.0.1:{free_port()}/x", 20, 0.5))
    assert r.requests == 10
    assert r.error_types == {"connection_refused": 10}


@pytest.mark.parametrize("path, kind", [("/close", "connection_closed"), ("/reset", "connection_reset"),
                                        ("/garbage", "protocol_error")])
def test_broken_replies_are_classified(srv, path, kind):
    r = run_load(_get(srv.url(path), 20, 0.5))
    assert r.requests == 10
    assert r.error_types == {kind: 10}


@pytest.mark.parametrize("path", ["/chunked", "/http10", "/ok"])
def test_response_framing(srv, path):
    r = run_load(_get(srv.url(path), 40, 0.5))
    assert r.requests == 20 and r.errors == 0
    assert r.status_counts == {"200": 20}


def test_keep_alive_reuses_connections(srv):
    # one connection allowed: with keep-alive it is opened once and carries every request
    r = run_load(_get(srv.url("/ok"), 50, 1.0, max_in_flight=1))
    assert r.requests == 50 and r.errors == 0
    assert r.extra["connections_opened"] == 1
    closing = run_load(_get(srv.url("/http10"), 50, 0.4, max_in_flight=1))
    assert closing.requests == 20 and closing.extra["connections_opened"] == 20


def test_a_stale_kept_alive_connection_is_retried_once(srv):
    r = run_load(_get(srv.url("/one-per-conn"), 40, 0.5, max_in_flight=1))
    assert r.requests == 20 and r.errors == 0
    assert r.extra["retries"] == 19 and r.extra["connections_opened"] == 20
    # a fresh connection that closes without a reply is not retried
    assert run_load(_get(srv.url("/close"), 20, 0.2)).error_types == {"connection_closed": 4}


def test_a_stalled_generator_counts_its_late_sends_and_their_latency(srv):
    """Block the generator's own loop for 0.3 s (in the first tick): the requests due meanwhile leave late,
    are counted as late, and their latency runs from their intended time, so it includes the stall."""
    blocked = []

    def on_tick(point):
        if not blocked:
            blocked.append(point["t"])
            time.sleep(0.3)

    r = run_load(_get(srv.url("/ok"), 500, 2.0), on_tick=on_tick)
    assert r.requests == 1000
    # about 150 requests were due during the 0.3 s block
    assert r.late_sends >= 100
    assert r.extra["late_dispatches"] >= 100
    assert r.extra["max_dispatch_lag_ms"] >= 250
    assert r.max_ms >= 250
    # the ~150 late requests are more than 10% of the run: its p90 latency carries the stall
    assert r.p90_ms >= 25
    assert r.generator_limited
    assert any("late" in n for n in r.generator_notes)


def test_slo_stop_rule_on_p95(srv):
    plan = _get(srv.url("/slow/150"), 100, 20.0, stop_p95_ms=50, stop_window_s=1)
    r = run_load(plan)
    assert r.stopped_early
    assert r.stop_reason.startswith("slo: p95")
    assert r.extra["sent"] < 1000  # far fewer than the 2000 planned
    assert not r.production_ready
    assert any("stopped early" in reason for reason in r.verdict_reasons)


def test_slo_stop_rule_sees_requests_that_never_return(srv):
    """A server that stops answering: no reply arrives, yet the unanswered requests are already slower than
    the limit, so the p95 rule stops the run long before the first timeout (10 s here)."""
    plan = _get(srv.url("/slow/8000"), 50, 20.0, stop_p95_ms=100, stop_window_s=2, timeout_ms=10_000)
    r = run_load(plan)
    assert r.stopped_early and "still waiting" in r.stop_reason
    assert r.extra["sent"] < 200  # stopped within a few seconds, not after the 8 s replies
    assert r.extra["abandoned"] == r.extra["sent"]


def test_slo_stop_rule_on_errors(srv):
    plan = _get(srv.url("/status/500"), 100, 20.0, stop_error_pct=5, stop_window_s=2)
    r = run_load(plan)
    assert r.stopped_early and r.stop_reason.startswith("slo: errors")
    assert r.extra["sent"] < 1000


def test_no_stop_when_rules_hold(srv):
    r = run_load(_get(srv.url("/ok"), 100, 1.0, stop_p95_ms=5000, stop_error_pct=50))
    assert not r.stopped_early and r.stop_reason == ""
    assert r.requests == 100


def test_request_count_is_bounded(srv):
    r = run_load(_get(srv.url("/ok"), 1000, 30.0, max_requests=300))
    assert r.requests == 300 and r.extra["sent"] == 300
    assert r.stopped_early and r.stop_reason.startswith("max_requests")
    # the rate is measured over the 0.3 s the sends took, not over the 30 s planned
    assert r.achieved_rate > 100


def test_ramp_and_poisson_plans_send_what_the_schedule_says(srv):
    ramp = LoadPlan(url=srv.url("/ok"), method="GET", stages=(Stage(1.0, 0.0, 200.0), Stage(0.5, 100.0)))
    r = run_load(ramp)
    assert r.requests == 100 + 50
    poisson = _get(srv.url("/ok"), 200, 1.0, arrival="poisson", seed=7)
    expected = sum(len(c) for c in iter_arrivals(poisson.stages, "poisson", seed=7))
    assert run_load(poisson).requests == expected


def test_timeline_and_ticks(srv):
    points = []
    r = run_load(_get(srv.url("/ok"), 100, 2.0), on_tick=points.append)
    assert [p["t"] for p in r.timeline] == list(range(len(r.timeline)))
    assert sum(p["sent"] for p in r.timeline) == 200
    assert sum(p["completed"] for p in r.timeline) == 200
    assert points == r.timeline[:len(points)] and len(points) >= 2
    keys = {"t", "sent", "completed", "errors", "throughput", "p50_ms", "p95_ms", "p99_ms"}
    assert all(set(p) == keys and p["throughput"] == p["completed"] for p in r.timeline[:-1])
    last = r.timeline[-1]  # the run's last second is cut short: it says by how much, and gives a rate
    assert set(last) == keys | {"seconds"} and 0 <= last["seconds"] < 1
    if last["seconds"] >= 0.5:
        assert last["throughput"] == pytest.approx(last["completed"] / last["seconds"])
    else:
        assert last["throughput"] is None


def test_cancel_raises(srv):
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        run_load(_get(srv.url("/ok"), 50, 30.0), cancelled=cancelled)


def test_several_processes_merge(srv):
    srv.counter = 0
    r = run_load(_get(srv.url("/cycle"), 200, 1.0, processes=2))
    assert r.requests == 200 and r.extra["processes"] == 2
    assert r.status_counts == {"200": 100, "404": 50, "503": 50}
    assert sum(p["sent"] for p in r.timeline) == 200
    assert sum(r.histogram["counts"]) == 200


def test_post_body_reaches_the_server():
    from core.load.demo_server import DemoServer

    with DemoServer() as demo:
        r = run_load(constant_plan(demo.url, 50, 0.5, body='{"mean radius": 20}'))
        bad = run_load(constant_plan(demo.url, 50, 0.5, body='not json'))
    assert r.status_counts == {"200": 25}
    assert bad.status_counts == {"400": 25} and bad.error_types == {"http_4xx": 25}


def test_cancel_during_a_long_gap_between_sends(srv):
    """One request every 20 s: the cancel (asked for after about half a second) ends the run within a
    second or two of the plan's clock, not at the next send 20 s later."""
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 5

    points = []
    with pytest.raises(Cancelled):
        run_load(_get(srv.url("/ok"), 0.05, 60.0), cancelled=cancelled, on_tick=points.append)
    assert len(points) <= 5  # seconds the run lasted (20 or more without the capped sleep)


def test_per_second_rates_of_a_partial_last_second():
    from core.load.result import per_second

    whole = {"t": 3, "sent": 50, "completed": 48, "errors": 2, "throughput": 48, "p95_ms": 12.0}
    assert [per_second(whole, k) for k in ("sent", "completed", "errors", "p95_ms")] == [50, 48, 2, 12.0]
    part = {**whole, "seconds": 0.8, "sent": 40, "completed": 36}
    assert per_second(part, "sent") == pytest.approx(50) and per_second(part, "completed") == pytest.approx(45)
    assert per_second(part, "p95_ms") == 12.0  # not a count: as it is
    sliver = {**whole, "seconds": 0.04, "sent": 0, "completed": 3}
    assert per_second(sliver, "completed") is None and per_second(sliver, "sent") is None

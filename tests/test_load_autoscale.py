"""Autoscaling replay: the article's scaling example, the HPA rules step by step (scaler and a crafted
trace), traffic traces and patterns, the compared run and its recording."""

import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from core.errors import InputFileError, PreflightError
from core.load.autoscale import LatencyModel, replay
from core.load.capacity import exponential
from core.load.capacity_run import AutoscaleSettings, record_autoscale, run_autoscale
from core.load.policies import HpaPolicy, HpaScaler, SeedPolicy
from core.load.traffic import Traffic, pattern

ARTICLE = SeedPolicy(metric="queue_depth", target=10, min_replicas=2, max_replicas=20, scale_up_threshold=1.5,
                     scale_down_threshold=0.5, cooldown_s=300)


def test_the_articles_example_scales_from_2_to_5_with_no_cooldown_at_start():
    scaler = ARTICLE.scaler(2)
    assert scaler.evaluate(0.0, 25.0)[0] == 5   # ratio 2.5 > 1.5: ceil(2 x 2.5) = 5, up by 3


def test_the_seed_cooldown_runs_from_the_last_scaling_event():
    scaler = ARTICLE.scaler(2)
    scaler.evaluate(0.0, 12.0)                   # within the thresholds: no event, no cooldown starts
    assert scaler.evaluate(10.0, 25.0)[0] == 5   # scales at once
    n, why = scaler.evaluate(250.0, 100.0)
    assert n == 5 and "cooldown" in why          # 240 s after the event
    assert scaler.evaluate(310.0, 100.0)[0] == 20   # ceil(5 x 10) = 50, capped at max 20
    assert scaler.evaluate(620.0, 2.0)[0] == 4      # ratio 0.2 < 0.5: ceil(20 x 0.2) = 4
    assert scaler.evaluate(930.0, 0.0)[0] == 2      # floored at min


def test_hpa_rules_step_by_step_on_the_scaler():
    p = HpaPolicy(metric="queue_depth", target=10, min_replicas=2, max_replicas=30)
    s = HpaScaler(p, 2)
    assert s.evaluate(0, 10.5, ready=2)[0] == 2          # |1.05 - 1| <= 0.1 tolerance: no change
    assert s.evaluate(15, 100, ready=2)[0] == 6          # wants ceil(10 x 2) = 20; up max(2x2, 2+4) = 6
    assert s.evaluate(30, 100, ready=6)[0] == 12         # new period: max(6 x 2, 6 + 4) = 12
    assert s.evaluate(45, 22, ready=12)[0] == 24         # ceil(2.2 x 12) = 27, limited to max(12 x 2, 12 + 4)
    assert s.evaluate(50, 30, ready=24)[0] == 24         # 5 s later: +12 already added in this 15 s period


def test_hpa_scale_up_limit_and_scale_down_window():
    p = HpaPolicy(metric="queue_depth", target=10, min_replicas=2, max_replicas=30)
    s = HpaScaler(p, 12)
    assert s.evaluate(0, 22, ready=12)[0] == 24          # ceil(2.2 x 12) = 27, limited to max(12 x 2, 16) = 24
    assert s.evaluate(15, 1, ready=24)[0] == 24          # wants ceil(0.1 x 24) = 3: held by the 300 s window
    for t in range(30, 300, 15):
        assert s.evaluate(t, 1, ready=24)[0] == 24       # the recommendation of 27 at t=0 is still in the window
    assert s.evaluate(300, 1, ready=24)[0] == 3          # t=0 left the window: 100% down per 15 s allowed


def test_hpa_counts_starting_pods_as_zero_on_scale_up():
    p = HpaPolicy(metric="utilisation", target=0.5, min_replicas=2, max_replicas=20)
    s = HpaScaler(p, 4)
    # 2 ready pods at 100% (ratio 2); the 2 starting pods count 0%: (2 x 1.0 + 2 x 0) / 4 / 0.5 = 1.0
    assert s.evaluate(0, 1.0, ready=2)[0] == 4
    assert s.evaluate(15, 0.9, ready=2)[0] == 4          # 0.9 x 2 / 4 / 0.5 = 0.9: within tolerance
    assert s.evaluate(30, 1.0, ready=4)[0] == 8          # all ready: ceil(2 x 4) = 8
    down = HpaScaler(HpaPolicy(metric="utilisation", target=0.5, min_replicas=1, down_window_s=0), 4)
    # 2 of 4 reported 10% (ratio 0.2); the other 2 count 100%: (0.2 x 2 + 2) / 4 = 0.6 -> ceil(0.6 x 4) = 3
    assert down.evaluate(0, 0.1, ready=2)[0] == 3


def _crafted():
    return Traffic((0.0, 59.999, 60.0, 899.999, 900.0, 1800.0), (10.0, 10.0, 100.0, 100.0, 10.0, 10.0), "crafted")


def test_hpa_replay_on_a_crafted_trace_step_by_step():
    """100 ms service (10 requests/s per replica), utilisation target 0.5, readiness 30 s, steps of 15 s.

    Up to t=45 the load is 10/s on 2 replicas (utilisation 0.5, ratio 1: no change).  At t=60 it jumps to
    100/s; each sync uses the previous step's utilisation (1.0 while a backlog exists, ratio 2), reported by
    the replicas ready in that step; the others count as 0% on a scale-up:
    t=75: 2 of 2 reported -> ceil(2 x 2) = 4;  t=90, t=105: 2 of 4 reported, (2 x 2 + 0) / 4 = 1.0: hold;
    t=120: 4 of 4 -> 8;  t=135, 150: hold;  t=165: 8 of 8 -> 16;  t=180, 195: hold;  t=210: 32, capped at 20.
    At t=900 the load drops to 10/s; the first low recommendation is made at t=915 and the 300 s window
    holds 20 until the recommendation of t=900 leaves it: at t=1200 it goes to 2 in one step (100%/15 s).
    """
    policy = HpaPolicy(metric="utilisation", target=0.5, min_replicas=2, max_replicas=20)
    out = replay(_crafted(), policy, LatencyModel(exponential(100)), step_s=15, readiness_s=30, slo_p95_ms=1000)
    asked = dict(zip(out["times"], out["replicas"]))
    ready = dict(zip(out["times"], out["ready"]))
    assert [asked[t] for t in range(0, 225, 15)] == [2, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16, 20]
    assert [ready[t] for t in range(0, 225, 15)] == [2, 2, 2, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16]
    assert all(asked[t] == 20 for t in range(210, 1200, 15))
    assert asked[1200] == 2 and all(asked[t] == 2 for t in range(1200, 1800, 15))
    assert out["events"][-1] == {"t": 1200.0, "from": 20, "to": 2, "reason": out["events"][-1]["reason"]}
    # the overload from t=60 until enough replicas are ready shows as SLO violations
    assert out["p95_ms"][0] < 1000 < out["p95_ms"][5] and out["overloaded_minutes"] > 0
    assert 0 < out["slo_violation_minutes"] < 5
    assert out["replica_minutes"] == pytest.approx(sum(out["replicas"]) * 15 / 60)


def test_seed_replay_respects_its_cooldown():
    policy = SeedPolicy(metric="utilisation", target=0.5, min_replicas=2, max_replicas=20, cooldown_s=300)
    out = replay(_crafted(), policy, LatencyModel(exponential(100)), step_s=15, readiness_s=30)
    times = [e["t"] for e in out["events"]]
    assert times and all(b - a >= 300 for a, b in zip(times, times[1:]))
    assert out["events"][0]["t"] == 75.0 and out["events"][0]["to"] == 4   # ratio 2 > 1.5 at the first chance


def test_patterns_have_their_shape():
    d = pattern("diurnal", 10, 100)
    assert d.duration_s == 86400 and float(d.rate_at(43200)) == pytest.approx(100) and d.rates[0] == 10
    s = pattern("spike", 10, 100)
    assert float(s.rate_at(100)) == 10 and float(s.rate_at(1900)) == 100 and float(s.rate_at(7000)) == 10
    r = pattern("ramp", 10, 100, 600)
    assert float(r.rate_at(150)) == pytest.approx(55) and float(r.rate_at(500)) == 100
    with pytest.raises(PreflightError, match="below the base rate"):
        pattern("ramp", 100, 10)
    with pytest.raises(PreflightError, match="unknown pattern"):
        pattern("weekly", 1, 2)


def _csv(tmp_path, name, rows, header=("time", "rate")):
    path = tmp_path / name
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)
    return str(path)


def test_trace_errors_name_the_file_row_and_column(tmp_path):
    def run(path):
        return run_autoscale(AutoscaleSettings(trace=path, pattern=None))

    with pytest.raises(InputFileError, match=r"no rate column.*columns: time, load"):
        run(_csv(tmp_path, "a.csv", [[0, 1], [60, 2]], ("time", "load")))
    with pytest.raises(InputFileError, match=r"column 'rate', row 2: 'lots' is not a rate"):
        run(_csv(tmp_path, "b.csv", [[0, "5"], [60, "lots"]]))
    with pytest.raises(InputFileError, match=r"column 'time', row 3: time '30' does not come after"):
        run(_csv(tmp_path, "c.csv", [[0, 5], [60, 5], [30, 5]]))
    with pytest.raises(InputFileError, match=r"row 2: 'noon' is neither seconds nor a date-time"):
        run(_csv(tmp_path, "d.csv", [["2026-01-01 00:00", 5], ["noon", 5]]))


def test_a_trace_with_timestamps_replays_and_records_with_both_policies(tmp_path):
    rows = [[f"2026-01-01 00:{m:02d}:00", r] for m, r in ((0, 20), (10, 20), (11, 250), (30, 250), (31, 20),
                                                        (59, 20))]
    path = _csv(tmp_path, "trace.csv", rows)
    run = run_autoscale(AutoscaleSettings(trace=path, pattern=None, policy="hpa", compare="seed"))
    res = run.result
    assert res["traffic"]["duration_s"] == 59 * 60 and [p["policy"] for p in res["policies"]] == ["hpa", "seed"]
    hpa, seed = res["policies"]
    assert max(hpa["replicas"]) > 2 and max(seed["replicas"]) > 2
    assert res["winner"] in ("hpa", "seed") and res["slo_met"] == (hpa["slo_violation_minutes"] == 0)
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    try:
        run_id = record_autoscale(store, run)
        stored = store.run(run_id)
        assert stored["kind"] == "autoscale" and stored["inputs"][0]["role"] == "trace"
        assert len(stored["inputs"][0]["sha256"]) == 64 and stored["summary"]["winner"] == res["winner"]
    finally:
        store.close()
    with pytest.raises(PreflightError, match="same policy"):
        run_autoscale(AutoscaleSettings(policy="seed", compare="seed"))

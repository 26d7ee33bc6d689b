"""A load-test run through record, the HTML report (histogram, timeline, verdict, health, meaning),
the Load test gate (pass, warn, fail, none), the handoff pre-fill values, and the result/plan forms."""

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.errors import PreflightError
from core.load.demo_server import DemoServer
from core.load.plan import (DEMO_URL, LoadPlan, Stage, constant_plan, is_loopback, parse_stages,
                            ten_x_peak_plan)
from core.load.prefill import handoff_values
from core.load.result import LoadResult, verdict
from core.load.run import loadtest_run_from_result, record_loadtest, run_loadtest
from core.render.registry import gates, load_kinds, renderer_for
from core.report import render_html
from core.report.build import build_report


@pytest.fixture(scope="module")
def native_run():
    with DemoServer(latency_ms=2) as srv:
        return run_loadtest(ten_x_peak_plan(srv.url, 10, 1.5))


def _store(tmp_path):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    return open_assessment(path)


def _gate(run):
    load_kinds()
    check = {k: fn for k, _label, fn in gates()}["loadtest"]
    return check(run)


def test_record_and_report(native_run, tmp_path):
    store = _store(tmp_path)
    try:
        run_id = record_loadtest(store, native_run)
        stored = store.run(run_id)
        html = render_html(build_report(store))
    finally:
        store.close()
    assert stored["kind"] == "loadtest" and stored["summary"]["requests"] == native_run.result.requests
    assert LoadResult.from_dict(stored["result"]) == native_run.result
    body = renderer_for("loadtest")(stored)
    for words in ("PRODUCTION READY", "Latency from the intended send time", "Requests per second",
                  "Generator health", "What the numbers mean", "Open-loop", "HTTP 200", "p99.9"):
        assert words in body
    assert body.count("<svg") == 3
    assert "Load test" in html and "Latency per second" in html


def _result(**kw):
    base = dict(requests=1000, errors=0, success_rate=1.0, target_rate=100, achieved_rate=100, late_sends=0,
                p95_ms=50.0)
    base.update(kw)
    return LoadResult(**base).with_verdict()


@pytest.mark.parametrize("kw, state", [
    ({}, "pass"),
    ({"generator_limited": True}, "warn"),
    ({"stopped_early": True, "stop_reason": "max_requests: bound reached"}, "warn"),
    ({"stopped_early": True, "stop_reason": "slo: p95 900 ms > 500 ms"}, "fail"),
    ({"p95_ms": 250.0}, "fail"),
    ({"success_rate": 0.99, "errors": 10}, "fail"),
])
def test_gate_states(kw, state):
    g = _gate({"id": 3, "result": _result(**kw).to_dict()})
    assert g["state"] == state and "run #3" in g["detail"]


def test_gate_without_run_and_for_an_import():
    assert _gate(None)["state"] == "none"
    r = _result(source={"tool": "locust", "version": "2.3", "files": [], "meaning": "closed-loop"}).to_dict()
    g = _gate({"id": 9, "result": r})
    assert g["state"] == "pass" and "imported from locust" in g["detail"]
    body = renderer_for("loadtest")({"id": 9, "result": r})
    assert "Measured by locust 2.3" in body and "closed-loop" in body


def test_verdict_function():
    assert verdict(requests=0, success_rate=None, p95_ms=None)[0] is False
    ok, reasons = verdict(requests=10, success_rate=0.995, p95_ms=199.0)
    assert ok and len(reasons) == 2
    assert not verdict(requests=10, success_rate=0.995, p95_ms=199.0, slo_p95_ms=100)[0]
    assert not verdict(requests=10, success_rate=0.99, p95_ms=1.0)[0]  # strictly above 99%
    assert verdict(requests=10, success_rate=1.0, p95_ms=None)[0] is False  # imported run without p95


def test_import_path_builds_the_same_kind_of_run(tmp_path):
    result = _result(p50_ms=None, p999_ms=None).to_dict()
    run = loadtest_run_from_result(result, {"imported": True, "tool": "k6"}, [{"role": "k6_summary",
                                                                               "sha256": "ab"}])
    store = _store(tmp_path)
    try:
        stored = store.run(record_loadtest(store, run))
    finally:
        store.close()
    assert stored["kind"] == "loadtest" and stored["settings"]["tool"] == "k6"
    assert stored["result"]["p50_ms"] is None and stored["result"]["production_ready"] is True


def test_prefill_values(native_run):
    runs = [{"id": 4, "kind": "loadtest", "settings": native_run.settings, "result": native_run.result.to_dict()},
            {"id": 2, "kind": "loadtest", "settings": constant_plan(DEMO_URL, 5, 1).to_dict(),
             "result": _result(p95_ms=80.0).to_dict()},
            {"id": 6, "kind": "autoscale", "settings": {}, "result": {
                "winner": "hpa", "policies": [{"policy": "seed", "description": "seed policy"},
                                              {"policy": "hpa", "description": "HPA target 70%  min 2",
                                               "slo_violation_minutes": 1.5, "replica_minutes": 320.0}]}}]
    values = {v["field"]: v for v in handoff_values(runs)}
    assert values["expected_qps"]["value"] == 10 and values["expected_qps"]["run_id"] == 4
    assert values["baseline_p95_latency_ms"]["value"] == native_run.result.p95_ms
    assert values["baseline_p95_latency_ms"]["unit"] == "ms"
    assert values["scaling_policy"]["value"].startswith("HPA target 70% min 2 (1.5 SLO-violation min")
    # a plan that was not a 10x preset says nothing about the expected peak
    only_plain = [r for r in runs if r["id"] == 2]
    assert {v["field"] for v in handoff_values(only_plain)} == {"baseline_p95_latency_ms"}
    assert handoff_values([]) == []
    # the baseline p95 is the one measured at 10x peak, even when a smaller test ran later
    newer_plain = runs + [{"id": 9, "kind": "loadtest", "settings": constant_plan(DEMO_URL, 5, 1).to_dict(),
                           "result": _result(p95_ms=80.0).to_dict()}]
    p95 = {v["field"]: v for v in handoff_values(newer_plain)}["baseline_p95_latency_ms"]
    assert p95["run_id"] == 4 and p95["value"] == native_run.result.p95_ms


def test_plan_forms_and_checks(tmp_path):
    plan = LoadPlan(url=DEMO_URL, stages=(Stage(2, 10, 30), Stage(1, 5)), arrival="poisson", seed=3)
    assert LoadPlan.from_dict(plan.to_dict()) == plan
    assert plan.expected_requests == 40 + 5 and plan.total_duration_s == 3
    csv_file = tmp_path / "stages.csv"
    csv_file.write_text("duration_s,rate,ramp_to\n10,5,50\n5,50,\n")
    assert parse_stages(str(csv_file)) == (Stage(10, 5, 50), Stage(5, 50))
    with pytest.raises(PreflightError, match="row 2"):
        parse_stages("duration_s,rate\nabc,5\n")
    with pytest.raises(PreflightError, match="stage 1"):
        parse_stages('[{"duration_s": 0, "rate": 5}]')
    for bad in (dict(url="https://127.0.0.1/x"), dict(url="ftp://x"), dict(arrival="burst"), dict(max_requests=0),
                dict(processes=0), dict(body="{}", rows_csv="r.csv"), dict(headers=(("X-A", "1\r\nEvil: 2"),))):
        with pytest.raises(PreflightError):
            constant_plan(bad.pop("url", DEMO_URL), 10, 1, **bad).validate()
    assert is_loopback("http://127.0.0.5:80/") and is_loopback("http://localhost/") and is_loopback("http://[::1]/")
    assert not is_loopback("http://example.com/") and not is_loopback("http://10.0.0.1/")
    assert not is_loopback("http://127.0.0.1.example.com/")
    ten = ten_x_peak_plan(DEMO_URL, 20, 60)
    assert ten.peak_rate == 200 and ten.extra["preset"] == "10x_peak"

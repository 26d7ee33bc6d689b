"""``capacity`` and ``autoscale`` commands: exit codes, JSON, recording, the empirical path, report and gates."""

import json

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.cli import main
from core.render.registry import gates, renderer_for


class _Run:
    def __init__(self, result):
        self.result, self.settings, self.inputs, self.summary = result, {}, [], {}
        self.started_utc = self.finished_utc = "2026-01-01T00:00:00Z"


@pytest.fixture
def assessment(tmp_path):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    return path


def test_capacity_exit_codes_and_json(capsys):
    assert main(["capacity", "--rate", "8", "--service-ms", "40", "--replicas", "6", "--requests", "50000",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["slo_met"] is True and out["design_rate"] == 80 and out["simulation"]["p95_ms"] <= 200
    assert out["judged"]["basis"].startswith("Erlang C") and out["judged"]["p95_ms"] <= 200
    assert out["at_design"]["p_wait"] == pytest.approx(0.1, abs=0.1) and len(out["curves"]["p95_ms"]) >= 6
    assert main(["capacity", "--rate", "8", "--service-ms", "40", "--replicas", "4", "--requests", "50000",
                 "--slo-p95-ms", "150"]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "simulation at 80/s" in text
    assert main(["capacity", "--rate", "8", "--service-ms", "-3"]) == 2
    assert "mean service time must be a positive number" in capsys.readouterr().err
    assert main(["capacity", "--rate", "8", "--service-ms", "40", "--from-run", "3"]) == 2
    assert "--assessment" in capsys.readouterr().err


def test_capacity_from_a_stored_loadtest_run_is_recorded(assessment, capsys):
    with open_assessment(assessment) as store:
        lt = store.record_run("loadtest", _Run({"service_histogram": {"bounds_ms": [0, 20, 40, 60],
                                                                      "counts": [60, 30, 10]}}))
    code = main(["capacity", "--rate", "5", "--from-run", str(lt), "--replicas", "2", "--requests", "20000",
                 "--assessment", str(assessment), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == (0 if out["slo_met"] else 1) and out["distribution"]["kind"] == "empirical"
    with open_assessment(assessment) as store:
        (run,) = store.runs("capacity")
        assert run["inputs"][0]["run_id"] == lt and run["settings"]["from_run"] == lt
        html = renderer_for("capacity")(run)
        state = dict((k, fn) for k, _label, fn in gates())["capacity"](run)
    assert "<svg" in html or "<img" in html
    assert state["label"] == "Capacity" and state["state"] == ("pass" if out["slo_met"] else "fail")
    assert main(["capacity", "--rate", "5", "--from-run", "99", "--assessment", str(assessment)]) == 2
    assert "run 99 does not exist" in capsys.readouterr().err


def test_autoscale_exit_codes_json_record_report_and_gate(assessment, tmp_path, capsys):
    code = main(["autoscale", "--pattern", "ramp", "--policy", "hpa", "--compare", "seed", "--peak-rate", "60",
                 "--assessment", str(assessment), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert [p["policy"] for p in out["policies"]] == ["hpa", "seed"]
    assert code == (0 if out["policies"][0]["slo_violation_minutes"] == 0 else 1)
    with open_assessment(assessment) as store:
        (run,) = store.runs("autoscale")
        html = renderer_for("autoscale")(run)
        state = dict((k, fn) for k, _label, fn in gates())["autoscale"](run)
    assert "Replicas over time" in html and "hpa" in html and "seed" in html
    assert state["label"] == "Auto-scaling" and state["state"] in ("pass", "fail")
    assert (state["state"] == "pass") == out["slo_met"]
    trace = tmp_path / "t.csv"
    trace.write_text("time,rate\n0,20\n300,600\n1200,600\n")
    assert main(["autoscale", "--trace", str(trace), "--policy", "seed", "--max-replicas", "4"]) == 1
    assert "FAIL" in capsys.readouterr().out
    trace.write_text("time,rate\n0,20\n300,-1\n")
    assert main(["autoscale", "--trace", str(trace), "--policy", "hpa"]) == 2
    assert "row 2" in capsys.readouterr().err
    assert main(["autoscale", "--policy", "hpa"]) == 2
    assert main(["autoscale", "--pattern", "spike", "--policy", "hpa", "--min-replicas", "5",
                 "--max-replicas", "3"]) == 2
    assert "min <= max" in capsys.readouterr().err


def test_gates_without_a_run_say_none():
    by_kind = dict((k, fn) for k, _label, fn in gates())
    assert by_kind["capacity"](None)["state"] == "none" and by_kind["autoscale"](None)["state"] == "none"

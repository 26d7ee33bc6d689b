"""Canary simulator: reproducibility, the default rule's targets by Monte Carlo, replay from logs, CLI, record."""

import json

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.canary.montecarlo import compare_rules
from core.canary.run import DEFAULT_ALPHA, DEFAULT_RULE, CanarySettings, record_canary, run_canary
from core.canary.schedules import make_schedule
from core.cli import main
from core.errors import Cancelled, PreflightError
from core.render.registry import gates, renderer_for

STEP_KEYS = {"weight", "baseline", "candidate", "statistic", "p_value", "decision", "explanation"}


def test_a_seed_reproduces_a_run_and_another_seed_differs():
    s = CanarySettings(candidate_error=0.02, baseline_latency_ms=80, candidate_latency_ms=85, seed=11)
    a, b = run_canary(s).result, run_canary(s).result
    assert a["steps"] == b["steps"]
    c = run_canary(CanarySettings(candidate_error=0.02, baseline_latency_ms=80, candidate_latency_ms=85, seed=12)).result
    assert c["steps"] != a["steps"]
    mc = dict(runs=200, seed=5)
    sched = make_schedule("seed")
    assert compare_rules(sched, 0.01, 0.05, **mc) == compare_rules(sched, 0.01, 0.05, **mc)


def test_default_rule_meets_its_targets_over_1000_rollouts():
    """Equal candidate promoted in >= 95 %, 5x worse rolled back before 50 % traffic in >= 99 %."""
    assert (DEFAULT_RULE, DEFAULT_ALPHA) == ("fisher", 0.01)
    sched = make_schedule("seed", requests_per_step=500)
    res = compare_rules(sched, 0.01, 0.05, runs=1000, seed=2026)
    fisher, seed = res["fisher"], res["seed"]
    assert fisher["promote_rate"] >= 0.95
    assert fisher["detection_before_half_rate"] >= 0.99
    # the article's rule catches the bad candidate too, but rolls back a healthy one far too often
    assert seed["false_rollback_rate"] > 0.2
    assert set(res) == {"seed", "fisher", "sprt", "msprt"}
    for m in res.values():
        assert 0 <= m["false_rollback_rate"] <= 1 and m["exposed_users"] > 0
        assert m["mean_requests_to_detect"] >= 500  # the start step alone serves 500


def test_step_log_sentences_and_outcomes():
    worse = run_canary(CanarySettings(candidate_error=0.2, seed=1)).result
    assert worse["outcome"] == "rolled_back" and worse["final_traffic_split"] == 0.0
    assert all(STEP_KEYS <= set(s) for s in worse["steps"])
    first, last = worse["steps"][0], worse["steps"][-1]
    assert first["decision"] == "start" and first["weight"] == 0.0 and "start" in first["explanation"]
    assert last["decision"] == "rollback" and last["explanation"].endswith("→ roll back")
    assert "Fisher p = " in last["explanation"] and "< 0.01" in last["explanation"]
    assert last["candidate"]["ci_low"] <= last["candidate"]["error_rate"] <= last["candidate"]["ci_high"]
    healthy = run_canary(CanarySettings(seed=3)).result
    assert healthy["outcome"] == "promoted" and healthy["final_traffic_split"] == 1.0
    assert healthy["steps"][-1]["decision"] == "promote"


def test_a_step_without_candidate_requests_pauses_at_its_weight():
    # 1% of 20 requests: the candidate gets nothing at the first step (probability 0.99^20 = 82%)
    res = run_canary(CanarySettings(schedule="1,50,100", requests_per_step=20, min_samples=5, seed=0)).result
    assert res["outcome"] == "paused" and res["final_traffic_split"] == 0.01
    assert res["steps"][-1]["decision"] == "pause" and "no requests" in res["steps"][-1]["explanation"]


def test_a_latency_regression_rolls_back_with_equal_error_rates():
    res = run_canary(CanarySettings(baseline_latency_ms=100, candidate_latency_ms=160, latency_cv=0.3)).result
    assert res["outcome"] == "rolled_back" and res["latency_checked"]
    assert res["steps"][-1]["latency"]["fails"] and "Hodges-Lehmann" in res["steps"][-1]["explanation"]


def test_progress_and_cancel():
    seen = []
    run_canary(CanarySettings(monte_carlo=1200), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 12
    with pytest.raises(Cancelled):
        run_canary(CanarySettings(monte_carlo=1200), cancelled=lambda: True)


def _logs(tmp_path, n=3000, worse=False, latency=True, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    wrong_b = rng.random(n) < 0.02
    wrong_c = rng.random(n) < (0.10 if worse else 0.02)
    base = pd.DataFrame({"request_id": [f"r{i}" for i in range(n)], "timestamp": pd.date_range("2026-01-01", periods=n,
                         freq="s").astype(str), "label": y, "prediction": np.where(wrong_b, 1 - y, y)})
    cand = pd.DataFrame({"request_id": [f"r{i}" for i in range(n)], "y_true": y,
                         "score": np.where(wrong_c, 1 - y, y) * 0.8 + 0.1})
    if latency:
        base["latency_ms"] = rng.lognormal(np.log(50), 0.2, n).round(2)
        cand["latency_ms"] = rng.lognormal(np.log(52), 0.2, n).round(2)
    bp, cp = tmp_path / "baseline.csv", tmp_path / "candidate.parquet"
    base.to_csv(bp, index=False)
    cand.sample(frac=1, random_state=1).to_parquet(cp, index=False)  # order differs: matched by request id
    return bp, cp


def test_replay_from_two_small_logs(tmp_path):
    bp, cp = _logs(tmp_path, worse=True)
    run = run_canary(CanarySettings(baseline_log=str(bp), candidate_log=str(cp), requests_per_step=250))
    res = run.result
    assert res["behaviour"]["mode"] == "replay" and res["behaviour"]["matched_by"].startswith("request id")
    assert res["outcome"] == "rolled_back"
    assert [i["role"] for i in run.inputs] == ["baseline_log", "candidate_log"]
    assert all(len(i["sha256"]) == 64 for i in run.inputs)
    total = res["steps"][-1]["baseline"]["total_requests"] + res["steps"][-1]["candidate"]["total_requests"]
    assert total == 250 * len(res["steps"])
    ok = run_canary(CanarySettings(baseline_log=str(bp), candidate_log=str(bp), requests_per_step=250)).result
    assert ok["outcome"] == "promoted"  # the same model replayed against itself


def test_replay_running_out_of_requests_pauses(tmp_path):
    bp, cp = _logs(tmp_path, n=600, latency=False)
    res = run_canary(CanarySettings(baseline_log=str(bp), candidate_log=str(cp))).result
    assert res["outcome"] == "paused" and any("600 requests" in w for w in res["warnings"])


def test_replay_errors_name_the_file_and_column(tmp_path):
    bp, _cp = _logs(tmp_path)
    bad = tmp_path / "nolabel.csv"
    pd.DataFrame({"prediction": [1, 0], "latency_ms": [3, 4]}).to_csv(bad, index=False)
    with pytest.raises(PreflightError, match=r"nolabel\.csv.*label column"):
        run_canary(CanarySettings(baseline_log=str(bp), candidate_log=str(bad)))
    text = tmp_path / "textlatency.csv"
    pd.DataFrame({"y_true": [1, 0, 1], "y_pred": [1, 0, 0], "latency_ms": [3, "slow", 4]}).to_csv(text, index=False)
    with pytest.raises(PreflightError, match=r"textlatency\.csv.*'latency_ms', row 2"):
        run_canary(CanarySettings(baseline_log=str(text), candidate_log=str(text)))
    short = tmp_path / "short.csv"
    pd.DataFrame({"y_true": [1, 0], "y_pred": [1, 0]}).to_csv(short, index=False)
    with pytest.raises(PreflightError, match="row by row"):
        run_canary(CanarySettings(baseline_log=str(short), candidate_log=str(bp)))


def test_cli_json_keys_exit_codes_and_record(tmp_path, capsys):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    code = main(["canary", "--candidate-error", "0.05", "--monte-carlo", "200", "--json", "--assessment", str(path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["outcome"] == "rolled_back" and out["final_traffic_split"] == 0.0
    assert out["rule"] == "fisher" and all(STEP_KEYS <= set(s) for s in out["steps"])
    assert set(out["rules"]) == {"seed", "fisher", "sprt", "msprt"}
    for m in out["rules"].values():
        assert {"false_rollback_rate", "detection_rate", "mean_requests_to_detect", "exposed_users"} <= set(m)
    assert main(["canary", "--rule", "msprt", "--seed", "3"]) == 0
    assert "outcome: PROMOTED" in capsys.readouterr().out
    with open_assessment(path) as store:
        (run,) = store.runs("canary")
        assert run["result"]["outcome"] == "rolled_back" and run["summary"]["monte_carlo_runs"] == 200
        assert any(e["entity"] == f"run:{run['id']}" for e in store.audit_events())
        html = renderer_for("canary")(run)
        assert "Decision log" in html and "Monte Carlo" in html and "<svg" in html
        check = {k: fn for k, _label, fn in gates()}["canary"](run)
        assert check["state"] == "pass"  # the rehearsal rolled back a worse candidate, as it should


@pytest.mark.parametrize("argv,needle", [
    (["canary", "--alpha", "2"], "alpha"),
    (["canary", "--schedule", "abc"], "unknown schedule"),
    (["canary", "--baseline-error", "1.5"], "error rate"),
    (["canary", "--baseline-log", "x.csv"], "both logs"),
    (["canary", "--baseline-log", "a.csv", "--candidate-log", "b.csv", "--candidate-error", "0.1"], "synthetic"),
    (["canary", "--rule", "magic"], "invalid choice"),
])
def test_cli_bad_input_is_one_error_line_and_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_record_canary_is_one_run_with_its_inputs(tmp_path):
    bp, cp = _logs(tmp_path, latency=False)
    run = run_canary(CanarySettings(baseline_log=str(bp), candidate_log=str(cp), requests_per_step=250))
    with create_assessment(tmp_path / "b.preflight", name="y") as store:
        before = len(store.audit_events())
        run_id = record_canary(store, run)
        stored = store.run(run_id)
        assert len(store.audit_events()) == before + 1
    assert stored["kind"] == "canary" and [i["sha256"] for i in stored["inputs"]] == [i["sha256"] for i in run.inputs]

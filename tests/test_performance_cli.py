"""Performance CLI commands (performance, roi, coldstart, metrics-export), recording, report and gate,
handoff pre-fill, business value and the cold-start policy, the Prometheus round trip."""

import json

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.cli import main
from core.handoff.signing import prefill_handoff
from core.performance.business import coldstart, policy_weight, regime, roi
from core.performance.run import record_performance, run_performance
from core.render.registry import gates, renderer_for

WINDOW_KEYS = {"start", "end", "rows", "labelled", "metrics", "estimated"}


def _log(tmp_path, degrade=True, n=3000, days=6):
    rng = np.random.default_rng(2)
    ts = pd.Timestamp("2026-02-01") + pd.to_timedelta(np.arange(n) * (86400 * days // n), unit="s")
    late = np.arange(n) >= n * 4 // days
    x = np.where(late & degrade, rng.normal(0.2, 0.4, n), rng.normal(0, 1.5, n))
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    df = pd.DataFrame({"timestamp": ts.astype(str), "y_true": y, "y_score": p, "y_pred": (p >= 0.5).astype(int),
                       "region": np.where(np.arange(n) % 3 == 0, "eu", "us"), "model_version": "v2",
                       "latency_ms": rng.gamma(2.0, 15.0, n), "business_value": np.where(y == 1, 10.0, 0.0)})
    path = tmp_path / "log.csv"
    df.to_csv(path, index=False)
    return path


def _assessment(tmp_path):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    return path


def test_cli_json_contract_exit_codes_and_record(tmp_path, capsys):
    log, path = _log(tmp_path), _assessment(tmp_path)
    code = main(["performance", str(log), "--baseline-windows", "2", "--segment", "region", "--json",
                 "--assessment", str(path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["alert"] and out["task"] == "binary"
    assert {"task", "windows", "baseline", "degradation", "alert", "alert_text"} <= set(out)
    assert all(WINDOW_KEYS <= set(w) for w in out["windows"]) and len(out["windows"]) == 6
    assert {"accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro", "roc_auc"} \
        <= set(out["windows"][0]["metrics"])
    assert {"accuracy_low", "accuracy_high", "f1"} <= set(out["windows"][-1]["estimated"])
    assert set(out["degradation"]["accuracy"]) == {"baseline", "current", "drop", "alert"}
    assert "Consider retraining" in out["alert_text"] and set(out["segments"]) == {"eu", "us"}
    assert out["roi"]["total_value"] > 0
    with open_assessment(path) as store:
        (run,) = store.runs("performance")
        assert any(e["entity"] == f"run:{run['id']}" for e in store.audit_events())
        assert run["inputs"][0]["sha256"]
        html = renderer_for("performance")(run)
        assert "DEGRADED" in html and "<svg" in html and "Confusion matrix" in html and "Business value" in html
        check = {k: fn for k, _label, fn in gates()}["performance"](run)
        assert check["state"] == "fail" and "accuracy" in check["detail"]
        handoff, notes = prefill_handoff(store)
    assert handoff.baseline_accuracy == pytest.approx(out["baseline"]["accuracy"])
    assert any(f"performance run #{run['id']}" in n for n in notes)


def test_cli_no_degradation_exits_0_and_text_output(tmp_path, capsys):
    log = _log(tmp_path, degrade=False)
    assert main(["performance", str(log), "--window", "500", "--baseline", "accuracy=0.5"]) == 0
    out = capsys.readouterr().out
    assert "no metric dropped more than 5%" in out and "estimated accuracy" in out
    gate = {k: fn for k, _label, fn in gates()}["performance"]
    assert gate(None)["state"] == "none"


def test_baseline_file_and_threshold(tmp_path, capsys):
    log = _log(tmp_path, degrade=False)
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"accuracy": 0.99, "f1": 0.99}))
    assert main(["performance", str(log), "--baseline", str(base), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out["degradation"]) == {"accuracy", "f1"} and out["baseline_source"] == "given"
    assert main(["performance", str(log), "--baseline", str(base), "--threshold", "0.9", "--json"]) == 0


@pytest.mark.parametrize("extra,needle", [
    (["--window", "banana"], "window"),
    (["--threshold", "3"], "threshold"),
    (["--segment", "nope"], "segment column"),
    (["--baseline", "missing.json"], "not found"),
    (["--y-true-col", "nope"], "no column 'nope'"),
    (["--baseline-windows", "99"], "99 window"),
])
def test_cli_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys, extra, needle):
    log = _log(tmp_path)
    assert main(["performance", str(log), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_roi_article_example(tmp_path, capsys):
    r = roi([2500, 0], outcomes=["fraud_confirmed", "legitimate"], confidence=[0.95, 0.88])
    assert r["total_value"] == 2500 and r["value_per_prediction"] == 1250 and r["high_confidence_value"] == 2500
    assert r["by_outcome"] == {"fraud_confirmed": 2500, "legitimate": 0}
    assert roi([2500, 0], confidence=[0.95, 0.88], confidence_threshold=0.9)["high_confidence_value"] == 2500
    assert roi([100, 50], confidence=[0.6, 0.8])["high_confidence_value"] == 50
    log = tmp_path / "roi.csv"
    pd.DataFrame({"timestamp": ["2026-01-01T10:00", "2026-01-02T11:00"], "prediction": [0.92, 0.15],
                  "confidence": [0.95, 0.88], "business_outcome": ["fraud_confirmed", "legitimate"],
                  "business_value": [2500, 0]}).to_csv(log, index=False)
    assert main(["roi", str(log), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"predictions", "total_value", "value_per_prediction", "high_confidence_value", "by_outcome",
            "cumulative"} <= set(out)
    assert out["predictions"] == 2 and out["value_per_prediction"] == 1250
    assert out["cumulative"] == [{"time": "2026-01-01", "value": 2500}, {"time": "2026-01-02", "value": 2500}]
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    assert main(["roi", str(tmp_path / "bad.csv")]) == 2
    assert "business_value" in capsys.readouterr().err


def test_coldstart_policy_regimes_and_gain(tmp_path, capsys):
    assert policy_weight([0, 10, 25, 49, 50, 80]).tolist() == [0, 0.2, 0.5, 0.98, 1, 1]
    assert regime([0, 1, 49, 50]).tolist() == ["global", "blend", "blend", "personal"]
    rng = np.random.default_rng(4)
    users = np.repeat([f"u{i}" for i in range(40)], rng.integers(1, 90, 40))
    n = len(users)
    truth = rng.integers(0, 2, n)
    personal = np.clip(truth * 0.6 + 0.2 + rng.normal(0, 0.1, n), 0, 1)   # informative
    global_ = np.clip(0.5 + rng.normal(0, 0.2, n), 0, 1)                  # barely
    out = coldstart(users, global_, personal, y_true=truth)
    assert out["metric"] == "accuracy" and sum(out["predictions_share"].values()) == pytest.approx(1)
    assert sum(out["users_share"].values()) == pytest.approx(1) and out["users"] == 40
    assert out["gain"]["gain"] > 0.1 and out["per_regime"]["global"]["policy"] == out["per_regime"]["global"]["global_only"]
    assert [b["bin"] for b in out["by_history"]] == ["0-0", "1-9", "10-24", "25-49", "50+"]
    log = tmp_path / "cs.csv"
    pd.DataFrame({"user_id": users, "global_score": global_, "personal_score": personal, "y_true": truth}) \
        .to_csv(log, index=False)
    assert main(["coldstart", str(log), "--min-data-points", "20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["min_data_points"] == 20
    assert main(["coldstart", str(tmp_path / "cs.csv"), "--min-data-points", "0"]) == 2


def test_prometheus_round_trip_and_rules(tmp_path, capsys):
    from prometheus_client.parser import text_string_to_metric_families

    yaml = pytest.importorskip("yaml")
    log = _log(tmp_path)
    prom, rules = tmp_path / "m.prom", tmp_path / "alerts.yml"
    assert main(["metrics-export", str(log), "--out", str(prom), "--rules", str(rules), "--model", "fraud"]) == 0
    fams = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    assert {"ml_predictions", "ml_prediction_latency_seconds", "ml_prediction_confidence", "ml_model_accuracy",
            "ml_data_drift_score", "ml_errors"} <= set(fams)
    (total,) = [s for s in fams["ml_predictions"].samples if s.name == "ml_predictions_total"]
    assert total.value == 3000 and total.labels == {"model": "fraud", "version": "v2"}
    buckets = {s.labels["le"]: s.value for s in fams["ml_prediction_confidence"].samples
               if s.name.endswith("_bucket")}
    assert buckets["0.5"] == 0 and buckets["1.0"] == 3000
    df = pd.read_csv(log)
    (acc,) = fams["ml_model_accuracy"].samples
    assert acc.value == pytest.approx((df.y_true == df.y_pred).mean())
    groups = yaml.safe_load(rules.read_text())["groups"]
    assert {r["alert"] for r in groups[0]["rules"]} == {"ModelAccuracyDrop", "DataDriftDetected",
                                                         "HighPredictionLatency"}


def test_prometheus_from_an_assessment(tmp_path, capsys):
    from prometheus_client.parser import text_string_to_metric_families

    path = _assessment(tmp_path)
    with open_assessment(path) as store:
        record_performance(store, run_performance(_log(tmp_path)))
    prom = tmp_path / "a.prom"
    assert main(["metrics-export", str(path), "--out", str(prom)]) == 0
    fams = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    assert fams["ml_model_accuracy"].samples[0].value > 0.5
    empty = _assessment(tmp_path / "x") if (tmp_path / "x").mkdir() is None else None
    assert main(["metrics-export", str(empty), "--out", str(prom)]) == 2

"""The performance CLI's JSON contract key by key, the alert text's link to the drift run that counts, and the
report's business-value and cold-start sections with their charts (data escaped)."""

import json

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.cli import main
from core.render.registry import renderer_for

TOP_KEYS = {"task", "windows", "baseline", "degradation", "alert", "alert_text"}
WINDOW_KEYS = {"start", "end", "rows", "labelled", "metrics", "estimated"}
ESTIMATE_KEYS = {f"{m}{s}" for m in ("accuracy", "precision", "recall", "f1") for s in ("", "_low", "_high")}


def _log(tmp_path, *, scores=True, n=1200, name="log.csv", extra=None):
    rng = np.random.default_rng(3)
    ts = pd.Timestamp("2026-05-01") + pd.to_timedelta(np.arange(n) * (86400 * 4 // n), unit="s")
    late = np.arange(n) >= n // 2
    x = np.where(late, rng.normal(0.2, 0.4, n), rng.normal(0, 1.5, n))
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    df = pd.DataFrame({"timestamp": ts.astype(str), "y_true": y, "y_pred": (p >= 0.5).astype(int)})
    if scores:
        df["y_score"] = p
    for k, v in (extra or {}).items():
        df[k] = v(rng, n, y) if callable(v) else v
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_json_contract_keys_with_and_without_scores(tmp_path, capsys):
    assert main(["performance", str(_log(tmp_path)), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert TOP_KEYS <= set(out)
    for w in out["windows"]:
        assert WINDOW_KEYS <= set(w)
        assert set(w["estimated"]) == ESTIMATE_KEYS
        assert {"accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro",
                "roc_auc", "confusion_matrix"} <= set(w["metrics"])
    for d in out["degradation"].values():
        assert set(d) == {"baseline", "current", "drop", "alert"}
    assert isinstance(out["alert"], bool) and isinstance(out["alert_text"], str) and out["alert_text"]
    assert main(["performance", str(_log(tmp_path, scores=False, name="plain.csv")), "--json",
                 "--baseline", "accuracy=0.5"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert all(w["estimated"] is None for w in plain["windows"])
    assert plain["alert"] is False and plain["alert_text"] == ""


def test_alert_text_links_the_drift_run_that_counts(tmp_path, capsys):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    log = _log(tmp_path)
    assert main(["performance", str(log), "--json", "--assessment", str(path)]) == 1
    assert "latest drift run" not in json.loads(capsys.readouterr().out)["alert_text"]
    with open_assessment(path) as store:
        drift_id = store.add_run("drift", settings={}, inputs=[], result={"dataset_drift": True},
                                 started_utc="2026-05-05T00:00:00Z", finished_utc="2026-05-05T00:01:00Z")
    assert main(["performance", str(log), "--json", "--assessment", str(path)]) == 1
    text = json.loads(capsys.readouterr().out)["alert_text"]
    assert f"1. Check for data drift (latest drift run: #{drift_id})" in text


def test_report_shows_business_value_and_cold_start_with_charts(tmp_path):
    extra = {"business_value": lambda rng, n, y: np.where(y == 1, 10.0, -1.0),
             "business_outcome": lambda rng, n, y: np.where(y == 1, "<b>caught</b>", "missed"),
             "user_id": lambda rng, n, y: rng.integers(0, 30, n).astype(str),
             "global_score": lambda rng, n, y: np.clip(0.5 + rng.normal(0, 0.2, n), 0, 1),
             "personal_score": lambda rng, n, y: np.clip(0.2 + 0.6 * y + rng.normal(0, 0.1, n), 0, 1)}
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    assert main(["performance", str(_log(tmp_path, extra=extra)), "--assessment", str(path)]) in (0, 1)
    with open_assessment(path) as store:
        (run,) = store.runs("performance")
    html = renderer_for("performance")(run)
    assert "Cumulative business value" in html and "<h4>Cold start</h4>" in html
    assert "Cold start: accuracy by history length" in html and html.count("<svg") >= 3
    assert "&lt;b&gt;caught&lt;/b&gt;" in html and "<b>caught</b>" not in html
    assert run["result"]["coldstart"]["gain"] is not None and "Gain of the policy over global-only (accuracy)" in html


@pytest.mark.parametrize("args,needle", [(["--window", "soon"], "neither a row count"),
                                         (["--proba-prefix", "nope_"], "no column starting with 'nope_'")])
def test_more_bad_input_exits_2_with_one_line(tmp_path, capsys, args, needle):
    assert main(["performance", str(_log(tmp_path)), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1


def test_metrics_export_of_a_log_takes_drift_from_the_assessment(tmp_path, capsys):
    from prometheus_client.parser import text_string_to_metric_families

    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    with open_assessment(path) as store:
        store.add_run("drift", settings={}, inputs=[], started_utc="2026-05-05T00:00:00Z",
                      finished_utc="2026-05-05T00:01:00Z",
                      result={"columns": [{"name": "amount", "psi": 0.31}, {"name": "channel", "psi": None}]})
    log, prom = _log(tmp_path), tmp_path / "m.prom"

    def drift_samples():
        fams = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
        return {s.labels["feature"]: s.value for s in fams["ml_data_drift_score"].samples}

    assert main(["metrics-export", str(log), "--out", str(prom)]) == 0
    assert drift_samples() == {}
    assert main(["metrics-export", str(log), "--out", str(prom), "--assessment", str(path)]) == 0
    assert drift_samples() == {"amount": pytest.approx(0.31)}
    capsys.readouterr()

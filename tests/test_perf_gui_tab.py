"""The Performance tab offscreen: the CBPE band beside the realised line, the cold-start chart, and a
multiclass log whose per-class probability prefix is typed in the form."""

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.performance.evidence import SUGGESTED
from ui.performance.tab import PerformanceTab


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr("ui.performance.tab.show_error", lambda parent, title, message: errors.append(message))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = PerformanceTab(context)
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    yield tab, store, errors, tmp_path
    tab.shutdown()
    context.close()


def _evaluate(qtbot, tab, path):
    tab.form.path.setText(str(path))
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.read_columns(str(path))
    with qtbot.waitSignal(tab.tasks.finished, timeout=30000):
        tab.form.run_button.click()


def test_band_and_cold_start_chart(qtbot, env):
    tab, store, errors, tmp_path = env
    rng = np.random.default_rng(5)
    n = 1800
    x = rng.normal(0, 1.5, n)
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    users = rng.integers(0, 25, n).astype(str)
    path = tmp_path / "log.csv"
    pd.DataFrame({"timestamp": (pd.Timestamp("2026-06-01") + pd.to_timedelta(np.arange(n) * 144, unit="s"))
                  .astype(str), "y_true": y, "y_score": p, "y_pred": (p >= 0.5).astype(int), "user_id": users,
                  "global_score": np.clip(0.5 + rng.normal(0, 0.2, n), 0, 1),
                  "personal_score": np.clip(0.2 + 0.6 * y + rng.normal(0, 0.1, n), 0, 1)}).to_csv(path, index=False)
    _evaluate(qtbot, tab, path)
    assert not errors
    (run,) = store.runs("performance")
    windows = run["result"]["windows"]
    lo, hi = tab.band_lo.getData()[1], tab.band_hi.getData()[1]
    est = tab.estimated_curve.getData()[1]
    assert len(lo) == len(windows) == 3
    assert np.all(lo <= est) and np.all(est <= hi) and np.all(hi - lo > 0)
    assert lo.tolist() == pytest.approx([w["estimated"]["accuracy_low"] for w in windows])
    bins = run["result"]["coldstart"]["by_history"]
    policy = tab.coldstart_policy.getData()[1]
    assert len(policy) == len(bins) == 5
    assert policy[np.isfinite(policy)].tolist() == pytest.approx([b["policy"] for b in bins if b["policy"] is not None])
    # the three checklist items a performance run is evidence for are suggested first
    dialog = tab.attach_dialog()
    first = {dialog.list.item(i).text() for i in range(3)}
    assert all(any(t.endswith(name) for t in first) for name in SUGGESTED)
    dialog.deleteLater()
    # the Prometheus export carries the PSI of the assessment's drift run
    store.add_run("drift", settings={}, inputs=[], started_utc="2026-06-04T00:00:00Z",
                  finished_utc="2026-06-04T00:01:00Z", result={"columns": [{"name": "amount", "psi": 0.27}]})
    out = tmp_path / "m.prom"
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.export_prometheus(str(out), str(tmp_path / "r.yml"))
    assert 'ml_data_drift_score{feature="amount",model="model"} 0.27' in out.read_text()
    assert "HighPredictionLatency" in (tmp_path / "r.yml").read_text() and not errors


def test_multiclass_with_a_typed_probability_prefix(qtbot, env):
    tab, store, errors, tmp_path = env
    rng = np.random.default_rng(6)
    n = 900
    y = rng.choice(3, n)
    raw = rng.random((n, 3)) + np.eye(3)[y]
    proba = raw / raw.sum(axis=1, keepdims=True)
    names = np.array(["a", "b", "c"])
    df = pd.DataFrame({"label": names[y], "y_pred": names[proba.argmax(axis=1)]})
    for i, c in enumerate(names):
        df[f"out_{c}"] = proba[:, i]
    path = tmp_path / "multi.csv"
    df.to_csv(path, index=False)
    tab.form.window.setText("300")
    tab.form.proba_prefix.setText("out_")
    _evaluate(qtbot, tab, path)
    assert not errors
    (run,) = store.runs("performance")
    assert run["result"]["class_probabilities"] and run["settings"]["proba_prefix"] == "out_"
    tab.metric_box.setCurrentText("roc_auc")
    auc = tab.realised_curve.getData()[1]
    assert auc.tolist() == pytest.approx([w["metrics"]["roc_auc"] for w in run["result"]["windows"]])
    assert tab.confusion_model.rowCount() == 3

"""The Performance tab offscreen: a log's evaluation fills the chart, the tables and the alert; evidence, export."""

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


def _log(tmp_path):
    rng = np.random.default_rng(8)
    n, days = 2400, 6
    ts = pd.Timestamp("2026-04-01") + pd.to_timedelta(np.arange(n) * (86400 * days // n), unit="s")
    late = np.arange(n) >= n * 4 // days
    x = np.where(late, rng.normal(0.2, 0.4, n), rng.normal(0, 1.5, n))
    p = 1 / (1 + np.exp(-3 * x))
    y = (rng.random(n) < p).astype(int)
    path = tmp_path / "log.csv"
    pd.DataFrame({"ts": ts.astype(str), "label": y, "proba": p, "y_pred": (p >= 0.5).astype(int),
                  "segment": np.where(np.arange(n) % 2 == 0, "web", "app"),
                  "business_value": np.where(y == 1, 5.0, 0.0)}).to_csv(path, index=False)
    return path


def test_evaluation_fills_chart_tables_alert_and_attaches(qtbot, env):
    tab, store, errors, tmp_path = env
    log = _log(tmp_path)
    tab.form.path.setText(str(log))
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.read_columns(str(log))
    assert tab.form.combos["y_true"].itemText(0).endswith("label")
    assert tab.form.segment.currentData() == "segment"
    tab.form.baseline_windows.setValue(2)
    with qtbot.waitSignal(tab.tasks.finished, timeout=30000):
        tab.form.run_button.click()
    assert not errors
    (run,) = store.runs("performance")
    assert tab.shown_run_id == run["id"] and run["result"]["alert"]
    assert tab.alert_panel.isVisible() and "Consider retraining" in tab.alert_panel.text()
    x, y = tab.realised_curve.getData()
    assert len(x) == 6 and np.isfinite(y).all()
    assert len(tab.estimated_curve.getData()[0]) == 6 and tab.baseline_line.isVisible()
    assert tab.baseline_line.value() == pytest.approx(run["result"]["baseline"]["accuracy"])
    assert tab.segment_model.rowCount() == 2 and tab.confusion_model.rowCount() == 2
    assert "Total value" in tab.roi_card.text() and len(tab.value_curve.getData()[0]) == 6
    tab.metric_box.setCurrentText("f1")
    assert tab.metric_plot.plotItem.titleLabel.text.startswith("f1")
    dialog = tab.attach_dialog()
    assert dialog.list.item(0).text().endswith(SUGGESTED[0])
    dialog.deleteLater()
    item = next(i for i in store.items() if i.name == "Alerting system")
    assert tab.attach_evidence(item.id) is not None
    assert any(link["run_id"] == run["id"] for link in store.links(item.id))
    out = tmp_path / "m.prom"
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.export_prometheus(str(out), str(tmp_path / "r.yml"))
    assert "ml_model_accuracy" in out.read_text() and not errors


def test_a_bad_log_shows_one_error(qtbot, env):
    tab, store, errors, tmp_path = env
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"y_true": [1, 0], "y_pred": [1, 0], "timestamp": ["2026-01-01", "soon"]}).to_csv(bad, index=False)
    tab.form.path.setText(str(bad))
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.form.run_button.click()
    assert errors and "'soon' is not a timestamp" in errors[-1] and not store.runs("performance")

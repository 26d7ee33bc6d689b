"""The Autoscaling sub-view offscreen: a replay draws both policies, Record stores it, and it attaches to
"Auto-scaling"; a bad trace shows one error."""

import numpy as np
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.load.autoscale_view import TRACE, AutoscaleView


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr("ui.load.autoscale_view.show_error", lambda parent, title, message: errors.append(message))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    view = AutoscaleView(context)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    yield view, store, errors, tmp_path
    view.shutdown()
    context.close()


def test_a_replay_draws_both_policies_and_record_stores_it(qtbot, env):
    view, store, errors, _tmp = env
    assert view.title == "Autoscaling" and not view.record_button.isEnabled()
    assert not view.slo_line.isVisible()  # no SLO line at 0 before a replay
    assert not view.latency_plot.getAxis("left").autoSIPrefix  # and no "(x0.001)" beside the empty axis
    view.source.setCurrentText("ramp")
    view.peak_rate.setValue(300)
    with qtbot.waitSignal(view.tasks.finished, timeout=30000):
        view.replay_button.click()
    assert not errors
    hpa, seed = view.run.result["policies"]
    for i, p in enumerate((hpa, seed)):
        x, y = view.replica_curves[i].getData()
        assert len(x) == len(p["times"]) and list(y) == [float(v) for v in p["replicas"]]
        assert np.isfinite(view.latency_curves[i].getData()[1]).any()
    assert list(view.replica_curves[0].getData()[1]) != list(view.replica_curves[1].getData()[1])
    assert "hpa" in view.verdict.text() and "seed" in view.verdict.text()
    assert view.slo_line.isVisible() and view.slo_line.value() == pytest.approx(view.run.result["slo_p95_ms"])
    assert not store.runs("autoscale") and view.record_button.isEnabled()
    view.record_button.click()
    (run,) = store.runs("autoscale")
    assert view.shown_run_id == run["id"] and not view.record_button.isEnabled()
    assert run["result"]["winner"] == view.run.result["winner"]
    dialog = view.attach_dialog()
    assert dialog.list.item(0).text().endswith("Auto-scaling")
    dialog.deleteLater()
    item = next(i for i in store.items() if i.name == "Auto-scaling")
    assert view.attach_evidence(item.id) is not None
    assert any(link["run_id"] == run["id"] for link in store.links(item.id))


def test_a_bad_trace_shows_one_error(qtbot, env):
    view, store, errors, tmp = env
    bad = tmp / "t.csv"
    bad.write_text("time,rate\n0,10\n60,ten\n")
    view.source.setCurrentText(TRACE)
    view.trace.setText(str(bad))
    with qtbot.waitSignal(view.tasks.finished, timeout=20000):
        view.replay_button.click()
    assert errors and "row 2" in errors[-1] and view.run is None

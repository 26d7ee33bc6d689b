"""The Canary tab offscreen: a simulation fills the timeline, the decision log and the Monte Carlo table."""

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.canary.evidence import SUGGESTED, ordered_items
from ui.canary.tab import CanaryTab
from ui.context import AssessmentContext


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr("ui.canary.tab.show_error", lambda parent, title, message: errors.append(message))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("ml-test-score-2017").items)
    context = AssessmentContext()
    context.set_store(store)
    tab = CanaryTab(context)
    qtbot.addWidget(tab)
    tab.resize(1300, 800)
    tab.show()
    yield tab, store, errors
    tab.shutdown()
    context.close()


def _run(qtbot, tab):
    with qtbot.waitSignal(tab.tasks.finished, timeout=20000):
        tab.form.run_button.click()


def test_a_simulation_fills_the_timeline_log_and_monte_carlo(qtbot, env):
    tab, store, errors = env
    tab.form.candidate_error.setValue(5.0)
    tab.form.latency_on.setChecked(True)
    tab.form.monte_carlo.setValue(200)
    _run(qtbot, tab)
    assert not errors
    (run,) = store.runs("canary")
    assert tab.shown_run_id == run["id"] and "ROLLED BACK" in tab.headline.text()
    steps = len(run["result"]["steps"])
    # the timeline plays back step by step (replayed here without the event loop, so no timing is involved)
    tab.timeline.show_steps(run["result"]["steps"], animate=True)
    assert tab.timeline.animating and tab.timeline.shown == 1 and len(tab.timeline.split_curve.getData()[1]) == 1
    tab.timeline._tick()
    assert tab.timeline.shown == 2
    qtbot.waitUntil(lambda: not tab.timeline.animating, timeout=10000)
    x, y = tab.timeline.split_curve.getData()
    assert len(y) == steps
    assert len(tab.timeline.cand_curve.getData()[0]) == steps - 1  # no candidate rate at the weight-0 start step
    assert len(tab.timeline.base_curve.getData()[0]) == steps
    assert len(tab.timeline.markers.data) >= 1 and tab.timeline.marker_text.toPlainText() == "rollback"
    assert len(tab.timeline.lat_cand_med.getData()[0]) == steps - 1
    assert tab.log_model.rowCount() == steps
    assert tab.log_model.index(steps - 1, 6).data() == "rollback"
    assert "roll back" in tab.log_model.index(steps - 1, 7).data()
    assert tab.mc_model.rowCount() == 4 and tab.mc_model.index(1, 0).data() == "fisher (chosen)"
    assert len(tab.mc_points.data) == 4


def test_attach_suggests_the_canary_items_and_links_the_run(qtbot, env):
    tab, store, _errors = env
    _run(qtbot, tab)
    dialog = tab.attach_dialog()
    first = [dialog.list.item(i).text() for i in range(2)]
    assert all(any(name in text for name in SUGGESTED) for text in first)
    assert dialog.list.count() == len(store.items())
    item_id = dialog.selected_item_id()
    assert store.item(item_id).name in SUGGESTED
    tab.attach_evidence(item_id)
    links = store.conn.execute("SELECT run_id FROM evidence_links WHERE item_id=?", (item_id,)).fetchall()
    assert links == [(tab.shown_run_id,)]


def test_seed_template_offers_every_item_none_preselected_as_canary():
    items = templates.load("seed").items
    ordered = ordered_items(items)
    assert len(ordered) == len(items) and {i.name for i in ordered} == {i.name for i in items}


def test_replay_needs_both_logs_and_bad_logs_show_the_error(qtbot, env, tmp_path):
    tab, store, errors = env
    tab.form.set_mode("replay")
    tab.form.run_button.click()
    assert errors and "both prediction logs" in errors[-1]
    bad = tmp_path / "b.csv"
    pd.DataFrame({"x": [1, 2]}).to_csv(bad, index=False)
    tab.form.baseline_log.edit.setText(str(bad))
    tab.form.candidate_log.edit.setText(str(bad))
    _run(qtbot, tab)
    assert "b.csv" in errors[-1] and "label column" in errors[-1]
    assert store.runs("canary") == []


def test_replay_run_and_reopen_shows_the_stored_run(qtbot, env, tmp_path):
    tab, store, errors = env
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    log = pd.DataFrame({"y_true": y, "y_pred": y, "latency_ms": rng.lognormal(3, 0.2, 3000)})
    log.to_csv(tmp_path / "base.csv", index=False)
    log.to_csv(tmp_path / "cand.csv", index=False)
    tab.form.set_mode("replay")
    tab.form.baseline_log.edit.setText(str(tmp_path / "base.csv"))
    tab.form.candidate_log.edit.setText(str(tmp_path / "cand.csv"))
    tab.form.requests.setValue(250)
    tab.form.monte_carlo.setValue(0)
    _run(qtbot, tab)
    assert not errors and "PROMOTED" in tab.headline.text()
    (run,) = store.runs("canary")
    assert [i["role"] for i in run["inputs"]] == ["baseline_log", "candidate_log"]
    tab.context.opened.emit()  # as when the assessment is opened again
    assert tab.shown_run_id == run["id"] and not tab.timeline.animating
    assert tab.log_model.rowCount() == len(run["result"]["steps"]) and tab.mc_model.rowCount() == 0


def test_the_dialog_says_when_no_item_is_about_canaries(qtbot, tmp_path):
    from ui.canary.evidence import attach_dialog

    dialog = attach_dialog(templates.load("seed").items, 1, "promoted")
    qtbot.addWidget(dialog)
    from PySide6.QtWidgets import QLabel

    assert any("No item of this checklist" in label.text() for label in dialog.findChildren(QLabel))
    assert dialog.list.currentRow() == -1 and not dialog.ok_button.isEnabled()
    launch = attach_dialog(templates.load("launch-checklist").items, 1, "promoted")
    qtbot.addWidget(launch)
    assert "Rollback plan tested" in launch.list.item(0).text() and launch.list.item(0).text().startswith("★")

"""The Capacity sub-view offscreen: a slider redraws the curves at once, the simulation runs in the task
pipeline, Record stores a capacity run, and it attaches as evidence."""

import numpy as np
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.load.capacity_view import CapacityView


class _Run:
    def __init__(self, result):
        self.result, self.settings, self.inputs, self.summary = result, {}, [], {}
        self.started_utc = self.finished_utc = "2026-01-01T00:00:00Z"


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr("ui.load.capacity_view.show_error", lambda parent, title, message: errors.append(message))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    view = CapacityView(context)
    view.sim_timer.setInterval(3_600_000)  # the tests start the simulation themselves: no timer race
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    yield view, store, context, errors
    view.shutdown()
    context.close()


def _curves(view):
    return [tuple(np.nan_to_num(c.getData()[1], nan=-1.0)) for c in view.curves]


def test_a_slider_redraws_the_curves_and_the_simulation_follows(qtbot, env):
    view, store, context, errors = env
    assert view.title == "Capacity" and view.curves
    # the log-scaled rate axis reads 20, 300, 1,000 (not 2·10¹)
    assert view.plot.getAxis("bottom").logTickStrings([1.30103, 2.4771213, 3.0], 1.0, 1.0) == ["20", "300", "1,000"]
    before, design = _curves(view), view.quick["design_rate"]
    view.rate.slider.setValue(view.rate.slider.value() + 60)         # the curves change without waiting
    assert view.quick["design_rate"] > design and _curves(view) != before
    before = _curves(view)
    view.service_ms.slider.setValue(view.service_ms.slider.value() - 80)
    assert _curves(view) != before
    assert view.slo_line.value() == pytest.approx(200)
    widths = [c.opts["pen"].widthF() for c in view.curves]
    view.replicas.slider.setValue(view.replicas.slider.value() + 150)   # the highlighted curve moves
    assert view.replicas.value() > 4 and view.quick["replicas"] == view.replicas.value()
    assert [c.opts["pen"].widthF() for c in view.curves] != widths or len(view.curves) != len(widths)
    view.start_simulation()
    qtbot.waitUntil(lambda: view.sim is not None, timeout=20000)
    assert view.sim["rate"] == pytest.approx(view.quick["design_rate"])
    assert view.sim["replicas"] == view.replicas.value()
    assert not errors


def test_record_stores_a_capacity_run_and_attaches_it(qtbot, env):
    view, store, context, errors = env
    view.replicas.setValue(5)
    view.rate.setValue(8.0)
    view.record_button.click()
    qtbot.waitUntil(lambda: view.shown_run_id is not None, timeout=30000)
    (run,) = store.runs("capacity")
    assert view.shown_run_id == run["id"] and run["settings"]["replicas"] == 5
    assert run["result"]["design_rate"] == pytest.approx(80)
    item = next(i for i in store.items() if i.name == "Load testing")
    dialog = view.attach_dialog()
    assert "Load testing" in dialog.list.item(0).text()
    dialog.deleteLater()
    assert view.attach_evidence(item.id) is not None
    assert any(link["run_id"] == run["id"] for link in store.links(item.id))
    assert not errors


def test_the_empirical_service_time_comes_from_a_stored_load_test(qtbot, env):
    view, store, context, errors = env
    store.record_run("loadtest", _Run({"service_histogram": {"bounds_ms": [0, 10, 20, 400],
                                                             "counts": [50, 40, 10]}}))
    context.notify("runs")
    view.dist.setCurrentIndex(view.dist.findData("empirical"))
    assert view.quick["distribution"]["kind"] == "empirical"
    assert view.quick["distribution"]["mean_ms"] == pytest.approx((5 * 50 + 15 * 40 + 210 * 10) / 100)
    assert not view.service_ms.isEnabled()

"""The Load tab's "Locust / k6" view offscreen: importing a k6 fixture through the task pipeline records a
loadtest run and fills the summary and provenance; exports write the files the form describes; a bad file
is reported, not recorded."""

import ast
import hashlib
import json
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.load.plans_view import PlansView

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WAIT_MS = 60_000


@pytest.fixture
def env(qtbot, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr("ui.load.plans_view.show_error", lambda parent, title, message: errors.append(message))
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    view = PlansView(context)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    yield view, store, errors
    view.shutdown()
    context.close()


def table_text(view) -> dict:
    m = view.summary_model
    return {m.index(r, 0).data(): m.index(r, 1).data() for r in range(m.rowCount())}


def test_import_k6_summary_records_a_run_and_fills_the_table(qtbot, env):
    view, store, errors = env
    assert view.title == "Locust / k6" and view.summary_model.rowCount() == 0
    path = FIXTURES / "k6" / "summary_export.json"
    raw = json.loads(path.read_text())["metrics"]
    view.import_file(str(path))
    qtbot.waitUntil(lambda: view.shown_run_id is not None, timeout=WAIT_MS)
    assert not errors
    runs = store.runs("loadtest")
    assert [r["id"] for r in runs] == [view.shown_run_id]
    stored = runs[0]
    assert stored["settings"]["imported"] is True and stored["result"]["source"]["tool"] == "k6"
    rows = table_text(view)
    assert rows["Requests"] == f"{raw['http_reqs']['count']:,}"
    assert rows["Errors"] == str(raw["http_req_failed"]["passes"])
    assert rows["Latency p95 (intended send)"] == f"{raw['http_req_duration']['p(95)']:,.1f} ms"
    assert rows["Sends more than 1 ms late"] == str(raw["dropped_iterations"]["count"])
    text = view.provenance.text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert "dropped_iterations" in text and "k6" in text


def test_import_locust_csv(qtbot, env):
    view, store, errors = env
    view.import_file(str(FIXTURES / "locust" / "demo_stats.csv"))
    qtbot.waitUntil(lambda: view.shown_run_id is not None, timeout=WAIT_MS)
    assert store.run(view.shown_run_id)["result"]["source"]["tool"] == "locust"
    assert "closed loop" in view.provenance.text()


def test_bad_file_is_reported_and_not_recorded(qtbot, env, tmp_path):
    view, store, errors = env
    bad = tmp_path / "oops.json"
    bad.write_text("{ not json", encoding="utf-8")
    view.import_file(str(bad))
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert "oops.json" in errors[0] and store.runs("loadtest") == []
    assert view.shown_run_id is None and view.error_label.isVisible()


def test_export_both_tools_from_the_form(qtbot, env, tmp_path):
    view, store, errors = env
    view.form.url.setText("https://model.internal.test/predict")
    view.form.rate.setValue(40)
    view.form.duration.setValue(12)
    view.users.setValue(9)
    out = tmp_path / "lf.py"
    view.export_to("locust", str(out))
    qtbot.waitUntil(lambda: view.last_export is not None, timeout=WAIT_MS)
    assert not errors
    consts = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(out.read_text()).body
              if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and n.targets[0].id in
              ("HOST", "USERS", "STAGES")}
    assert consts == {"HOST": "https://model.internal.test", "USERS": 9, "STAGES": [(12.0, 40.0, 40.0)]}
    assert view.last_export["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert view.form.url.text() == "https://model.internal.test/predict"
    view.last_export = None
    js = tmp_path / "plan.js"
    view.export_to("k6", str(js))
    qtbot.waitUntil(lambda: view.last_export is not None, timeout=WAIT_MS)
    assert "constant-arrival-rate" in js.read_text() and str(js) in view.export_label.text()

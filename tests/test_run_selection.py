"""Which run counts for the verdict: explicit choice, else the newest linked as evidence, else the newest."""

import json

import pytest
from PySide6.QtCore import Qt

from core.assessment.counted import counted_run, counted_runs, runs_that_count
from core.report import build_report, render_html, report_json
from test_report import make_sample, record_real_runs


def run(rid, kind="drift", finished="2025-01-01T00:00:00Z", excluded=False):
    return {"id": rid, "kind": kind, "finished_utc": finished, "excluded_from_report": excluded}


RUNS = [run(1, finished="2025-01-01T00:00:00Z"), run(2, finished="2025-01-03T00:00:00Z"),
        run(3, finished="2025-01-02T00:00:00Z"), run(4, "validation", "2025-01-05T00:00:00Z")]


def ids(found):
    r, basis = found
    return (None if r is None else r["id"]), basis


def test_newest_by_finish_time_when_nothing_is_linked_or_chosen():
    assert ids(counted_run(RUNS, [], "drift")) == (2, "newest")      # #2 finished last, though #3 is newer by id
    assert ids(counted_run(RUNS, [], "validation")) == (4, "newest")
    assert ids(counted_run(RUNS, [], "performance")) == (None, None)


def test_equal_finish_times_go_to_the_larger_id():
    runs = [run(5), run(6), run(4)]
    assert ids(counted_run(runs, [], "drift")) == (6, "newest")


def test_the_newest_run_linked_as_evidence_beats_a_newer_unlinked_one():
    links = [{"item_id": 1, "run_id": 1, "file_id": None}, {"item_id": 2, "run_id": 3, "file_id": None},
             {"item_id": 2, "run_id": None, "file_id": 9}]
    assert ids(counted_run(RUNS, links, "drift")) == (3, "linked")


def test_an_explicit_choice_wins_while_it_is_present_and_included():
    links = [{"item_id": 1, "run_id": 3}]
    assert ids(counted_run(RUNS, links, "drift", choice=1)) == (1, "chosen")
    assert ids(counted_run(RUNS, links, "drift", choice=99)) == (3, "linked")    # gone: falls back
    assert ids(counted_run(RUNS, links, "drift", choice=4)) == (3, "linked")     # another kind's run
    excluded = [run(1, excluded=True)] + RUNS[1:]
    assert ids(counted_run(excluded, links, "drift", choice=1)) == (3, "linked")


@pytest.mark.parametrize("left_out, expected", [({2}, (3, "newest")), ({2, 3}, (1, "newest")),
                                                ({1, 2, 3}, (None, None))])
def test_runs_left_out_of_the_report_never_count(left_out, expected):
    runs = [dict(r, excluded_from_report=r["id"] in left_out) for r in RUNS]
    assert ids(counted_run(runs, [], "drift")) == expected
    links = [{"item_id": 1, "run_id": 2}]
    assert ids(counted_run(runs, links, "drift")) == expected     # a link does not bring a left-out run back


def test_counted_runs_names_each_kind_and_how_it_was_chosen():
    links = [{"item_id": 1, "run_id": 3}]
    out = counted_runs(RUNS, links, {"validation": 4}, ["drift", "validation", "load"])
    assert out == {"drift": {"run_id": 3, "basis": "linked", "text": "run #3 (newest linked as evidence)"},
                   "validation": {"run_id": 4, "basis": "chosen", "text": "run #4 (chosen explicitly)"}}
    assert counted_runs(RUNS, [], None, ["drift"])["drift"]["text"] == "run #2 (newest)"


def test_runs_that_count_keeps_one_run_per_kind_for_the_model_card():
    from core.handoff.form import latest_run
    runs = RUNS + [run(5, "performance", "2025-01-01T00:00:00Z"), run(6, "performance", "2025-01-02T00:00:00Z",
                                                                       excluded=True)]
    links = [{"item_id": 1, "run_id": 1}]
    kept = runs_that_count(runs, links, {"validation": 4})
    assert [r["id"] for r in kept] == [1, 4, 5]
    assert latest_run(kept, "drift")[0]["id"] == 1 and latest_run(runs, "drift")[0]["id"] == 2
    only_drift = runs_that_count(runs, links, None, kinds=["drift"])
    assert [r["id"] for r in only_drift] == [1, 4, 5]                    # others kept, the left-out one dropped


# ---------------------------------------------------------------------------- the report

@pytest.fixture
def sample(tmp_path):
    store = make_sample(tmp_path)
    yield store
    store.close()


def _gate(data, key):
    return next(c for c in data.verdict["checks"] if c["key"] == key)


def test_the_verdict_uses_the_chosen_run_and_the_report_names_it(sample, tmp_path):
    # a later exploratory run on unrelated, undrifted files: newest, but not linked as evidence
    later_drift, later_validation = record_real_runs(sample, tmp_path / "exploratory", drifted=False)
    data = build_report(sample)
    assert _gate(data, "drift")["run_id"] == 1 and _gate(data, "drift")["state"] == "fail"   # linked beats newest
    assert _gate(data, "validation")["run_id"] == later_validation                          # newest: passes
    assert _gate(data, "validation")["state"] == "pass"
    sample.set_counted_run("validation", 2)
    sample.set_counted_run("drift", later_drift)
    data = build_report(sample)
    assert _gate(data, "validation")["run_id"] == 2 and _gate(data, "validation")["state"] == "fail"
    assert _gate(data, "drift")["run_id"] == later_drift and _gate(data, "drift")["state"] == "warn"
    assert data.counted_runs["drift"] == {"run_id": later_drift, "basis": "chosen",
                                          "text": f"run #{later_drift} (chosen explicitly)"}
    text = render_html(data)
    assert f"<b>Data drift</b> gate: run #{later_drift} (chosen explicitly)" in text
    assert "<b>Data validation</b> gate: run #2 (chosen explicitly)" in text
    assert report_json(data)["counted_runs"]["validation"]["run_id"] == 2


def test_a_run_left_out_of_the_report_stays_in_the_json_copy(sample, tmp_path):
    later_drift, later_validation = record_real_runs(sample, tmp_path / "exploratory", drifted=False)
    sample.set_run_excluded(later_drift, True)
    sample.set_run_excluded(later_validation, True)
    data = build_report(sample)
    text = render_html(data)
    assert f'id="run-{later_drift}"' not in text and f'id="run-{later_validation}"' not in text
    assert 'id="run-1"' in text and 'id="run-2"' in text
    assert f"Left out of this report: runs #{later_drift} (drift), #{later_validation} (validation)" in text
    manifest = text[text.index('id="manifest"'):]
    assert "exploratory" not in manifest and "data/train.csv" in manifest
    assert _gate(data, "validation")["run_id"] == 2                 # a left-out run never counts
    doc = report_json(data)
    assert [(r["id"], r["excluded_from_report"]) for r in doc["runs"]] == [
        (1, False), (2, False), (later_drift, True), (later_validation, True)]
    assert [r["excluded_from_report"] for r in doc["manifest"]["runs"]] == [False, False, True, True]
    assert any(e["entity"] == f"run:{later_drift}" and e["after"] == {"excluded_from_report": True}
               for e in doc["audit"]["events"])


# ---------------------------------------------------------------------------- the run history's actions (GUI)

@pytest.fixture
def history(qtbot, tmp_path):
    from core.assessment import templates
    from core.assessment.store import create_assessment
    from ui.context import AssessmentContext
    from ui.data.run_history import RunHistory

    store = create_assessment(tmp_path / "a.preflight", name="A", items=templates.load("seed").items)
    for kind, finished in (("drift", "2025-01-01T00:00:00Z"), ("drift", "2025-01-02T00:00:00Z"),
                           ("validation", "2025-01-03T00:00:00Z")):
        store.add_run(kind, settings={}, inputs=[], result={}, summary={}, started_utc=finished,
                      finished_utc=finished)
    context = AssessmentContext()
    context.set_store(store)
    widget = RunHistory(context)
    qtbot.addWidget(widget)
    widget.refresh()
    yield widget
    context.close()


def report_column(widget) -> dict:
    from ui.data.run_history import REPORT_COLUMN
    m = widget.model
    return {m.run_at(r)["id"]: m.index(r, REPORT_COLUMN).data() for r in range(m.rowCount())}


def test_run_history_chooses_the_counted_run_and_leaves_runs_out(history, qtbot):
    store = history.context.store
    assert report_column(history) == {3: "counts for the verdict (newest)", 2: "counts for the verdict (newest)",
                                      1: "shown"}
    changes = []
    history.context.runs_changed.connect(lambda: changes.append("runs"))
    history.select_run(1)
    assert history.counts_button.isEnabled() and not history.counts_button.isChecked()
    qtbot.mouseClick(history.counts_button, Qt.LeftButton)
    assert store.counted_run_choices() == {"drift": 1} and changes == ["runs"]
    assert report_column(history)[1] == "counts for the verdict (chosen explicitly)"
    assert report_column(history)[2] == "shown"
    assert history.selected_run()["id"] == 1 and history.counts_button.isChecked()
    event = store.audit_events()[-1]
    assert event["entity"] == "counted_run:drift" and json.loads(event["after"]) == {"run_id": 1}

    qtbot.mouseClick(history.leave_out_button, Qt.LeftButton)        # leaving it out drops the choice
    assert store.excluded_run_ids() == [1] and store.counted_run_choices() == {}
    assert report_column(history) == {3: "counts for the verdict (newest)", 2: "counts for the verdict (newest)",
                                      1: "left out"}
    assert history.leave_out_button.isChecked() and not history.counts_button.isEnabled()

    menu = history.context_menu()                                    # the same actions in the context menu
    assert [a.text() for a in menu.actions()] == ["Counts for the verdict", "Leave out of the report"]
    assert [a.isChecked() for a in menu.actions()] == [False, True]
    menu.actions()[1].trigger()                                      # take it back in
    assert store.excluded_run_ids() == [] and report_column(history)[1] == "shown"
    assert len(changes) == 3


def test_run_history_shows_a_refusal_once_and_changes_nothing(history, qtbot, monkeypatch):
    import ui.data.run_history as rh
    from core.errors import PreflightError

    shown = []
    monkeypatch.setattr(rh, "show_error", lambda parent, title, message: shown.append(message))
    history.select_run(2)
    store = history.context.store

    def refuse(kind, run_id):
        raise PreflightError("the file is read-only")

    monkeypatch.setattr(store, "set_counted_run", refuse)
    qtbot.mouseClick(history.counts_button, Qt.LeftButton)
    assert shown == ["the file is read-only"] and not history.counts_button.isChecked()

"""The demo assessment: created once in PREFLIGHT_HOME (never the real user directory), with live examples."""

import os
from pathlib import Path

from core import paths
from core.assessment.checklist import score
from core.demo import open_or_create_demo


def test_demo_is_created_in_the_isolated_home_with_runs_and_evidence(_isolated_home):
    assert paths.data_dir() == Path(os.environ["PREFLIGHT_HOME"]) == _isolated_home
    store = open_or_create_demo()
    try:
        assert store.path == _isolated_home / "demo.preflight"
        items = store.items()
        assert len(items) == 14 and sum(i.status == "done" for i in items) == 4
        assert any(i.notes for i in items)
        kinds = [r["kind"] for r in store.runs(with_result=False)]
        assert kinds == ["drift", "validation", "performance"]
        performance = store.latest_run("performance")["result"]
        assert performance["alert"] and performance["degradation"]["accuracy"]["alert"]
        assert f"#{store.latest_run('drift')['id']}" in performance["alert_text"]
        drift = store.latest_run("drift")["result"]
        assert drift["dataset_drift"] is True
        assert {c["name"] for c in drift["columns"] if c["drifted"]} >= {"transaction_amount", "channel"}
        assert len(store.links()) == 3 and store.verify_audit().ok
        assert store.handoff_data()[0]["expected_qps"] == 120.0  # the Load tab's 10x preset has a peak to use
        assert not score(items).ready
    finally:
        store.close()
    again = open_or_create_demo()  # second start opens the same file
    assert len(again.runs()) == 3
    again.close()


def test_edits_after_first_start_are_attributed_to_the_user(_isolated_home):
    store = open_or_create_demo()
    try:
        store.update_item(store.items()[0].id, notes="checked by me")
        events = store.audit_events()
        assert events[0]["actor"] == "Preflight demo" and events[-1]["actor"] != "Preflight demo"
    finally:
        store.close()

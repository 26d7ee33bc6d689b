"""The local witness: after each write the chain head goes to an append-only log in the user data
directory; a file that no longer holds what the witness saw is reported as rolled back or rewritten,
by audit verify and by the window's banner on open."""

from __future__ import annotations

import json
import shutil

import pytest

from core.assessment import templates, witness
from core.assessment.store import create_assessment, open_assessment
from ui.context import AssessmentContext
from ui.main_window import MainWindow


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "w.preflight"
    store = create_assessment(p, name="W", items=templates.load("seed").items)
    store.update_item(1, status="done")
    store.close()
    return p


def _lines():
    return [json.loads(line) for line in witness.log_path().read_text().splitlines()]


def test_each_write_appends_the_head_to_the_log_in_the_user_data_directory(path, _isolated_home):
    assert witness.log_path().parent == _isolated_home
    with open_assessment(path) as store:
        uuid = store.assessment_uuid()
        n = len(_lines())
        store.update_item(2, status="done")
        head = store.audit_events()[-1]
        store.update_item(2, status="done")  # no change: no event, no line
    lines = _lines()
    assert len(lines) == n + 1
    assert {k: lines[-1][k] for k in ("uuid", "seq", "hash")} == {"uuid": uuid, "seq": head["seq"],
                                                                 "hash": head["hash"]}
    assert lines[-1]["path"] == str(path.resolve()) and lines[-1]["utc"].endswith("Z")


def test_an_older_copy_put_back_is_reported_as_rolled_back(path, tmp_path):
    shutil.copy(path, tmp_path / "older.preflight")
    with open_assessment(path) as store:
        store.update_item(3, status="done")
        seq = store.audit_events()[-1]["seq"]
    shutil.copy(tmp_path / "older.preflight", path)
    with open_assessment(path, read_only=True) as store:
        result = store.verify_audit()
    assert not result.ok and result.problems[0]["check"] == "witness"
    assert "rolled back" in result.problem and f"event {seq}" in result.problem


def test_a_copy_edited_elsewhere_raises_no_alarm(path, tmp_path):
    copy = tmp_path / "copy.preflight"
    shutil.copy(path, copy)
    with open_assessment(copy) as store:
        store.update_item(4, status="done")
    with open_assessment(path) as store:
        store.update_item(5, status="done")
        assert store.verify_audit().ok
    with open_assessment(copy, read_only=True) as store:
        assert store.verify_audit().ok


def test_a_rewritten_event_is_reported(path):
    with open_assessment(path) as store:
        store.update_item(7, status="done")
        uuid, last = store.assessment_uuid(), store.audit_events()[-1]
    hashes = {e: "0" * 64 for e in range(1, last["seq"] + 1)}
    found = witness.check(uuid, path, hashes)
    assert found and found[0].startswith("rewritten: event ")
    assert witness.check(uuid, path, {**hashes, last["seq"]: last["hash"]})  # older events still differ
    assert witness.check("another-uuid", path, hashes) == []


def test_the_window_banner_reports_a_rollback_on_open(path, tmp_path, qtbot):
    shutil.copy(path, tmp_path / "older.preflight")
    with open_assessment(path) as store:
        store.update_item(6, status="done")
    shutil.copy(tmp_path / "older.preflight", path)
    context = AssessmentContext()
    context.set_store(open_assessment(path))
    win = MainWindow(context)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: context.chain is not None and not win.tasks.busy, timeout=10000)
    assert not context.chain.ok and win.banner.isVisible()
    assert "rolled back" in win.banner.text()
    win.close()


def test_a_new_file_is_witnessed_at_its_own_path_from_its_first_head(tmp_path):
    p = tmp_path / "fresh.preflight"
    store = create_assessment(p, name="F", items=templates.load("seed").items)
    try:
        uuid, head = store.assessment_uuid(), store.audit_events()[-1]
    finally:
        store.close()
    seen = witness.entries(uuid, p)
    assert seen and (seen[-1]["seq"], seen[-1]["hash"]) == (head["seq"], head["hash"])
    # so an empty copy put back in place of a file that was only created is also caught
    assert not any(".creating" in line["path"] for line in _lines())

"""The checklist of an approved assessment is not edited from the command line without an amendment, as in the
window: ``checklist import`` is refused with one error line and exit 2 and nothing written; ``amend FILE
--reason`` records the decision (audited, naming the signatures it voids), after which the import goes through
and the signatures show as invalid.  As in the window, recording an analysis run is not held back (it voids
the signatures); signing and reading need no amendment."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.errors import PreflightError
from core.handoff import approval, signing
from test_handoff_approval import COMPLETE  # a handoff that passes every rule
from test_users_cli import run  # in-process CLI call with stdin, returns (code, out, err)

REASON = "Drift re-run on the November extract"


@pytest.fixture
def approved(tmp_path):
    path = tmp_path / "a.preflight"
    with create_assessment(path, name="A", items=templates.load("seed").items) as store:
        for item in store.items():
            if item.priority == "critical":
                store.update_item(item.id, status="done")
        signing.save_handoff(store, COMPLETE)
        ann = signing.add_user(store, "Ann", "preparer", "correct-horse-1")
        bob = signing.add_user(store, "Bob", "reviewer", "correct-horse-2", admin_password="correct-horse-1")
        cy = signing.add_user(store, "Cy", "approver", "correct-horse-3", admin_password="correct-horse-1")
        signing.sign(store, ann, "correct-horse-1", "authorship")
        signing.sign(store, bob, "correct-horse-2", "review")
        signing.sign(store, cy, "correct-horse-3", "approval")
        assert approval.is_approved(store)
    return path


@pytest.fixture
def tables(tmp_path):
    rng = np.random.default_rng(3)
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    pd.DataFrame({"x": rng.normal(0, 1, 300), "c": rng.choice(list("abc"), 300)}).to_csv(ref, index=False)
    pd.DataFrame({"x": rng.normal(1, 1, 300), "c": rng.choice(list("abc"), 300)}).to_csv(cur, index=False)
    return str(ref), str(cur)


def state(path):
    with open_assessment(path, read_only=True) as store:
        return len(store.audit_events()), len(store.runs()), signing.stage(store)


def test_checklist_import_is_refused_until_amended(monkeypatch, capsys, approved, tmp_path):
    exported = tmp_path / "items.json"
    assert run(monkeypatch, capsys, ["checklist", "export", str(approved), "--out", str(exported)])[0] == 0
    items = json.loads(exported.read_text(encoding="utf-8"))
    first = items["items"][0] if isinstance(items, dict) else items[0]
    first["notes"] = "changed after approval"
    exported.write_text(json.dumps(items), encoding="utf-8")
    before = state(approved)
    argv = ["checklist", "import", str(approved), str(exported)]
    code, out, err = run(monkeypatch, capsys, argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "approved (3 valid signatures)" in err
    assert f"python main.py amend {approved} --reason" in err and "Traceback" not in err
    assert state(approved) == before  # nothing written: no audit event, still approved

    code, out, err = run(monkeypatch, capsys, ["amend", str(approved), "--reason", REASON, "--json"])
    assert code == 0, err
    amended = json.loads(out)
    assert amended["reason"] == REASON and [s["meaning"] for s in amended["invalidates"]] == [
        "authorship", "review", "approval"]
    with open_assessment(approved, read_only=True) as store:
        assert approval.amendments(store.audit_events())[-1]["reason"] == REASON
        assert approval.open_amendment(store) is not None

    code, _, err = run(monkeypatch, capsys, argv)
    assert code == 0, err
    events, _runs, stage = state(approved)
    assert events > before[0] + 1 and stage != "approved"  # the amend event, the import; signatures void
    with open_assessment(approved, read_only=True) as store:
        assert "changed after approval" in [i.notes for i in store.items()]


def test_a_new_signature_closes_the_amendment(approved):
    with open_assessment(approved) as store:
        approval.amend(store, REASON)
        assert approval.open_amendment(store) is not None
        dee = signing.add_user(store, "Dee", "approver", "correct-horse-4", admin_password="correct-horse-1")
        signing.sign(store, dee, "correct-horse-4", "approval")  # a second approval, after the amendment
        assert approval.is_approved(store) and approval.open_amendment(store) is None
        with pytest.raises(PreflightError, match="is approved \\(4 valid signatures\\)"):
            approval.refuse_edit_when_approved(store)


def test_recording_a_run_is_not_held_back_and_voids_the_signatures(monkeypatch, capsys, approved, tables):
    before = state(approved)
    code, _, err = run(monkeypatch, capsys, ["drift", *tables, "--no-multivariate", "--assessment", str(approved)])
    assert code in (0, 1), err  # ran (1: drift found), as the window records a run after approval
    _events, runs, stage = state(approved)
    assert runs == before[1] + 1 and stage != "approved"


def test_amend_needs_a_reason_and_an_approved_assessment(monkeypatch, capsys, approved, tmp_path):
    code, _, err = run(monkeypatch, capsys, ["amend", str(approved), "--reason", "typo"])
    assert code == 2 and "at least 10 characters" in err
    plain = tmp_path / "plain.preflight"
    create_assessment(plain, name="P", items=templates.load("seed").items).close()
    code, _, err = run(monkeypatch, capsys, ["amend", str(plain), "--reason", REASON])
    assert code == 2 and "not approved" in err


def test_unapproved_assessments_and_reading_commands_are_not_gated(monkeypatch, capsys, approved, tables, tmp_path):
    plain = tmp_path / "plain.preflight"
    create_assessment(plain, name="P", items=templates.load("seed").items).close()
    code, _, err = run(monkeypatch, capsys, ["drift", *tables, "--no-multivariate", "--assessment", str(plain)])
    assert code in (0, 1), err
    assert run(monkeypatch, capsys, ["score", str(approved), "--json"])[0] in (0, 1)
    assert run(monkeypatch, capsys, ["audit", "verify", str(approved)])[0] == 0
    assert state(approved)[2] == "approved"

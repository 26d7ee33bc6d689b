"""Approval is refused while a handoff rule fails; changing an approved assessment needs an amendment."""

import json

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from core.errors import PreflightError
from core.handoff import approval, signing
from core.handoff.form import Handoff

COMPLETE = Handoff(model_location="s3://models/churn/v3", baseline_accuracy=0.91, baseline_p95_latency_ms=120,
                   data_privacy_review_completed=True, security_scan_completed=True,
                   model_card_ref="docs/model-card.md")


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "s.preflight", name="S", items=templates.load("seed").items)
    for item in s.items():
        if item.priority == "critical":
            s.update_item(item.id, status="done")
    yield s
    s.close()


def _prepared_and_reviewed(store):
    ann = signing.add_user(store, "Ann Preparer", "preparer", "correct-horse-1")
    bob = signing.add_user(store, "Bob Reviewer", "reviewer", "correct-horse-2", admin_password="correct-horse-1")
    cy = signing.add_user(store, "Cy Approver", "approver", "correct-horse-3", admin_password="correct-horse-1")
    signing.sign(store, ann, "correct-horse-1", "authorship")
    signing.sign(store, bob, "correct-horse-2", "review")
    return cy


def test_approval_is_refused_while_a_handoff_rule_fails(store):
    signing.save_handoff(store, Handoff(model_location="s3://m", baseline_accuracy=0.91, baseline_p95_latency_ms=120,
                                        data_privacy_review_completed=True, model_card_ref="card.md"))
    assert [b["name"] for b in approval.approval_blockers(store)] == ["security scan is not completed"]
    cy = _prepared_and_reviewed(store)
    with pytest.raises(PreflightError, match="cannot approve.*security scan is not completed"):
        signing.sign(store, cy, "correct-horse-3", "approval")
    with pytest.raises(PreflightError, match="at least 10 characters"):
        signing.sign(store, cy, "correct-horse-3", "approval", "too short")
    assert signing.stage(store) == "reviewed"
    failed = [json.loads(e["after"]) for e in store.audit_events() if e["action"] == "sign_failed"]
    assert "security scan is not completed" in failed[0]["reason"]
    signing.sign(store, cy, "correct-horse-3", "approval", "Scan booked for Monday, accepted by the CISO")
    assert signing.stage(store) == "approved"
    assert store.signature_rows()[-1]["override_reason"] == "Scan booked for Monday, accepted by the CISO"


def test_approval_without_override_once_every_rule_passes(store):
    signing.save_handoff(store, COMPLETE)
    assert approval.approval_blockers(store) == []
    cy = _prepared_and_reviewed(store)
    signing.sign(store, cy, "correct-horse-3", "approval")
    assert signing.stage(store) == "approved"


def test_amending_an_approved_assessment_says_what_it_voids_and_is_audited(store):
    signing.save_handoff(store, COMPLETE)
    cy = _prepared_and_reviewed(store)
    assert not approval.is_approved(store)
    signing.sign(store, cy, "correct-horse-3", "approval")
    assert approval.is_approved(store)
    assert [s.meaning for s in approval.signatures_an_edit_voids(store)] == ["authorship", "review", "approval"]
    with pytest.raises(PreflightError, match="at least 10 characters"):
        approval.amend(store, "typo")
    amendment = approval.amend(store, "Latency baseline re-measured on the new cluster")
    assert len(amendment.signature_ids) == 3
    event = store.audit_events()[-1]
    assert event["action"] == "amend" and event["seq"] == amendment.seq
    after = json.loads(event["after"])
    assert after["reason"] == "Latency baseline re-measured on the new cluster"
    assert [s["meaning"] for s in after["invalidates"]] == ["authorship", "review", "approval"]
    assert approval.amendments(store.audit_events()) == [
        {"seq": amendment.seq, "ts_utc": event["ts_utc"], "actor": event["actor"],
         "reason": "Latency baseline re-measured on the new cluster", "invalidates": 3}]
    assert store.verify_audit().ok


# ------------------------------------------------------------------ the window: no stray edit, Amend first
@pytest.fixture
def approved_window(qtbot, store):
    from ui.checklist.tab import ChecklistTab
    from ui.context import AssessmentContext
    from ui.handoff.form import HandoffForm

    signing.save_handoff(store, COMPLETE)
    cy = _prepared_and_reviewed(store)
    signing.sign(store, cy, "correct-horse-3", "approval")
    context = AssessmentContext()
    context.store = store
    form, checklist = HandoffForm(context), ChecklistTab(context)
    for w in (form, checklist):
        qtbot.addWidget(w)
    context.handoff_changed.connect(form.refresh)
    form.refresh()
    return context, form, checklist


def test_a_stray_click_on_an_approved_handoff_changes_nothing(approved_window):
    context, form, checklist = approved_window
    store = context.store
    n = len(store.audit_events())
    box = form.fields["security_scan_completed"]
    assert form.locked and not box.isEnabled() and not form.amend_button.isHidden()
    box.setChecked(False)  # even if a click got through
    assert signing.load_handoff(store).security_scan_completed
    assert box.isChecked() and "Not saved" in form.summary.text()
    assert checklist.edit_item(store.items()[0], "notes", "just a note") is False
    assert "approved" in checklist.message.text() and checklist.undo_stack.count() == 0
    assert len(store.audit_events()) == n and signing.stage(store) == "approved"


def test_amend_says_what_it_voids_then_edits_go_through_and_the_report_shows_the_reason(approved_window, tmp_path):
    context, form, checklist = approved_window
    store = context.store
    assert "will invalidate 3 valid signatures" in form.amend_prompt()
    assert "Ann Preparer (authorship)" in form.amend_prompt()
    assert not form.amend("because")
    assert form.locked and "at least 10 characters" in form.summary.text()
    assert form.amend("Latency baseline re-measured on the new cluster")
    assert not form.locked and form.fields["baseline_p95_latency_ms"].isEnabled()
    assert form.commit("baseline_p95_latency_ms", 140.0)
    assert signing.load_handoff(store).baseline_p95_latency_ms == 140.0
    assert signing.stage(store) == "unsigned"
    assert checklist.edit_item(store.items()[0], "notes", "after the amendment")
    from core.cli import main as cli_main

    out = tmp_path / "r.html"
    assert cli_main(["report", str(store.path), "--out", str(out)]) == 0
    html = out.read_text()
    assert "Amendments after approval" in html and "Latency baseline re-measured on the new cluster" in html
    assert "3 signature(s) invalidated" in html


def test_an_amendment_recorded_elsewhere_unlocks_the_window_until_a_new_signature(approved_window):
    """``python main.py amend`` (or an earlier session) leaves the amendment in the audit trail: the window
    honours it, and a new signature closes it again."""
    context, form, checklist = approved_window
    store = context.store
    assert context.edit_lock_message() is not None
    approval.amend(store, "Owner changed after the reorganisation")  # as the amend command does
    assert context.amendment is None and context.edit_lock_message() is None
    dee = signing.add_user(store, "Dee Approver", "approver", "correct-horse-4", admin_password="correct-horse-1")
    signing.sign(store, dee, "correct-horse-4", "approval")
    assert "approved (4 valid signatures)" in context.edit_lock_message()
    assert checklist.edit_item(store.items()[0], "notes", "after the new signature") is False


def test_the_amend_dialog_wants_a_real_reason(qtbot):
    from ui.handoff.form import AmendDialog

    dialog = AmendDialog("prompt")
    qtbot.addWidget(dialog)
    dialog.reason.setPlainText("short")
    dialog._check()
    assert dialog.result() != AmendDialog.Accepted and "at least 10" in dialog.error.text()
    dialog.reason.setPlainText("A reason long enough")
    dialog._check()
    assert dialog.result() == AmendDialog.Accepted

"""The Handoff & Sign-off tab driven through its real widgets (offscreen)."""

from __future__ import annotations

import hashlib

import pytest
import shiboken6
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QDialogButtonBox

from core.handoff import signing

from core.assessment import templates
from core.handoff.form import Handoff
from core.assessment.store import create_assessment
from ui.context import AssessmentContext
from ui.handoff.tab import HandoffTab

PASSWORD = "correct horse"


@pytest.fixture
def env(qtbot, tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="GUI test", system="churn model",
                              items=list(templates.load("seed").items))
    context = AssessmentContext()
    context.set_store(store)
    tab = HandoffTab(context)
    qtbot.addWidget(tab)
    tab.resize(1360, 820)
    tab.show()
    yield tab, context, store
    # pytest-qt closes and deletes the tab before fixtures are torn down, so a task that ends after the test
    # body can no longer report to the tab: wait for the worker threads themselves before closing the file.
    assert QThreadPool.globalInstance().waitForDone(20000)
    context.close()


def type_into(qtbot, field, text):
    field.selectAll()
    field.clear()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def error_text(tab, name):
    label = tab.form.errors[name]
    return label.text() if not label.isHidden() else ""


def closed(dialog) -> bool:
    """The dialog was closed (a closed sign-off dialog deletes itself)."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def press_ok(qtbot, dialog):
    """Press OK and wait until the dialog's work in the worker (scrypt, evidence hashing) has ended."""
    dialog.buttons.button(QDialogButtonBox.Ok).click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)


def add_user_via_dialog(qtbot, tab, name, role, password=PASSWORD, confirm=None):
    dialog = tab.signoff.add_user_dialog()
    qtbot.keyClicks(dialog.name, name)
    dialog.set_role(role)
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClicks(dialog.confirm, password if confirm is None else confirm)
    if dialog.admin is not None:  # later users need the administrator's (the first user's) password
        qtbot.keyClicks(dialog.admin_password, PASSWORD)
    press_ok(qtbot, dialog)
    return dialog


def sign_via_dialog(qtbot, tab, user_id, meaning, password=PASSWORD, reason=""):
    dialog = tab.signoff.sign_dialog()
    dialog.set_user(user_id)
    dialog.set_meaning(meaning)
    dialog.password.setText(password)
    if reason:
        dialog.override.setPlainText(reason)
    press_ok(qtbot, dialog)
    return dialog


def user_ids(store):
    return {u["name"]: u["id"] for u in store.users()}


# ------------------------------------------------------------------------------------ handoff form

def test_editing_fields_saves_and_updates_validation(qtbot, env):
    tab, _context, store = env
    form = tab.form
    assert error_text(tab, "model_location") == "model location is not set"
    assert error_text(tab, "baseline_accuracy") == "baseline accuracy is not set"
    assert form.summary.text().startswith("Handoff validation: 6 of 6 rules failed")

    type_into(qtbot, form.fields["model_location"], "s3://models/churn/v3")
    assert signing.load_handoff(store).model_location == "s3://models/churn/v3"
    assert error_text(tab, "model_location") == ""
    assert form.summary.text().startswith("Handoff validation: 5 of 6 rules failed")

    type_into(qtbot, form.fields["baseline_accuracy"], "0.65")
    assert signing.load_handoff(store).baseline_accuracy == 0.65
    assert error_text(tab, "baseline_accuracy") == "baseline accuracy 0.65 is below the minimum 0.7"
    type_into(qtbot, form.fields["baseline_accuracy"], "0.92")
    assert signing.load_handoff(store).baseline_accuracy == 0.92
    assert error_text(tab, "baseline_accuracy") == ""
    assert form.summary.text().startswith("Handoff validation: 4 of 6 rules failed")

    last = store.audit_events()[-1]
    assert (last["action"], last["entity"]) == ("update", "handoff")
    assert '"baseline_accuracy": 0.92' in last["after"]


def test_failing_rule_shows_beside_its_own_field(qtbot, env):
    tab, _context, store = env
    form = tab.form
    type_into(qtbot, form.fields["baseline_p95_latency_ms"], "800")
    assert error_text(tab, "baseline_p95_latency_ms") == "baseline p95 latency 800 ms is above the maximum 500 ms"
    assert "800" not in error_text(tab, "baseline_accuracy")
    form.fields["security_scan_completed"].setChecked(True)
    assert signing.load_handoff(store).security_scan_completed is True
    assert error_text(tab, "security_scan_completed") == ""
    assert error_text(tab, "data_privacy_review_completed") == "data privacy review is not completed"


def test_bad_values_are_shown_and_not_saved(qtbot, env):
    tab, _context, store = env
    form = tab.form
    type_into(qtbot, form.fields["baseline_accuracy"], "0.8")
    events = len(store.audit_events())
    type_into(qtbot, form.fields["baseline_accuracy"], "1.5")
    assert "accuracy is a fraction between 0 and 1" in error_text(tab, "baseline_accuracy")
    assert error_text(tab, "baseline_accuracy").startswith("Not saved")
    type_into(qtbot, form.fields["expected_qps"], "lots")
    assert "'lots' is not a number" in error_text(tab, "expected_qps")
    assert signing.load_handoff(store).baseline_accuracy == 0.8
    assert len(store.audit_events()) == events
    assert "2 value(s) not saved" in form.summary.text()
    assert form.fields["baseline_accuracy"].text() == "1.5"  # what was typed stays for correction


def test_lists_preset_and_prefill(qtbot, env):
    tab, context, store = env
    form = tab.form
    type_into(qtbot, form.fields["alert_recipients"], "ops@example.com, ml@example.com,")
    assert signing.load_handoff(store).alert_recipients == ("ops@example.com", "ml@example.com")
    assert form.preset_label.text() == ""
    type_into(qtbot, form.fields["expected_qps"], "120")
    assert "1200 requests/s" in form.preset_label.text()

    assert form.prefill_button.isHidden()  # nothing to pre-fill from: no dead-end button
    store.add_run("drift", settings={}, inputs=[], result={}, started_utc="2025-01-01T00:00:00Z")
    context.notify("runs")
    assert form.prefill_button.isHidden()
    store.add_run("performance", settings={}, inputs=[], result={"accuracy": 0.91},
                  started_utc="2025-01-01T00:00:00Z", finished_utc="2025-01-01T00:01:00Z")
    context.notify("runs")
    assert not form.prefill_button.isHidden()
    form.prefill_button.click()
    assert signing.load_handoff(store).baseline_accuracy == 0.91
    assert "from performance run #2" in form.prefill_notes.text()
    assert form.fields["baseline_accuracy"].text() == "0.91"


def test_hash_training_data_in_worker(qtbot, env, tmp_path):
    tab, _context, store = env
    data = tmp_path / "train.csv"
    data.write_bytes(b"a,b\n1,2\n" * 5000)
    tab.hash_training_data(data)
    expected = hashlib.sha256(data.read_bytes()).hexdigest()
    qtbot.waitUntil(lambda: tab.form.fields["training_data_hash"].text() == expected, timeout=10000)
    assert signing.load_handoff(store).training_data_path == str(data)
    assert tab.form.fields["training_data_hash"].isReadOnly()

    messages = []
    _context.status_message.connect(messages.append)
    tab.hash_training_data(tmp_path / "nope.csv")
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    assert "file not found" in tab.task_message.text() and not tab.task_message.isHidden()
    assert messages == []  # shown once, beside the task bar, not repeated in the status bar
    assert signing.load_handoff(store).training_data_hash == expected


# ------------------------------------------------------------------------------------ sign-off

def test_users_and_signing_through_dialogs(qtbot, env):
    tab, _context, store = env
    panel = tab.signoff
    mismatch = add_user_via_dialog(qtbot, tab, "Ada", "preparer", confirm="different pw")
    assert not closed(mismatch) and mismatch.error.text() == "The two passwords differ."
    mismatch.reject()
    for name, role in (("Ada", "preparer"), ("Rex", "reviewer"), ("Amy", "approver")):
        dialog = add_user_via_dialog(qtbot, tab, name, role)
        assert closed(dialog)
    assert [u["role"] for u in store.users()] == ["preparer", "reviewer", "approver"]
    qtbot.waitUntil(lambda: panel.users.count() == 3)
    duplicate = add_user_via_dialog(qtbot, tab, "Ada", "preparer")
    assert "already exists" in duplicate.error.text()
    duplicate.reject()

    ids = user_ids(store)
    assert panel.stage == "unsigned"
    dialog = sign_via_dialog(qtbot, tab, ids["Ada"], "authorship")
    assert closed(dialog)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1)
    assert panel.stage == "prepared"
    dialog = sign_via_dialog(qtbot, tab, ids["Rex"], "review")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    assert panel.stage == "reviewed"
    row = [panel.model.index(1, c).data() for c in range(panel.model.columnCount())]
    assert row[:3] == ["Rex", "reviewer", "review"]
    assert row[3].endswith("UTC") and row[6] == "valid"
    assert row[5] == signing.signatures(store)[1].content_hash[:12]
    assert panel.notice_row.isHidden()
    assert tab.sub_tabs.tabText(tab.sub_tabs.indexOf(panel)) == "Sign-off: reviewed"


def test_wrong_password_keeps_dialog_open_and_is_audited(qtbot, env):
    tab, _context, store = env
    uid = signing.add_user(store, "Ada", "preparer", PASSWORD)
    tab.refresh()
    dialog = sign_via_dialog(qtbot, tab, uid, "authorship", password="wrong password")
    assert not closed(dialog)
    assert dialog.error.text() == "Wrong password for Ada"
    assert dialog.password.text() == ""
    last = store.audit_events()[-1]
    assert (last["action"], last["actor"]) == ("sign_failed", "Ada")
    tab.sub_tabs.setCurrentWidget(tab.audit)
    qtbot.waitUntil(lambda: tab.audit.model.rowCount() == len(store.audit_events()))
    assert "sign_failed" in [e["action"] for e in tab.audit.model.events]
    # the same dialog then succeeds with the right password
    dialog.password.setText(PASSWORD)
    press_ok(qtbot, dialog)
    assert closed(dialog)
    assert len(signing.signatures(store)) == 1


def test_approval_with_critical_blockers_needs_a_reason(qtbot, env):
    tab, _context, store = env
    ids = {name: signing.add_user(store, name, role, PASSWORD, admin_password=PASSWORD)
           for name, role in (("Ada", "preparer"), ("Rex", "reviewer"), ("Amy", "approver"))}
    signing.sign(store, ids["Ada"], PASSWORD, "authorship")
    signing.sign(store, ids["Rex"], PASSWORD, "review")
    tab.refresh()
    dialog = tab.signoff.sign_dialog(ids["Amy"])
    assert dialog.meaning.currentData() == "approval" and dialog.override.isEnabled()
    dialog.password.setText(PASSWORD)
    press_ok(qtbot, dialog)
    assert not closed(dialog)
    assert "critical blocker(s) remain" in dialog.error.text()
    dialog.password.setText(PASSWORD)
    dialog.override.setPlainText("Accepted by the risk board on 2025-03-01")
    press_ok(qtbot, dialog)
    assert closed(dialog)
    qtbot.waitUntil(lambda: tab.signoff.stage == "approved")
    last = tab.signoff.model.index(2, 7).data()
    assert last == "Accepted by the risk board on 2025-03-01"


def test_checklist_edit_invalidates_signatures(qtbot, env):
    tab, context, store = env
    ids = {name: signing.add_user(store, name, role, PASSWORD, admin_password=PASSWORD)
           for name, role in (("Ada", "preparer"), ("Rex", "reviewer"))}
    signing.sign(store, ids["Ada"], PASSWORD, "authorship")
    signing.sign(store, ids["Rex"], PASSWORD, "review")
    tab.refresh()
    panel = tab.signoff
    assert panel.stage == "reviewed"
    item = store.items()[0]
    store.update_item(item.id, status="done")
    context.notify("checklist")
    qtbot.waitUntil(lambda: panel.stage == "unsigned")
    assert [panel.model.index(r, 6).data() for r in range(2)] == ["INVALID", "INVALID"]
    tooltip = panel.model.index(0, 0).data(Qt.ToolTipRole)
    assert f"checklist item '{item.name}' status: open -> done" in tooltip
    assert not panel.notice_row.isHidden()
    assert panel.notice.text().startswith("2 signature(s) are invalid because the content changed — re-sign")
    panel.table.selectRow(0)
    assert "status: open -> done" in panel.details.toPlainText()
    resign = panel.resign_dialog()
    assert resign.user.currentData() == ids["Ada"] and resign.meaning.currentData() == "authorship"
    resign.password.setText(PASSWORD)
    press_ok(qtbot, resign)
    qtbot.waitUntil(lambda: panel.stage == "prepared")
    assert panel.resign_target().meaning == "review"


# ------------------------------------------------------------------------------------ evidence

def test_attach_and_reverify_evidence(qtbot, env, tmp_path):
    tab, _context, store = env
    panel = tab.evidence
    report = tmp_path / "load-test.txt"
    report.write_text("p95 120 ms\n")
    gone = tmp_path / "gone.txt"
    gone.write_text("temporary\n")
    tab.attach_evidence(report, "Load test report", embed=False)
    tab.attach_evidence(gone, "", embed=True)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10000)
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    assert panel.model.index(0, 0).data() == "Load test report"
    assert panel.model.index(0, 3).data(Qt.ToolTipRole) == hashlib.sha256(b"p95 120 ms\n").hexdigest()
    assert [panel.model.index(r, 5).data() for r in range(2)] == ["no", "yes"]
    assert panel.model.index(1, 0).data() == "gone.txt"
    assert panel.model.index(0, 6).data() == "ok"

    report.write_text("p95 900 ms\n")
    gone.unlink()  # embedded: still checked from the stored copy
    panel.reverify_button.click()
    qtbot.waitUntil(lambda: panel.model.index(0, 6).data() == "CHANGED", timeout=10000)
    assert panel.model.index(1, 6).data() == "ok"
    assert panel.model.index(0, 0).data(Qt.BackgroundRole) is not None
    assert "1 changed" in panel.summary.text()
    assert tab.sub_tabs.tabText(tab.sub_tabs.indexOf(panel)) == "Evidence (1 flagged)"
    report.unlink()
    panel.reverify_button.click()
    qtbot.waitUntil(lambda: panel.model.index(0, 6).data() == "MISSING", timeout=10000)


def test_attach_dialog_requests_attach(qtbot, env, tmp_path):
    tab, _context, store = env
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.4 test")
    dialog = tab.evidence.attach_dialog(str(f))
    assert dialog.embed.isChecked()
    dialog.label.setText("Security scan")
    dialog.embed.setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: tab.evidence.model.rowCount() == 1, timeout=10000)
    assert store.evidence_files()[0]["label"] == "Security scan"
    assert store.evidence_files()[0]["embedded"] is False


def test_reverify_runs_when_first_shown(qtbot, tmp_path):
    f = tmp_path / "e.txt"
    f.write_text("x")
    store = create_assessment(tmp_path / "b.preflight", name="B")
    signing.attach_evidence(store, f, "E")
    f.write_text("y")
    context = AssessmentContext()
    context.set_store(store)
    tab = HandoffTab(context)
    qtbot.addWidget(tab)
    assert tab.evidence.model.index(0, 6).data() == "NOT CHECKED"
    tab.show()
    qtbot.waitUntil(lambda: tab.evidence.model.index(0, 6).data() == "CHANGED", timeout=10000)
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    context.close()


# ------------------------------------------------------------------------------------ model card and audit

def test_model_card_sections_preview_and_export(qtbot, env, tmp_path):
    tab, _context, store = env
    card = tab.model_card
    type_into(qtbot, tab.form.fields["model_location"], "s3://models/churn/v3")
    assert "s3://models/churn/v3" in card.markdown
    card.editors["intended_use"].setPlainText("Monthly churn scoring for retention offers.")
    assert card.save_sections()
    assert signing.model_card_sections(store) == {"intended_use": "Monthly churn scoring for retention offers."}
    assert "Monthly churn scoring" in card.markdown
    assert "Monthly churn scoring" in card.preview.toPlainText()
    out = tmp_path / "card.md"
    assert card.export_model_card(out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Model card: churn model")
    assert "## Intended use\n\nMonthly churn scoring for retention offers." in text
    assert not card.export_model_card(tmp_path / "no-such-folder" / "card.md")
    assert "Cannot export" in card.status.text()


def test_audit_view_shows_events_and_chain(qtbot, env):
    tab, _context, store = env
    type_into(qtbot, tab.form.fields["model_version"], "3.1.0")
    view = tab.audit
    assert view.model.rowCount() == 0  # the log is read only when it is on screen
    tab.sub_tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() == len(store.audit_events()))
    result = store.verify_audit()
    assert view.chain_label.text() == (f"Audit chain intact: {result.count} events · head hash "
                                       f"{result.head_hash}")
    view.table.selectRow(0)  # newest first
    event = view.selected_event()
    assert event["seq"] == result.count and event["entity"] == "handoff"
    assert '"model_version": "3.1.0"' in view.after.toPlainText()
    assert '"model_version": null' in view.before.toPlainText()
    view.filter.setText("sign_failed")
    assert view.model.rowCount() == 0
    view.filter.setText("MODEL_VERSION")  # any column, any case
    assert view.model.rowCount() == 0
    view.filter.setText("HANDOFF")
    assert 0 < view.model.rowCount() < len(store.audit_events())
    assert all(e["entity"] == "handoff" for e in view.model.shown)


def test_shutdown_saves_pending_text_and_opening_another_file_resets(qtbot, env, tmp_path):
    tab, context, store = env
    qtbot.keyClicks(tab.form.fields["model_version"], "2.0")  # typed, not yet left
    tab.model_card.editors["caveats"].setPlainText("Not for minors.")
    tab.shutdown()
    assert signing.load_handoff(store).model_version == "2.0"
    assert signing.model_card_sections(store) == {"caveats": "Not for minors."}

    other = create_assessment(tmp_path / "other.preflight", name="Other")
    signing.save_handoff(other, Handoff(model_location="gs://other"))
    context.set_store(other)
    assert tab.form.fields["model_location"].text() == "gs://other"
    assert tab.form.fields["model_version"].text() == ""
    assert tab.model_card.editors["caveats"].toPlainText() == ""
    assert tab.signoff.model.rowCount() == 0 and tab.signoff.stage == "unsigned"

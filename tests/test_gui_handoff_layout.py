"""The Handoff & Sign-off tab: dialogs fit their messages, form rows stay put while the user types, and the
signature change list speaks the user's words."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.handoff import signing
from core.handoff.form import Handoff
from test_gui_handoff import PASSWORD, env, error_text, press_ok, type_into  # noqa: F401  (env is a fixture)


def test_signature_changes_use_the_labels_the_user_sees(qtbot, env):
    tab, context, store = env
    uid = signing.add_user(store, "Ada", "preparer", PASSWORD)
    signing.save_handoff(store, Handoff(model_location="s3://m"))
    signing.sign(store, uid, PASSWORD, "authorship")
    tab.refresh()
    tab.form.fields["security_scan_completed"].setChecked(True)
    item = store.items()[0]
    store.update_item(item.id, status="not_applicable")
    context.notify("checklist")
    qtbot.waitUntil(lambda: tab.signoff.stage == "unsigned")
    tab.signoff.table.selectRow(0)
    shown = tab.signoff.details.toPlainText() + tab.signoff.model.index(0, 0).data(Qt.ToolTipRole)
    assert "Security scan completed: no -> yes" in shown
    assert f"checklist item '{item.name}' status: open -> not applicable" in shown
    assert "security_scan_completed" not in shown and "not_applicable" not in shown


def test_sign_refusal_is_shown_whole_and_clear_of_the_override_box(qtbot, env):
    tab, _context, store = env
    ids = {name: signing.add_user(store, name, role, PASSWORD, admin_password=PASSWORD)
           for name, role in (("Ada", "preparer"), ("Rex", "reviewer"), ("Amy", "approver"))}
    signing.sign(store, ids["Ada"], PASSWORD, "authorship")
    signing.sign(store, ids["Rex"], PASSWORD, "review")
    tab.refresh()
    dialog = tab.signoff.sign_dialog(ids["Amy"])
    qtbot.waitExposed(dialog)
    dialog.password.setText(PASSWORD)
    press_ok(qtbot, dialog)
    error = dialog.error
    assert "critical blocker(s) remain" in error.text() and len(error.text()) > 120
    top_left = error.mapTo(dialog, error.rect().topLeft())
    error_box = error.rect().translated(top_left)
    override = dialog.override.rect().translated(dialog.override.mapTo(dialog, dialog.override.rect().topLeft()))
    assert not error_box.intersects(override)
    assert error.height() >= error.heightForWidth(error.width())  # every line of the refusal is visible
    assert dialog.rect().contains(error_box)
    for button in dialog.buttons.buttons():
        place = button.rect().translated(button.mapTo(dialog, button.rect().topLeft()))
        assert not place.intersects(error_box) and dialog.rect().contains(place)


def test_form_rows_do_not_move_when_an_error_disappears(qtbot, env):
    tab, _context, _store = env
    form = tab.form
    watched = ["model_version", "training_data_path", "baseline_p95_latency_ms", "expected_qps", "python_version"]

    def positions():
        return [form.fields[n].mapTo(form, form.fields[n].rect().topLeft()).y() for n in watched]

    assert error_text(tab, "model_location") == "model location is not set"
    assert error_text(tab, "baseline_accuracy") == "baseline accuracy is not set"
    before = positions()
    type_into(qtbot, form.fields["model_location"], "s3://models/churn/v3")
    type_into(qtbot, form.fields["baseline_accuracy"], "0.9")
    type_into(qtbot, form.fields["expected_qps"], "120")  # the load-test preset line appears
    assert error_text(tab, "model_location") == "" and error_text(tab, "baseline_accuracy") == ""
    qtbot.wait(10)
    assert positions() == before

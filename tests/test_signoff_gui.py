"""The key-based sign-off panel through its real widgets: administrator, next signer, trust, password, deactivate."""

from __future__ import annotations

import shiboken6
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from core.assessment import templates
from core.assessment.store import create_assessment
from core.handoff import keys, profiles, signing
from core.handoff.keys import short_fingerprint
from ui.context import AssessmentContext
from ui.handoff.signoff_panel import FINGERPRINT_COLUMN, KEY_COLUMN
from ui.handoff.tab import HandoffTab

PW = "admin password"


@pytest.fixture
def env(qtbot, tmp_path):
    store = create_assessment(tmp_path / "g.preflight", name="GUI", items=list(templates.load("seed").items))
    context = AssessmentContext()
    context.set_store(store)
    tab = HandoffTab(context)
    qtbot.addWidget(tab)
    tab.resize(1360, 820)
    tab.show()
    yield tab, context, store
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    context.close()


def closed(dialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def press_ok(qtbot, dialog):
    dialog.buttons.button(QDialogButtonBox.Ok).click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)


def team(store):
    """Rex (reviewer) is the first user, so the administrator; Ada prepares, Amy approves."""
    rex = signing.add_user(store, "Rex", "reviewer", PW)
    ada = signing.add_user(store, "Ada", "preparer", "ada password", admin_password=PW)
    amy = signing.add_user(store, "Amy", "approver", "amy password", admin_password=PW)
    return rex, ada, amy


def test_add_user_dialog_needs_the_administrator_password(qtbot, env):
    tab, _context, store = env
    first = tab.signoff.add_user_dialog()
    assert first.admin is None and not first.admin_password.isVisibleTo(first)
    first.name.setText("Rex")
    first.set_role("reviewer")
    first.password.setText(PW)
    first.confirm.setText(PW)
    press_ok(qtbot, first)
    assert closed(first) and store.users()[0]["is_admin"] is True
    second = tab.signoff.add_user_dialog()
    assert second.admin["name"] == "Rex" and second.admin_password.isVisibleTo(second)
    second.name.setText("Ada")
    second.password.setText("ada password")
    second.confirm.setText("ada password")
    second.admin_password.setText("not the admin password")
    press_ok(qtbot, second)
    assert not closed(second) and second.error.text() == "Wrong password for Rex"
    assert second.admin_password.text() == "" and [u["name"] for u in store.users()] == ["Rex"]
    assert store.audit_events()[-1]["action"] == "password_failed"
    second.admin_password.setText(PW)
    press_ok(qtbot, second)
    assert closed(second) and [u["name"] for u in store.users()] == ["Rex", "Ada"]
    qtbot.waitUntil(lambda: tab.signoff.users.count() == 2)
    fp = short_fingerprint(store.users()[0]["fingerprint"])
    assert tab.signoff.users.item(0).text() == f"Rex - reviewer (administrator) - {fp}"


def test_add_user_from_an_exported_public_key(qtbot, env, tmp_path):
    tab, _context, store = env
    signing.add_user(store, "Rex", "reviewer", PW)
    private = keys.new_key_pair()  # Ada's key lives on another machine: only her .pub file comes here
    keys.write_public_key_file(tmp_path / "ada.pub", "Ada", keys.b64(keys.public_raw(private)))
    tab.refresh()
    dialog = tab.signoff.add_user_dialog()
    dialog.name.setText("Ada")
    dialog.set_role("preparer")
    dialog.key_file.setText(str(tmp_path / "ada.pub"))
    dialog.admin_password.setText(PW)
    press_ok(qtbot, dialog)
    assert closed(dialog)
    assert store.user_by_name("Ada")["fingerprint"] == keys.fingerprint(keys.public_raw(private))
    assert profiles.load_profile("Ada") is None  # no private key of Ada's was made on this machine


def test_sign_dialog_defaults_to_the_next_signer_and_shows_the_key(qtbot, env):
    tab, _context, store = env
    rex, ada, amy = team(store)
    tab.refresh()
    dialog = tab.signoff.sign_dialog()
    assert dialog.user.currentData() == ada and dialog.meaning.currentData() == "authorship"
    assert dialog.key.text().replace(" ", "") == store.user(ada)["fingerprint"]
    dialog.password.setText("ada password")
    press_ok(qtbot, dialog)
    assert closed(dialog)
    qtbot.waitUntil(lambda: tab.signoff.stage == "prepared")
    assert tab.signoff.next_signer_id == rex
    dialog = tab.signoff.sign_dialog()
    assert dialog.user.currentData() == rex and dialog.meaning.currentData() == "review"
    dialog.reject()


def test_trusted_keys_folder_changes_the_key_column(qtbot, env, tmp_path):
    tab, _context, store = env
    rex, ada, _amy = team(store)
    signing.sign(store, ada, "ada password", "authorship")
    signing.sign(store, rex, PW, "review")
    tab.refresh()
    model = tab.signoff.model
    assert [model.index(r, KEY_COLUMN).data() for r in range(2)] == ["valid but from an untrusted key"] * 2
    assert model.index(0, FINGERPRINT_COLUMN).data() == short_fingerprint(store.user(ada)["fingerprint"])
    assert tab.signoff.trust_label.text().startswith("No trusted-keys folder")
    folder = tmp_path / "trusted"
    folder.mkdir()
    profiles.export_public_key("Ada", folder / "ada.pub")
    tab.signoff.set_trusted_folder(folder)
    assert [model.index(r, KEY_COLUMN).data() for r in range(2)] == ["valid, trusted key",
                                                                     "valid but from an untrusted key"]
    assert tab.signoff.trust_label.text() == f"Trusted keys: 1 from {folder}"
    assert profiles.trusted_keys_dir() == str(folder)  # remembered in the app's settings
    tab.signoff.table.selectRow(0)
    assert "Key check: valid, trusted key" in tab.signoff.details.toPlainText()


def test_change_password_and_deactivate_dialogs(qtbot, env):
    tab, _context, store = env
    rex, ada, amy = team(store)
    tab.refresh()
    change = tab.signoff.change_password_dialog(ada)
    change.old.setText("wrong password")
    change.new.setText("new ada password")
    change.confirm.setText("new ada password")
    press_ok(qtbot, change)
    assert not closed(change) and change.error.text() == "Wrong password for Ada"
    change.old.setText("ada password")
    press_ok(qtbot, change)
    assert closed(change)
    assert profiles.load_profile("Ada").unlock("new ada password") is not None
    deactivate = tab.signoff.deactivate_dialog(amy)
    assert deactivate.user.findData(rex) == -1  # the administrator is not offered
    deactivate.reason.setText("moved to another team")
    deactivate.admin_password.setText("wrong password")
    press_ok(qtbot, deactivate)
    assert not closed(deactivate) and store.user(amy)["active"] is True
    deactivate.admin_password.setText(PW)
    press_ok(qtbot, deactivate)
    assert closed(deactivate) and store.user(amy)["active"] is False
    qtbot.waitUntil(lambda: "(deactivated)" in tab.signoff.users.item(2).text())

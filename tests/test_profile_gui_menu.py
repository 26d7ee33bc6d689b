"""Data tab, "Profile files" menu: build a profile file from the reference, export a stored profile, import one."""

import hashlib
import json

from core.drift.profile_build import build_profile_file
from core.drift.profile_file import read_profile_file
from tests.gui_data_support import _load, _run, env, files  # noqa: F401 - pytest fixtures


def _action(tab, qtbot, action):
    tab.update_profile_actions()
    assert action.isEnabled(), action.text()
    action.trigger()


def test_build_a_profile_file_from_the_reference_through_the_menu(qtbot, env, files, tmp_path, monkeypatch):  # noqa: F811
    tab, store, errors = env
    _load(qtbot, tab, files[0], files[1])
    assert tab.ref_box.findChild(type(tab.profile_button)) is tab.profile_button
    out = tmp_path / "ref.profile.json"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    _action(tab, qtbot, tab.build_profile_action)
    qtbot.waitUntil(lambda: not tab.busy and tab.profile_note.isVisible(), timeout=20000)
    assert errors == []
    note = tab.profile_note.text()
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert "ref.profile.json" in note and "3,000 rows" in note and "in memory" in note and sha[:16] in note
    mine = read_profile_file(out)[0]
    build_profile_file(files[0], tmp_path / "cli.json", engine="memory")  # what `profile DATA` writes
    theirs = read_profile_file(tmp_path / "cli.json")[0]
    assert mine["columns"] == theirs["columns"] and mine["rows"] == theirs["rows"] == 3000


def test_export_a_stored_profile_and_import_it_again(qtbot, env, files, tmp_path, monkeypatch):  # noqa: F811
    tab, store, errors = env
    tab.update_profile_actions()
    assert not tab.export_profile_action.isEnabled()  # nothing stored yet
    _load(qtbot, tab, files[0], files[1])
    _run(qtbot, tab, store)  # a drift run between two tables stores the reference's profile
    assert len(store.profiles()) == 1
    out = tmp_path / "exported.profile.json"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    _action(tab, qtbot, tab.export_profile_action)
    qtbot.waitUntil(lambda: not tab.busy and tab.profile_note.isVisible(), timeout=20000)
    assert errors == [] and "Profile exported: exported.profile.json" in tab.profile_note.text()
    doc, sha = read_profile_file(out)
    assert doc["rows"] == 3000 and set(doc["columns"]) == {"age", "income", "segment", "flag"}
    assert doc["columns"]["segment"]["categories"] == store.profile()["columns"]["segment"]["categories"]

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *a, **k: (str(out), ""))
    _action(tab, qtbot, tab.import_profile_action)
    qtbot.waitUntil(lambda: not tab.busy and "imported" in tab.profile_note.text(), timeout=20000)
    assert len(store.profiles()) == 2
    imported = store.profiles()[-1]
    assert imported["name"] == "exported.profile.json" and imported["source"]["sha256"] == sha
    assert f"#{imported['id']}" in tab.profile_note.text()
    events = [e for e in store.audit_events() if "reference_profile" in str(e.get("entity", ""))]
    assert len(events) == 2


def test_a_damaged_profile_is_refused_and_nothing_is_stored(qtbot, env, tmp_path, monkeypatch):  # noqa: F811
    tab, store, errors = env
    bad = tmp_path / "bad.profile.json"
    doc = {"format": "preflight-reference-profile", "version": 1, "rows": 3, "columns": {}, "edges": "own",
           "provenance": {}, "content_sha256": "0" * 64}
    bad.write_text(json.dumps(doc))
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *a, **k: (str(bad), ""))
    _action(tab, qtbot, tab.import_profile_action)
    qtbot.waitUntil(lambda: not tab.busy and bool(errors), timeout=20000)
    assert "bad.profile.json" in errors[0] and "content_sha256" in errors[0]
    assert store.profiles() == [] and not tab.profile_note.isVisible()

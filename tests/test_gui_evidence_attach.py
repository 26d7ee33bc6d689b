"""The one attach-as-evidence dialog and flow that the Data, Code audit and Canary tabs share."""

from __future__ import annotations

from core.assessment import templates
from core.assessment.store import create_assessment
from ui.common.evidence import MARK, AttachEvidenceDialog, attach_run, named
from ui.context import AssessmentContext


def test_suggested_items_come_first_marked_with_notes_and_the_first_preselected(qtbot):
    items = list(templates.load("seed").items)
    suggested = named(items, ["Error handling", "no such item", "Load testing"])
    assert [i.name for i in suggested] == ["Error handling", "Load testing"]
    dialog = AttachEvidenceDialog(items, "code audit run #3", suggested=suggested,
                                  notes={"Error handling": "2 bare excepts"})
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert texts[0] == f"{MARK}Integration — Error handling" and texts[1].endswith("Load testing")
    assert texts[1].startswith(MARK) and not any(t.startswith(MARK) for t in texts[2:])
    assert len(texts) == len(items) and dialog.list.currentRow() == 0 and dialog.ok_button.isEnabled()
    assert "2 bare excepts" in dialog.note.text()
    dialog.list.setCurrentRow(1)
    assert dialog.note.text() == ""


def test_without_suggestions_nothing_is_preselected_and_the_hint_is_shown(qtbot):
    items = list(templates.load("seed").items)
    dialog = AttachEvidenceDialog(items, "canary run #1", hint_if_none="Nothing here is about canaries.")
    qtbot.addWidget(dialog)
    assert dialog.list.currentRow() == -1 and not dialog.ok_button.isEnabled()
    assert dialog.selected_item_id() is None
    assert any("Nothing here is about canaries." in w.text() for w in dialog.findChildren(type(dialog.note)))


def test_attach_run_links_notifies_and_reports_refusals(qtbot, tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    context = AssessmentContext()
    context.set_store(store)
    run_id = store.add_run("drift", settings={}, inputs=[], result={}, started_utc="2026-01-01T00:00:00Z")
    item = store.items()[0]
    seen, errors = [], []
    context.checklist_changed.connect(lambda: seen.append("checklist"))
    context.status_message.connect(seen.append)
    link = attach_run(context, run_id, "drift run #1", lambda: None, lambda t, m: errors.append(m), item.id)
    assert store.links(item.id)[0]["id"] == link and "checklist" in seen
    assert any(isinstance(s, str) and s.startswith("Drift run #1 attached as evidence") for s in seen)
    assert attach_run(context, run_id, "drift run #1", lambda: None, lambda t, m: errors.append(m), 99999) is None
    assert errors and "99999" in errors[0]
    assert attach_run(context, run_id, "drift run #1", lambda: None, lambda t, m: None) is None  # no dialog
    context.close()

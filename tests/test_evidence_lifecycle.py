"""Evidence lifecycle: Replace re-hashes the new file, Remove needs a reason; both audited, history kept."""

import json

import pytest

from core.assessment import templates
from core.assessment.evidence import describe_file
from core.assessment.store import create_assessment
from core.errors import PreflightError
from core.handoff import signing


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "e.preflight", name="E", items=templates.load("seed").items)
    yield s
    s.close()


def _attach(store, path, text):
    path.write_text(text)
    return signing.attach_evidence(store, path)


def test_replace_rehashes_moves_links_and_keeps_the_old_record(store, tmp_path):
    scan = tmp_path / "scan.txt"
    old_id = _attach(store, scan, "findings: 2\n")
    item = store.items()[0]
    store.link_evidence(item.id, file_id=old_id)
    (tmp_path / "scan-v2.txt").write_text("findings: 0\n")
    info, blob = describe_file(tmp_path / "scan-v2.txt")
    new_id = store.replace_evidence_file(old_id, label=info.label, path=info.path, sha256=info.sha256,
                                         size=info.size, blob=blob, reason="re-run after the fix")
    assert [f["id"] for f in store.evidence_files()] == [new_id]
    assert store.evidence_files()[0]["sha256"] == info.sha256
    assert [link["file_id"] for link in store.links(item.id)] == [new_id]
    history = {f["id"]: f for f in store.evidence_files(include_retired=True)}
    assert history[old_id]["replaced_by"] == new_id and history[old_id]["retired_utc"]
    assert history[old_id]["retired_reason"] == "re-run after the fix"
    event = store.audit_events()[-1]
    assert (event["action"], event["entity"]) == ("replace", f"evidence_file:{old_id}")
    assert json.loads(event["after"])["sha256"] == info.sha256
    assert json.loads(event["before"])["sha256"] != info.sha256
    assert store.verify_audit().ok
    with pytest.raises(PreflightError, match="already replaced or removed"):
        store.replace_evidence_file(old_id, label="x", path="x", sha256="0" * 64, size=1)
    with pytest.raises(PreflightError, match="already replaced or removed"):
        store.link_evidence(item.id, file_id=old_id)


def test_remove_needs_a_reason_drops_links_and_keeps_history(store, tmp_path):
    fid = _attach(store, tmp_path / "old.txt", "obsolete\n")
    item = store.items()[1]
    store.link_evidence(item.id, file_id=fid)
    n = len(store.audit_events())
    with pytest.raises(PreflightError, match="at least 10 characters"):
        store.remove_evidence_file(fid, "old")
    assert len(store.audit_events()) == n
    store.remove_evidence_file(fid, "superseded by the signed PDF")
    assert store.evidence_files() == [] and store.links(item.id) == []
    [old] = store.evidence_files(include_retired=True)
    assert old["retired_reason"] == "superseded by the signed PDF" and old["replaced_by"] is None
    event = store.audit_events()[-1]
    assert (event["action"], json.loads(event["after"])["reason"]) == ("remove", "superseded by the signed PDF")


def test_a_changed_file_no_longer_blocks_signing_once_replaced(store, tmp_path):
    ann = signing.add_user(store, "Ann Preparer", "preparer", "correct-horse-1")
    path = tmp_path / "report.txt"
    fid = _attach(store, path, "v1\n")
    path.write_text("v2, edited later\n")
    with pytest.raises(PreflightError, match="no longer match"):
        signing.sign(store, ann, "correct-horse-1", "authorship")
    info, blob = describe_file(path)
    store.replace_evidence_file(fid, label=info.label, path=info.path, sha256=info.sha256, size=info.size)
    signing.sign(store, ann, "correct-horse-1", "authorship")
    assert signing.stage(store) == "prepared"


def test_a_changed_file_no_longer_blocks_signing_once_removed(store, tmp_path):
    ann = signing.add_user(store, "Ann Preparer", "preparer", "correct-horse-1")
    path = tmp_path / "report.txt"
    fid = _attach(store, path, "v1\n")
    path.unlink()
    store.remove_evidence_file(fid, "the file was withdrawn by its author")
    signing.sign(store, ann, "correct-horse-1", "authorship")
    assert signing.stage(store) == "prepared"


# ------------------------------------------------------------------------------ the Evidence panel
@pytest.fixture
def tab(qtbot, store):
    from ui.context import AssessmentContext
    from ui.handoff.tab import HandoffTab

    context = AssessmentContext()
    context.set_store(store)
    widget = HandoffTab(context)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not widget.busy, timeout=10000)
    context.store = None  # the store fixture closes it


def test_replace_and_remove_in_the_panel_with_history(qtbot, tab, tmp_path):
    store = tab.context.store
    panel = tab.evidence
    scan = tmp_path / "scan.txt"
    fid = _attach(store, scan, "v1\n")
    tab.context.notify()
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    new = tmp_path / "scan-v2.txt"
    new.write_text("v2\n")
    tab.replace_evidence(fid, str(new), "Security scan", False, "re-run after the fix")
    qtbot.waitUntil(lambda: len(store.evidence_files(include_retired=True)) == 2, timeout=10000)
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    panel.refresh()
    assert [f["label"] for f in panel.model.files] == ["Security scan"]
    new_id = panel.model.files[0]["id"]
    panel.history.setChecked(True)
    assert [f["id"] for f in panel.model.files] == [fid, new_id]
    assert panel.model.status(0) == "replaced"
    assert "re-run after the fix" in panel.model.index(0, 7).data()
    panel.table.selectRow(0)
    assert not panel.replace_button.isEnabled() and not panel.remove_button.isEnabled()
    panel.table.selectRow(1)
    assert panel.remove_button.isEnabled()
    assert not panel.remove_file(new_id, "short")
    assert "at least 10 characters" in panel.summary.text()
    assert panel.remove_file(new_id, "withdrawn: the scan vendor retracted it")
    assert store.evidence_files() == []
    assert [panel.model.status(r) for r in range(2)] == ["replaced", "removed"]


def test_the_remove_dialog_wants_a_reason(qtbot, store):
    from ui.handoff.evidence_panel import RemoveDialog

    dialog = RemoveDialog({"id": 1, "label": "scan.txt"})
    qtbot.addWidget(dialog)
    dialog.reason.setPlainText("no")
    dialog._check()
    assert dialog.result() != RemoveDialog.Accepted and "at least 10" in dialog.error.text()

"""Sign-off through the store: keys instead of password hashes, sequence, audit events, evidence re-hashed."""

import sqlite3

import pytest

from core.handoff import signing

from core.assessment import templates
from core.errors import PreflightError
from core.assessment.store import create_assessment


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "s.preflight", name="S", items=templates.load("seed").items)
    yield s
    s.close()


def _users(store):
    return (signing.add_user(store, "Ann Preparer", "preparer", "correct-horse-1"),
            signing.add_user(store, "Bob Reviewer", "reviewer", "correct-horse-2", admin_password="correct-horse-1"),
            signing.add_user(store, "Cy Approver", "approver", "correct-horse-3", admin_password="correct-horse-1"))


def test_no_password_or_password_hash_in_the_file(store):
    _users(store)
    store.close()
    raw = store.path.read_bytes()
    assert b"correct-horse-1" not in raw and b'"salt"' not in raw and b'"hash"' not in raw
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT DISTINCT password FROM users").fetchall() == [("",)]
        rows = conn.execute("SELECT name, is_admin, length(public_key), length(fingerprint) FROM users").fetchall()
    assert rows == [("Ann Preparer", 1, 44, 64), ("Bob Reviewer", 0, 44, 64), ("Cy Approver", 0, 44, 64)]


def test_sequence_wrong_password_and_override_are_audited(store):
    ann, bob, cy = _users(store)
    with pytest.raises(PreflightError, match="wrong password"):
        signing.sign(store, ann, "nope-nope-nope", "authorship")
    with pytest.raises(PreflightError, match="no valid authorship"):
        signing.sign(store, bob, "correct-horse-2", "review")
    signing.sign(store, ann, "correct-horse-1", "authorship")
    signing.sign(store, bob, "correct-horse-2", "review")
    with pytest.raises(PreflightError, match="critical blocker"):
        signing.sign(store, cy, "correct-horse-3", "approval")
    signing.sign(store, cy, "correct-horse-3", "approval", "Accepted by the risk board, minutes 2026-11-20")
    assert signing.stage(store) == "approved"
    failed = [e for e in store.audit_events() if e["action"] == "sign_failed"]
    assert len(failed) == 3 and "wrong password" in failed[0]["after"]
    assert [e["action"] for e in store.audit_events()].count("password_failed") == 1
    assert store.signature_rows()[-1]["override_reason"].startswith("Accepted by the risk board")
    # an edit afterwards invalidates every signature, visibly, with what changed
    store.update_item(store.items()[0].id, status="done")
    states = signing.signature_states(store)
    assert not any(s.valid for s in states) and signing.stage(store) == "unsigned"
    assert any("status: open -> done" in c for c in states[0].changes)
    assert store.verify_audit().ok


def test_changed_evidence_blocks_signing(store, tmp_path):
    ann, _, _ = _users(store)
    card = tmp_path / "model_card.md"
    card.write_text("# Model card\n")
    signing.attach_evidence(store, card, "Model card")
    card.write_text("# Model card, edited later\n")
    with pytest.raises(PreflightError, match="Model card: changed"):
        signing.sign(store, ann, "correct-horse-1", "authorship")
    card.unlink()
    with pytest.raises(PreflightError, match="Model card: missing"):
        signing.sign(store, ann, "correct-horse-1", "authorship")
    assert signing.stage(store) == "unsigned"

"""Key-based signatures on an assessment: round trip, tampering, trust, the store's guard, older files."""

from __future__ import annotations

import sqlite3

import pytest

from core.assessment import templates
from core.assessment.audit import event_hash
from core.assessment.store import Assessment, create_assessment, open_assessment
from core.errors import PreflightError
from core.handoff import keys, profiles, signing

PW = {"Ann": "ann password", "Bob": "bob password", "Cy": "cy password", "Eve": "eve password"}


@pytest.fixture
def signed(tmp_path):
    """An assessment with Ann (administrator, preparer), Bob (reviewer), authored and reviewed."""
    store = create_assessment(tmp_path / "k.preflight", name="K", items=templates.load("seed").items)
    ann = signing.add_user(store, "Ann", "preparer", PW["Ann"])
    bob = signing.add_user(store, "Bob", "reviewer", PW["Bob"], admin_password=PW["Ann"])
    signing.sign(store, ann, PW["Ann"], "authorship")
    signing.sign(store, bob, PW["Bob"], "review")
    path = store.path
    store.close()
    return path


def checks(path, trusted=None):
    with open_assessment(path) as store:
        return signing.verify_signatures(store, trusted)


def raw_edit(path, *sql):
    """What anyone with sqlite3 can do: drop the guard triggers and change rows."""
    conn = sqlite3.connect(path)
    for name, in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    for stmt in sql:
        conn.execute(stmt)
    conn.commit()
    conn.close()


def recompute_chain(path):
    """Recompute every event hash and link, and the head info keys, as a forger would."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    prev = "0" * 64
    for row in conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall():
        event = dict(row)
        new = event_hash(event, prev)
        conn.execute("UPDATE audit_events SET prev_hash=?, hash=? WHERE seq=?", (prev, new, event["seq"]))
        prev = new
    conn.execute("UPDATE info SET value=? WHERE key='audit_head'", (prev,))
    conn.commit()
    conn.close()


def test_round_trip_untrusted_then_trusted(signed, tmp_path):
    results = checks(signed)
    assert [(r.signer, r.meaning, r.status) for r in results] == [("Ann", "authorship", "untrusted"),
                                                                   ("Bob", "review", "untrusted")]
    assert all(r.label == "valid but from an untrusted key" for r in results)
    folder = tmp_path / "trusted"
    folder.mkdir()
    profiles.export_public_key("Ann", folder / "ann.pub")
    results = checks(signed, signing.load_trusted_keys(folder))
    assert [r.status for r in results] == ["trusted", "untrusted"]
    assert results[0].label == "valid, trusted key" and results[0].fingerprint == profiles.load_profile("Ann").fingerprint
    assert results[1].reasons == ("the key is not among the trusted keys",)
    assert [r.status for r in checks(signed, folder)] == ["trusted", "untrusted"]  # a folder path works too


def test_edit_before_the_signed_head_invalidates_even_with_the_chain_recomputed(signed):
    raw_edit(signed, "UPDATE audit_events SET actor='somebody else' WHERE seq=2")
    recompute_chain(signed)
    results = checks(signed)
    assert [r.status for r in results] == ["invalid", "invalid"]
    assert any("changed after signing" in reason for reason in results[0].reasons)


def test_tampered_signed_fields_and_snapshot_are_detected(signed):
    raw_edit(signed, "UPDATE signatures SET content_hash='" + "0" * 64 + "' WHERE id=1",
             "UPDATE signatures SET signed_utc='2020-01-01T00:00:00Z' WHERE id=2")
    results = checks(signed)
    assert [r.status for r in results] == ["invalid", "invalid"]
    assert any("does not match the recorded name, meaning, time, content hash" in x for x in results[1].reasons)
    assert any("stored copy of the signed content" in x for x in results[0].reasons)


def test_swapped_public_key_is_never_trusted(signed, tmp_path):
    folder = tmp_path / "trusted"
    folder.mkdir()
    profiles.export_public_key("Ann", folder / "ann.pub")
    # a forger enrols their own key under Ann's name and re-signs Ann's signature with it
    eve = keys.new_key_pair()
    pub = keys.b64(keys.public_raw(eve))
    fp = keys.fingerprint(keys.public_raw(eve))
    with open_assessment(signed) as store:
        row = store.signature_rows()[0]
    payload = keys.signing_payload(content_hash=row["content_hash"], head_seq=row["head_seq"],
                                   head_hash=row["head_hash"], meaning=row["meaning"], signer="Ann",
                                   signed_utc=row["signed_utc"])
    forged = keys.sign_payload(eve, payload)
    raw_edit(signed, f"UPDATE users SET public_key='{pub}', fingerprint='{fp}' WHERE name='Ann'",
             f"UPDATE signatures SET public_key='{pub}', fingerprint='{fp}', signature='{forged}' WHERE id=1")
    results = checks(signed, folder)
    assert results[0].status == "untrusted"  # valid maths, but not Ann's trusted key
    assert results[0].reasons == ("the key is not among the trusted keys",)


def test_a_trusted_key_under_another_name_is_not_trusted(signed, tmp_path):
    folder = tmp_path / "trusted"
    folder.mkdir()
    ann = profiles.load_profile("Ann")
    keys.write_public_key_file(folder / "x.pub", "Mallory", ann.public_key)
    assert checks(signed, folder)[0].status == "untrusted"


def test_store_refuses_a_signature_without_the_private_key(signed):
    with open_assessment(signed) as store:
        head_seq, head_hash = store.audit_head_event()
        bob = store.user_by_name("Bob")
        args = dict(user_id=bob["id"], meaning="responsibility", content_hash="e" * 64, content={},
                    signed_utc="2026-01-01T00:00:00Z", head_seq=head_seq, head_hash=head_hash)
        with pytest.raises(PreflightError, match="does not verify with Bob's key"):
            store.add_signature(**args, signature="00" * 64)
        other = keys.new_key_pair()  # a valid signature, but by another key
        payload = keys.signing_payload(content_hash="e" * 64, head_seq=head_seq, head_hash=head_hash,
                                       meaning="responsibility", signer="Bob", signed_utc="2026-01-01T00:00:00Z")
        with pytest.raises(PreflightError, match="does not verify"):
            store.add_signature(**args, signature=keys.sign_payload(other, payload))
        assert len(store.signature_rows()) == 2


def test_adding_users_needs_the_administrator(signed):
    with open_assessment(signed) as store:
        with pytest.raises(PreflightError, match="needs the administrator's \\(Ann's\\) password"):
            signing.add_user(store, "Cy", "approver", PW["Cy"])
        with pytest.raises(PreflightError, match="Bob is not the administrator"):
            signing.add_user(store, "Cy", "approver", PW["Cy"], admin="Bob", admin_password=PW["Bob"])
        with pytest.raises(PreflightError, match="wrong password for Ann"):
            signing.add_user(store, "Cy", "approver", PW["Cy"], admin_password="not the password")
        assert store.user_by_name("Cy") is None
        actions = [e["action"] for e in store.audit_events()]
        assert actions[-3:] == ["admin_refused", "admin_refused", "password_failed"]
        # one key is one person: Bob's key cannot be enrolled again under another name
        bob_key = keys.PublicKey("Cy", profiles.load_profile("Bob").fingerprint, profiles.load_profile("Bob").public_key)
        with pytest.raises(PreflightError, match="already enrolled for Bob"):
            signing.add_user(store, "Cy", "approver", admin_password=PW["Ann"], public_key=bob_key)
        cy = signing.add_user(store, "Cy", "approver", PW["Cy"], admin="Ann", admin_password=PW["Ann"])
        assert store.user(cy)["is_admin"] is False and store.user(cy)["fingerprint"]
        create = [e for e in store.audit_events() if e["entity"] == f"user:{cy}" and e["action"] == "create"]
        assert create and create[0]["actor"] == "Ann"


def test_migration_clears_password_hashes_and_users_re_enrol(tmp_path):
    path = tmp_path / "old.preflight"
    old = Assessment(path, _create=True, _upto=4)
    with old.transaction():
        old.conn.execute("INSERT INTO assessment (id, name, created_utc) VALUES (1, 'Old', '2025-01-01')")
        old.audit("create", "assessment", None, {"name": "Old"})
        for name, role in (("Ann", "preparer"), ("Bob", "reviewer")):
            old.conn.execute("INSERT INTO users (name, role, password, created_utc) VALUES (?, ?, ?, '2025-01-01')",
                             (name, role, '{"salt": "00", "hash": "11", "n": 16384, "r": 8, "p": 1}'))
            old.audit("create", "user", None, {"name": name, "role": role})
        old.conn.execute("INSERT INTO signatures (user_id, user_name, role, meaning, content_hash, content, "
                         "signed_utc) VALUES (1, 'Ann', 'preparer', 'authorship', ?, '{}', '2025-01-02T00:00:00Z')",
                         (signing.so.content_hash({}),))
        old.audit("sign", "signature:1", None, {"user": "Ann"})
    old.close()
    store = open_assessment(path)
    assert [(u["name"], u["is_admin"], u["public_key"]) for u in store.users()] == [("Ann", True, None),
                                                                                    ("Bob", False, None)]
    assert store.conn.execute("SELECT DISTINCT password FROM users").fetchall() == [("",)]
    legacy = signing.verify_signatures(store)
    assert [(c.status, c.legacy) for c in legacy] == [("invalid", True)]
    assert "made before key-based signing" in legacy[0].reasons[0]
    assert not signing.signature_states(store)[0].valid  # it no longer counts for the stage
    migrate = [e for e in store.audit_events() if e["action"] == "migrate"]
    assert migrate and "must_re_enrol" in migrate[0]["after"]
    bob_id = store.user_by_name("Bob")["id"]
    with pytest.raises(PreflightError, match="no signing key in this assessment"):
        signing.sign(store, bob_id, PW["Bob"], "review")
    with pytest.raises(PreflightError, match="re-enrol Ann first"):
        signing.add_user(store, "Bob", "reviewer", PW["Bob"], admin_password=PW["Ann"])
    ann = signing.add_user(store, "Ann", "preparer", PW["Ann"])  # the administrator re-enrols herself
    assert signing.add_user(store, "Bob", "reviewer", PW["Bob"], admin_password=PW["Ann"]) == bob_id
    signing.sign(store, ann, PW["Ann"], "authorship")
    signing.sign(store, bob_id, PW["Bob"], "review")
    assert [r.status for r in signing.verify_signatures(store)] == ["invalid", "untrusted", "untrusted"]
    assert signing.stage(store) == "reviewed"
    store.close()

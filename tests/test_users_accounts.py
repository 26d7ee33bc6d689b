"""Signer accounts: lockout with an injected clock, change password, deactivate, role changes, all audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment
from core.errors import PreflightError
from core.handoff import accounts, profiles, signing

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    s = create_assessment(tmp_path / "u.preflight", name="U", items=templates.load("seed").items)
    s.ann = signing.add_user(s, "Ann", "preparer", "ann password")
    s.bob = signing.add_user(s, "Bob", "reviewer", "bob password", admin_password="ann password")
    yield s
    s.close()


def attempts(store, user_id):
    return [(e["action"], json.loads(e["after"])["purpose"]) for e in store.audit_events()
            if e["entity"] == f"user:{user_id}" and e["action"].startswith("password_")]


def test_five_wrong_passwords_lock_for_fifteen_minutes(store):
    for n in range(1, 5):
        with pytest.raises(PreflightError, match="^wrong password for Ann$"):
            signing.sign(store, store.ann, "bad password", "authorship", now=T0 + timedelta(seconds=n))
    with pytest.raises(PreflightError, match="Ann is locked until 2026-03-01T12:15:05Z"):
        signing.sign(store, store.ann, "bad password", "authorship", now=T0 + timedelta(seconds=5))
    assert store.user(store.ann)["failed_attempts"] == 5
    # while locked even the right password is refused, and that attempt is audited too
    with pytest.raises(PreflightError, match="locked until"):
        signing.sign(store, store.ann, "ann password", "authorship", now=T0 + timedelta(minutes=15))
    assert signing.signatures(store) == []
    # after 15 minutes the right password works and the count starts again
    signing.sign(store, store.ann, "ann password", "authorship", now=T0 + timedelta(minutes=15, seconds=6))
    assert store.user(store.ann)["failed_attempts"] == 0 and store.user(store.ann)["locked_until"] is None
    log = attempts(store, store.ann)
    # Ann's administrator password when Bob was added, 5 wrong, 1 refused while locked, the right one
    assert log == [("password_ok", "adding Bob")] + [("password_failed", "sign")] * 6 + [("password_ok", "sign")]
    assert [e["action"] for e in store.audit_events()].count("sign_failed") == 6


def test_a_right_password_resets_the_count(store):
    for n in range(4):
        with pytest.raises(PreflightError):
            signing.sign(store, store.bob, "bad password", "review", now=T0)
    with pytest.raises(PreflightError, match="no valid authorship"):  # right password, refused by the order
        signing.sign(store, store.bob, "bob password", "review", now=T0)
    with pytest.raises(PreflightError, match="^wrong password for Bob$"):
        signing.sign(store, store.bob, "bad password", "review", now=T0)
    assert store.user(store.bob)["failed_attempts"] == 1


def test_change_password_re_encrypts_the_key(store):
    fingerprint = store.user(store.bob)["fingerprint"]
    with pytest.raises(PreflightError, match="wrong password for Bob"):
        accounts.change_password(store, store.bob, "not bobs password", "new bob password")
    accounts.change_password(store, store.bob, "bob password", "new bob password")
    profile = profiles.load_profile("Bob")
    assert profile.fingerprint == fingerprint
    assert profile.unlock("bob password") is None and profile.unlock("new bob password") is not None
    assert [e["action"] for e in store.audit_events()][-2:] == ["password_ok", "password_changed"]
    signing.sign(store, store.ann, "ann password", "authorship")
    signing.sign(store, store.bob, "new bob password", "review")
    assert signing.stage(store) == "reviewed"


def test_deactivate_and_role_change_need_the_administrator(store):
    with pytest.raises(PreflightError, match="wrong password for Ann"):
        accounts.deactivate_user(store, store.bob, "bob password", "left the team")
    assert store.user(store.bob)["active"] is True
    with pytest.raises(PreflightError, match="administrator and cannot be deactivated"):
        accounts.deactivate_user(store, store.ann, "ann password")
    accounts.deactivate_user(store, store.bob, "ann password", "left the team")
    assert store.user(store.bob)["active"] is False
    last = store.audit_events()[-1]
    assert (last["action"], last["actor"]) == ("deactivate", "Ann") and "left the team" in last["after"]
    signing.sign(store, store.ann, "ann password", "authorship")
    with pytest.raises(PreflightError, match="deactivated"):
        signing.sign(store, store.bob, "bob password", "review")
    with pytest.raises(PreflightError, match="password"):
        accounts.set_role(store, store.ann, "approver", "wrong password")
    accounts.set_role(store, store.ann, "approver", "ann password")
    assert store.user(store.ann)["role"] == "approver"
    event = store.audit_events()[-1]
    assert (event["action"], json.loads(event["before"]), event["actor"]) == ("update", {"role": "preparer"}, "Ann")

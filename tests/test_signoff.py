"""Electronic sign-off: signed content, order, roles, separation of duties, the next signer, invalidation."""

import hashlib
import time
from dataclasses import replace

import pytest

from core.canonical import canonical_json
from core.errors import PreflightError
from core.handoff.form import Handoff
from core.handoff.signoff import (Signature, build_content, check_can_sign, content_hash, diff_content, local_and_utc,
                          new_signature, next_signer, signature_states, stage)

ALICE = {"id": 1, "name": "Alice Author", "role": "preparer"}
PAULA = {"id": 5, "name": "Paula Preparer", "role": "preparer"}
RITA = {"id": 2, "name": "Rita Reviewer", "role": "reviewer"}
ROB = {"id": 4, "name": "Rob Reviewer", "role": "reviewer"}
ARNO = {"id": 3, "name": "Arno Approver", "role": "approver"}

META = {"name": "Fraud Q1", "system": "fraud-scorer", "owner": "Ana", "readiness_threshold": 80.0,
        "created_utc": "2025-01-01T00:00:00Z"}
ITEMS = [
    {"id": 2, "category": "Infrastructure", "name": "Load testing", "priority": "critical", "status": "open",
     "notes": "", "updated_utc": "2025-01-02T00:00:00Z", "position": 1},
    {"id": 1, "category": "Data", "name": "Schema captured", "priority": "high", "status": "done",
     "notes": "see schema.yaml", "updated_utc": "2025-01-01T00:00:00Z", "position": 0},
]
HANDOFF = Handoff(model_location="s3://models/fraud-v2.pkl", baseline_accuracy=0.8)
RUNS = [{"id": 3, "kind": "drift", "finished_utc": "2025-01-03T00:00:00Z",
         "inputs": [{"role": "reference", "sha256": "a" * 64}, {"role": "current", "sha256": "b" * 64}],
         "result": {"dataset_drift": False, "drifted_share": 0.0}}]
EVIDENCE = [{"id": 9, "label": "Security scan", "path": "/x/scan.pdf", "sha256": "c" * 64, "size": 10,
             "attached_utc": "2025-01-01T00:00:00Z", "embedded": False}]


def content(items=ITEMS, handoff=HANDOFF, runs=RUNS, evidence=EVIDENCE, meta=META):
    return build_content(meta, items, handoff, runs, evidence)


class Ledger:
    """Signatures and snapshots as the store would keep them."""

    def __init__(self):
        self.signatures, self.snapshots = [], {}

    def states(self, current):
        return signature_states(self.signatures, self.snapshots, current)

    def sign(self, user, meaning, current, blockers=(), reason=None):
        check_can_sign(user, meaning, self.states(current), list(blockers), reason)
        sig = replace(new_signature(user, meaning, current, reason, signed_utc="2025-01-04T12:00:00Z"),
                      id=len(self.signatures) + 1)
        self.signatures.append(sig)
        self.snapshots[sig.id] = current
        return sig


# ---------------------------------------------------------------------------- content

def test_content_is_deterministic_and_drops_volatile_fields():
    a = content()
    b = content(items=list(reversed(ITEMS)))
    assert a == b and content_hash(a) == content_hash(b)
    assert content_hash(a) == hashlib.sha256(canonical_json(a).encode()).hexdigest()
    assert [i["id"] for i in a["checklist"]] == [1, 2]
    assert all("updated_utc" not in i and "position" not in i for i in a["checklist"])
    assert set(a["meta"]) == {"name", "system", "owner", "readiness_threshold"}
    assert a["runs"] == [{"id": 3, "kind": "drift", "inputs": ["a" * 64, "b" * 64],
                          "result_sha256": hashlib.sha256(
                              canonical_json(RUNS[0]["result"]).encode()).hexdigest()}]
    assert a["evidence"] == [{"id": 9, "label": "Security scan", "sha256": "c" * 64, "size": 10}]
    touched = [dict(i, updated_utc="2030-01-01T00:00:00Z") for i in ITEMS]
    assert content_hash(content(items=touched)) == content_hash(a)
    # the handoff may be given as a dict too
    assert content(handoff=HANDOFF.to_dict()) == a


def test_diff_content_is_readable():
    old = content()
    items = [dict(ITEMS[0], status="done"), ITEMS[1],
             {"id": 7, "category": "Model", "name": "Canary", "priority": "high", "status": "open"}]
    runs = RUNS + [{"id": 4, "kind": "validation", "result": {"passed": True}}]
    ev = [dict(EVIDENCE[0], sha256="d" * 64)]
    new = content(items=items, handoff=replace(HANDOFF, baseline_accuracy=0.75), runs=runs, evidence=ev,
                  meta=dict(META, readiness_threshold=85.0))
    changes = diff_content(old, new)
    assert "checklist item 'Load testing' status: open -> done" in changes
    assert "checklist item 'Canary' added" in changes
    assert "handoff Baseline accuracy (0-1): 0.8 -> 0.75" in changes
    assert "run #4 (validation) added" in changes
    assert "assessment readiness threshold: 80 -> 85" in changes
    assert any(c.startswith("evidence #9 'Security scan' file changed") for c in changes)
    assert len(changes) == 6
    removed = diff_content(new, old)
    assert "checklist item 'Canary' removed" in removed and "run #4 (validation) removed" in removed
    changed_result = content(runs=[dict(RUNS[0], result={"dataset_drift": True})])
    assert diff_content(old, changed_result) == ["run #3 (drift) result changed"]
    assert diff_content(old, old) == []


# ---------------------------------------------------------------------------- signing sequence

def test_full_sequence_prepare_review_approve():
    led, cur = Ledger(), content()
    assert stage(led.states(cur)) == "unsigned"
    led.sign(ALICE, "authorship", cur)
    assert stage(led.states(cur)) == "prepared"
    led.sign(RITA, "review", cur)
    assert stage(led.states(cur)) == "reviewed"
    sig = led.sign(ARNO, "approval", cur)
    states = led.states(cur)
    assert stage(states) == "approved"
    assert all(s.valid and s.changes == () for s in states)
    assert sig.content_hash == content_hash(cur) and sig.override_reason is None
    assert states[2].to_dict()["signature"]["meaning"] == "approval"
    assert "Arno Approver (approver) signed for approval on 2025-01-04 12:00:00 UTC" in sig.manifestation()


def test_out_of_order_is_refused():
    led, cur = Ledger(), content()
    with pytest.raises(PreflightError, match="no valid authorship"):
        led.sign(RITA, "review", cur)
    with pytest.raises(PreflightError, match="authorship"):
        led.sign(ARNO, "approval", cur)
    led.sign(ALICE, "authorship", cur)
    with pytest.raises(PreflightError, match="no valid review"):
        led.sign(ARNO, "approval", cur)


@pytest.mark.parametrize("user, meaning", [
    (ALICE, "review"), (ALICE, "approval"), (RITA, "authorship"), (RITA, "approval"),
    (ARNO, "authorship"), (ARNO, "review"), ({"id": 9, "name": "Guest", "role": "viewer"}, "responsibility"),
])
def test_wrong_role_is_refused(user, meaning):
    led, cur = Ledger(), content()
    led.sign(PAULA, "authorship", cur)
    led.sign(ROB, "review", cur)
    with pytest.raises(PreflightError, match="may sign only|no signing role"):
        check_can_sign(user, meaning, led.states(cur), [], None)


def test_unknown_meaning_and_disabled_user():
    with pytest.raises(PreflightError, match="unknown signature meaning"):
        check_can_sign(ALICE, "blessing", [], [], None)
    with pytest.raises(PreflightError, match="disabled"):
        check_can_sign(dict(ALICE, active=False), "authorship", [], [], None)


def test_separation_of_duties_follows_the_person_not_the_role():
    led, cur = Ledger(), content()
    led.sign(ALICE, "authorship", cur)
    promoted = dict(ALICE, role="reviewer")  # same person, role changed later
    with pytest.raises(PreflightError, match="separation of duties"):
        led.sign(promoted, "review", cur)
    led.sign(RITA, "review", cur)
    for same in (dict(ALICE, role="approver"), dict(RITA, role="approver")):
        with pytest.raises(PreflightError, match="separation of duties"):
            led.sign(same, "approval", cur)
    led.sign(ARNO, "approval", cur)
    assert stage(led.states(cur)) == "approved"


def test_same_person_cannot_sign_same_meaning_twice():
    led, cur = Ledger(), content()
    led.sign(ALICE, "authorship", cur)
    with pytest.raises(PreflightError, match="already signed"):
        led.sign(ALICE, "authorship", cur)
    led.sign(PAULA, "authorship", cur)  # a second author is fine


def test_responsibility_anytime_and_does_not_advance():
    led, cur = Ledger(), content()
    led.sign(ARNO, "responsibility", cur)
    led.sign(RITA, "responsibility", cur)
    assert stage(led.states(cur)) == "unsigned"


def test_approval_with_blockers_needs_a_reason():
    led, cur = Ledger(), content()
    led.sign(ALICE, "authorship", cur)
    led.sign(RITA, "review", cur)
    blockers = [{"category": "Infrastructure", "name": "Load testing"}]
    with pytest.raises(PreflightError, match="1 critical blocker.*Load testing"):
        led.sign(ARNO, "approval", cur, blockers)
    with pytest.raises(PreflightError, match="at least 10"):
        led.sign(ARNO, "approval", cur, blockers, reason="   ok now  ")
    sig = led.sign(ARNO, "approval", cur, blockers, reason="  accepted risk per CAB-42  ")
    assert sig.override_reason == "accepted risk per CAB-42"
    assert "accepted risk per CAB-42" in sig.manifestation()
    assert stage(led.states(cur)) == "approved"


def test_edit_invalidates_with_readable_changes_and_resets_stage():
    led, cur = Ledger(), content()
    led.sign(ALICE, "authorship", cur)
    led.sign(RITA, "review", cur)
    edited = content(items=[dict(ITEMS[0], status="done"), ITEMS[1]])
    states = led.states(edited)
    assert [s.valid for s in states] == [False, False]
    assert states[0].changes == ("checklist item 'Load testing' status: open -> done",)
    assert stage(states) == "unsigned"
    with pytest.raises(PreflightError, match="Alice Author no longer matches"):
        check_can_sign(ROB, "review", states, [], None)
    with pytest.raises(PreflightError, match="no longer matches"):
        check_can_sign(ARNO, "approval", states, [], None)
    # the same people sign the new version again
    led.sign(ALICE, "authorship", edited)
    assert stage(led.states(edited)) == "prepared"
    led.sign(RITA, "review", edited)
    assert stage(led.states(edited)) == "reviewed"
    # going back to the signed version makes the old signatures valid again
    assert [s.valid for s in led.states(cur)] == [True, True, False, False]


def test_stage_counts_valid_signatures_only():
    cur = content()
    other = content(handoff=replace(HANDOFF, model_location="s3://elsewhere"))
    sigs = [replace(new_signature(u, m, c, signed_utc="2025-01-04T12:00:00Z"), id=i)
            for i, (u, m, c) in enumerate([(ALICE, "authorship", cur), (RITA, "review", other),
                                           (ARNO, "approval", other)], start=1)]
    states = signature_states(sigs, {}, cur)
    assert [s.valid for s in states] == [True, False, False]
    assert stage(states) == "prepared"
    assert "no stored copy" in states[1].changes[0]


def test_altered_snapshot_is_reported():
    cur = content()
    sig = replace(new_signature(ALICE, "authorship", cur), id=1)
    forged = content(handoff=replace(HANDOFF, baseline_accuracy=0.99))
    edited = content(handoff=replace(HANDOFF, baseline_accuracy=0.5))
    states = signature_states([sig], {1: forged}, edited)
    assert not states[0].valid
    assert "altered" in states[0].changes[0]


def test_signature_round_trip():
    sig = replace(new_signature(ARNO, "approval", content(), "risk accepted by CAB", "2025-01-04T12:00:00Z"), id=3)
    assert Signature.from_dict(sig.to_dict()) == sig


def test_local_and_utc(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("time zones can only be switched on POSIX")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        utc, local = local_and_utc("2025-01-15T14:05:09Z")
        assert utc == "2025-01-15 14:05:09 UTC"
        assert local.startswith("2025-01-15 09:05:09 ") and local.endswith("(UTC-05:00)")
        assert local_and_utc("2025-07-15T14:05:09")[1].startswith("2025-07-15 10:05:09")  # naive = UTC, DST
    finally:
        monkeypatch.undo()
        time.tzset()
    with pytest.raises(PreflightError, match="not an ISO 8601"):
        local_and_utc("yesterday")


# ---------------------------------------------------------------------------- the next signer

def test_next_signer_follows_the_stage_and_separation_of_duties():
    users = [RITA, ALICE, ARNO, PAULA, ROB]
    ledger = Ledger()
    c = content()
    assert next_signer(users, ledger.states(c)) == ALICE  # first preparer, not the first user
    ledger.sign(ALICE, "authorship", c)
    assert next_signer(users, ledger.states(c)) == RITA
    ledger.sign(RITA, "review", c)
    assert next_signer(users, ledger.states(c)) == ARNO
    ledger.sign(ARNO, "approval", c, blockers=[{"category": "I", "name": "x"}], reason="accepted by the board")
    assert next_signer(users, ledger.states(c)) is None  # approved: nobody is due
    assert next_signer([{**ALICE, "active": False}, PAULA], Ledger().states(c)) == PAULA
    # the author, later made a reviewer, cannot review her own version: the next eligible reviewer is proposed
    ledger2 = Ledger()
    ledger2.sign(ALICE, "authorship", c)
    assert next_signer([{**ALICE, "role": "reviewer"}, ROB], ledger2.states(c)) == ROB

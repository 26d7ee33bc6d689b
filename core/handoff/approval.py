"""What stands in the way of approval, and changing an assessment after it was approved.

**Approval blockers.**  An approver cannot approve while a critical checklist item is
not done *or a handoff rule fails* (:func:`core.handoff.form.validate_handoff`), unless
they give an override reason of at least 10 characters; the reason is stored with the
signature and printed with it.  :func:`approval_blockers` lists both kinds in the
shape :func:`core.handoff.signoff.check_can_sign` takes.

**Amending.**  Any edit to the signed content (checklist, handoff, runs, evidence,
metadata) makes every signature on it invalid.  Once an assessment is approved, the
app refuses edits until the user *amends* it: :func:`amend` records an ``amend`` audit
event with the reason and the signatures the next edit will invalidate
(:func:`signatures_an_edit_voids` says how many, before anything happens).  The command line
enforces the same rule on the same edits with :func:`refuse_edit_when_approved`, a write gate
(``checklist import``); ``python main.py amend FILE --reason TEXT`` opens the amendment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.assessment.checklist import score
from core.errors import PreflightError
from core.handoff import form as ho
from core.handoff import signoff as so

MIN_AMEND_REASON = so.MIN_OVERRIDE_REASON
HANDOFF_RULE = "Handoff rule not met"


def approval_blockers(store) -> list[dict]:
    """Critical checklist items not done, then failing handoff rules, as ``{"category", "name"}`` dicts."""
    meta = store.meta()
    blockers = [dict(b) for b in score(store.items(), meta["readiness_threshold"]).critical_blockers]
    data, _sections = store.handoff_data()
    handoff = ho.Handoff.from_dict(data) if data else ho.Handoff()
    blockers += [{"category": HANDOFF_RULE, "name": r.message, "rule": r.rule}
                 for r in ho.validate_handoff(handoff).failed()]
    return blockers


def _states(store, states=None):
    if states is not None:
        return states
    from core.handoff import signature_checks  # not core.handoff.signing, which imports this module

    return signature_checks.signature_states(store)


def signatures_an_edit_voids(store, states=None) -> list[so.Signature]:
    """The signatures that are valid now; any edit of the signed content invalidates all of them."""
    if not store.signature_rows():
        return []
    return [s.signature for s in _states(store, states) if s.valid]


def is_approved(store, states=None) -> bool:
    if not store.signature_rows():
        return False
    return so.stage(_states(store, states)) == "approved"


@dataclass(frozen=True)
class Amendment:
    """An open amendment: the reason and the signatures it said it would invalidate."""
    reason: str
    seq: int
    signature_ids: tuple

    def covers(self, valid_ids) -> bool:
        """True while no new signature was made since (a new approval closes the amendment)."""
        return set(valid_ids) <= set(self.signature_ids)


def amend(store, reason: str, actor: str | None = None) -> Amendment:
    """Record the decision to change an approved assessment (audited with the reason); returns the amendment."""
    reason = (reason or "").strip()
    if len(reason) < MIN_AMEND_REASON:
        raise PreflightError(f"an amendment needs a reason of at least {MIN_AMEND_REASON} characters "
                             f"(got {len(reason)})")
    states = _states(store)
    voided = signatures_an_edit_voids(store, states)
    with store.transaction():
        event = store.audit("amend", "assessment", None, {
            "reason": reason, "stage": so.stage(states) if states else "unsigned",
            "invalidates": [{"id": s.id, "user_name": s.user_name, "meaning": s.meaning} for s in voided]},
            actor=actor)
    return Amendment(reason, int(event["seq"]), tuple(s.id for s in voided))


def open_amendment(store, states=None) -> Amendment | None:
    """The amendment recorded after the last signature, while it still covers every valid signature."""
    last = None
    for event in store.audit_events():
        if event.get("action") == "sign":
            last = None  # a signature after an amendment closes it
        elif event.get("action") == "amend":
            last = event
    if last is None:
        return None
    after = _after(last)
    amendment = Amendment(after.get("reason", ""), int(last["seq"]),
                          tuple(s.get("id") for s in after.get("invalidates") or [] if isinstance(s, dict)))
    valid = [s.signature.id for s in _states(store, states) if s.valid]
    return amendment if amendment.covers(valid) else None


def signatures_locking_edits(store, amendment: Amendment | None = None) -> int:
    """How many valid signatures hold edits back: the assessment is approved and neither ``amendment`` (the
    window's own) nor one in the audit trail covers them.  0: an edit may go ahead."""
    if not store.signature_rows():
        return 0
    states = _states(store)
    if so.stage(states) != "approved":
        return 0
    valid = [s.signature.id for s in states if s.valid]
    if (amendment is not None and amendment.covers(valid)) or open_amendment(store, states) is not None:
        return 0
    return len(valid)


def refuse_edit_when_approved(store) -> None:
    """Raise :class:`PreflightError` when ``store`` is approved and no amendment is open (a write gate)."""
    n = signatures_locking_edits(store)
    if not n:
        return
    raise PreflightError(f"{store.path}: the assessment is approved ({n} valid signature{'s' if n != 1 else ''}); "
                         f"nothing was changed. To change it, amend it first: python main.py amend {store.path} "
                         f"--reason TEXT (the change will invalidate those signatures)")


def _after(event: dict) -> dict:
    after = event.get("after")
    if isinstance(after, str):
        try:
            after = json.loads(after)
        except ValueError:
            after = {}
    return after if isinstance(after, dict) else {}


def amendments(events: list[dict]) -> list[dict]:
    """The amend events of an audit trail: seq, time, actor, reason and how many signatures they invalidated."""
    out = []
    for e in events:
        if e.get("action") != "amend":
            continue
        after = _after(e)
        out.append({"seq": e.get("seq"), "ts_utc": e.get("ts_utc"), "actor": e.get("actor"),
                    "reason": after.get("reason", ""), "invalidates": len(after.get("invalidates") or [])})
    return out

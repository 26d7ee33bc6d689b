"""Sign-off, handoff and evidence operations on an open assessment.

The pure rules live in :mod:`core.handoff.signoff`, :mod:`core.handoff.form` and
:mod:`core.assessment.evidence`; this module reads what they need from the store, applies
them and writes the result (each write with its audit event).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.assessment import evidence as ev
from core.assessment.counted import runs_that_count
from core.handoff import form as ho
from core.handoff import accounts, keys
from core.handoff import signoff as so
from core.handoff.approval import approval_blockers
from core.handoff.signature_checks import (INVALID, LABELS, TRUSTED, UNTRUSTED, SignatureCheck,  # noqa: F401
                                          current_content, load_trusted_keys, signature_states,
                                          verify_signatures)
from core.canonical import utc_now_seconds
from core.errors import PreflightError


def load_handoff(store) -> ho.Handoff:
    data, _ = store.handoff_data()
    return ho.Handoff.from_dict(data) if data else ho.Handoff()


def save_handoff(store, handoff: ho.Handoff, sections: dict | None = None) -> None:
    store.set_handoff(handoff.to_dict(), sections)


def model_card_sections(store) -> dict:
    return store.handoff_data()[1]


def counted_runs(store) -> list[dict]:
    """The stored runs with, per kind, only the one that counts for the verdict (and none left out of the report).

    The model card and the handoff pre-fill read "the newest run of a kind" from this list, so they use the same
    run as the report's gates (see :mod:`core.assessment.counted`).
    """
    return runs_that_count(store.runs(), store.links(), store.counted_run_choices())


def prefill_handoff(store) -> tuple[ho.Handoff, list[str]]:
    """The handoff with baselines taken from the performance and load runs that count (not saved)."""
    return ho.prefill_from_runs(load_handoff(store), counted_runs(store))


def record_training_data(store, path, digest: str) -> ho.Handoff:
    """Write an already computed training-data hash into the handoff."""
    updated = replace(load_handoff(store), training_data_path=str(path), training_data_hash=digest)
    save_handoff(store, updated)
    return updated


add_user = accounts.add_user  # noqa: E305  (kept here: the GUI and tests call signing.add_user)


def signatures(store) -> list[so.Signature]:
    return [so.Signature.from_dict(r) for r in store.signature_rows()]


def stage(store) -> str:
    return so.stage(signature_states(store))


def sign(store, user_id: int, password: str, meaning: str, override_reason: str | None = None,
         progress=None, cancelled=None, *, now: datetime | None = None) -> int:
    """Sign the current content with the signer's private key.  Every refusal is audited, then raised.

    The password unlocks the signer's key in their local profile (a wrong one counts towards the lockout).
    The evidence files are re-hashed first: a file that changed or went missing since it was attached
    blocks signing, so a signature never vouches for evidence that is no longer what was recorded.
    """
    user = store.user(user_id)
    try:
        if not user["public_key"]:
            raise PreflightError(f"{user['name']} has no signing key in this assessment (enrolled before "
                                 f"key-based signing); the administrator must re-enrol them first "
                                 f"(users add FILE {user['name']!r} ...)")
        if not user["active"]:
            raise PreflightError(f"{user['name']}'s account is deactivated and cannot sign")
        private = accounts.unlock(store, user, password, "sign", now=now)
        flagged = [r for r in reverify_evidence(store, progress, cancelled) if r.status != "ok"]
        if flagged:
            listed = "; ".join(f"{r.label or r.path}: {r.status}" for r in flagged[:5])
            raise PreflightError(f"cannot sign: {len(flagged)} evidence file(s) no longer match what was attached "
                                 f"({listed}); re-attach or remove them first")
        content = current_content(store)
        states = signature_states(store, content)
        blockers = approval_blockers(store)  # critical items not done and failing handoff rules
        so.check_can_sign(user, meaning, states, blockers, override_reason)
    except PreflightError as exc:
        store.record_failed_signing(user["name"], meaning, str(exc))
        raise
    reason = (override_reason or "").strip() or None
    digest = so.content_hash(content)
    with store.transaction():
        head_seq, head_hash = store.audit_head_event()
        signed_utc = utc_now_seconds()
        payload = keys.signing_payload(content_hash=digest, head_seq=head_seq, head_hash=head_hash,
                                       meaning=meaning, signer=user["name"], signed_utc=signed_utc,
                                       override_reason=reason)
        return store.add_signature(user_id=user["id"], meaning=meaning, content_hash=digest, content=content,
                                   signed_utc=signed_utc, head_seq=head_seq, head_hash=head_hash,
                                   signature=keys.sign_payload(private, payload), override_reason=reason)


def attach_evidence(store, path, label: str = "", *, embed: bool = False, progress=None, cancelled=None) -> int:
    described = ev.describe_file(path, label, embed=embed, progress=progress, cancelled=cancelled)
    return store_evidence(store, described)


def store_evidence(store, described: tuple) -> int:
    """Write a ``describe_file`` result (file info, optional bytes) into the evidence locker."""
    info, blob = described
    return store.add_evidence_file(label=info.label, path=info.path, sha256=info.sha256, size=info.size, blob=blob)


def evidence_snapshot(store) -> tuple[list[ev.EvidenceFile], dict]:
    """The evidence records and embedded copies, read once so hashing can run without the store."""
    files = [ev.EvidenceFile.from_dict(f) for f in store.evidence_files()]
    return files, {f.id: store.evidence_blob(f.id) for f in files if f.embedded}


def reverify_evidence(store, progress=None, cancelled=None) -> list[ev.Reverification]:
    files, blobs = evidence_snapshot(store)
    return ev.reverify(files, blobs, progress=progress, cancelled=cancelled)

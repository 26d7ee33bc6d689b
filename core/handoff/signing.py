"""Sign-off, handoff and evidence operations on an open assessment.

The pure rules live in :mod:`core.handoff.signoff`, :mod:`core.handoff.form` and
:mod:`core.assessment.evidence`; this module reads what they need from the store, applies
them and writes the result (each write with its audit event).
"""

from __future__ import annotations

from dataclasses import replace

from core.assessment import evidence as ev
from core.assessment.counted import runs_that_count
from core.handoff import form as ho
from core.handoff import signoff as so
from core.assessment.checklist import score
from core.errors import PreflightError


def current_content(store) -> dict:
    data, _sections = store.handoff_data()
    return so.build_content(store.meta(), store.items(), data, store.runs(), store.evidence_files())


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


def add_user(store, name: str, role: str, password: str) -> int:
    if role not in so.ROLES:
        raise PreflightError(f"role {role!r} is not one of {', '.join(so.ROLES)}")
    return store.add_user(name, role, so.hash_password(password))


def signatures(store) -> list[so.Signature]:
    return [so.Signature.from_dict(r) for r in store.signature_rows()]


def signature_states(store, content: dict | None = None) -> list[so.SignatureState]:
    rows = store.signature_rows()
    sigs = [so.Signature.from_dict(r) for r in rows]
    snapshots = {r["id"]: r["content"] for r in rows}
    return so.signature_states(sigs, snapshots, content if content is not None else current_content(store))


def stage(store) -> str:
    return so.stage(signature_states(store))


def sign(store, user_id: int, password: str, meaning: str, override_reason: str | None = None,
         progress=None, cancelled=None) -> int:
    """Sign the current content.  Every refusal is recorded in the audit trail, then raised.

    The evidence files are re-hashed first: a file that changed or went missing since it was attached
    blocks signing, so a signature never vouches for evidence that is no longer what was recorded.
    """
    user = next((u for u in store.users() if u["id"] == user_id), None)
    if user is None:
        raise PreflightError(f"user {user_id} does not exist in this assessment")
    try:
        if not so.verify_password(password, store.user_password_record(user_id)):
            raise PreflightError(f"wrong password for {user['name']}")
        flagged = [r for r in reverify_evidence(store, progress, cancelled) if r.status != "ok"]
        if flagged:
            listed = "; ".join(f"{r.label or r.path}: {r.status}" for r in flagged[:5])
            raise PreflightError(f"cannot sign: {len(flagged)} evidence file(s) no longer match what was attached "
                                 f"({listed}); re-attach or remove them first")
        content = current_content(store)
        states = so.signature_states(
            [so.Signature.from_dict(r) for r in store.signature_rows()],
            {r["id"]: r["content"] for r in store.signature_rows()}, content)
        blockers = list(score(store.items(), store.meta()["readiness_threshold"]).critical_blockers)
        so.check_can_sign(user, meaning, states, blockers, override_reason)
    except PreflightError as exc:
        store.record_failed_signing(user["name"], meaning, str(exc))
        raise
    sig = so.new_signature(user, meaning, content, override_reason)
    return store.add_signature(user=user, meaning=meaning, content_hash=sig.content_hash, content=content,
                               override_reason=sig.override_reason)


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

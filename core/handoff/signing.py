"""Sign-off, handoff and evidence operations on an open assessment.

The pure rules live in :mod:`core.handoff.signoff`, :mod:`core.handoff.form` and
:mod:`core.assessment.evidence`; this module reads what they need from the store, applies
them and writes the result (each write with its audit event).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from core.assessment import evidence as ev
from core.assessment.counted import runs_that_count
from core.handoff import form as ho
from core.handoff import accounts, keys
from core.handoff import signoff as so
from core.handoff.approval import approval_blockers
from core.canonical import utc_now_seconds
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


add_user = accounts.add_user  # noqa: E305  (kept here: the GUI and tests call signing.add_user)


def signatures(store) -> list[so.Signature]:
    return [so.Signature.from_dict(r) for r in store.signature_rows()]


def signature_states(store, content: dict | None = None) -> list[so.SignatureState]:
    """Each signature's validity on the current content; one whose key check fails (a forged or altered
    signature, or one made before key-based signing) is invalid too, with the key check's reasons."""
    rows = store.signature_rows()
    sigs = [so.Signature.from_dict(r) for r in rows]
    snapshots = {r["id"]: r["content"] for r in rows}
    states = so.signature_states(sigs, snapshots, content if content is not None else current_content(store))
    failed = {c.signature_id: c for c in verify_signatures(store) if c.status == INVALID}
    return [replace(st, valid=False, changes=tuple(f"key check: {r}" for r in failed[st.signature.id].reasons)
                    + st.changes) if st.signature.id in failed else st for st in states]


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


# ---------------------------------------------------------------------------- verification

TRUSTED, UNTRUSTED, INVALID = "trusted", "untrusted", "invalid"
LABELS = {TRUSTED: "valid, trusted key", UNTRUSTED: "valid but from an untrusted key", INVALID: "invalid"}


@dataclass(frozen=True)
class SignatureCheck:
    """The key check of one stored signature (see :func:`verify_signatures`)."""
    signature_id: int
    signer: str
    meaning: str
    signed_utc: str
    fingerprint: str | None
    head_seq: int | None
    head_hash: str | None
    status: str  # trusted | untrusted | invalid
    reasons: tuple[str, ...] = ()
    #: made before key-based signing (schema 7): nothing to verify by key; invalid, but not a forgery sign
    legacy: bool = False

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def valid(self) -> bool:
        return self.status != INVALID

    def to_dict(self) -> dict:
        return {**asdict(self), "reasons": list(self.reasons), "label": self.label, "valid": self.valid}


def _trust_set(trusted_keys) -> dict | None:
    if trusted_keys is None:
        return None
    if isinstance(trusted_keys, (str, Path)):
        return keys.load_trusted_keys(trusted_keys)
    if isinstance(trusted_keys, dict):
        return dict(trusted_keys)
    return {k.fingerprint: k for k in trusted_keys}


def verify_signatures(store, trusted_keys=None) -> list[SignatureCheck]:
    """Check every stored signature with its public key; one :class:`SignatureCheck` per signature.

    A signature is ``invalid`` when it has no Ed25519 signature (made before schema 7), when the signature
    does not verify over the recorded content hash, audit head, meaning, name, time and override reason,
    when the audit event it names is missing or has another hash (an edit before the signed head, even with
    the chain recomputed), when the recorded fingerprint or the signer's enrolled key differ from the signing
    key, or when the stored copy of the signed content does not hash to the signed hash.
    A valid one is ``trusted`` only when its key is in ``trusted_keys`` (a folder, the mapping
    :func:`load_trusted_keys` returns, or an iterable of public keys) under the same name; otherwise it is
    ``untrusted``: "valid but from an untrusted key".  Whether the content changed since signing (a
    legitimate edit) is :func:`signature_states`' business, not this check's.
    """
    trusted = _trust_set(trusted_keys)
    enrolled = {u["id"]: u for u in store.users()}
    out = []
    for row in store.signature_rows():
        reasons = []
        pub, sig_hex = row.get("public_key"), row.get("signature")
        legacy = not pub and not sig_hex and row.get("head_seq") is None
        if not pub or not sig_hex or row.get("head_seq") is None:
            reasons.append("made before key-based signing (schema 7): there is no key signature to verify")
        else:
            try:
                fp = keys.fingerprint(keys.unb64(pub, "the public key", 32))
            except PreflightError:
                fp = None
                reasons.append("the recorded public key is not an Ed25519 key")
            if fp is not None and fp != row.get("fingerprint"):
                reasons.append("the recorded fingerprint does not match the public key")
            payload = keys.signing_payload(content_hash=row["content_hash"], head_seq=row["head_seq"],
                                           head_hash=row.get("head_hash") or "", meaning=row["meaning"],
                                           signer=row["user_name"], signed_utc=row["signed_utc"],
                                           override_reason=row.get("override_reason"))
            if not keys.verify_payload(pub, payload, sig_hex):
                reasons.append("the key signature does not match the recorded name, meaning, time, content hash, "
                               "audit head or override reason")
            actual = store.audit_event_hash(row["head_seq"]) if row["head_seq"] else ""
            if actual is None:
                reasons.append(f"audit event {row['head_seq']}, the head it signed, is missing")
            elif actual != (row.get("head_hash") or ""):
                reasons.append(f"the audit trail up to event {row['head_seq']} changed after signing "
                               "(that event's hash is not the signed head)")
            user = enrolled.get(row.get("user_id"))
            if user is None or user.get("public_key") != pub or user.get("name") != row["user_name"]:
                reasons.append("the signer's enrolled name or key in this assessment is not the one that signed")
        if so.content_hash(row.get("content") or {}) != row["content_hash"]:
            reasons.append("the stored copy of the signed content does not match the signed hash")
        if reasons:
            status = INVALID
        elif trusted is None:
            status, reasons = UNTRUSTED, ["no trusted keys were given"]
        else:
            known = trusted.get(row.get("fingerprint"))
            if known is None or known.public_key != pub:
                status, reasons = UNTRUSTED, ["the key is not among the trusted keys"]
            elif known.name != row["user_name"]:
                status, reasons = UNTRUSTED, [f"the trusted key belongs to {known.name}, not {row['user_name']}"]
            else:
                status = TRUSTED
        out.append(SignatureCheck(row["id"], row["user_name"], row["meaning"], row["signed_utc"],
                                  row.get("fingerprint"), row.get("head_seq"), row.get("head_hash"), status,
                                  tuple(reasons), legacy))
    return out


load_trusted_keys = keys.load_trusted_keys


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

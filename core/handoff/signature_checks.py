"""Key checks of stored signatures, and each signature's validity on the current content.

:func:`verify_signatures` checks every signature with its public key (``audit verify`` and the sign-off
panel use it); :func:`signature_states` says which signatures hold on the current content, counting one
whose key check fails as invalid.  Kept apart from :mod:`core.handoff.signing` so that modules
``signing`` itself uses (the approval rules) can read signature states without an import cycle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from core.errors import PreflightError
from core.handoff import keys
from core.handoff import signoff as so


def current_content(store) -> dict:
    data, _sections = store.handoff_data()
    return so.build_content(store.meta(), store.items(), data, store.runs(), store.evidence_files())


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

"""Electronic sign-off of an assessment, in the style of 21 CFR Part 11.

Signing (§11.200) takes two components: a user ID and a password.  The
password unlocks the signer's Ed25519 private key, kept encrypted in the
signer's profile on their own machine (:mod:`core.handoff.profiles`,
:mod:`core.handoff.keys`); the assessment holds only the public key and its
fingerprint, never a password or a hash of one.  A signature is an Ed25519
signature over the content hash, the audit-chain head at the moment of
signing, the meaning, the signer's name and the UTC time
(:func:`core.handoff.signing.verify_signatures` checks it).

Each signature is bound to the exact content it signs (§11.70): the SHA-256 of
the canonical JSON of :func:`build_content` - assessment metadata, checklist
items, the handoff, the runs and the evidence hashes.  Editing any of these
afterwards changes the hash, so the signature shows as invalid, and
:func:`diff_content` lists what changed since it was signed.

Roles and meanings (§11.50 - every signature shows the printed name, the
date and time, and its meaning):

* a **preparer** signs *authorship*, a **reviewer** signs *review*, an
  **approver** signs *approval*; anyone may also sign *responsibility*, which
  does not advance the stage.

Order (§11.10(f)): unsigned -> prepared -> reviewed -> approved.  A review needs
a valid authorship signature on the current content, and an approval a valid
review.  The stage counts valid signatures only, so an edit sends the record
back to "unsigned" until it is signed again.

Separation of duties: on one version of the content, the author, the
reviewer and the approver must be three different people.  A person who
signed authorship cannot review or approve it, and a reviewer cannot approve
what they reviewed - even if their role was changed in between.

Critical blockers: an approver cannot approve while critical checklist items
are not done unless they give an override reason of at least 10 characters,
which is stored with the signature and printed with it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from core.canonical import canonical_json, sha256_text, utc_now_seconds
from core.handoff.content_diff import META_KEYS, diff_content  # noqa: F401  (diff_content is part of this API)
from core.errors import PreflightError

ROLES = ("preparer", "reviewer", "approver")
MEANINGS = ("authorship", "review", "approval", "responsibility")
ROLE_MEANINGS = {
    "preparer": ("authorship", "responsibility"),
    "reviewer": ("review", "responsibility"),
    "approver": ("approval", "responsibility"),
}
MEANING_ROLE = {"authorship": "preparer", "review": "reviewer", "approval": "approver"}
STAGES = ("unsigned", "prepared", "reviewed", "approved")
MIN_PASSWORD_LENGTH = 8
MIN_OVERRIDE_REASON = 10

CONTENT_VERSION = 1
#: Checklist item fields left out of the signed content: bookkeeping that
#: changes without the requirement, its status or its notes changing.
VOLATILE_ITEM_KEYS = frozenset({"updated_utc", "updated_at", "created_utc", "created_at",
                                "modified_utc", "last_modified", "position"})


# ---------------------------------------------------------------------------- signed content

def content_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical JSON of the content."""
    return sha256_text(canonical_json(content))


def _plain(obj) -> dict:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


def _id_key(d: dict):
    ident = d.get("id")
    if isinstance(ident, (int, float)) and not isinstance(ident, bool):
        return (0, ident, "")
    if ident is not None:
        return (1, 0, str(ident))
    return (2, 0, canonical_json(d))


def _input_hashes(inputs):
    def sha(v):
        return v if isinstance(v, str) or v is None else v.get("sha256")
    if not inputs:
        return []
    if isinstance(inputs, dict):
        return {str(k): sha(v) for k, v in inputs.items()}
    return [sha(v) for v in inputs]


def build_content(meta: dict, items: list, handoff, runs: list[dict], evidence: list) -> dict:
    """The signable content of an assessment, deterministic for equal inputs.

    * ``meta``: only ``name``, ``system``, ``owner``, ``readiness_threshold``;
    * ``items``: checklist items (dicts or objects with ``to_dict``) without
      :data:`VOLATILE_ITEM_KEYS`, ordered by id;
    * ``handoff``: the handoff (a :class:`core.handoff.form.Handoff` or its dict);
    * ``runs``: each reduced to ``{id, kind, inputs, result_sha256}``, where
      ``inputs`` holds the SHA-256 of each input file (from the run's
      ``inputs``: a list, or a mapping of name to a hash or to ``{"sha256"}``)
      and ``result_sha256`` hashes the canonical JSON of ``result``;
    * ``evidence``: ``{id, label, sha256, size}`` per file, ordered by id.
    """
    meta = dict(meta or {})
    checklist = []
    for item in items:
        d = {k: v for k, v in _plain(item).items() if k not in VOLATILE_ITEM_KEYS}
        checklist.append(d)
    reduced_runs = [{"id": r.get("id"), "kind": r.get("kind"), "inputs": _input_hashes(r.get("inputs")),
                     "result_sha256": sha256_text(canonical_json(r.get("result")))} for r in runs]
    files = []
    for e in evidence:
        d = _plain(e)
        files.append({"id": d.get("id"), "label": d.get("label"), "sha256": d.get("sha256"), "size": d.get("size")})
    content = {
        "version": CONTENT_VERSION,
        "meta": {k: meta.get(k) for k in META_KEYS},
        "checklist": sorted(checklist, key=_id_key),
        "handoff": _plain(handoff) if handoff is not None else {},
        "runs": sorted(reduced_runs, key=_id_key),
        "evidence": sorted(files, key=_id_key),
    }
    # Round-trip through canonical JSON so tuples, numpy scalars and NaN look the
    # same in the stored snapshot as in the hash.
    return json.loads(canonical_json(content))


# ---------------------------------------------------------------------------- signatures

@dataclass(frozen=True)
class Signature:
    id: int | None
    user_id: int | str | None
    user_name: str
    role: str
    meaning: str
    content_hash: str
    signed_utc: str
    override_reason: str | None = None
    fingerprint: str | None = None
    public_key: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None
    signature: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Signature":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})

    def manifestation(self) -> str:
        """The §11.50 line: printed name, role, meaning, UTC and local time, and any override."""
        utc, local = local_and_utc(self.signed_utc)
        text = f"{self.user_name} ({self.role}) signed for {self.meaning} on {utc} ({local})"
        text += f"; key fingerprint {self.fingerprint}" if self.fingerprint else "; no signing key (made before schema 7)"
        if self.override_reason:
            text += f"; approved despite blockers (critical items or failing handoff rules): {self.override_reason}"
        return text


@dataclass(frozen=True)
class SignatureState:
    signature: Signature
    valid: bool
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"signature": self.signature.to_dict(), "valid": self.valid, "changes": list(self.changes)}


def new_signature(user: dict, meaning: str, content: dict, override_reason: str | None = None,
                  signed_utc: str | None = None) -> Signature:
    """A signature (id None until stored) of ``user`` on ``content`` - call :func:`check_can_sign` first."""
    reason = (override_reason or "").strip() or None
    return Signature(id=None, user_id=user.get("id"), user_name=str(user.get("name") or ""),
                     role=str(user.get("role") or ""), meaning=meaning, content_hash=content_hash(content),
                     signed_utc=signed_utc or utc_now_seconds(), override_reason=reason)


def signature_states(signatures: list[Signature], snapshots: dict, current_content: dict) -> list[SignatureState]:
    """Each signature with its validity on the current content and, when invalid, what changed.

    ``snapshots`` maps a signature id to the content it signed (as stored at
    signing time).  A snapshot whose own hash does not match the signature is
    reported as altered.
    """
    current = content_hash(current_content)
    out = []
    for sig in signatures:
        if sig.content_hash == current:
            out.append(SignatureState(sig, True, ()))
            continue
        snap = (snapshots or {}).get(sig.id)
        if snap is None:
            changes = ["the content changed after signing (no stored copy of the signed version to compare)"]
        else:
            changes = []
            if content_hash(snap) != sig.content_hash:
                changes.append("the stored copy of the signed version does not match the signature's hash "
                               "(it was altered)")
            changes += diff_content(snap, current_content) or ["the content changed after signing"]
        out.append(SignatureState(sig, False, tuple(changes)))
    return out


def _same_person(sig: Signature, user: dict) -> bool:
    uid = user.get("id")
    if uid is not None and sig.user_id is not None:
        return str(uid) == str(sig.user_id)
    return bool(sig.user_name) and sig.user_name == user.get("name")


def _blocker_name(b) -> str:
    if isinstance(b, dict):
        name = b.get("name") or b.get("title") or b.get("id")
        return f"{b['category']}: {name}" if b.get("category") else str(name)
    return str(getattr(b, "name", b))


def check_can_sign(user: dict, meaning: str, states: list[SignatureState], critical_blockers: list,
                   override_reason: str | None) -> None:
    """Raise :class:`PreflightError` with the reason when ``user`` may not sign ``meaning`` now."""
    name = user.get("name") or f"user {user.get('id')}"
    role = user.get("role")
    if user.get("active") is False:
        raise PreflightError(f"{name}'s account is disabled and cannot sign")
    if meaning not in MEANINGS:
        raise PreflightError(f"unknown signature meaning {meaning!r}; use one of {', '.join(MEANINGS)}")
    if role not in ROLES:
        raise PreflightError(f"{name} has no signing role (role {role!r}; roles are {', '.join(ROLES)})")
    if meaning not in ROLE_MEANINGS[role]:
        raise PreflightError(f"{name} is a {role} and may sign only for {' or '.join(ROLE_MEANINGS[role])}; "
                             f"{meaning} must be signed by a {MEANING_ROLE[meaning]}")
    valid = [s.signature for s in states if s.valid]
    stale = [s.signature for s in states if not s.valid]
    if any(_same_person(s, user) and s.meaning == meaning for s in valid):
        raise PreflightError(f"{name} has already signed this version for {meaning}")
    if meaning == "responsibility":
        return
    by_meaning = {m: [s for s in valid if s.meaning == m] for m in ("authorship", "review", "approval")}

    def require(needed: str, verb: str):
        if by_meaning[needed]:
            return
        old = [s for s in stale if s.meaning == needed]
        if old:
            raise PreflightError(f"cannot {verb}: the {needed} signature by {old[-1].user_name} no longer matches "
                                 f"the content (it changed after signing); a {MEANING_ROLE[needed]} must sign "
                                 f"{needed} again first")
        raise PreflightError(f"cannot {verb}: the content has no valid {needed} signature yet; "
                             f"a {MEANING_ROLE[needed]} must sign {needed} first")

    others = [m for m in ("authorship", "review", "approval") if m != meaning]
    for other in others:
        if any(_same_person(s, user) for s in by_meaning[other]):
            raise PreflightError(f"separation of duties: {name} signed {other} on this version and cannot "
                                 f"also sign {meaning}")
    if meaning == "review":
        require("authorship", "review")
    elif meaning == "approval":
        require("authorship", "approve")
        require("review", "approve")
        if critical_blockers:
            names = [_blocker_name(b) for b in critical_blockers]
            listed = "; ".join(names[:5]) + ("; ..." if len(names) > 5 else "")
            reason = (override_reason or "").strip()
            if not reason:
                raise PreflightError(f"cannot approve: {len(names)} critical blocker(s) remain ({listed}); "
                                     f"resolve them or give an override reason of at least "
                                     f"{MIN_OVERRIDE_REASON} characters")
            if len(reason) < MIN_OVERRIDE_REASON:
                raise PreflightError(f"the override reason must be at least {MIN_OVERRIDE_REASON} characters "
                                     f"long (got {len(reason)})")


def due_meaning(states: list[SignatureState]) -> str | None:
    """The meaning the next signature must have to advance the stage (None once approved)."""
    return {"unsigned": "authorship", "prepared": "review", "reviewed": "approval"}.get(stage(states))


def next_signer(users: list[dict], states: list[SignatureState]) -> dict | None:
    """The user due to sign next: the first active user whose role signs the due meaning and who may sign it
    on this version (not excluded by separation of duties).  None when nobody is due."""
    meaning = due_meaning(states)
    if meaning is None:
        return None
    valid = [s.signature for s in states if s.valid]
    for user in users:
        if user.get("active") is False or user.get("role") != MEANING_ROLE[meaning]:
            continue
        if any(_same_person(s, user) for s in valid if s.meaning in ("authorship", "review", "approval")):
            continue
        return user
    return None


def stage(states: list[SignatureState]) -> str:
    """``unsigned``, ``prepared``, ``reviewed`` or ``approved``, counting valid signatures only."""
    signed = {s.signature.meaning for s in states if s.valid}
    if "authorship" not in signed:
        return "unsigned"
    if "review" not in signed:
        return "prepared"
    if "approval" not in signed:
        return "reviewed"
    return "approved"


def local_and_utc(signed_utc: str) -> tuple[str, str]:
    """``("2025-03-01 14:05:09 UTC", "2025-03-01 15:05:09 CET (UTC+01:00)")`` for an ISO time (naive = UTC)."""
    try:
        when = datetime.fromisoformat(str(signed_utc).strip().replace("Z", "+00:00"))
    except ValueError:
        raise PreflightError(f"signature time {signed_utc!r} is not an ISO 8601 date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    utc = when.astimezone(timezone.utc)
    local = when.astimezone()
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if len(offset) == 5 else offset
    zone = local.tzname() or ""
    zone = f"{zone} " if zone and not zone.startswith(("+", "-")) else ""
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC"), local.strftime("%Y-%m-%d %H:%M:%S ") + f"{zone}(UTC{offset})"

"""Handoff, signers and signatures: persistence and audit events.

Signers carry their Ed25519 public key (the private key never enters the file).  A signature row is
only written when its Ed25519 signature verifies with the signer's enrolled key over
:func:`signature_payload` and the audit head it names is the current head: no code path records a
signature without the signer's private key.
"""

from __future__ import annotations

import json

import base64
import binascii

from core.canonical import canonical_json, dumps
from core.errors import PreflightError
from core.assessment.store.base import utc_now

SIGNATURE_COLUMNS = ("id", "user_id", "user_name", "role", "meaning", "content_hash", "signed_utc",
                     "override_reason", "public_key", "fingerprint", "head_seq", "head_hash", "signature")
USER_COLUMNS = ("id", "name", "role", "created_utc", "public_key", "fingerprint", "is_admin", "active",
                "failed_attempts", "locked_until")
PAYLOAD_PREFIX = "preflight-signature-v1\n"


def signature_payload(*, content_hash: str, head_seq: int, head_hash: str, meaning: str, signer: str,
                      signed_utc: str, override_reason: str | None = None) -> bytes:
    """The exact bytes an Ed25519 signature signs: a fixed prefix and canonical JSON (sorted keys, no spaces)."""
    body = {"content_hash": content_hash, "audit_head": {"seq": int(head_seq), "hash": head_hash},
            "meaning": meaning, "signer": signer, "signed_utc": signed_utc, "override_reason": override_reason}
    return (PAYLOAD_PREFIX + canonical_json(body)).encode("utf-8")


def signature_verifies(public_key_b64: str | None, payload: bytes, signature_hex: str | None) -> bool:
    """True when ``signature_hex`` is an Ed25519 signature of ``payload`` by the base64 public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(str(public_key_b64 or ""), validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(signature_hex or ""), payload)
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True



class SignoffMixin:
    # ------------------------------------------------------------------ handoff
    def handoff_data(self) -> tuple[dict, dict]:
        """The stored handoff fields and the model card's free-text sections."""
        row = self.conn.execute("SELECT data, sections FROM handoff WHERE id=1").fetchone()
        if row is None:
            return {}, {}
        return json.loads(row[0]), json.loads(row[1])

    def set_handoff(self, data: dict | None = None, sections: dict | None = None) -> None:
        with self.transaction():
            old_data, old_sections = self.handoff_data()
            new_data = old_data if data is None else data
            new_sections = old_sections if sections is None else sections
            if (new_data, new_sections) == (old_data, old_sections):
                return
            self.conn.execute("INSERT OR REPLACE INTO handoff (id, data, sections, updated_utc) VALUES (1, ?, ?, ?)",
                              (dumps(new_data, sort_keys=True), dumps(new_sections, sort_keys=True), utc_now()))
            changed = sorted(k for k in set(old_data) | set(new_data) if old_data.get(k) != new_data.get(k))
            changed_s = sorted(k for k in set(old_sections) | set(new_sections)
                               if old_sections.get(k) != new_sections.get(k))
            self.audit("update", "handoff",
                       {"fields": {k: old_data.get(k) for k in changed},
                        "sections": {k: old_sections.get(k) for k in changed_s}},
                       {"fields": {k: new_data.get(k) for k in changed},
                        "sections": {k: new_sections.get(k) for k in changed_s}})

    # -------------------------------------------------------------------- users
    def users(self) -> list[dict]:
        rows = self.conn.execute(f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY id").fetchall()
        out = []
        for r in rows:
            d = dict(zip(USER_COLUMNS, r))
            d["is_admin"], d["active"] = bool(d["is_admin"]), bool(d["active"])
            out.append(d)
        return out

    def user(self, user_id: int) -> dict:
        found = next((u for u in self.users() if u["id"] == user_id), None)
        if found is None:
            raise PreflightError(f"user {user_id} does not exist in this assessment")
        return found

    def user_by_name(self, name: str) -> dict | None:
        return next((u for u in self.users() if u["name"] == name), None)

    def add_user(self, name: str, role: str, *, public_key: str | None, fingerprint: str | None,
                 is_admin: bool = False, actor: str | None = None) -> int:
        """Insert a signer (call the rules in :mod:`core.handoff.signing` first: administrator, roles)."""
        name = (name or "").strip()
        if not name:
            raise PreflightError("a user needs a name")
        if self.conn.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone():
            raise PreflightError(f"a user named {name!r} already exists in this assessment")
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO users (name, role, password, created_utc, public_key, fingerprint, is_admin, active) "
                "VALUES (?, ?, '', ?, ?, ?, ?, 1)", (name, role, utc_now(), public_key, fingerprint, int(is_admin)))
            self.audit("create", f"user:{cur.lastrowid}", None,
                       {"name": name, "role": role, "administrator": bool(is_admin), "public_key": public_key,
                        "fingerprint": fingerprint}, actor=actor)
        return cur.lastrowid

    def enrol_user_key(self, user_id: int, public_key: str, fingerprint: str, actor: str | None = None) -> None:
        """Give a signer of an older file (no key) its public key."""
        with self.transaction():
            user = self.user(user_id)
            if user["public_key"]:
                raise PreflightError(f"{user['name']} already has a key in this assessment")
            self.conn.execute("UPDATE users SET public_key=?, fingerprint=? WHERE id=?",
                              (public_key, fingerprint, user_id))
            self.audit("enrol", f"user:{user_id}", {"public_key": None, "fingerprint": None},
                       {"name": user["name"], "public_key": public_key, "fingerprint": fingerprint}, actor=actor)

    def set_user_role(self, user_id: int, role: str, actor: str | None = None) -> None:
        with self.transaction():
            user = self.user(user_id)
            if user["role"] == role:
                return
            self.conn.execute("UPDATE users SET role=? WHERE id=?", (role, user_id))
            self.audit("update", f"user:{user_id}", {"role": user["role"]}, {"name": user["name"], "role": role},
                       actor=actor)

    def set_user_active(self, user_id: int, active: bool, reason: str = "", actor: str | None = None) -> None:
        with self.transaction():
            user = self.user(user_id)
            if user["active"] == bool(active):
                return
            self.conn.execute("UPDATE users SET active=? WHERE id=?", (int(bool(active)), user_id))
            self.audit("activate" if active else "deactivate", f"user:{user_id}", {"active": user["active"]},
                       {"name": user["name"], "active": bool(active), "reason": reason}, actor=actor)

    def record_password_attempt(self, user_id: int, *, ok: bool, purpose: str, failed_attempts: int,
                                locked_until: str | None, actor: str | None = None, detail: str = "") -> None:
        """One password attempt (right, wrong, or refused while locked), with the lockout state it leaves."""
        with self.transaction():
            user = self.user(user_id)
            self.conn.execute("UPDATE users SET failed_attempts=?, locked_until=? WHERE id=?",
                              (int(failed_attempts), locked_until, user_id))
            after = {"name": user["name"], "ok": bool(ok), "purpose": purpose, "failed_attempts": int(failed_attempts),
                     "locked_until": locked_until}
            if detail:
                after["detail"] = detail
            self.audit("password_ok" if ok else "password_failed", f"user:{user_id}",
                       {"failed_attempts": user["failed_attempts"], "locked_until": user["locked_until"]}, after,
                       actor=actor or user["name"])

    def record_user_event(self, entity: str, action: str, after: dict, actor: str | None = None) -> None:
        """An audited event about signers that changes no row (a password change, a refused request)."""
        with self.transaction():
            self.audit(action, entity, None, after, actor=actor)

    # ------------------------------------------------------------- audit head
    def audit_head_event(self) -> tuple[int, str]:
        """(seq, hash) of the newest audit event, (0, "") when there is none."""
        row = self.conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else (0, "")

    def audit_event_hash(self, seq: int) -> str | None:
        row = self.conn.execute("SELECT hash FROM audit_events WHERE seq=?", (int(seq),)).fetchone()
        return row[0] if row else None

    # --------------------------------------------------------------- signatures
    def add_signature(self, *, user_id: int, meaning: str, content_hash: str, content: dict, signed_utc: str,
                      head_seq: int, head_hash: str, signature: str, override_reason: str | None = None) -> int:
        """Record a signature made with the signer's private key.

        Refused unless ``signature`` verifies with the signer's enrolled public key over
        :func:`signature_payload` of these fields, and ``head_seq``/``head_hash`` is the current audit head.
        """
        with self.transaction():
            user = self.user(user_id)
            if not user["public_key"]:
                raise PreflightError(f"{user['name']} has no key in this assessment and cannot sign")
            if (int(head_seq), head_hash) != self.audit_head_event():
                raise PreflightError("the audit trail moved on while signing; sign again")
            payload = signature_payload(content_hash=content_hash, head_seq=head_seq, head_hash=head_hash,
                                        meaning=meaning, signer=user["name"], signed_utc=signed_utc,
                                        override_reason=override_reason)
            if not signature_verifies(user["public_key"], payload, signature):
                raise PreflightError(f"the signature does not verify with {user['name']}'s key; nothing recorded")
            cur = self.conn.execute(
                "INSERT INTO signatures (user_id, user_name, role, meaning, content_hash, content, signed_utc, "
                "override_reason, public_key, fingerprint, head_seq, head_hash, signature) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (user["id"], user["name"], user["role"], meaning, content_hash, dumps(content, sort_keys=True),
                 signed_utc, override_reason, user["public_key"], user["fingerprint"], int(head_seq), head_hash,
                 signature))
            self.audit("sign", f"signature:{cur.lastrowid}", None,
                       {"user": user["name"], "role": user["role"], "meaning": meaning,
                        "content_hash": content_hash, "override_reason": override_reason,
                        "signed_utc": signed_utc, "fingerprint": user["fingerprint"],
                        "public_key": user["public_key"], "audit_head": {"seq": int(head_seq), "hash": head_hash},
                        "signature": signature},
                       actor=user["name"])
        return cur.lastrowid

    def record_failed_signing(self, user_name: str, meaning: str, reason: str) -> None:
        with self.transaction():
            self.audit("sign_failed", f"user:{user_name}", None, {"meaning": meaning, "reason": reason},
                       actor=user_name)

    def signature_rows(self) -> list[dict]:
        rows = self.conn.execute(f"SELECT {', '.join(SIGNATURE_COLUMNS)}, content FROM signatures "
                                 "ORDER BY id").fetchall()
        out = []
        for r in rows:
            d = dict(zip(SIGNATURE_COLUMNS, r[:-1]))
            d["content"] = json.loads(r[-1])
            out.append(d)
        return out

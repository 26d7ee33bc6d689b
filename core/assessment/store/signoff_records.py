"""Handoff, local users and signatures: persistence and audit events."""

from __future__ import annotations

import json

from core.canonical import dumps
from core.errors import PreflightError
from core.assessment.store.base import utc_now

SIGNATURE_COLUMNS = ("id", "user_id", "user_name", "role", "meaning", "content_hash", "signed_utc",
                     "override_reason")


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
    def add_user(self, name: str, role: str, password_record: dict) -> int:
        name = (name or "").strip()
        if not name:
            raise PreflightError("a user needs a name")
        if self.conn.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone():
            raise PreflightError(f"a user named {name!r} already exists in this assessment")
        with self.transaction():
            cur = self.conn.execute("INSERT INTO users (name, role, password, created_utc) VALUES (?, ?, ?, ?)",
                                    (name, role, json.dumps(password_record), utc_now()))
            self.audit("create", f"user:{cur.lastrowid}", None, {"name": name, "role": role})
        return cur.lastrowid

    def users(self) -> list[dict]:
        rows = self.conn.execute("SELECT id, name, role, created_utc FROM users ORDER BY id").fetchall()
        return [dict(zip(("id", "name", "role", "created_utc"), r)) for r in rows]

    def user_password_record(self, user_id: int) -> dict:
        row = self.conn.execute("SELECT password FROM users WHERE id=?", (user_id,)).fetchone()
        if row is None:
            raise PreflightError(f"user {user_id} does not exist")
        return json.loads(row[0])

    # --------------------------------------------------------------- signatures
    def add_signature(self, *, user: dict, meaning: str, content_hash: str, content: dict,
                      override_reason: str | None = None) -> int:
        with self.transaction():
            ts = utc_now()
            cur = self.conn.execute(
                "INSERT INTO signatures (user_id, user_name, role, meaning, content_hash, content, signed_utc, "
                "override_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user["id"], user["name"], user["role"], meaning, content_hash, dumps(content, sort_keys=True), ts,
                 override_reason))
            self.audit("sign", f"signature:{cur.lastrowid}", None,
                       {"user": user["name"], "role": user["role"], "meaning": meaning,
                        "content_hash": content_hash, "override_reason": override_reason},
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

"""Schema 7: key-based signers.

* ``users`` gains the signer's Ed25519 public key and fingerprint, the administrator flag (the first user),
  an active flag, and the count of wrong passwords in a row with the lock time.
* ``signatures`` gains the public key and fingerprint it was made with, the audit-chain head it signs
  (seq and hash) and the Ed25519 signature (hex).
* The scrypt password records that older files carried are cleared: a password hash no longer travels
  inside the assessment.  Users of an older file keep their name, role and signatures, but have no key
  until they re-enrol (``users add FILE NAME``), and their older signatures cannot be verified by key.
  One audit event records the change and lists them.
"""

from __future__ import annotations

from core.assessment.audit import GENESIS, event_hash
from core.canonical import dumps, utc_now

USER_COLUMNS = (
    ("public_key", "TEXT"),
    ("fingerprint", "TEXT"),
    ("is_admin", "INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1))"),
    ("active", "INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))"),
    ("failed_attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("locked_until", "TEXT"),
)
SIGNATURE_COLUMNS = (
    ("public_key", "TEXT"),
    ("fingerprint", "TEXT"),
    ("head_seq", "INTEGER"),
    ("head_hash", "TEXT"),
    ("signature", "TEXT"),
)


ACTOR = "Preflight (schema 7 migration)"


def _audit(conn, action: str, entity: str, after: dict) -> None:
    """Append one event to the chain exactly as ``StoreBase.audit`` does for an event without row images."""
    last = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = {"seq": seq, "ts_utc": utc_now(), "actor": ACTOR, "action": action, "entity": entity,
             "before": None, "after": dumps(after, sort_keys=True), "prev_hash": prev}
    event["hash"] = event_hash(event, prev)
    conn.execute("INSERT INTO audit_events(seq, ts_utc, actor, action, entity, before, after, prev_hash, hash) "
                 "VALUES (:seq, :ts_utc, :actor, :action, :entity, :before, :after, :prev_hash, :hash)", event)
    for key, value in (("audit_head", event["hash"]), ("audit_count", seq)):
        conn.execute("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", (key, str(value)))


def migrate_v7(db) -> None:
    c = db.conn
    for name, decl in USER_COLUMNS:
        c.execute(f"ALTER TABLE users ADD COLUMN {name} {decl}")
    for name, decl in SIGNATURE_COLUMNS:
        c.execute(f"ALTER TABLE signatures ADD COLUMN {name} {decl}")
    users = c.execute("SELECT id, name FROM users ORDER BY id").fetchall()
    if not users:
        return
    c.execute("UPDATE users SET password='' WHERE password <> ''")
    c.execute("UPDATE users SET is_admin=1 WHERE id=?", (users[0][0],))
    _audit(c, "migrate", "users",
           {"schema_version": 7, "password_hashes_removed": len(users),
            "administrator": users[0][1],
            "must_re_enrol": [n for _id, n in users],
            "note": "password hashes no longer travel in the file; each signer re-enrols with a key pair"})

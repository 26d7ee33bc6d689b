"""Numbered schema migrations for the .preflight assessment file.

Migration N brings a file from schema version N-1 to N.  Each runs in the same
transaction as the version bump, so a file is always at a whole version.
"""

from __future__ import annotations

from core.assessment.store.migrate_v5 import migrate_v5
from core.assessment.store.migrate_v6 import migrate_v6
from core.assessment.store.migrate_v7 import migrate_v7

APPLICATION_ID = 0x50464C54  # "PFLT": marks a SQLite file as a Preflight assessment


def _m1_foundation(db) -> None:
    c = db.conn
    c.execute("""CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT)""")
    c.execute("""CREATE TABLE assessment (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL, system TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '',
        created_utc TEXT NOT NULL, template TEXT NOT NULL DEFAULT '',
        readiness_threshold REAL NOT NULL DEFAULT 80,
        drift_share_threshold REAL NOT NULL DEFAULT 0.5,
        settings TEXT NOT NULL DEFAULT '{}')""")
    c.execute("""CREATE TABLE checklist_items (
        id INTEGER PRIMARY KEY, position INTEGER NOT NULL DEFAULT 0,
        category TEXT NOT NULL, name TEXT NOT NULL, requirement TEXT NOT NULL DEFAULT '',
        priority TEXT NOT NULL CHECK (priority IN ('critical','high','medium','low')),
        status TEXT NOT NULL CHECK (status IN ('open','done','not_applicable')),
        notes TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', due_date TEXT NOT NULL DEFAULT '',
        maturity REAL CHECK (maturity IS NULL OR maturity IN (0, 0.5, 1)),
        updated_utc TEXT NOT NULL)""")
    c.execute("""CREATE TABLE runs (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, settings TEXT NOT NULL DEFAULT '{}',
        inputs TEXT NOT NULL DEFAULT '[]', result TEXT NOT NULL DEFAULT '{}',
        summary TEXT NOT NULL DEFAULT '{}',
        started_utc TEXT NOT NULL, finished_utc TEXT NOT NULL, preflight_version TEXT NOT NULL)""")
    c.execute("""CREATE TABLE evidence_files (
        id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '', path TEXT NOT NULL,
        sha256 TEXT NOT NULL, size INTEGER NOT NULL, attached_utc TEXT NOT NULL, blob BLOB)""")
    c.execute("""CREATE TABLE evidence_links (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES checklist_items(id) ON DELETE CASCADE,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        file_id INTEGER REFERENCES evidence_files(id) ON DELETE CASCADE,
        created_utc TEXT NOT NULL,
        CHECK ((run_id IS NULL) != (file_id IS NULL)))""")
    c.execute("""CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY, ts_utc TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        entity TEXT NOT NULL, before TEXT, after TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""")
    c.execute("""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""")
    c.execute("""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""")


def _m2_handoff_signoff(db) -> None:
    c = db.conn
    c.execute("""CREATE TABLE handoff (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL DEFAULT '{}',
        sections TEXT NOT NULL DEFAULT '{}', updated_utc TEXT NOT NULL)""")
    c.execute("""CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('preparer','reviewer','approver')),
        password TEXT NOT NULL, created_utc TEXT NOT NULL)""")
    c.execute("""CREATE TABLE signatures (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
        user_name TEXT NOT NULL, role TEXT NOT NULL,
        meaning TEXT NOT NULL CHECK (meaning IN ('authorship','review','approval','responsibility')),
        content_hash TEXT NOT NULL, content TEXT NOT NULL, signed_utc TEXT NOT NULL, override_reason TEXT)""")
    c.execute("""CREATE TRIGGER signatures_no_update BEFORE UPDATE ON signatures
        BEGIN SELECT RAISE(ABORT, 'signatures cannot be changed'); END""")
    c.execute("""CREATE TRIGGER signatures_no_delete BEFORE DELETE ON signatures
        BEGIN SELECT RAISE(ABORT, 'signatures cannot be deleted'); END""")


def _m3_data_profiles(db) -> None:
    c = db.conn
    c.execute("""CREATE TABLE reference_profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL, source TEXT NOT NULL DEFAULT '{}',
        profile TEXT NOT NULL, created_utc TEXT NOT NULL)""")
    c.execute("""CREATE TABLE data_schemas (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        schema TEXT NOT NULL, updated_utc TEXT NOT NULL)""")


def _m4_counted_runs(db) -> None:
    """Which runs count: a per-run "leave out of the report" flag and the run chosen per kind."""
    c = db.conn
    c.execute("ALTER TABLE runs ADD COLUMN excluded_from_report INTEGER NOT NULL DEFAULT 0 "
              "CHECK (excluded_from_report IN (0, 1))")
    c.execute("""CREATE TABLE counted_runs (kind TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, chosen_utc TEXT NOT NULL)""")


#: (version, description, function).  Append only; never edit a released migration.
MIGRATIONS = (
    (1, "assessment, checklist, runs, evidence, audit chain", _m1_foundation),
    (2, "handoff, users, signatures", _m2_handoff_signoff),
    (3, "reference profiles and data schemas", _m3_data_profiles),
    (4, "runs left out of the report, the run that counts per kind", _m4_counted_runs),
    (5, "checklist item ids never reused; evidence replaced or removed stays in the history", migrate_v5),
    (6, "change capture: row images in audit events, snapshot, assessment UUID", migrate_v6),
    (7, "signer keys, administrator, no password hashes in the file", migrate_v7),
)
LATEST = MIGRATIONS[-1][0]

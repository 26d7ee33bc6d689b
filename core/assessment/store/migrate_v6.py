"""Schema 6: change capture for the replay check.

* ``audit_events`` gains ``changes``: the row images of the writes an event explains (see
  :mod:`core.assessment.store.changes`), part of the event's hash when present.
* ``audit_capture`` notes, through triggers on every data table, the rows written since the last
  event, and ``audit_capture_old`` their values before the write; the store folds both into the
  next event.
* ``info`` gains ``assessment_uuid``, the identity the local witness log records.

The triggers and the first "snapshot" event (row images of everything already in the file) are
written by the store right after the migrations (``CaptureMixin._migrate``), so later migrations'
tables are covered too and events before the snapshot are checked by their hash links only.
"""

from __future__ import annotations

import uuid

CAPTURE_TABLE = "audit_capture"  # the rows written since the last event
OLD_TABLE = "audit_capture_old"  # their values before the write
UUID_KEY = "assessment_uuid"


def migrate_v6(db) -> None:
    c = db.conn
    c.execute("ALTER TABLE audit_events ADD COLUMN changes TEXT")
    c.execute(f"CREATE TABLE {CAPTURE_TABLE} (n INTEGER PRIMARY KEY, tbl TEXT NOT NULL, rid INTEGER NOT NULL, "
              "op TEXT NOT NULL CHECK (op IN ('i', 'u', 'd')))")
    c.execute(f"CREATE TABLE {OLD_TABLE} (n INTEGER NOT NULL, col TEXT NOT NULL, val)")
    c.execute("INSERT OR IGNORE INTO info(key, value) VALUES (?, ?)", (UUID_KEY, str(uuid.uuid4())))

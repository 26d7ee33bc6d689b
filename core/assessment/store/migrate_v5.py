"""Schema 5: checklist item ids that are never reused; evidence that can be replaced or removed.

Before schema 5 ``checklist_items.id`` was a plain ``INTEGER PRIMARY KEY``: after a
delete (or a whole-checklist import) SQLite handed the same id to a new item, so an
edit aimed at an old id landed on a different item.  The table is rebuilt with
``AUTOINCREMENT`` (SQLite then never gives out an id twice), keeping every existing
id, so evidence links and audit events still point at the same items.

Evidence files get ``retired_utc``, ``retired_reason`` and ``replaced_by``: a replaced or
removed file keeps its row (and its hash) in the history instead of being deleted.

The rebuild runs with foreign keys switched off by the migration runner (otherwise
dropping the old table would delete the evidence links through their cascade).
"""

from __future__ import annotations

import json

COLUMNS = ("id", "position", "category", "name", "requirement", "priority", "status", "notes", "owner",
           "due_date", "maturity", "updated_utc")


def migrate_v5(db) -> None:
    c = db.conn
    c.execute("""CREATE TABLE checklist_items_v5 (
        id INTEGER PRIMARY KEY AUTOINCREMENT, position INTEGER NOT NULL DEFAULT 0,
        category TEXT NOT NULL, name TEXT NOT NULL, requirement TEXT NOT NULL DEFAULT '',
        priority TEXT NOT NULL CHECK (priority IN ('critical','high','medium','low')),
        status TEXT NOT NULL CHECK (status IN ('open','done','not_applicable')),
        notes TEXT NOT NULL DEFAULT '', owner TEXT NOT NULL DEFAULT '', due_date TEXT NOT NULL DEFAULT '',
        maturity REAL CHECK (maturity IS NULL OR maturity IN (0, 0.5, 1)),
        updated_utc TEXT NOT NULL)""")
    cols = ", ".join(COLUMNS)
    c.execute(f"INSERT INTO checklist_items_v5 ({cols}) SELECT {cols} FROM checklist_items ORDER BY id")
    # ids handed out before (and since deleted) above the highest remaining one are not known;
    # the audit trail names them, so never go below the highest id any checklist event mentions
    top = _highest_audited_item_id(c)
    if top:
        row = c.execute("SELECT seq FROM sqlite_sequence WHERE name='checklist_items_v5'").fetchone()
        if row is None:
            c.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('checklist_items_v5', ?)", (top,))
        elif row[0] < top:
            c.execute("UPDATE sqlite_sequence SET seq=? WHERE name='checklist_items_v5'", (top,))
    c.execute("DROP TABLE checklist_items")
    c.execute("ALTER TABLE checklist_items_v5 RENAME TO checklist_items")
    c.execute("ALTER TABLE evidence_files ADD COLUMN retired_utc TEXT")
    c.execute("ALTER TABLE evidence_files ADD COLUMN retired_reason TEXT NOT NULL DEFAULT ''")
    c.execute("ALTER TABLE evidence_files ADD COLUMN replaced_by INTEGER REFERENCES evidence_files(id)")


def _highest_audited_item_id(c) -> int:
    top = 0
    for (entity,) in c.execute("SELECT entity FROM audit_events WHERE entity LIKE 'checklist_item:%'"):
        tail = entity.split(":", 1)[1]
        if tail.isdigit():
            top = max(top, int(tail))
    for (after,) in c.execute("SELECT after FROM audit_events WHERE entity='checklist' AND after IS NOT NULL"):
        try:
            items = json.loads(after).get("items") or []
        except (ValueError, AttributeError):
            continue
        for it in items:
            if isinstance(it, dict) and isinstance(it.get("id"), int):
                top = max(top, it["id"])
    return top

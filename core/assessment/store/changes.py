"""Change capture: every row written to a data table is folded into the audit event that explains it.

From schema 6 on, SQLite triggers on every data table (all tables except ``audit_events``,
``info`` and ``audit_capture`` itself) note the table and rowid of each inserted, updated or
deleted row in ``audit_capture``, inside the writing transaction.  :meth:`CaptureMixin.audit`
(through ``StoreBase.audit``) turns the noted rows into *row images* and stores them in the
event's ``changes`` field, which is part of the event's hash::

    changes = [{"table": "checklist_items", "rowid": 3, "old": {"id": 3, "status": "open", ...},
                "row": {"id": 3, "status": "done", ...}}, ...]

``row`` is the row as it is when the event is written, or ``null`` when the row was deleted;
``old`` is the row just before the event's first write to it, or ``null`` when it did not exist
(replay checks it against the trail, so a change made outside Preflight is not absorbed by a
later write to the same row).  Snapshot entries have no ``old``.
Values are kept as SQLite returns them, except: text longer than :data:`INLINE_TEXT` characters
becomes ``{"sha256": hex}`` of its UTF-8 bytes, a blob becomes ``{"blob_sha256": hex}``,
a non-finite float becomes ``{"float": "inf"|"-inf"}``, and the password records of
:data:`SECRET_COLUMNS` are always hashed, so no secret enters the append-only trail.
A "snapshot" event holds the images of every row of every data table: it is written when a
file first reaches schema 6 (and after each later migration), and replay
(:mod:`core.assessment.replay`) starts from it.

A transaction that changed data rows but wrote no audit event is refused (RuntimeError),
so every committed change is explained by the trail.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from contextlib import contextmanager

from core.assessment import witness
from core.assessment.store.migrate_v6 import CAPTURE_TABLE, OLD_TABLE, UUID_KEY
from core.assessment.store.migrations import LATEST

NOT_CAPTURED = ("audit_events", "info", CAPTURE_TABLE, OLD_TABLE)
INLINE_TEXT = 1024
SECRET_COLUMNS = {("users", "password")}
REPLAY_INFO_KEY = "capture_started"  # set once the file's data is explained by row images


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def data_tables(conn) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY name").fetchall()
    return [r[0] for r in rows if r[0] not in NOT_CAPTURED]


def has_capture(conn) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                        (CAPTURE_TABLE,)).fetchone() is not None


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _trigger_sql(conn, table: str) -> dict[str, str]:
    """The three capture triggers of ``table``: a note per written row, and for an update or delete the
    row's old values (one ``audit_capture_old`` row per column, in their SQLite types)."""
    q, lit = _q(table), _lit(table)
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({q})").fetchall()]
    note = f"INSERT INTO {CAPTURE_TABLE} (tbl, rid, op) VALUES ({lit}, %s.rowid, '%s');"
    old = "".join(f" INSERT INTO {OLD_TABLE} (n, col, val) VALUES ((SELECT MAX(n) FROM {CAPTURE_TABLE}), "
                  f"{_lit(c)}, OLD.{_q(c)});" for c in cols)
    moved = (f" INSERT INTO {CAPTURE_TABLE} (tbl, rid, op) SELECT {lit}, NEW.rowid, 'i' "
             "WHERE NEW.rowid IS NOT OLD.rowid;")
    bodies = {"ins": ("INSERT", note % ("NEW", "i")), "del": ("DELETE", note % ("OLD", "d") + old),
              "upd": ("UPDATE", note % ("OLD", "u") + old + moved)}
    return {f"capture_{table}_{op}": f"CREATE TRIGGER {_q(f'capture_{table}_{op}')} AFTER {event} ON {q} "
                                      f"BEGIN {body} END" for op, (event, body) in bodies.items()}


def ensure_triggers(conn) -> None:
    """(Re)create the capture triggers of every data table where they are missing or name other columns
    (new tables and new columns are covered too)."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {OLD_TABLE} (n INTEGER NOT NULL, col TEXT NOT NULL, val)")
    have = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'").fetchall())
    for table in data_tables(conn):
        for name, sql in _trigger_sql(conn, table).items():
            if have.get(name) != sql:
                conn.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
                conn.execute(sql)


def drop_triggers(conn) -> None:
    """Remove the capture triggers (before a migration rebuilds tables; they are re-created after it)."""
    names = conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'capture_%'").fetchall()
    for (name,) in names:
        conn.execute(f"DROP TRIGGER {_q(name)}")


def value_image(table: str, column: str, value):
    if (table, column) in SECRET_COLUMNS and value is not None:
        return {"sha256": hashlib.sha256(str(value).encode("utf-8")).hexdigest()}
    if isinstance(value, bytes):
        return {"blob_sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if isinstance(value, str) and len(value) > INLINE_TEXT:
        return {"sha256": hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()}
    return value


def row_image(table: str, values: dict) -> dict:
    return {c: value_image(table, c, v) for c, v in values.items()}


def _images(conn, table: str, where: str = "", args: tuple = ()) -> dict[int, dict]:
    cur = conn.execute(f"SELECT rowid AS __rowid, * FROM {_q(table)} {where}", args)
    cols = [d[0] for d in cur.description][1:]
    return {r[0]: {c: value_image(table, c, v) for c, v in zip(cols, r[1:])} for r in cur.fetchall()}


def table_images(conn) -> dict[str, dict[int, dict]]:
    """Every row of every data table as its image, by table and rowid."""
    return {t: _images(conn, t) for t in data_tables(conn)}


def fold(conn, floor: int = 0) -> list[dict]:
    """The images of the rows noted after note ``floor`` (in first-noted order); clears those notes.

    Notes at or below ``floor`` were there before the current transaction began: changes made
    outside Preflight.  They are never folded into an event, and stay as evidence."""
    noted = conn.execute(f"SELECT n, tbl, rid, op FROM {CAPTURE_TABLE} WHERE n > ? ORDER BY n",
                         (floor,)).fetchall()
    if not noted:
        return []
    olds: dict[int, dict] = {}
    for n, col, val in conn.execute(f"SELECT n, col, val FROM {OLD_TABLE} WHERE n > ? ORDER BY rowid", (floor,)):
        olds.setdefault(n, {})[col] = val
    out, seen = [], set()
    for n, table, rid, op in noted:
        if (table, rid) in seen:
            continue
        seen.add((table, rid))
        try:
            row = _images(conn, table, "WHERE rowid=?", (rid,)).get(rid)
        except sqlite3.OperationalError:  # the table itself was dropped
            row = None
        # the row before this event's first write to it (None: it did not exist)
        old = row_image(table, olds.get(n, {})) if op in ("u", "d") else None
        out.append({"table": table, "rowid": rid, "old": old, "row": row})
    conn.execute(f"DELETE FROM {CAPTURE_TABLE} WHERE n > ?", (floor,))
    conn.execute(f"DELETE FROM {OLD_TABLE} WHERE n > ?", (floor,))
    return out


def snapshot(conn, floor: int = 0) -> list[dict]:
    conn.execute(f"DELETE FROM {CAPTURE_TABLE} WHERE n > ?", (floor,))
    conn.execute(f"DELETE FROM {OLD_TABLE} WHERE n > ?", (floor,))
    return [{"table": t, "rowid": rid, "row": row}
            for t, rows in table_images(conn).items() for rid, row in sorted(rows.items())]


def pending(conn, floor: int = 0) -> int:
    """How many distinct rows were noted after note ``floor``."""
    return conn.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT tbl, rid FROM {CAPTURE_TABLE} WHERE n > ?)",
                        (floor,)).fetchone()[0]


def last_note(conn) -> int:
    return conn.execute(f"SELECT COALESCE(MAX(n), 0) FROM {CAPTURE_TABLE}").fetchone()[0]


class CaptureMixin:
    """Change capture, the snapshot after migrations, the witness after each write, and full verification."""

    _capture: bool | None = None
    _snapshot_next = False
    _wrote_event = False
    _migrating = False
    _floor = 0

    def _capture_on(self) -> bool:
        if self._capture is None:
            self._capture = has_capture(self.conn)
        return self._capture

    # ----------------------------------------------------------- opening, migration
    def _migrate(self, upto=None):
        old = self.schema_version
        if old < (LATEST if upto is None else upto) and self._capture_on():
            with self.transaction():  # a migration may rebuild tables: the triggers come back after it
                drop_triggers(self.conn)
        self._migrating = True
        try:
            super()._migrate(upto=upto)
        finally:
            self._migrating = False
        self._capture = None
        if not self._capture_on():
            return
        self.conn.execute("PRAGMA recursive_triggers=ON")  # REPLACE's implicit deletes are noted too
        new = self.schema_version
        with self.transaction():
            ensure_triggers(self.conn)
            if self._info(UUID_KEY) is None:
                import uuid
                self._set_info(UUID_KEY, str(uuid.uuid4()))
            has_events = self.conn.execute("SELECT 1 FROM audit_events LIMIT 1").fetchone() is not None
            if not has_events:
                self._set_info(REPLAY_INFO_KEY, 0)
            elif self._info(REPLAY_INFO_KEY) is None or new > old >= 6:
                self._snapshot_next = True
                event = self.audit("snapshot", f"schema:{new}", None, actor="Preflight (schema migration)", after=
                                   {"schema_version": new, "from_schema_version": old})
                self._set_info(REPLAY_INFO_KEY, event["seq"])

    def _open_secondary(self, mode):
        super()._open_secondary(mode)
        if mode != "ro":
            self.conn.execute("PRAGMA recursive_triggers=ON")

    # ----------------------------------------------------------------- writing
    def _captured_changes(self):
        """The row images for the event being written (None while the file has no change capture)."""
        if not self._capture_on():
            return None
        self._wrote_event = True
        if self._snapshot_next:
            self._snapshot_next = False
            return snapshot(self.conn, self._floor)
        return fold(self.conn, self._floor)

    @contextmanager
    def transaction(self):
        outer = not self.conn.in_transaction
        if outer:
            self._wrote_event = False
        with super().transaction():
            if outer:
                self._floor = last_note(self.conn) if self._capture_on() else 0
            yield self
            if outer and not self._migrating and self._capture_on() and pending(self.conn, self._floor):
                raise RuntimeError(f"{self.path}: data rows changed without an audit event "
                                   "(every write needs store.audit() in the same transaction)")
        if outer and self._wrote_event:
            self._wrote_event = False
            self._witness_append()

    def _witness_append(self) -> None:
        if getattr(self, "unwitnessed", False):
            return  # a file still being created under a temporary name: its real path is witnessed once in place
        uuid = self._info(UUID_KEY)
        row = self.conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        if uuid and row:
            witness.append(uuid, self.path, row[0], row[1])

    # ----------------------------------------------------------------- reading
    def _has_changes_column(self) -> bool:
        cols = [r[1] for r in self.conn.execute("PRAGMA table_info(audit_events)").fetchall()]
        return "changes" in cols

    def _events(self, where: str = "", args: tuple = ()) -> list[dict]:
        keys = ["seq", "ts_utc", "actor", "action", "entity", "before", "after", "prev_hash", "hash"]
        if self._has_changes_column():
            keys.append("changes")
        rows = self.conn.execute(f"SELECT {', '.join(keys)} FROM audit_events {where} ORDER BY seq", args).fetchall()
        return [dict(zip(keys, r)) for r in rows]

    def audit_events(self) -> list[dict]:
        return self._events()

    def audit_events_after(self, seq: int) -> list[dict]:
        return self._events("WHERE seq > ?", (int(seq),))

    def table_images(self) -> dict[str, dict[int, dict]]:
        return table_images(self.conn)

    def pending_changes(self) -> int:
        return pending(self.conn) if self._capture_on() else 0

    def capture_started(self) -> bool:
        """Whether this file's data has been explained by row images (a snapshot or a capture-era creation)."""
        return self._info(REPLAY_INFO_KEY) is not None

    def assessment_uuid(self) -> str | None:
        return self._info(UUID_KEY)

    def verify_audit(self, since=None):
        """The chain's hash links, then the checks every opener shares: the creation event and the
        recorded head, the replay of the row images against the tables, and the local witness."""
        from core.assessment import replay

        since = since or self.verified_chain
        with self.snapshot():
            chain = super().verify_audit(since)
            if not chain.ok and since is not None and since.ok:
                chain = super().verify_audit(None)
            return replay.full_check(self, chain)


def dumps_changes(changes) -> str | None:
    if changes is None:
        return None
    return json.dumps(changes, sort_keys=True, ensure_ascii=False, allow_nan=False)

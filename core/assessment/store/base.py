"""Connection, schema versioning, transactions and the audit writer.

This package is the only place in Preflight that speaks SQL.
"""

from __future__ import annotations

import getpass
import sqlite3
from contextlib import contextmanager
from pathlib import Path


from core.assessment.audit import GENESIS, ChainVerification, event_hash, verify_after, verify_chain
from core.canonical import dumps, utc_now  # noqa: F401  (utc_now re-exported)
from core.errors import AssessmentFileError
from core.assessment.store.connection import ConnectionMixin
from core.assessment.store.migrations import APPLICATION_ID, LATEST, MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreBusyError(AssessmentFileError):
    """Another program held the file's write lock for longer than the busy timeout."""


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def busy_error(path, timeout: float) -> StoreBusyError:
    return StoreBusyError(
        f"{path}: the assessment is busy: another program is writing to it and did not finish within "
        f"{timeout:g} s. Nothing was changed; try again when the other program is done.")


def default_actor() -> str:
    try:
        return getpass.getuser() or "local user"
    except Exception:  # no login name in some containers
        return "local user"


class StoreBase(ConnectionMixin):
    """Open or create a .preflight file and keep it at the latest schema version."""

    #: seconds a write waits for another connection's write lock before it gives up with StoreBusyError
    busy_timeout: float = 10.0
    #: ``gate(store)`` run at the start of every write transaction (see :meth:`transaction`); the command
    #: line sets it to refuse changes to an approved assessment without an amendment
    write_gate = None

    def __init__(self, path, *, actor: str | None = None, _create: bool = False, _upto: int | None = None,
                 _secondary: str = "", _read_only: bool = False, _upgrade_copy: bool = False):
        self.path = Path(path)
        self.actor = actor or default_actor()
        self.read_only = _secondary == "ro" or _read_only
        self.verified_chain: ChainVerification | None = None  # see open_reader
        if _secondary:
            self._open_secondary(_secondary)
            return
        if not _create:
            self._check_file(self.path)
        if _read_only:
            self._open_read_only(_upgrade_copy)
            return
        if not _create:
            self._check_writable(self.path)
        try:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=self.busy_timeout)
        except sqlite3.Error as exc:
            raise AssessmentFileError(f"{self.path}: cannot open ({exc})") from None
        self.conn = conn
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            if not _create:
                self._check_identity()  # before anything is written: a foreign file is left as it was
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise AssessmentFileError(f"{self.path}: cannot switch the file to WAL mode ({mode})")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate(upto=_upto)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_busy(exc):
                raise busy_error(self.path, self.busy_timeout) from None
            raise AssessmentFileError(f"{self.path}: not a usable Preflight assessment ({exc})") from None
        except Exception:
            conn.close()
            raise

    # ------------------------------------------------------------------ opening
    def _open_read_only(self, upgrade_copy: bool) -> None:
        """Open for reading only: ``mode=ro``, no journal-mode switch, no migration, nothing written.

        Works in a read-only folder.  With ``upgrade_copy`` a file of an older schema is copied into
        memory and the copy migrated, so readers that expect the latest tables work; the file itself
        is never changed.
        """
        uri = self.path.resolve().as_uri()
        conn = None
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            # a WAL file in a folder we cannot write has no -shm to share: read it as immutable
            # (nobody can be writing it through this folder's permissions)
            try:
                conn = sqlite3.connect(uri + query, uri=True, check_same_thread=False, timeout=self.busy_timeout)
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                break
            except sqlite3.OperationalError as exc:
                if conn is not None:
                    conn.close()
                    conn = None
                if _is_busy(exc):
                    raise busy_error(self.path, self.busy_timeout) from None
                last = exc
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    conn.close()
                raise AssessmentFileError(f"{self.path}: not a usable Preflight assessment ({exc})") from None
        if conn is None:
            raise AssessmentFileError(f"{self.path}: cannot open for reading ({last})") from None
        self.conn = conn
        try:
            conn.execute("PRAGMA query_only=ON")
            self._check_identity()
            if upgrade_copy and self.schema_version < LATEST:
                memory = sqlite3.connect(":memory:", check_same_thread=False)
                conn.backup(memory)
                conn.close()
                self.conn = memory
                memory.execute("PRAGMA foreign_keys=ON")
                trail = self._trail_state()
                self.read_only, self._memory_copy, self._migrating = False, True, True
                try:
                    StoreBase._migrate(self)  # the plain schema steps, in memory only
                    self._restore_trail(trail)
                finally:
                    self.read_only, self._migrating = True, False
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise AssessmentFileError(f"{self.path}: not a usable Preflight assessment ({exc})") from None
        except Exception:
            self.conn.close()
            raise

    def _trail_state(self) -> tuple:
        count = self.conn.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
        return count, self._info("audit_head"), self._info("audit_count")

    def _restore_trail(self, trail: tuple) -> None:
        """Keep the memory copy's audit trail exactly the file's: events a migration appended in memory go
        (the report and verification must name the file's own head, not one that exists only here)."""
        count, head, recorded = trail
        if self.conn.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0] == count:
            return
        trigger = self.conn.execute("SELECT sql FROM sqlite_master WHERE type='trigger' "
                                    "AND name='audit_events_no_delete'").fetchone()
        self.conn.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        self.conn.execute("DELETE FROM audit_events WHERE seq > ?", (count,))
        if trigger:
            self.conn.execute(trigger[0])
        for key, value in (("audit_head", head), ("audit_count", recorded)):
            if value is None:
                self.conn.execute("DELETE FROM info WHERE key=?", (key,))
            else:
                self._set_info(key, value)
        self.conn.commit()

    @staticmethod
    def _check_writable(path: Path) -> None:
        import os

        if not os.access(path, os.W_OK):
            raise AssessmentFileError(f"{path}: the file is read-only; it cannot be changed (commands that only "
                                      "read it, such as audit verify, score and report, still work)")
        if not os.access(path.parent if str(path.parent) else Path("."), os.W_OK | os.X_OK):
            raise AssessmentFileError(f"{path}: the folder {path.parent} is read-only; the assessment cannot be "
                                      "changed there (audit verify, score and report still read it)")

    def _backup_before_migration(self, version: int) -> Path:
        """Copy the file as it is to NAME.preflight.bak-vN before migrating it from schema N."""
        dest = self.path.with_name(f"{self.path.name}.bak-v{version}")
        if dest.exists():  # the first copy of that version is the original: keep it
            return dest
        tmp = dest.with_name(dest.name + ".tmp")
        out = sqlite3.connect(str(tmp))
        try:
            self.conn.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
        finally:
            out.close()
        tmp.replace(dest)
        return dest

    def _open_secondary(self, mode: str) -> None:
        """A second connection to an already open (checked, migrated, WAL) file, for a worker thread."""
        uri = self.path.resolve().as_uri() + ("?mode=ro" if mode == "ro" else "?mode=rw")
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=self.busy_timeout)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA query_only=ON" if mode == "ro" else "PRAGMA query_only=OFF")
        except sqlite3.Error as exc:
            raise AssessmentFileError(f"{self.path}: cannot open a second connection ({exc})") from None
        self.conn = conn

    def open_reader(self, verified: ChainVerification | None = None):
        """A read-only connection of its own to this file, for reading in a worker thread.

        The UI thread's connection may be in the middle of a write; WAL lets this reader see
        the last committed state meanwhile.  Use it as a context manager (it closes itself).
        Inside ``with reader.snapshot():`` every read sees one and the same committed state.
        ``verified``, an intact verification of this file's chain, lets the reader's
        :meth:`verify_audit` check only the events written after it.
        """
        reader = type(self)(self.path, actor=self.actor, _secondary="ro")
        reader.verified_chain = verified
        return reader

    def open_writer(self):
        """A read-write connection of its own, for a worker thread that writes one short transaction."""
        return type(self)(self.path, actor=self.actor, _secondary="rw")

    @contextmanager
    def snapshot(self):
        """All reads inside see one committed state of the file (a read transaction)."""
        if self.conn.in_transaction:
            yield self
            return
        self.conn.execute("BEGIN")
        try:
            yield self
        finally:
            self.conn.execute("COMMIT")

    @staticmethod
    def _check_file(path: Path) -> None:
        if not path.exists():
            raise AssessmentFileError(f"{path}: no such file")
        if path.is_dir():
            raise AssessmentFileError(f"{path}: is a directory, not a .preflight file")
        with open(path, "rb") as fh:
            head = fh.read(16)
        if not head:
            raise AssessmentFileError(f"{path}: the file is empty, not a Preflight assessment")
        if head != SQLITE_MAGIC:
            raise AssessmentFileError(f"{path}: not a Preflight assessment (not a SQLite database)")

    def _check_identity(self) -> None:
        app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise AssessmentFileError(f"{self.path}: a SQLite database, but not a Preflight assessment")
        ok = self.conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise AssessmentFileError(f"{self.path}: the file is corrupt ({ok})")
        version = self.schema_version
        if version > LATEST:
            raise AssessmentFileError(
                f"{self.path}: written by a newer Preflight (schema version {version}; "
                f"this version reads up to {LATEST}). Update Preflight to open it.")

    @property
    def sqlite_version(self) -> str:
        """The version of the SQLite library that reads and writes this file."""
        return sqlite3.sqlite_version

    @property
    def schema_version(self) -> int:
        try:
            row = self.conn.execute("SELECT value FROM info WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def _migrate(self, upto: int | None = None) -> None:
        target = LATEST if upto is None else upto
        current = self.schema_version
        if not any(current < version <= target for version, _d, _f in MIGRATIONS):
            return
        if current > 0 and not self.read_only and not self._memory_copy:
            self.backup_path = self._backup_before_migration(current)
        # a migration may rebuild a table: foreign keys are off meanwhile (so a DROP does not cascade)
        # and checked before each migration commits
        self.conn.execute("PRAGMA foreign_keys=OFF")
        try:
            for version, _desc, func in MIGRATIONS:
                if current < version <= target:
                    with self.transaction():
                        if self.schema_version >= version:  # another program migrated it meanwhile
                            current = self.schema_version
                            continue
                        func(self.db)
                        bad = self.conn.execute("PRAGMA foreign_key_check").fetchone()
                        if bad is not None:
                            raise AssessmentFileError(f"{self.path}: migration to schema {version} left a "
                                                      f"dangling reference in table {bad[0]}")
                        self.conn.execute("PRAGMA application_id=%d" % APPLICATION_ID)
                        self.conn.execute("INSERT OR REPLACE INTO info(key, value) VALUES ('schema_version', ?)",
                                          (str(version),))
                    current = version
        finally:
            self.conn.execute("PRAGMA foreign_keys=ON")

    backup_path: Path | None = None  # the copy made before this open migrated the file
    _memory_copy = False  # a read-only open reading an upgraded copy in memory

    def close(self) -> None:
        if not self.read_only:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def save_as(self, path) -> Path:
        """Write a consistent copy of this assessment to ``path`` (one self-contained file)."""
        path = Path(path)
        if path.exists():
            path.unlink()
        dest = sqlite3.connect(str(path))
        try:
            self.conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        return path

    def data_version(self) -> int:
        """A number that changes whenever another connection (another program) commits to the file."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # ------------------------------------------------------------- transactions
    @contextmanager
    def transaction(self):
        """All writes of one user action, and their audit events, commit together.

        The outermost transaction starts with ``BEGIN IMMEDIATE``: it takes the file's write lock
        before its first read, so it waits (up to :attr:`busy_timeout`) for another writer instead of
        failing when a read lock cannot be upgraded.  Nested calls are savepoints.  A lock held longer
        than the timeout raises :class:`StoreBusyError`, and nothing is written.  When
        :attr:`write_gate` is set, ``write_gate(store)`` runs first, under the lock: raising there
        refuses the change and nothing is written.
        """
        if self.read_only:
            raise AssessmentFileError(f"{self.path}: opened read-only; nothing can be changed through it")
        if self.conn.in_transaction:
            with self._savepoint():  # inside the outer transaction
                yield self
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise busy_error(self.path, self.busy_timeout) from None
            if "readonly" in str(exc).lower() or "read-only" in str(exc).lower():
                raise AssessmentFileError(f"{self.path}: the file is read-only; it cannot be changed") from None
            raise
        try:
            if self.write_gate is not None:
                self.write_gate(self)  # may refuse the change; it sees the file under the write lock
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if _is_busy(exc):
                raise busy_error(self.path, self.busy_timeout) from None
            raise

    def _info(self, key: str, default=None):
        row = self.conn.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def _set_info(self, key: str, value) -> None:
        self.conn.execute("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", (key, str(value)))

    def audit(self, action: str, entity: str, before=None, after=None, actor: str | None = None) -> dict:
        """Append one event to the hash chain.  Call inside :meth:`transaction`."""
        if not self.conn.in_transaction:
            raise RuntimeError("audit() must run inside a transaction")
        last = self.conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = {"seq": seq, "ts_utc": utc_now(), "actor": actor or self.actor, "action": action,
                 "entity": entity,
                 "before": None if before is None else dumps(before, sort_keys=True),
                 "after": None if after is None else dumps(after, sort_keys=True)}
        changes = getattr(self, "_captured_changes", lambda: None)()  # row images of this event's writes (schema 6 on), see store/changes.py
        if changes is not None:
            event["changes"] = dumps(changes, sort_keys=True)
        event["prev_hash"] = prev
        event["hash"] = event_hash(event, prev)
        cols = ", ".join(event)
        self.conn.execute(f"INSERT INTO audit_events({cols}) VALUES ({', '.join(':' + k for k in event)})", event)
        self._set_info("audit_head", event["hash"])
        self._set_info("audit_count", seq)
        return event

    def _captured_changes(self):
        """Row images to fold into the next event; None for a file without change capture."""
        return None

    def audit_events(self) -> list[dict]:
        rows = self.conn.execute("SELECT seq, ts_utc, actor, action, entity, before, after, prev_hash, hash "
                                 "FROM audit_events ORDER BY seq").fetchall()
        keys = ("seq", "ts_utc", "actor", "action", "entity", "before", "after", "prev_hash", "hash")
        return [dict(zip(keys, r)) for r in rows]

    def audit_events_after(self, seq: int) -> list[dict]:
        """The audit events with a sequence number above ``seq``, in order."""
        rows = self.conn.execute("SELECT seq, ts_utc, actor, action, entity, before, after, prev_hash, hash "
                                 "FROM audit_events WHERE seq > ? ORDER BY seq", (int(seq),)).fetchall()
        keys = ("seq", "ts_utc", "actor", "action", "entity", "before", "after", "prev_hash", "hash")
        return [dict(zip(keys, r)) for r in rows]

    def verify_audit(self, since: ChainVerification | None = None) -> ChainVerification:
        """Verify the audit chain: all of it, or only the events written after an intact ``since``."""
        since = since or self.verified_chain
        with self.snapshot():
            count = self._info("audit_count")
            recorded = dict(recorded_head=self._info("audit_head"),
                            recorded_count=int(count) if count is not None else None)
            if since is None or not since.ok:
                return verify_chain(self.audit_events(), **recorded)
            row = self.conn.execute("SELECT hash FROM audit_events WHERE seq=?", (since.count,)).fetchone()
            return verify_after(since, self.audit_events_after(since.count), row[0] if row else None, **recorded)

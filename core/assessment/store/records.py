"""Checklist items, analysis runs and evidence: reads, writes and their audit events."""

from __future__ import annotations

import json
from dataclasses import replace

from core import __version__
from core.canonical import dumps
from core.assessment.checklist import Item, make_item, validate_fields
from core.errors import PreflightError
from core.assessment.store.base import utc_now

ITEM_COLUMNS = ("id", "position", "category", "name", "requirement", "priority", "status", "notes",
                "owner", "due_date", "maturity")
RUN_COLUMNS = ("id", "kind", "settings", "inputs", "result", "summary", "started_utc", "finished_utc",
               "preflight_version", "excluded_from_report")


def _item_audit(item: Item) -> dict:
    d = item.to_dict()
    return {k: d[k] for k in ITEM_COLUMNS}


class RecordsMixin:
    # ---------------------------------------------------------------- checklist
    def items(self) -> list[Item]:
        rows = self.conn.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM checklist_items "
                                 "ORDER BY position, id").fetchall()
        return [Item(**dict(zip(ITEM_COLUMNS, r))) for r in rows]

    def item(self, item_id: int) -> Item:
        row = self.conn.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM checklist_items WHERE id=?",
                                (item_id,)).fetchone()
        if row is None:
            raise PreflightError(f"checklist item {item_id} does not exist")
        return Item(**dict(zip(ITEM_COLUMNS, row)))

    def _insert_item(self, item: Item) -> Item:
        if not item.position:
            top = self.conn.execute("SELECT COALESCE(MAX(position), 0) FROM checklist_items").fetchone()[0]
            item = replace(item, position=top + 1)
        values = _item_audit(item)
        if values["id"] is None:
            del values["id"]
        values["updated_utc"] = utc_now()
        cols = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        cur = self.conn.execute(f"INSERT INTO checklist_items ({cols}) VALUES ({marks})", values)
        return replace(item, id=item.id if item.id is not None else cur.lastrowid)

    def add_item(self, item: Item, *, links: list[dict] = ()) -> Item:
        """Insert an item; undo of a delete passes the old id and evidence links back in."""
        make_item({k: v for k, v in item.to_dict().items()})  # validates every field
        with self.transaction():
            stored = self._insert_item(item)
            self.audit("create", f"checklist_item:{stored.id}", None, _item_audit(stored))
            for link in links:
                self.link_evidence(stored.id, run_id=link.get("run_id"), file_id=link.get("file_id"))
        return stored

    def update_item(self, item_id: int, *, expect: dict | None = None, **changes) -> Item:
        """Change fields of one item.

        ``expect`` (field -> value) are the values the caller saw: when the stored item no longer
        has them (another program changed or replaced it meanwhile) nothing is written and a
        PreflightError says what changed.
        """
        allowed = set(ITEM_COLUMNS) - {"id"}
        unknown = set(changes) - allowed
        if unknown:
            raise PreflightError(f"unknown checklist field(s): {', '.join(sorted(unknown))}")
        changes = validate_fields(changes, where=f"checklist item {item_id}")
        with self.transaction():
            try:
                before = self.item(item_id)
            except PreflightError:
                if expect is None:
                    raise
                raise PreflightError(f"checklist item {item_id} no longer exists (another program changed "
                                     "the checklist); the checklist was reloaded") from None
            if expect:
                stale = [k for k, v in expect.items() if getattr(before, k) != v]
                if stale:
                    now = ", ".join(f"{k} is now {getattr(before, k)!r}, not {expect[k]!r}" for k in stale)
                    raise PreflightError(f"'{before.name}' was changed by another program ({now}); "
                                         "nothing was changed, the checklist was reloaded")
            after = replace(before, **changes)
            if after == before:
                return before
            sets = ", ".join(f"{k}=:{k}" for k in changes)
            self.conn.execute(f"UPDATE checklist_items SET {sets}, updated_utc=:_ts WHERE id=:_id",
                              {**changes, "_ts": utc_now(), "_id": item_id})
            b, a = _item_audit(before), _item_audit(after)
            self.audit("update", f"checklist_item:{item_id}",
                       {k: b[k] for k in changes if b[k] != a[k]}, {k: a[k] for k in changes if b[k] != a[k]})
        return after

    def delete_item(self, item_id: int) -> Item:
        with self.transaction():
            before = self.item(item_id)
            links = self.links(item_id)
            self.conn.execute("DELETE FROM checklist_items WHERE id=?", (item_id,))
            self.audit("delete", f"checklist_item:{item_id}", {**_item_audit(before), "evidence_links": links}, None)
        return before

    def replace_items(self, items: list[Item], *, source: str = "import") -> list[Item]:
        """Replace the whole checklist (an import), as one transaction."""
        with self.transaction():
            old = self.items()
            self.conn.execute("DELETE FROM checklist_items")
            stored = [self._insert_item(replace(it, id=None, position=n)) for n, it in enumerate(items, start=1)]
            self.audit("replace", "checklist", {"items": [_item_audit(i) for i in old]},
                       {"source": source, "items": [_item_audit(i) for i in stored]})
        return stored

    # ---------------------------------------------------------------------- runs
    def add_run(self, kind: str, *, settings: dict, inputs: list[dict], result: dict, summary: dict | None = None,
                started_utc: str, finished_utc: str | None = None) -> int:
        """Store one finished analysis run with its inputs' hashes; returns the run id."""
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (kind, settings, inputs, result, summary, started_utc, finished_utc, "
                "preflight_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, dumps(settings), dumps(inputs), dumps(result), dumps(summary or {}), started_utc,
                 finished_utc or utc_now(), __version__))
            run_id = cur.lastrowid
            self.audit("create", f"run:{run_id}", None,
                       {"kind": kind, "settings": settings, "inputs": inputs, "summary": summary or {}})
        return run_id

    def record_run(self, kind: str, run, *, result: dict | None = None) -> int:
        """Store a feature's finished run (any object with ``result``, ``settings``, ``inputs``, ``summary``,
        ``started_utc`` and ``finished_utc``) with its audit event; ``result`` replaces ``run.result``."""
        return self.add_run(kind, settings=run.settings, inputs=list(run.inputs),
                            result=run.result if result is None else result, summary=run.summary,
                            started_utc=run.started_utc, finished_utc=run.finished_utc)

    def _run_row(self, row, with_result: bool = True) -> dict:
        d = dict(zip(RUN_COLUMNS, row))
        for key in ("settings", "inputs", "summary") + (("result",) if with_result else ()):
            d[key] = json.loads(d[key]) if d.get(key) is not None else None
        d["excluded_from_report"] = bool(d["excluded_from_report"])
        return d

    def runs(self, kind: str | None = None, *, with_result: bool = True) -> list[dict]:
        cols = RUN_COLUMNS if with_result else tuple(c if c != "result" else "NULL" for c in RUN_COLUMNS)
        sql = f"SELECT {', '.join(cols)} FROM runs"
        args: tuple = ()
        if kind:
            sql += " WHERE kind=?"
            args = (kind,)
        rows = self.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._run_row(r, with_result) for r in rows]

    def run(self, run_id: int) -> dict:
        row = self.conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise PreflightError(f"run {run_id} does not exist in this assessment")
        return self._run_row(row)

    def latest_run(self, kind: str) -> dict | None:
        row = self.conn.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE kind=? ORDER BY id DESC LIMIT 1",
                                (kind,)).fetchone()
        return self._run_row(row) if row else None

    # ------------------------------------------------------------ which runs count
    def counted_run_choices(self) -> dict[str, int]:
        """The run chosen explicitly to count for the verdict, per run kind (kinds without a choice are absent)."""
        rows = self.conn.execute("SELECT kind, run_id FROM counted_runs ORDER BY kind").fetchall()
        return {kind: run_id for kind, run_id in rows}

    def excluded_run_ids(self) -> list[int]:
        """The runs left out of the report (they stay in the file, the JSON copy and the audit trail)."""
        rows = self.conn.execute("SELECT id FROM runs WHERE excluded_from_report=1 ORDER BY id").fetchall()
        return [r[0] for r in rows]

    def set_counted_run(self, kind: str, run_id: int | None) -> None:
        """Choose the run of ``kind`` that counts for the verdict; None goes back to the default rule."""
        with self.transaction():
            row = self.conn.execute("SELECT run_id FROM counted_runs WHERE kind=?", (kind,)).fetchone()
            before = row[0] if row else None
            if run_id is not None:
                run = self.run(run_id)
                if run["kind"] != kind:
                    raise PreflightError(f"run #{run_id} is a {run['kind']} run; it cannot count as the {kind} run")
                if run["excluded_from_report"]:
                    raise PreflightError(f"run #{run_id} is left out of the report; include it again before "
                                         "choosing it for the verdict")
            if before == run_id:
                return
            if run_id is None:
                self.conn.execute("DELETE FROM counted_runs WHERE kind=?", (kind,))
            else:
                self.conn.execute("INSERT OR REPLACE INTO counted_runs (kind, run_id, chosen_utc) VALUES (?, ?, ?)",
                                  (kind, run_id, utc_now()))
            self.audit("update", f"counted_run:{kind}", {"run_id": before}, {"run_id": run_id})

    def set_run_excluded(self, run_id: int, excluded: bool) -> None:
        """Leave a run out of the report (or take it back in); a run left out no longer counts for the verdict."""
        excluded = bool(excluded)
        with self.transaction():
            run = self.run(run_id)
            if run["excluded_from_report"] == excluded:
                return
            self.conn.execute("UPDATE runs SET excluded_from_report=? WHERE id=?", (int(excluded), run_id))
            self.audit("update", f"run:{run_id}", {"excluded_from_report": not excluded},
                       {"excluded_from_report": excluded})
            if excluded and self.counted_run_choices().get(run["kind"]) == run_id:
                self.set_counted_run(run["kind"], None)

    # ------------------------------------------------------------------ evidence
    def add_evidence_file(self, *, label: str, path: str, sha256: str, size: int, blob: bytes | None = None) -> int:
        with self.transaction():
            cur = self.conn.execute("INSERT INTO evidence_files (label, path, sha256, size, attached_utc, blob) "
                                    "VALUES (?, ?, ?, ?, ?, ?)", (label, path, sha256, size, utc_now(), blob))
            fid = cur.lastrowid
            self.audit("create", f"evidence_file:{fid}", None,
                       {"label": label, "path": path, "sha256": sha256, "size": size, "embedded": blob is not None})
        return fid

    def _evidence_history(self) -> bool:
        """True when the file records replaced and removed evidence (schema 5 and later)."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(evidence_files)").fetchall()}
        return "retired_utc" in cols

    def evidence_files(self, *, include_retired: bool = False) -> list[dict]:
        """The evidence files in force; with ``include_retired`` also the replaced and removed ones
        (``retired_utc`` set, with ``retired_reason`` and, for a replaced one, ``replaced_by``)."""
        history = self._evidence_history()
        extra = ", retired_utc, retired_reason, replaced_by" if history else ", NULL, '', NULL"
        where = "" if include_retired or not history else " WHERE retired_utc IS NULL"
        rows = self.conn.execute("SELECT id, label, path, sha256, size, attached_utc, blob IS NOT NULL" + extra +
                                 " FROM evidence_files" + where + " ORDER BY id").fetchall()
        keys = ("id", "label", "path", "sha256", "size", "attached_utc", "embedded")
        out = []
        for r in rows:
            d = dict(zip(keys, r[:7]), embedded=bool(r[6]))
            if include_retired:
                d.update(retired_utc=r[7], retired_reason=r[8] or "", replaced_by=r[9])
            out.append(d)
        return out

    def _current_evidence(self, file_id: int) -> dict:
        for f in self.evidence_files():
            if f["id"] == file_id:
                return f
        if any(f["id"] == file_id for f in self.evidence_files(include_retired=True)):
            raise PreflightError(f"evidence file {file_id} was already replaced or removed")
        raise PreflightError(f"evidence file {file_id} does not exist")

    def replace_evidence_file(self, file_id: int, *, label: str, path: str, sha256: str, size: int,
                              blob: bytes | None = None, reason: str = "") -> int:
        """Put a newly hashed file in place of evidence file ``file_id``: its links move to the new file and
        the old record stays in the history as replaced.  Returns the new file's id."""
        reason = (reason or "").strip()
        with self.transaction():
            old = self._current_evidence(file_id)
            cur = self.conn.execute("INSERT INTO evidence_files (label, path, sha256, size, attached_utc, blob) "
                                    "VALUES (?, ?, ?, ?, ?, ?)", (label, path, sha256, size, utc_now(), blob))
            new_id = cur.lastrowid
            self.conn.execute("UPDATE evidence_files SET retired_utc=?, retired_reason=?, replaced_by=? WHERE id=?",
                              (utc_now(), reason or "replaced", new_id, file_id))
            moved = [r[0] for r in self.conn.execute("SELECT id FROM evidence_links WHERE file_id=? ORDER BY id",
                                                     (file_id,)).fetchall()]
            self.conn.execute("UPDATE evidence_links SET file_id=? WHERE file_id=?", (new_id, file_id))
            self.audit("replace", f"evidence_file:{file_id}",
                       {k: old[k] for k in ("id", "label", "path", "sha256", "size", "embedded")},
                       {"id": new_id, "label": label, "path": path, "sha256": sha256, "size": size,
                        "embedded": blob is not None, "reason": reason, "links_moved": moved})
        return new_id

    def remove_evidence_file(self, file_id: int, reason: str) -> None:
        """Take evidence file ``file_id`` out of force (its links go); the record stays in the history."""
        reason = (reason or "").strip()
        if len(reason) < 10:
            raise PreflightError(f"removing evidence needs a reason of at least 10 characters (got {len(reason)})")
        with self.transaction():
            old = self._current_evidence(file_id)
            links = self.conn.execute("SELECT id, item_id FROM evidence_links WHERE file_id=? ORDER BY id",
                                      (file_id,)).fetchall()
            self.conn.execute("DELETE FROM evidence_links WHERE file_id=?", (file_id,))
            self.conn.execute("UPDATE evidence_files SET retired_utc=?, retired_reason=? WHERE id=?",
                              (utc_now(), reason, file_id))
            self.audit("remove", f"evidence_file:{file_id}",
                       {k: old[k] for k in ("id", "label", "path", "sha256", "size", "embedded")},
                       {"reason": reason, "links_removed": [{"id": i, "item_id": item} for i, item in links]})

    def evidence_blob(self, file_id: int) -> bytes | None:
        row = self.conn.execute("SELECT blob FROM evidence_files WHERE id=?", (file_id,)).fetchone()
        return row[0] if row else None

    def link_evidence(self, item_id: int, *, run_id: int | None = None, file_id: int | None = None) -> int:
        if (run_id is None) == (file_id is None):
            raise PreflightError("an evidence link points to exactly one run or one file")
        with self.transaction():
            self.item(item_id)
            if run_id is not None:
                self.run(run_id)
            else:
                self._current_evidence(file_id)  # never link a replaced or removed file
            dup = self.conn.execute("SELECT id FROM evidence_links WHERE item_id=? AND run_id IS ? AND file_id IS ?",
                                    (item_id, run_id, file_id)).fetchone()
            if dup:
                return dup[0]
            cur = self.conn.execute("INSERT INTO evidence_links (item_id, run_id, file_id, created_utc) "
                                    "VALUES (?, ?, ?, ?)", (item_id, run_id, file_id, utc_now()))
            self.audit("create", f"evidence_link:{cur.lastrowid}", None,
                       {"item_id": item_id, "run_id": run_id, "file_id": file_id})
        return cur.lastrowid

    def links(self, item_id: int | None = None) -> list[dict]:
        sql = "SELECT id, item_id, run_id, file_id, created_utc FROM evidence_links"
        args: tuple = ()
        if item_id is not None:
            sql += " WHERE item_id=?"
            args = (item_id,)
        keys = ("id", "item_id", "run_id", "file_id", "created_utc")
        return [dict(zip(keys, r)) for r in self.conn.execute(sql + " ORDER BY id", args).fetchall()]

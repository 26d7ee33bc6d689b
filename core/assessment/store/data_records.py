"""Reference profiles and data schemas kept inside the assessment."""

from __future__ import annotations

import json

from core.canonical import dumps
from core.errors import PreflightError
from core.assessment.store.base import utc_now


class DataMixin:
    def save_profile(self, name: str, profile: dict, *, run_id: int | None = None, source: dict | None = None) -> int:
        with self.transaction():
            cur = self.conn.execute("INSERT INTO reference_profiles (name, run_id, source, profile, created_utc) "
                                    "VALUES (?, ?, ?, ?, ?)",
                                    (name, run_id, dumps(source or {}), dumps(profile), utc_now()))
            self.audit("create", f"reference_profile:{cur.lastrowid}", None,
                       {"name": name, "run_id": run_id, "source": source or {}})
        return cur.lastrowid

    def profiles(self) -> list[dict]:
        rows = self.conn.execute("SELECT id, name, run_id, source, created_utc FROM reference_profiles "
                                 "ORDER BY id").fetchall()
        return [{"id": r[0], "name": r[1], "run_id": r[2], "source": json.loads(r[3]), "created_utc": r[4]}
                for r in rows]

    def profile(self, key: str | int | None = None) -> dict:
        """A stored profile by id or name; the newest one when ``key`` is None."""
        if key is None:
            row = self.conn.execute("SELECT profile FROM reference_profiles ORDER BY id DESC LIMIT 1").fetchone()
        elif isinstance(key, int) or str(key).isdigit():
            row = self.conn.execute("SELECT profile FROM reference_profiles WHERE id=?", (int(key),)).fetchone()
        else:
            row = self.conn.execute("SELECT profile FROM reference_profiles WHERE name=? ORDER BY id DESC LIMIT 1",
                                    (key,)).fetchone()
        if row is None:
            what = "any reference profile" if key is None else f"a reference profile {key!r}"
            raise PreflightError(f"{self.path}: does not hold {what}")
        return json.loads(row[0])

    def save_schema(self, name: str, schema: dict) -> None:
        with self.transaction():
            old = self.conn.execute("SELECT schema FROM data_schemas WHERE name=?", (name,)).fetchone()
            before = json.loads(old[0]) if old else None
            if before == json.loads(dumps(schema)):
                return
            self.conn.execute("INSERT OR REPLACE INTO data_schemas (name, schema, updated_utc) VALUES (?, ?, ?)",
                              (name, dumps(schema), utc_now()))
            self.audit("update" if old else "create", f"data_schema:{name}", before, schema)

    def schemas(self) -> dict[str, dict]:
        rows = self.conn.execute("SELECT name, schema FROM data_schemas ORDER BY name").fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

"""The .preflight assessment file: one SQLite database, the only place with SQL.

Open with :func:`open_assessment`, create with :func:`create_assessment`.  Every
write runs in a transaction together with its audit event, the file is in WAL
mode with foreign keys on, and the schema is versioned with numbered migrations
(``core/assessment/store/migrations.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.assessment.checklist import Item
from core.errors import AssessmentFileError
from core.assessment.store.base import StoreBase, utc_now
from core.assessment.store.changes import CaptureMixin
from core.assessment.store.data_records import DataMixin
from core.assessment.store.migrations import LATEST as SCHEMA_VERSION
from core.assessment.store.meta_records import MetaMixin
from core.assessment.store.records import RecordsMixin
from core.assessment.store.signoff_records import SignoffMixin

EXTENSION = ".preflight"


class Assessment(RecordsMixin, SignoffMixin, DataMixin, CaptureMixin, MetaMixin, StoreBase):
    """An open assessment file."""


def open_assessment(path, *, actor: str | None = None, read_only: bool = False,
                    upgrade_copy: bool = False) -> Assessment:
    """Open an assessment file.

    A writable open migrates an older file to the latest schema (after copying it to
    ``NAME.preflight.bak-vN``).  ``read_only=True`` opens it with ``mode=ro``: no migration, no
    journal-mode switch, nothing written, and it works in a read-only folder; with
    ``upgrade_copy=True`` an older file is migrated in a memory copy for reading.
    """
    return Assessment(path, actor=actor, _read_only=read_only, _upgrade_copy=upgrade_copy)


def create_assessment(path, *, name: str, items: list[Item] = (), template: str = "", system: str = "",
                      owner: str = "", readiness_threshold: float = 80.0, actor: str | None = None,
                      overwrite: bool = False, settings: dict | None = None) -> Assessment:
    """Create a new assessment file holding ``items``; refuses to overwrite unless asked.

    The file is written under a temporary name in the same folder and renamed into place only
    when complete, so an interrupted creation never leaves a half-made ``path`` behind.
    """
    path = Path(path)
    if path.exists():
        if not overwrite:
            raise AssessmentFileError(f"{path}: already exists (choose another name)")
        if path.is_dir():
            raise AssessmentFileError(f"{path}: is a directory")
    if not path.parent.exists():
        raise AssessmentFileError(f"{path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.creating")
    _remove_with_sidecars(tmp)
    store = Assessment(tmp, actor=actor, _create=True)
    store.unwitnessed = True
    try:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO assessment (id, name, system, owner, created_utc, template, readiness_threshold, "
                "settings) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (name, system, owner, utc_now(), template, float(readiness_threshold),
                 json.dumps(settings or {})))
            store.audit("create", "assessment", None, {"name": name, "system": system, "owner": owner,
                                                        "template": template,
                                                        "readiness_threshold": float(readiness_threshold)})
            stored = [store._insert_item(it.__class__(**{**it.to_dict(), "id": None, "position": n}))
                      for n, it in enumerate(items, start=1)]
            if stored:
                store.audit("replace", "checklist", None, {"source": template or "new",
                                                            "items": [i.to_dict() for i in stored]})
        store.close()  # checkpoints the WAL into the file: the complete file is one self-contained file
        _move_into_place(tmp, path, overwrite)
    except BaseException:
        try:
            store.close()
        except Exception:  # already closed
            pass
        _remove_with_sidecars(tmp)
        raise
    created = Assessment(path, actor=actor)
    created._witness_append()  # the first head, witnessed at the file's real path (not the temporary one)
    return created


def _remove_with_sidecars(path: Path) -> None:
    for side in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                 path.with_name(path.name + "-journal")):
        side.unlink(missing_ok=True)


def _move_into_place(tmp: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        # the old file's WAL must not be replayed into the new file
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if the name appeared meanwhile: never overwrite without being asked
    except FileExistsError:
        raise AssessmentFileError(f"{path}: already exists (choose another name)") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise AssessmentFileError(f"{path}: already exists (choose another name)") from None
        os.replace(tmp, path)
        return
    tmp.unlink()


__all__ = ["Assessment", "open_assessment", "create_assessment", "SCHEMA_VERSION", "EXTENSION"]

"""Moving reference profiles between an assessment and profile files (the CLI's ``profile export`` and
``profile import``, and the Data tab's menu).

* :func:`export_stored` writes a profile stored in an assessment (by a drift run, or imported) as a
  profile file.  Profiles a drift run stored keep the mean and standard deviation, not the exact
  moments, so ``sum`` and ``m2`` are derived from them (``mean * count``, ``std**2 * count``).
* :func:`import_into` stores a checked profile file's content in an assessment, in one transaction with
  its audit event, with the file's provenance (path, SHA-256, engine, source, rows) as its source.
"""

from __future__ import annotations

from pathlib import Path

from core.drift import profile_file as pf


def source_of(doc: dict, path, sha: str) -> dict:
    """The provenance of a profile file as drift records it: path, SHA-256, engine, source, rows, time."""
    prov = doc.get("provenance", {})
    return {"path": str(path), "sha256": sha, "engine": prov.get("engine"), "source": prov.get("source"),
            "rows": doc["rows"], "created_utc": prov.get("created_utc")}


def profile_for_store(doc: dict, path, sha: str) -> dict:
    """The profile dict drift reads (version, rows, columns) with its provenance as ``source``."""
    return {"version": 1, "rows": doc["rows"], "columns": doc["columns"], "source": source_of(doc, path, sha)}


def export_document(stored: dict, assessment_path) -> dict:
    """The profile file content of a stored profile (checked like a file that is read)."""
    src = stored.get("source") or {}
    columns = {}
    for name, col in stored["columns"].items():
        col = dict(col)
        if col.get("kind") in ("numeric", "datetime") and col.get("count"):
            col.setdefault("m2", float(col["std"]) ** 2 * col["count"])
            col.setdefault("sum", float(col["mean"]) * col["count"])
            if col.get("sketch"):
                col["sketch"] = {**col["sketch"]}
                col["sketch"].setdefault("rank_error", pf.sketch_rank_error(col["sketch"]))
        columns[name] = col
    doc = pf.make_profile_file({"rows": stored["rows"], "columns": columns},
                               engine=src.get("engine") or pf.ENGINE, source=src.get("path") or str(assessment_path),
                               edges="own", extra={"source_sha256": src.get("sha256")})
    return doc


def export_stored(stored: dict, out, assessment_path, *, progress=None, cancelled=None) -> dict:
    """Write a stored profile as the profile file ``out``; returns ``out``, ``rows``, ``columns``, ``sha256``."""
    doc = export_document(stored, assessment_path)
    pf.check_profile_doc(doc, out)
    sha = pf.write_profile_file(doc, out)
    return {"out": str(out), "rows": doc["rows"], "columns": len(doc["columns"]), "sha256": sha}


def import_into(store, doc: dict, path, sha: str, name: str | None = None) -> dict:
    """Store a profile file's checked content (``doc``, the file's ``sha``) in the assessment ``store``."""
    name = name or Path(path).name
    pid = store.save_profile(name, profile_for_store(doc, path, sha), source=source_of(doc, path, sha))
    return {"name": name, "id": pid, "rows": doc["rows"], "sha256": sha}


def read_checked(path, *, progress=None, cancelled=None) -> tuple[dict, str]:
    """:func:`core.drift.profile_file.read_profile_file` in the form a worker task calls."""
    out = pf.read_profile_file(path)
    if progress is not None:
        progress(1.0)
    return out

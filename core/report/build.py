"""Gathering everything the report shows from an open assessment.

:func:`snapshot` does the quick SQL reads (call it on the thread that owns
the store); :func:`build_from_snapshot` does the slow part - re-hashing the
evidence files - and works out signature validity, the readiness verdict and
the manifest.  :func:`build_report` does both.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata

from core import __version__
from core.assessment import evidence as ev
from core.assessment.counted import counted_runs
from core.handoff import signoff as so
from core.canonical import dumps, utc_now_seconds
from core.assessment.checklist import Item, score
from core.errors import PreflightError, check_cancel
from core.handoff.form import Handoff, validate_handoff
from core.render.registry import gates
from core.report.document import content_id
from core.report.verdict import verdict

#: Distribution names whose versions go into the manifest (read from package metadata, never imported).
LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "pyarrow", "sqlite-utils", "PySide6-Essentials")


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows, as plain JSON-able data."""

    meta: dict
    generated_utc: str
    verdict: dict
    items: list
    links: list
    score: dict
    runs: list
    handoff: dict
    handoff_error: str | None
    handoff_validation: dict
    model_card_sections: dict
    evidence: list
    reverification: list
    signatures: list
    stage: str
    content_hash: str
    users: list
    audit_events: list
    audit: dict
    manifest: dict
    #: kind -> {run_id, basis, text}: the run of each kind that counts for the verdict (core.assessment.counted)
    counted_runs: dict = field(default_factory=dict)
    #: SHA-256 of the report's canonical JSON without its volatile fields (see core.report.document)
    content_id: str = ""

    def to_dict(self) -> dict:
        return json.loads(dumps(asdict(self)))


def snapshot(store) -> dict:
    """The assessment's records, read in one go (fast: no file hashing)."""
    evidence = store.evidence_files()
    data, sections = store.handoff_data()
    return {
        "path": str(store.path), "meta": store.meta(), "schema_version": store.schema_version,
        "sqlite_version": store.sqlite_version,
        "items": store.items(), "links": store.links(), "runs": store.runs(),
        "run_choices": store.counted_run_choices(),
        "handoff": data, "sections": sections, "evidence": evidence,
        "blobs": {f["id"]: store.evidence_blob(f["id"]) for f in evidence if f.get("embedded")},
        "signature_rows": store.signature_rows(), "users": store.users(),
        "audit_events": store.audit_events(), "audit": store.verify_audit().to_dict(),
    }


def library_versions() -> dict:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _parse_event(event: dict) -> dict:
    out = dict(event)
    for key in ("before", "after"):
        value = out.get(key)
        if isinstance(value, str):
            try:
                out[key] = json.loads(value)
            except ValueError:
                pass
    return out


def _signature_entry(state: so.SignatureState) -> dict:
    sig = state.signature
    try:
        utc, local = so.local_and_utc(sig.signed_utc)
        manifestation = sig.manifestation()
    except PreflightError:
        utc, local, manifestation = str(sig.signed_utc), "", f"{sig.user_name} ({sig.role}) signed for {sig.meaning}"
    return {**sig.to_dict(), "valid": state.valid, "changes": list(state.changes), "signed_utc_text": utc,
            "signed_local_text": local, "manifestation": manifestation}


def _handoff(data: dict) -> tuple[Handoff, str | None]:
    try:
        return (Handoff.from_dict(data) if data else Handoff()), None
    except PreflightError as exc:
        return Handoff(), f"the stored handoff could not be read ({exc})"


def _reverify(evidence: list[dict], blobs: dict, progress, cancelled) -> list[dict]:
    files, broken = [], []
    for record in evidence:
        try:
            files.append(ev.EvidenceFile.from_dict(record))
        except PreflightError as exc:
            broken.append({"id": record.get("id"), "label": record.get("label"), "path": record.get("path"),
                           "status": "missing", "expected_sha256": record.get("sha256"), "actual_sha256": None,
                           "message": str(exc)})
    checked = [r.to_dict() for r in ev.reverify(files, blobs, progress=progress, cancelled=cancelled)]
    return sorted(checked + broken, key=lambda r: (r.get("id") is None, r.get("id") or 0))


def _input_rows(inputs) -> list[dict]:
    from core.render.registry import input_rows
    keys = ("role", "path", "sha256", "size", "rows")
    return [{k: d.get(k) for k in keys} for d in input_rows(inputs)]


def manifest(snap: dict, generated_utc: str, content_hash: str) -> dict:
    meta = snap["meta"]
    return {
        "preflight_version": __version__,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable_64bit": sys.maxsize > 2 ** 32,
        "libraries": library_versions(),
        "sqlite": snap.get("sqlite_version"),
        "schema_version": snap.get("schema_version"),
        "assessment_file": snap.get("path"),
        "assessment_created_utc": meta.get("created_utc"),
        "assessment_settings": meta.get("settings") or {},
        "template": meta.get("template"),
        "generated_utc": generated_utc,
        "content_hash": content_hash,
        "audit_head": snap["audit"].get("head_hash"),
        "audit_count": snap["audit"].get("count"),
        "runs": [{"id": r.get("id"), "kind": r.get("kind"), "preflight_version": r.get("preflight_version"),
                  "excluded_from_report": bool(r.get("excluded_from_report")),
                  "started_utc": r.get("started_utc"), "finished_utc": r.get("finished_utc"),
                  "settings": r.get("settings") or {}, "inputs": _input_rows(r.get("inputs"))}
                 for r in snap["runs"]],
    }


def build_from_snapshot(snap: dict, *, generated_utc: str | None = None, progress=None,
                        cancelled=None) -> ReportData:
    """The report data from a :func:`snapshot`; re-hashes the evidence files (``progress``/``cancelled`` apply)."""
    generated_utc = generated_utc or utc_now_seconds()
    meta = dict(snap["meta"])
    items: list[Item] = list(snap["items"])
    threshold = meta.get("readiness_threshold")
    result = score(items, 80.0 if threshold is None else threshold)
    score_dict = {**result.to_dict(), "done_weight": result.done_weight,
                  "applicable_weight": result.applicable_weight, "reasons": result.reasons}
    handoff, handoff_error = _handoff(snap["handoff"])
    validation = validate_handoff(handoff).to_dict()
    content = so.build_content(meta, items, snap["handoff"], snap["runs"], snap["evidence"])
    rows = snap["signature_rows"]
    states = so.signature_states([so.Signature.from_dict(r) for r in rows],
                                 {r["id"]: r.get("content") for r in rows}, content)
    check_cancel(cancelled)
    reverification = _reverify(snap["evidence"], snap.get("blobs") or {}, progress, cancelled)
    content_hash = so.content_hash(content)
    signatures = [_signature_entry(s) for s in states]
    stage = so.stage(states)
    data = {
        "meta": {**meta, "path": snap.get("path")},
        "generated_utc": generated_utc,
        "items": [i.to_dict() for i in items],
        "links": list(snap["links"]),
        "score": score_dict,
        "runs": list(snap["runs"]),
        "handoff": handoff.to_dict() if handoff_error is None else dict(snap["handoff"]),
        "handoff_error": handoff_error,
        "handoff_validation": validation,
        "model_card_sections": dict(snap.get("sections") or {}),
        "evidence": list(snap["evidence"]),
        "reverification": reverification,
        "signatures": signatures,
        "stage": stage,
        "content_hash": content_hash,
        "users": list(snap["users"]),
        "audit_events": [_parse_event(e) for e in snap["audit_events"]],
        "audit": dict(snap["audit"]),
        "manifest": manifest(snap, generated_utc, content_hash),
    }
    kinds = [kind for kind, _label, _check in gates()]
    kinds += sorted({r.get("kind") for r in snap["runs"] if r.get("kind") not in kinds})
    data["counted_runs"] = counted_runs(snap["runs"], snap["links"], snap.get("run_choices"), kinds)
    data["verdict"] = verdict(data)
    data = json.loads(dumps(data))  # plain JSON data: tuples become lists, NaN becomes null
    report = ReportData(**data)
    report = replace(report, content_id=content_id(report))
    if progress is not None:
        progress(1.0)
    return report


def build_report(store, *, generated_utc: str | None = None, progress=None, cancelled=None) -> ReportData:
    """Everything the report of ``store`` shows (reads the file, re-hashes the evidence)."""
    return build_from_snapshot(snapshot(store), generated_utc=generated_utc, progress=progress,
                               cancelled=cancelled)

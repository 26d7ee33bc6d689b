"""The report's JSON electronic copy and its content ID.

**Report content ID.**  The SHA-256 (hex) of the canonical JSON
(:func:`core.canonical.canonical_json`: sorted keys, no whitespace, UTF-8) of
:func:`report_document` without its volatile fields, :data:`VOLATILE`: the
time the report was generated (``generated_utc``, ``manifest.generated_utc``)
and the ID itself.  Two reports of the same assessment in the same state
therefore carry the same ID however often they are generated, and any change
to what a report states (a checklist edit, a run, a signature, an audit event,
an evidence file's re-verification, the Preflight or library versions of the
manifest) gives another one.  The ID is printed in the HTML footer and on
every PDF page, and stored as ``content_id`` in the JSON copy, so a printed
page can be matched to its electronic copy: recompute it from the JSON copy
by dropping the volatile fields and hashing the canonical JSON.
"""

from __future__ import annotations

import json

from core.canonical import canonical_json, dumps, sha256_text

FORMAT = "preflight-report"
FORMAT_VERSION = 1
#: (path of keys) left out of the content ID.
VOLATILE = (("content_id",), ("generated_utc",), ("manifest", "generated_utc"))


def report_document(data) -> dict:
    """The complete electronic copy of the assessment as plain JSON data (without the content ID)."""
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_utc": data.generated_utc,
        "assessment": data.meta,
        "verdict": data.verdict,
        "counted_runs": data.counted_runs,
        "checklist": {"readiness_threshold": data.meta.get("readiness_threshold"), "items": data.items,
                      "evidence_links": data.links, "score": data.score},
        "runs": data.runs,
        "handoff": {"fields": data.handoff, "error": data.handoff_error, "validation": data.handoff_validation,
                    "model_card_sections": data.model_card_sections},
        "evidence": {"files": data.evidence, "reverification": data.reverification},
        "signatures": {"stage": data.stage, "content_hash": data.content_hash, "signatures": data.signatures},
        "users": data.users,
        "audit": {"verification": data.audit, "events": data.audit_events},
        "audit_head": {"seq": data.audit.get("count"), "hash": data.audit.get("head_hash")},
        "manifest": data.manifest,
    }
    return json.loads(dumps(doc))


def stable_part(doc: dict) -> dict:
    """``doc`` (a report JSON copy) without the fields listed in :data:`VOLATILE`."""
    out = json.loads(json.dumps(doc))
    for path in VOLATILE:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


def content_id_of(doc: dict) -> str:
    """The content ID of a report JSON copy (see the module docstring)."""
    return sha256_text(canonical_json(stable_part(doc)))


def content_id(data) -> str:
    """The content ID of report data."""
    return content_id_of(report_document(data))


def report_json(data) -> dict:
    """The complete electronic copy with its ``content_id``."""
    doc = report_document(data)
    doc["content_id"] = data.content_id or content_id_of(doc)
    return doc

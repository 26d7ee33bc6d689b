"""What changed between two versions of an assessment's signable content, in plain words.

Used to show why a signature is no longer valid: "checklist item 'Load testing' status: open -> done".
Fields and values are named as the user sees them: the handoff's field labels
("Security scan completed: no -> yes"), "not applicable" for a status.
"""

from __future__ import annotations

import math

from core.canonical import canonical_json
from core.handoff.form import LABELS as HANDOFF_LABELS

#: assessment metadata keys that belong to the signed content
META_KEYS = ("name", "system", "owner", "readiness_threshold")


#: stored values shown in other words
VALUE_WORDS = {"not_applicable": "not applicable"}


def _fmt(value) -> str:
    if isinstance(value, str) and value in VALUE_WORDS:
        return VALUE_WORDS[value]
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isfinite(value):
        text = f"{value:g}"
        return text if float(text) == value else repr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value) if value else "empty"
    if isinstance(value, dict):
        value = canonical_json(value)
    text = " ".join(str(value).split())
    if not text:
        return "empty"
    return text if len(text) <= 80 else text[:77] + "..."


def _index(rows: list) -> dict:
    out = {}
    for pos, row in enumerate(rows or []):
        ident = row.get("id")
        if ident is None:
            ident = ("row", row.get("category"), row.get("name") or row.get("label"), pos)
        out[ident] = row
    return out


def _item_name(row: dict) -> str:
    return str(row.get("name") or row.get("title") or row.get("label") or f"#{row.get('id')}")


def _diff_fields(prefix: str, old: dict, new: dict, labels: dict | None = None) -> list[str]:
    out = []
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key), new.get(key)
        if canonical_json(a) != canonical_json(b) and not {_fmt(a), _fmt(b)} <= {"not set", "empty"}:
            name = (labels or {}).get(key) or str(key).replace("_", " ")
            out.append(f"{prefix} {name}: {_fmt(a)} -> {_fmt(b)}")
    return out


def diff_content(old: dict, new: dict) -> list[str]:
    """Human-readable list of what differs between two :func:`build_content` results."""
    old, new = old or {}, new or {}
    out = []
    if old.get("version") != new.get("version"):
        out.append(f"content format: {_fmt(old.get('version'))} -> {_fmt(new.get('version'))}")
    for key in META_KEYS:
        a, b = (old.get("meta") or {}).get(key), (new.get("meta") or {}).get(key)
        if canonical_json(a) != canonical_json(b):
            out.append(f"assessment {key.replace('_', ' ')}: {_fmt(a)} -> {_fmt(b)}")

    before, after = _index(old.get("checklist")), _index(new.get("checklist"))
    for ident, row in before.items():
        name = _item_name(row)
        if ident not in after:
            out.append(f"checklist item '{name}' removed")
        else:
            out += _diff_fields(f"checklist item '{name}'", row, after[ident])
    out += [f"checklist item '{_item_name(row)}' added" for ident, row in after.items() if ident not in before]

    out += _diff_fields("handoff", old.get("handoff") or {}, new.get("handoff") or {}, HANDOFF_LABELS)

    before, after = _index(old.get("runs")), _index(new.get("runs"))
    for ident, row in before.items():
        label = f"run #{row.get('id')} ({row.get('kind')})"
        if ident not in after:
            out.append(f"{label} removed")
            continue
        now = after[ident]
        if row.get("kind") != now.get("kind"):
            out.append(f"run #{row.get('id')} kind: {_fmt(row.get('kind'))} -> {_fmt(now.get('kind'))}")
        if canonical_json(row.get("inputs")) != canonical_json(now.get("inputs")):
            out.append(f"{label} input files changed")
        if row.get("result_sha256") != now.get("result_sha256"):
            out.append(f"{label} result changed")
    out += [f"run #{row.get('id')} ({row.get('kind')}) added" for ident, row in after.items() if ident not in before]

    before, after = _index(old.get("evidence")), _index(new.get("evidence"))
    for ident, row in before.items():
        label = f"evidence #{row.get('id')} '{row.get('label')}'"
        if ident not in after:
            out.append(f"{label} removed")
            continue
        now = after[ident]
        if row.get("sha256") != now.get("sha256"):
            out.append(f"{label} file changed (sha256 {str(row.get('sha256'))[:12]}... -> "
                       f"{str(now.get('sha256'))[:12]}...)")
        if row.get("label") != now.get("label"):
            out.append(f"evidence #{row.get('id')} label: {_fmt(row.get('label'))} -> {_fmt(now.get('label'))}")
    out += [f"evidence #{row.get('id')} '{row.get('label')}' added" for ident, row in after.items()
            if ident not in before]

    known = {"version", "meta", "checklist", "handoff", "runs", "evidence"}
    for key in sorted((set(old) | set(new)) - known):
        if canonical_json(old.get(key)) != canonical_json(new.get(key)):
            out.append(f"{key} changed")
    return out

"""Replay: rebuild every data table from the audit trail's row images and compare it with the file.

The events' ``changes`` (row images, see :mod:`core.assessment.store.changes`) are applied in
order, starting from the first event that carries them: a "snapshot" event (everything present
when the file reached schema 6) or event 1 of a file created with change capture.  Any row, field
or deletion in the file that the trail does not explain is reported, naming the first table, row
and column that differ.  Events before the snapshot are verified by their hash links only.

:func:`full_check` combines the hash links, the creation event and recorded head, the replay and
the local witness; ``store.verify_audit()`` runs it, so the CLI, the GUI banner and the report's
audit gate share one check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from core.assessment import witness
from core.assessment.audit import ChainVerification

REPLAY_SCHEMA = 6


def _load(value):
    if value is None or isinstance(value, (list, dict)):
        return value
    return json.loads(value)


@dataclass
class Replay:
    start: int | None = None
    state: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


def replay(events: list[dict]) -> Replay:
    """Apply the row images of ``events`` (ordered by seq); ``start`` is None when none carry images."""
    idx = next((i for i, ev in enumerate(events) if ev.get("changes") is not None), None)
    if idx is None:
        return Replay()
    first = events[idx]
    out = Replay(start=first["seq"])
    if first.get("action") != "snapshot" and first["seq"] != 1:
        out.problems.append({"check": "replay", "seq": first["seq"],
                             "message": f"event {first['seq']} is the first with row images but is not a snapshot: "
                                        "the rows before it are unknown"})
        return out
    state: dict = {}
    for i in range(idx, len(events)):
        ev = events[i]
        changes = _load(ev.get("changes"))
        if changes is None:
            nxt = next((e for e in events[i + 1:] if e.get("changes") is not None), None)
            if nxt is None or nxt.get("action") != "snapshot":
                out.problems.append({"check": "replay", "seq": ev["seq"],
                                     "message": f"event {ev['seq']} carries no row images although change capture "
                                                "was on (it was not written by Preflight)"})
                return out
            continue
        snap = ev.get("action") == "snapshot"
        if snap:
            state = {}
        for ch in changes:
            rows = state.setdefault(ch["table"], {})
            if not snap and "old" in ch and not out.problems:
                found = _before_problem(ev["seq"], ch, rows.get(ch["rowid"]))
                if found:
                    out.problems.append(found)
            if ch.get("row") is None:
                rows.pop(ch["rowid"], None)
            else:
                rows[ch["rowid"]] = ch["row"]
    out.state = state
    return out


def _show(value) -> str:
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        return f"{k} {str(v)[:16]}…" if k.endswith("sha256") else json.dumps(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return a == b
    return type(a) is type(b) and a == b


def first_column(a: dict, b: dict) -> str | None:
    """The first column (sorted) whose value differs between two row images."""
    for col in sorted(set(a) | set(b)):
        if col not in a or col not in b or not _same(a[col], b[col]):
            return col
    return None


def _before_problem(seq: int, ch: dict, trail_row: dict | None) -> dict | None:
    """A row an event rewrote must have held, just before, what the trail says it held."""
    old, table, rowid = ch.get("old"), ch["table"], ch["rowid"]
    where = {"check": "replay", "table": table, "rowid": rowid, "seq": seq}
    if old is None and trail_row is None:
        return None
    if old is None:
        return {**where, "column": None,
                "message": f"table {table}, row {rowid}: deleted outside Preflight before event {seq} re-created it"}
    if trail_row is None:
        return {**where, "column": None,
                "message": f"table {table}, row {rowid}: added outside Preflight before event {seq} changed it"}
    col = first_column(trail_row, old)
    if col is None:
        return None
    return {**where, "column": col,
            "message": f"table {table}, row {rowid}, column {col}: changed outside Preflight before event {seq} "
                       f"(the audit trail says {_show(trail_row.get(col))}, the row held {_show(old.get(col))} "
                       f"when event {seq} changed it)"}


def compare(state: dict, images: dict) -> dict | None:
    """The first difference between the replayed ``state`` and the file's ``images`` (None when equal)."""
    for table in sorted(set(state) | set(images)):
        trail, held = state.get(table, {}), images.get(table, {})
        for rowid in sorted(set(trail) | set(held)):
            a, b = trail.get(rowid), held.get(rowid)
            where = {"check": "replay", "table": table, "rowid": rowid}
            if a is None:
                return {**where, "column": None,
                        "message": f"table {table}, row {rowid}: in the file but not in the audit trail "
                                   "(added outside Preflight)"}
            if b is None:
                return {**where, "column": None,
                        "message": f"table {table}, row {rowid}: the audit trail has it but the file does not "
                                   "(deleted outside Preflight)"}
            col = first_column(a, b)
            if col is not None:
                return {**where, "column": col,
                        "message": f"table {table}, row {rowid}, column {col}: the audit trail says "
                                   f"{_show(a.get(col)) if col in a else '(no such column)'}, the file holds "
                                   f"{_show(b.get(col)) if col in b else '(no such column)'} "
                                   "(changed outside Preflight)"}
    return None


def full_check(store, chain: ChainVerification) -> ChainVerification:
    """``chain`` (the hash links) plus the checks that need the whole file; see the module docstring."""
    problems, notes = [], []
    if not chain.ok:
        problems.append({"check": "chain", "message": chain.problem, "seq": chain.first_bad_seq})
    events = store.audit_events()
    recorded_count, recorded_head = store._info("audit_count"), store._info("audit_head")
    if not events:
        problems.append({"check": "chain", "message": "the audit trail is empty: an assessment always holds at "
                                                      "least its creation event (the events were deleted)"})
    else:
        if recorded_count is None or recorded_head is None:
            problems.append({"check": "chain", "message": "the file does not record its chain head and event count "
                                                          "(they were removed)"})
    result = replay(events) if chain.ok else None
    if result is not None:
        if result.start is None:
            if events and store.capture_started():
                problems.append({"check": "replay", "message": "no event carries row images although the file "
                                                               "has change capture: its data cannot be checked"})
            elif events:
                notes.append(f"written before change capture (schema {REPLAY_SCHEMA}): verified by hash links "
                             "only; the data is not checked against the trail")
        else:
            if result.start > 1:
                notes.append(f"verified by hash links only before event {result.start}; from the snapshot at "
                             f"event {result.start} on, the data is checked against the trail")
            problems.extend(result.problems)
            if not result.problems:
                diff = compare(result.state, store.table_images())
                if diff:
                    problems.append(diff)
        pending = store.pending_changes()
        if pending:
            problems.append({"check": "replay", "message": f"{pending} row(s) were changed without an audit event "
                                                           "(written outside Preflight)"})
    found = witness.check(store.assessment_uuid(), store.path, {e["seq"]: e["hash"] for e in events})
    problems.extend({"check": "witness", "message": m} for m in found)
    problem = chain.problem or (problems[0]["message"] if problems else "")
    return replace(chain, ok=not problems, problem=problem, problems=tuple(problems), notes=tuple(notes),
                   replay_from=result.start if result is not None else None)


def parse_expected_head(text: str) -> tuple[int, str]:
    """``N:HEX`` (as printed in a report) -> (N, hex); HEX may be shortened to 12 or more digits."""
    from core.errors import PreflightError

    seq, _, digest = (text or "").partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or int(seq) < 1 or len(digest) < 12 or len(digest) > 64 or \
            any(ch not in "0123456789abcdef" for ch in digest):
        raise PreflightError(f"--expect-head {text!r}: expected N:HEX, the event number and its hash "
                             "(at least 12 hex digits), as printed in a report")
    return int(seq), digest


def expected_head_problems(events: list[dict], seq: int, digest: str) -> list[dict]:
    have = {e["seq"]: e["hash"] for e in events}
    where = {"check": "expected_head", "seq": seq}
    if seq not in have:
        last = max(have) if have else 0
        return [{**where, "message": f"event {seq}, the expected head, is missing: the file ends at event {last} "
                                     "(rolled back to an older copy, or rewritten)"}]
    if not have[seq].startswith(digest):
        return [{**where, "message": f"event {seq} has hash {have[seq][:16]}…, not the expected {digest[:16]}…: "
                                     "the audit trail was rewritten"}]
    return []


def verify_file(store, *, expect_head: tuple[int, str] | None = None, trusted_keys=None) -> tuple:
    """Everything ``audit verify`` checks: ``store.verify_audit()`` (chain, replay, witness), the
    expected head, and each feature's ``verify`` module (the signatures).  Returns the
    :class:`ChainVerification` with every finding in ``problems`` and the features' extra keys."""
    from core.features import feature_modules

    base = store.verify_audit()
    problems, notes, extra = list(base.problems), list(base.notes), {}
    if expect_head is not None:
        problems += expected_head_problems(store.audit_events(), *expect_head)
    for module in feature_modules("verify"):
        found = module.verify(store, {"trusted_keys": trusted_keys})
        problems += found.pop("problems", [])
        notes += found.pop("notes", [])
        extra.update(found)
    problem = base.problem or (problems[0]["message"] if problems else "")
    return replace(base, ok=not problems, problem=problem, problems=tuple(problems), notes=tuple(notes)), extra

"""The tamper-evident audit trail: hashing and verifying the event chain.

Each audit event carries ``prev_hash`` (the previous event's hash, or 64 zeros
for the first) and ``hash`` = SHA-256 over the canonical JSON of the event's
fields (seq, ts_utc, actor, action, entity, before, after) followed by
``prev_hash``.  Editing, deleting or reordering any event breaks the chain from
that point; :func:`verify_chain` names the first broken event.  Dropping the
newest events keeps a valid chain, which is why the head hash is also kept in
the assessment's info table and printed in every report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from core.canonical import canonical_json

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "ts_utc", "actor", "action", "entity", "before", "after")


def _parse(value):
    if value is None or isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def event_hash(event: dict, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of the hashed fields, followed by ``prev_hash``.

    ``before``, ``after`` and ``changes`` are hashed as the JSON values they hold, not as the
    stored text.  ``changes`` (the row images, schema 6 on) is part of the body only when the
    event has it, so events written before it hash exactly as they always did.
    """
    body = {k: (_parse(event.get(k)) if k in ("before", "after") else event.get(k)) for k in HASHED_FIELDS}
    if event.get("changes") is not None:
        body["changes"] = _parse(event["changes"])
    return hashlib.sha256((canonical_json(body) + prev_hash).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    #: every finding, each ``{"check": "chain"|"replay"|"signatures"|"witness"|"expected_head", "message", ...}``
    problems: tuple = ()
    #: what the verification covered, in words (e.g. "verified by hash links only before event 14")
    notes: tuple = ()
    #: the event replay starts from (a snapshot, or 1); None when the data was not replayed
    replay_from: int | None = None

    @property
    def head_seq(self) -> int:
        return self.count

    def to_dict(self) -> dict:
        return {"ok": self.ok, "count": self.count, "head_hash": self.head_hash,
                "first_bad_seq": self.first_bad_seq, "problem": self.problem, "head_seq": self.head_seq,
                "problems": [dict(p) for p in self.problems], "notes": list(self.notes),
                "replay_from": self.replay_from}


def verify_chain(events: list[dict], recorded_head: str | None = None,
                 recorded_count: int | None = None, *, start_seq: int = 0,
                 start_hash: str = GENESIS) -> ChainVerification:
    """Check every link of the chain; ``events`` must be ordered by seq.

    With ``start_seq``/``start_hash`` the events are the ones after an already verified head
    (event ``start_seq`` with hash ``start_hash``): only the new links are checked, and the
    result covers the whole chain (its count is ``start_seq`` plus the new events).
    """
    prev = start_hash
    total = start_seq + len(events)
    for expected_seq, ev in enumerate(events, start=start_seq + 1):
        seq = ev.get("seq")
        if seq != expected_seq:
            return ChainVerification(False, total, prev, seq,
                                     f"event {seq}: expected sequence number {expected_seq} "
                                     "(an event was deleted or reordered)")
        if ev.get("prev_hash") != prev:
            return ChainVerification(False, total, prev, seq,
                                     f"event {seq}: prev_hash does not match the hash of event {seq - 1}")
        computed = event_hash(ev, prev)
        if ev.get("hash") != computed:
            return ChainVerification(False, total, prev, seq,
                                     f"event {seq}: content does not match its hash (the event was edited)")
        prev = computed
    if recorded_count is not None and recorded_count != total:
        return ChainVerification(False, total, prev, total + 1 if recorded_count > total else None,
                                 f"the file records {recorded_count} events but {total} remain "
                                 "(events were removed from the end)")
    if recorded_head is not None and recorded_head != prev:
        return ChainVerification(False, total, prev, total or None,
                                 "the chain head does not match the head recorded in the file")
    return ChainVerification(True, total, prev)


def verify_after(verified: ChainVerification, events: list[dict], anchor_hash: str | None,
                 recorded_head: str | None = None, recorded_count: int | None = None) -> ChainVerification:
    """Extend an intact ``verified`` result with the ``events`` written after it.

    ``anchor_hash`` is the hash now stored for event ``verified.count`` (None when that event is
    gone): if it is no longer the verified head, the old part of the chain changed and the
    result says so (a full :func:`verify_chain` then names the first broken event).
    """
    if not verified.ok:
        raise ValueError("only an intact chain can be extended")
    if verified.count and anchor_hash != verified.head_hash:
        return ChainVerification(False, verified.count + len(events), verified.head_hash, verified.count,
                                 f"event {verified.count}: changed after it was verified")
    return verify_chain(events, recorded_head, recorded_count, start_seq=verified.count,
                        start_hash=verified.head_hash)

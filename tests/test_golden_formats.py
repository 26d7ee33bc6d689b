"""Golden vectors: the exact bytes and hashes of the audit-event and content formats.

The expected strings below were computed once and written here as literals.  A change to the
canonical JSON, the hashed fields or their order changes these values, and with them every
hash chain and signature already stored in users' files; such a change must fail here.
Each vector is also re-derived by a short independent re-implementation of the documented
recipe (``hashlib`` + ``json`` only), not by the code under test.
"""

from __future__ import annotations

import hashlib
import json

from core.assessment.audit import GENESIS, event_hash
from core.canonical import canonical_json
from core.handoff.signoff import content_hash

EVENT = {"seq": 7, "ts_utc": "2026-11-20T09:15:00.000123Z", "actor": "Zo\u00eb Reviewer", "action": "update",
         "entity": "checklist_item:3",
         "before": '{"status": "open", "maturity": null}',
         "after": '{"status": "done", "maturity": 0.5, "notes": "na\u00efve \u2713 1.0"}'}
PREV = "ab" * 32

GOLDEN_EVENT_JSON = ('{"action":"update","actor":"Zo\u00eb Reviewer","after":{"maturity":0.5,'
                     '"notes":"na\u00efve \u2713 1.0","status":"done"},"before":{"maturity":null,"status":"open"},'
                     '"entity":"checklist_item:3","seq":7,"ts_utc":"2026-11-20T09:15:00.000123Z"}')
GOLDEN_EVENT_JSON_HEX = (
    "7b22616374696f6e223a22757064617465222c226163746f72223a225a6fc3ab205265766965776572222c226166746572223a"
    "7b226d61747572697479223a302e352c226e6f746573223a226e61c3af766520e29c9320312e30222c22737461747573223a22"
    "646f6e65227d2c226265666f7265223a7b226d61747572697479223a6e756c6c2c22737461747573223a226f70656e227d2c22"
    "656e74697479223a22636865636b6c6973745f6974656d3a33222c22736571223a372c2274735f757463223a22323032362d31"
    "312d32305430393a31353a30302e3030303132335a227d")
GOLDEN_EVENT_HASH = "9c9500f1009eb18cf6574b5fad196cb34d4f4923149fd25e5d6f00412321770f"
GOLDEN_EVENT_HASH_GENESIS = "81b968a404f8dea9152ba0f27c634f75dc9ce482a9c071fec68db88d409ca313"

CONTENT = {"version": 1, "meta": {"name": "Fixture", "readiness_threshold": 80.0},
           "checklist": [{"id": 1, "status": "done", "maturity": 1.0}], "evidence": [], "runs": [],
           "handoff": {"expected_qps": 50.0}}
GOLDEN_CONTENT_JSON = ('{"checklist":[{"id":1,"maturity":1.0,"status":"done"}],"evidence":[],'
                       '"handoff":{"expected_qps":50.0},"meta":{"name":"Fixture","readiness_threshold":80.0},'
                       '"runs":[],"version":1}')
GOLDEN_CONTENT_HASH = "523b2ae5d62bbe3748a40594d374e1e537d16afec00b2db3cd77f44cc79cf8bf"


# ---- an independent re-implementation of the documented recipe (no Preflight code) ----
def _canon(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _independent_event_hash(ev: dict, prev: str) -> str:
    body = {k: ev[k] for k in ("seq", "ts_utc", "actor", "action", "entity")}
    for k in ("before", "after"):
        body[k] = None if ev.get(k) is None else json.loads(ev[k])
    if ev.get("changes") is not None:
        body["changes"] = json.loads(ev["changes"])
    return hashlib.sha256((_canon(body) + prev).encode("utf-8")).hexdigest()


def test_canonical_json_of_an_event_is_pinned():
    body = {k: (json.loads(EVENT[k]) if k in ("before", "after") else EVENT[k])
            for k in ("seq", "ts_utc", "actor", "action", "entity", "before", "after")}
    assert canonical_json(body) == GOLDEN_EVENT_JSON
    assert canonical_json(body).encode("utf-8").hex() == GOLDEN_EVENT_JSON_HEX
    assert _canon(body) == GOLDEN_EVENT_JSON


def test_event_hash_is_pinned_and_matches_the_independent_recipe():
    assert event_hash(EVENT, PREV) == GOLDEN_EVENT_HASH
    assert event_hash(EVENT, GENESIS) == GOLDEN_EVENT_HASH_GENESIS
    assert _independent_event_hash(EVENT, PREV) == GOLDEN_EVENT_HASH
    assert hashlib.sha256(bytes.fromhex(GOLDEN_EVENT_JSON_HEX) + PREV.encode()).hexdigest() == GOLDEN_EVENT_HASH
    # an event without captured changes hashes as before, whether the field is absent or NULL
    assert event_hash({**EVENT, "changes": None}, PREV) == GOLDEN_EVENT_HASH


def test_content_hash_is_pinned():
    assert canonical_json(CONTENT) == GOLDEN_CONTENT_JSON
    assert content_hash(CONTENT) == GOLDEN_CONTENT_HASH
    assert hashlib.sha256(_canon(CONTENT).encode("utf-8")).hexdigest() == GOLDEN_CONTENT_HASH


def test_any_field_change_moves_the_hash():
    for key, value in (("seq", 8), ("actor", "Zoe Reviewer"), ("after", '{"status": "open"}'), ("entity", "x")):
        assert event_hash({**EVENT, key: value}, PREV) != GOLDEN_EVENT_HASH


# ---- schema 6 on: an event with row images ("changes") -----------------------------------------------
EVENT_V6 = {"seq": 15, "ts_utc": "2026-11-21T10:00:00.000001Z", "actor": "Ann", "action": "update",
            "entity": "checklist_item:1", "before": '{"status": "open"}', "after": '{"status": "done"}',
            "changes": ('[{"row": {"id": 1, "maturity": 0.5, "notes": {"sha256": "' + "0" * 64 + '"}, '
                        '"status": "done"}, "rowid": 1, "table": "checklist_items"}, '
                        '{"row": null, "rowid": 4, "table": "evidence_links"}]')}
GOLDEN_V6_JSON = ('{"action":"update","actor":"Ann","after":{"status":"done"},"before":{"status":"open"},'
                  '"changes":[{"row":{"id":1,"maturity":0.5,"notes":{"sha256":"' + "0" * 64 + '"},"status":"done"},'
                  '"rowid":1,"table":"checklist_items"},{"row":null,"rowid":4,"table":"evidence_links"}],'
                  '"entity":"checklist_item:1","seq":15,"ts_utc":"2026-11-21T10:00:00.000001Z"}')
GOLDEN_V6_HASH = "9d3d16fda9827185bdb6566129450abd9b809d12cda95fd8b91be1a5b5a18bb6"


def test_an_event_with_row_images_hashes_them_as_part_of_the_body():
    body = {k: json.loads(EVENT_V6[k]) if k in ("before", "after", "changes") else EVENT_V6[k]
            for k in ("seq", "ts_utc", "actor", "action", "entity", "before", "after", "changes")}
    assert _canon(body) == GOLDEN_V6_JSON
    assert event_hash(EVENT_V6, "cd" * 32) == GOLDEN_V6_HASH
    assert _independent_event_hash(EVENT_V6, "cd" * 32) == GOLDEN_V6_HASH
    edited = EVENT_V6["changes"].replace('"status": "done"', '"status": "open"')
    assert event_hash({**EVENT_V6, "changes": edited}, "cd" * 32) != GOLDEN_V6_HASH

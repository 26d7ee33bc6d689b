"""Re-check a Preflight assessment's audit chain without Preflight (Python 3 standard library only).

Usage: python verify_chain.py FILE.preflight [N:HEX]      exit 0 intact, 1 broken
Recipe: for each event in seq order (1, 2, ...), body = {seq, ts_utc, actor, action, entity, before, after}
plus "changes" when that column is not NULL; before/after/changes hold JSON text and are hashed as the values
they decode to.  hash = SHA-256 hex of (canonical JSON of body + prev_hash), canonical JSON = sorted keys, no
spaces, UTF-8 (no \\u escapes); prev_hash of event 1 is 64 zeros.  The info table's audit_head/audit_count
must name the last event.  N:HEX (as printed in a report) must be event N's hash (a prefix is enough).
"""
import hashlib, json, sqlite3, sys

db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
cols = [r[1] for r in db.execute("PRAGMA table_info(audit_events)")]
want = ["seq", "ts_utc", "actor", "action", "entity", "before", "after"] + (["changes"] if "changes" in cols else [])
prev, seq, hashes = "0" * 64, 0, {}
for row in db.execute(f"SELECT {', '.join(want)}, prev_hash, hash FROM audit_events ORDER BY seq"):
    body = dict(zip(want, row[:-2]))
    for key in ("before", "after", "changes"):
        if body.get(key) is not None:
            body[key] = json.loads(body[key])
    if body.get("changes", 0) is None:
        del body["changes"]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    seq += 1
    if body["seq"] != seq or row[-2] != prev or row[-1] != hashlib.sha256((text + prev).encode()).hexdigest():
        sys.exit(print(f"BROKEN at event {body['seq']}") or 1)
    prev = hashes[seq] = row[-1]
info = dict(db.execute("SELECT key, value FROM info WHERE key IN ('audit_head', 'audit_count')"))
if seq == 0 or info.get("audit_head") != prev or info.get("audit_count") != str(seq):
    sys.exit(print(f"BROKEN: {seq} events, but the file records {info.get('audit_count')} ending in "
                   f"{info.get('audit_head')}") or 1)
if len(sys.argv) > 2:
    n, _, digest = sys.argv[2].partition(":")
    if not hashes.get(int(n), "-").startswith(digest.lower()):
        sys.exit(print(f"BROKEN: event {n} is missing or is not {digest}") or 1)
print(f"intact: {seq} events, head {seq}:{prev}")

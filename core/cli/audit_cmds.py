"""Audit commands: verify the hash chain and list events."""

from __future__ import annotations

import json

from core.cli.output import emit_json, open_existing, table


def register(sub) -> None:
    p = sub.add_parser("audit", help="verify or list the assessment's tamper-evident audit trail")
    asub = p.add_subparsers(dest="action", metavar="ACTION")
    v = asub.add_parser("verify", help="exit 0 when the chain is intact, 1 when broken, 2 when unusable")
    v.add_argument("file")
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=cmd_verify)
    lg = asub.add_parser("log", help="list the audit events")
    lg.add_argument("file")
    lg.add_argument("--json", action="store_true")
    lg.set_defaults(handler=cmd_log)


def cmd_verify(args) -> int:
    with open_existing(args.file) as store:
        result = store.verify_audit()
    if args.json:
        emit_json(result.to_dict())
    elif result.ok:
        print(f"audit chain intact: {result.count} events, head {result.head_hash}")
    else:
        print(f"audit chain BROKEN at event {result.first_bad_seq}: {result.problem}")
    return 0 if result.ok else 1


def cmd_log(args) -> int:
    with open_existing(args.file) as store:
        events = store.audit_events()
    if args.json:
        for ev in events:
            for k in ("before", "after"):
                ev[k] = json.loads(ev[k]) if ev[k] else None
        emit_json({"events": events})
    else:
        rows = [[e["seq"], e["ts_utc"][:19].replace("T", " "), e["actor"], e["action"], e["entity"],
                 e["hash"][:12]] for e in events]
        print(table(rows, ["seq", "utc", "actor", "action", "entity", "hash"]))
    return 0

"""Assessment commands: new, templates, score, checklist import/export, audit verify/log."""

from __future__ import annotations

import json
from pathlib import Path

from core.assessment import checklist, templates
from core.cli.output import emit_json, open_existing, table
from core.errors import PreflightError


def register(sub) -> None:
    p = sub.add_parser("new", help="create a new assessment file from a template")
    p.add_argument("file")
    p.add_argument("--template", default=templates.DEFAULT_TEMPLATE)
    p.add_argument("--name", default=None, help="assessment name (default: the file name)")
    p.add_argument("--system", default="")
    p.add_argument("--owner", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser("templates", help="list the checklist templates")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_templates)

    p = sub.add_parser("score", help="score a checklist (.preflight or checklist .json); exit 1 when not ready")
    p.add_argument("file")
    p.add_argument("--threshold", type=float, default=None, help="readiness threshold (default: the assessment's, or 80)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("checklist", help="import or export an assessment's checklist as JSON")
    csub = p.add_subparsers(dest="action", metavar="ACTION")
    e = csub.add_parser("export", help="write the checklist JSON")
    e.add_argument("file")
    e.add_argument("--out", required=True)
    e.set_defaults(handler=cmd_export)
    i = csub.add_parser("import", help="replace the checklist with a checklist JSON file")
    i.add_argument("file")
    i.add_argument("checklist_json")
    i.set_defaults(handler=cmd_import)
    _register_audit(sub)


def cmd_new(args) -> int:
    from core.assessment.store import create_assessment

    path = Path(args.file)
    if path.suffix != ".preflight":
        raise PreflightError(f"{path}: an assessment file must end in .preflight")
    tpl = templates.load(args.template)
    store = create_assessment(path, name=args.name or path.stem, items=list(tpl.items), template=tpl.name,
                              system=args.system, owner=args.owner,
                              settings={"template_citation": tpl.citation} if tpl.citation else None)
    n = len(store.items())
    store.close()
    if args.json:
        emit_json({"file": str(path), "template": tpl.name, "items": n})
    else:
        print(f"created {path} from template '{tpl.name}' ({n} items)")
    return 0


def cmd_templates(args) -> int:
    rows = [templates.load(n) for n in templates.names()]
    if args.json:
        emit_json({"templates": [{"name": t.name, "title": t.title, "items": len(t.items),
                                  "citation": t.citation} for t in rows]})
    else:
        print(table([[t.name, len(t.items), t.title] for t in rows], ["name", "items", "title"]))
    return 0


def load_items(path) -> tuple[list[checklist.Item], float]:
    p = Path(path)
    if p.suffix.lower() == ".json":
        return checklist.load_checklist(p), 80.0
    with open_existing(p, read_only=True, upgrade_copy=True) as store:
        return store.items(), store.meta()["readiness_threshold"]


def cmd_score(args) -> int:
    items, threshold = load_items(args.file)
    if args.threshold is not None:
        threshold = args.threshold
    result = checklist.score(items, threshold)
    if args.json:
        emit_json(result.to_dict())
    else:
        print(render_score(result))
    return 0 if result.ready else 1


def render_score(s: checklist.Score) -> str:
    lines = [f"weighted score  {s.weighted_score:.2f}  (done weight {s.done_weight} / applicable {s.applicable_weight})",
             f"completion      {s.completion:.2f}%",
             f"threshold       {s.readiness_threshold:g}",
             f"verdict         {'READY' if s.ready else 'NOT READY'}: {'; '.join(s.reasons)}", ""]
    lines.append(table([[c, v["done"], v["applicable"], v["total"]] for c, v in s.by_category.items()],
                       ["category", "done", "applicable", "total"]))
    if s.critical_blockers:
        lines += ["", f"critical blockers ({len(s.critical_blockers)}):"]
        lines += [f"  - {b['category']}: {b['name']}" for b in s.critical_blockers]
    if s.ml_test_score:
        m = s.ml_test_score
        lines += ["", f"ML Test Score ({m.rubric}): final {m.final:g} - {m.band}"]
        lines += [f"  {name:<16} {value:g}" for name, value in m.sections.items()]
    return "\n".join(lines)


def cmd_export(args) -> int:
    items, _ = load_items(args.file)
    checklist.save_checklist(items, args.out)
    print(f"wrote {len(items)} items to {args.out}")
    return 0


def cmd_import(args) -> int:
    items = checklist.load_checklist(args.checklist_json)
    with open_existing(args.file) as store:
        store.replace_items(items, source=str(args.checklist_json))
    print(f"imported {len(items)} items into {args.file}")
    return 0


# ------------------------------------------------------------------ audit

def _register_audit(sub) -> None:
    p = sub.add_parser("audit", help="verify or list the assessment's tamper-evident audit trail")
    asub = p.add_subparsers(dest="action", metavar="ACTION")
    v = asub.add_parser("verify", help="check the hash chain, replay the trail against the data, the signatures "
                                       "and the witness; exit 0 when clean, 1 on any problem, 2 when unusable")
    v.add_argument("file")
    v.add_argument("--expect-head", metavar="N:HEX", default=None,
                   help="fail unless event N exists with this hash (the audit head printed in an earlier report)")
    v.add_argument("--trusted-keys", metavar="DIR", default=None,
                   help="folder of trusted signers' .pub files; a signature by any other key is a problem")
    v.add_argument("--json", action="store_true")
    v.set_defaults(handler=cmd_verify)
    lg = asub.add_parser("log", help="list the audit events")
    lg.add_argument("file")
    lg.add_argument("--json", action="store_true")
    lg.set_defaults(handler=cmd_log)


def cmd_verify(args) -> int:
    from core.assessment import replay

    expect = replay.parse_expected_head(args.expect_head) if args.expect_head else None
    with open_existing(args.file, read_only=True) as store:
        result, extra = replay.verify_file(store, expect_head=expect, trusted_keys=args.trusted_keys)
    if args.json:
        emit_json({**result.to_dict(), **extra})
        return 0 if result.ok else 1
    if result.ok:
        print(f"audit chain intact: {result.count} events, head {result.head_hash}")
        print(f"  no problems found (head for --expect-head: {result.head_seq}:{result.head_hash})")
    elif result.first_bad_seq is not None:
        print(f"audit chain BROKEN at event {result.first_bad_seq}: {result.problem}")
    else:
        print(f"audit trail NOT VERIFIED: {result.problem}")
    for p in result.problems:
        if p["message"] != result.problem:
            print(f"  {p['check']}: {p['message']}")
    for note in result.notes:
        print(f"  note: {note}")
    return 0 if result.ok else 1


def cmd_log(args) -> int:
    with open_existing(args.file, read_only=True) as store:
        events = store.audit_events()
    if args.json:
        for ev in events:
            for k in ("before", "after", "changes"):
                if k in ev:
                    ev[k] = json.loads(ev[k]) if ev[k] else None
        emit_json({"events": events})
    else:
        rows = [[e["seq"], e["ts_utc"][:19].replace("T", " "), e["actor"], e["action"], e["entity"],
                 e["hash"][:12]] for e in events]
        print(table(rows, ["seq", "utc", "actor", "action", "entity", "hash"]))
    return 0

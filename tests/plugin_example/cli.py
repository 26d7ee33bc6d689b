from __future__ import annotations

from core.cli.output import emit_json, optional_assessment


def register(sub) -> None:
    p = sub.add_parser("rowcount", help="count a table's rows; exit 1 below --minimum")
    p.add_argument("data")
    p.add_argument("--minimum", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None)
    p.set_defaults(handler=cmd_rowcount)


def cmd_rowcount(args) -> int:
    from tests.plugin_example import record_rowcount, run_rowcount

    run = run_rowcount(args.data, args.minimum)
    with optional_assessment(args.assessment) as store:
        if store is not None:
            record_rowcount(store, run)
    if args.json:
        emit_json(run.result)
    else:
        print(f"{run.result['rows']} rows")
    return 0 if run.result["passed"] else 1

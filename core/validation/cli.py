"""``python main.py validate DATA``: exit 0 passed, 1 violations, 2 error."""

from __future__ import annotations

from core.cli.output import emit_json, optional_assessment, table


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a table against a schema")
    p.add_argument("data")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--schema", help="schema file (JSON or YAML)")
    src.add_argument("--infer-from", help="infer the schema from this reference table")
    p.add_argument("--write-schema", default=None, help="write the schema used (e.g. the inferred one) here")
    p.add_argument("--failures", default=None, help="write every failing row to this CSV")
    p.add_argument("--categorical", default=None)
    p.add_argument("--numeric", default=None)
    p.add_argument("--engine", choices=("auto", "memory", "duckdb"), default="auto",
                   help="memory: load the table; duckdb: run every check as a query (tables larger than memory, "
                        "CSV/Parquet); auto (default): DuckDB above a size limit")
    p.add_argument("--memory-limit", default=None,
                   help="memory DuckDB may use, e.g. 2GB (default: half the RAM, at most 4 GB); it spills to disk beyond")
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None)
    p.set_defaults(handler=cmd_validate)


def cmd_validate(args) -> int:
    from core.data.kinds import parse_kind_overrides
    from core.validation import run as validation_run
    from core.validation.labels import check_label, share_text, threshold_text, value_text
    from core.validation.schema import Schema, load_schema, save_schema

    overrides = parse_kind_overrides(args.categorical, args.numeric) or None
    schema = load_schema(args.schema) if args.schema else None
    from core.data.footprint import parse_memory

    memory_limit = parse_memory(args.memory_limit)
    with optional_assessment(args.assessment) as store:
        run = validation_run.run_validation(args.data, schema=schema, infer_from=args.infer_from,
                                            kind_overrides=overrides, schema_source=args.schema or "",
                                            engine=args.engine, memory_limit=memory_limit)
        try:
            if args.write_schema:
                save_schema(Schema.from_dict(run.schema), args.write_schema)
            if args.failures:
                run.write_failures(args.failures)
            run_id = validation_run.record_validation(store, run) if store is not None else None
        finally:
            run.close()
    result = run.result
    if args.json:
        emit_json(result)
    else:
        rows = [[v["column"] or "(dataset)", check_label(v["check"]), v["severity"], v["count"],
                 share_text(v["fraction"]), threshold_text(v["check"], v["threshold"]),
                 ", ".join(f"row {e['row']}: {value_text(e['value'])}" for e in v["examples"][:3])]
                for v in result["violations"]]
        print(f"{args.data}: {result['rows']} rows, {len(rows)} violation(s) -> "
              f"{'PASSED' if result['passed'] else 'FAILED'}")
        if rows:
            print(table(rows, ["column", "check", "severity", "count", "share", "limit", "examples"]))
        if run_id is not None:
            print(f"recorded as run #{run_id}")
    return 0 if result["passed"] else 1

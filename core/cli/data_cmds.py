"""Data commands: ``drift`` and ``validate``.

drift:    exit 0 no dataset drift, 1 dataset drift, 2 error.
validate: exit 0 passed, 1 violations, 2 error.
"""

from __future__ import annotations


from core.cli.output import emit_json, fmt_num, optional_assessment, table
from core.errors import PreflightError

#: the drift methods (``core.data_runs.DRIFT_METHODS``), spelled out so that ``--help`` needs no scipy import
DRIFT_METHODS = ("auto", "psi", "ks", "wasserstein", "jensenshannon", "chi2")


def register(sub) -> None:
    p = sub.add_parser("drift", help="column-by-column and multivariate drift of CUR against REF")
    p.add_argument("files", nargs="+", metavar="REF CUR",
                   help="reference and current tables (only CUR with --reference-profile)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--method", choices=DRIFT_METHODS, default="auto")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--drift-share", type=float, default=0.5, help="dataset drift when this share drifts (0.5)")
    p.add_argument("--columns", default=None, help="only these columns (comma-separated)")
    p.add_argument("--categorical", default=None, help="treat these columns as categorical")
    p.add_argument("--numeric", default=None, help="treat these columns as numeric")
    p.add_argument("--text", default=None, help="treat these columns as identifiers/text (left out)")
    p.add_argument("--no-multivariate", action="store_true", help="skip the domain-classifier test")
    p.add_argument("--assessment", default=None, help="record the run (and the reference profile) in this file")
    p.add_argument("--reference-profile", nargs="?", const="", default=None, metavar="NAME",
                   help="use a reference profile stored in --assessment instead of a REF table "
                        "(the newest one when NAME is left out)")
    p.set_defaults(handler=cmd_drift)

    p = sub.add_parser("validate", help="check a table against a schema")
    p.add_argument("data")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--schema", help="schema file (JSON or YAML)")
    src.add_argument("--infer-from", help="infer the schema from this reference table")
    p.add_argument("--write-schema", default=None, help="write the schema used (e.g. the inferred one) here")
    p.add_argument("--failures", default=None, help="write every failing row to this CSV")
    p.add_argument("--categorical", default=None)
    p.add_argument("--numeric", default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None)
    p.set_defaults(handler=cmd_validate)


def cmd_drift(args) -> int:
    from core import data_runs

    overrides = data_runs.parse_kind_overrides(args.categorical, args.numeric, args.text)
    columns = tuple(data_runs.split_names(args.columns)) or None
    settings = data_runs.DriftSettings(method=args.method, threshold=args.threshold, columns=columns,
                                       kind_overrides=overrides, drift_share=args.drift_share,
                                       multivariate=not args.no_multivariate)
    with optional_assessment(args.assessment) as store:
        if args.reference_profile is not None:
            if store is None:
                raise PreflightError("--reference-profile needs --assessment FILE (the profile is stored there)")
            if len(args.files) != 1:
                raise PreflightError("with --reference-profile give only the current table")
            profile = store.profile(args.reference_profile or None)
            run = data_runs.run_drift(None, args.files[0], settings, reference_profile=profile)
        else:
            if len(args.files) != 2:
                raise PreflightError("drift needs two tables: REF CUR")
            run = data_runs.run_drift(args.files[0], args.files[1], settings, want_profile=store is not None)
        run_id = data_runs.record_drift(store, run) if store is not None else None
    result = run.result
    if args.json:
        emit_json(result)
    else:
        print(render_drift(result, run_id))
    return 1 if result["dataset_drift"] else 0


def render_drift(result: dict, run_id: int | None = None) -> str:
    rows = []
    for c in result["columns"]:
        verdict = "DRIFT" if c["drifted"] else ("-" if c["score"] is None else "ok")
        p = c.get("ks_p_value") if c.get("ks_p_value") is not None else c.get("chi2_p_value")
        rows.append([c["name"], c["kind"], c["method"] or "-", fmt_num(c["score"]), fmt_num(c["threshold"]),
                     verdict, fmt_num(c.get("psi")), c.get("psi_band") or "-", fmt_num(p),
                     fmt_num(c.get("missing_share_current"), 3)])
    lines = [f"reference  {result['reference']['path']}  ({result['reference']['rows']} rows)",
             f"current    {result['current']['path']}  ({result['current']['rows']} rows)", "",
             table(rows, ["column", "kind", "method", "score", "threshold", "verdict", "psi", "psi band",
                          "p-value", "missing cur"]), ""]
    mv = result.get("multivariate")
    if mv:
        top = ", ".join(f["name"] for f in mv.get("top_features", [])[:5])
        lines.append(f"multivariate: domain classifier AUC {fmt_num(mv.get('auc'), 3)} "
                     f"({'DRIFT' if mv.get('drifted') else 'no drift'}; top features: {top or '-'})")
    lines.append(f"dataset drift: {'YES' if result['dataset_drift'] else 'no'} "
                 f"({result['drifted_share']:.0%} of columns drifted; threshold {result['drift_share_threshold']:.0%})")
    for w in result.get("warnings", []):
        lines.append(f"warning: {w}")
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)


def cmd_validate(args) -> int:
    from core import data_runs
    from core.schema import Schema, load_schema, save_schema

    overrides = data_runs.parse_kind_overrides(args.categorical, args.numeric) or None
    schema = load_schema(args.schema) if args.schema else None
    with optional_assessment(args.assessment) as store:
        run = data_runs.run_validation(args.data, schema=schema, infer_from=args.infer_from,
                                       kind_overrides=overrides, schema_source=args.schema or "")
        if args.write_schema:
            save_schema(Schema.from_dict(run.schema), args.write_schema)
        if args.failures:
            run.write_failures(args.failures)
        run_id = data_runs.record_validation(store, run) if store is not None else None
    result = run.result
    if args.json:
        emit_json(result)
    else:
        rows = [[v["column"] or "(dataset)", v["check"], v["severity"], v["count"], fmt_num(v["fraction"], 4),
                 fmt_num(v["threshold"]), ", ".join(f"row {e['row']}: {e['value']!r}" for e in v["examples"][:3])]
                for v in result["violations"]]
        print(f"{args.data}: {result['rows']} rows, {len(rows)} violation(s) -> "
              f"{'PASSED' if result['passed'] else 'FAILED'}")
        if rows:
            print(table(rows, ["column", "check", "severity", "count", "fraction", "threshold", "examples"]))
        if run_id is not None:
            print(f"recorded as run #{run_id}")
    return 0 if result["passed"] else 1

"""``python main.py drift REF CUR``: exit 0 no dataset drift, 1 dataset drift, 2 error."""

from __future__ import annotations

from core.cli.output import emit_json, fmt_num, optional_assessment, table
from core.errors import PreflightError

#: the drift methods (``core.drift.run.DRIFT_METHODS``), spelled out so that ``--help`` needs no scipy import
DRIFT_METHODS = ("auto", "psi", "ks", "wasserstein", "jensenshannon", "chi2")


def register(sub) -> None:
    p = sub.add_parser("drift", help="column-by-column and multivariate drift of CUR against REF")
    p.add_argument("files", nargs="+", metavar="REF CUR",
                   help="reference and current tables (only CUR with --reference-profile)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--method", choices=DRIFT_METHODS, default="auto")
    p.add_argument("--threshold", type=float, default=None)
    p.add_argument("--drift-share", type=float, default=None,
                   help="dataset drift when this share of columns drifts (default: the assessment's, else 0.5)")
    p.add_argument("--columns", default=None, help="only these columns (comma-separated)")
    p.add_argument("--categorical", default=None, help="treat these columns as categorical")
    p.add_argument("--numeric", default=None, help="treat these columns as numeric")
    p.add_argument("--text", default=None, help="treat these columns as identifiers/text (left out)")
    p.add_argument("--no-multivariate", action="store_true", help="skip the domain-classifier test")
    p.add_argument("--assessment", default=None, help="record the run (and the reference profile) in this file")
    p.add_argument("--reference-profile", nargs="?", const="", default=None, metavar="NAME",
                   help="use a reference profile stored in --assessment instead of a REF table "
                        "(the newest one when NAME is left out)")
    p.add_argument("--engine", choices=("auto", "memory", "duckdb"), default="auto",
                   help="auto (default): in memory unless the tables would not fit, then out of core "
                        "(DuckDB); memory or duckdb force one")
    p.add_argument("--memory-limit", default=None, metavar="SIZE",
                   help="memory for the out-of-core engine, e.g. 2GB (default: half the RAM, at most 4GB)")
    p.add_argument("--reference-profile-file", default=None, metavar="P.json",
                   help="compare CUR with this reference profile file (see `profile`)")
    p.set_defaults(handler=cmd_drift)
    from core.drift import cli_profile

    cli_profile.register(sub)  # the `profile` command: build, merge, export and import profile files


def preload(args) -> tuple[str, ...]:
    """Libraries to load while the tables are read (see :func:`core.cli.preload`); scikit-learn is
    left to the classifier's own thread, so that no two threads ever import it at once."""
    return ("scipy.stats",)


def cmd_drift(args) -> int:
    from core.data.kinds import parse_kind_overrides, split_names
    from core.drift import run as drift_run

    if args.reference_profile_file:
        from core.drift import cli_profile

        return cli_profile.cmd_drift_profile_file(args, render_drift)

    overrides = parse_kind_overrides(args.categorical, args.numeric, args.text)
    from core.data.footprint import parse_memory

    engine = {"engine": args.engine, "memory_limit": parse_memory(args.memory_limit)}
    columns = tuple(split_names(args.columns)) or None
    with optional_assessment(args.assessment) as store:
        share = args.drift_share
        if share is None:
            stored = store.meta().get("drift_share_threshold") if store is not None else None
            share = float(stored) if stored is not None else 0.5
        settings = drift_run.DriftSettings(method=args.method, threshold=args.threshold, columns=columns,
                                           kind_overrides=overrides, drift_share=share,
                                           multivariate=not args.no_multivariate)
        if args.reference_profile is not None:
            if store is None:
                raise PreflightError("--reference-profile needs --assessment FILE (the profile is stored there)")
            if len(args.files) != 1:
                raise PreflightError("with --reference-profile give only the current table")
            profile = store.profile(args.reference_profile or None)
            run = drift_run.run_drift(None, args.files[0], settings, reference_profile=profile, **engine)
        else:
            if len(args.files) != 2:
                raise PreflightError("drift needs two tables: REF CUR")
            run = drift_run.run_drift(args.files[0], args.files[1], settings, want_profile=store is not None,
                                      **engine)
        run_id = drift_run.record_drift(store, run) if store is not None else None
    result = run.result
    if args.json:
        emit_json(result)
    else:
        print(render_drift(result, run_id))
    return 1 if result["dataset_drift"] else 0


def render_drift(result: dict, run_id: int | None = None) -> str:
    rows, small = [], False
    for c in result["columns"]:
        verdict = "DRIFT" if c["drifted"] else ("-" if c["score"] is None else "ok")
        if c.get("small_sample") and c["score"] is not None:
            verdict, small = verdict + "*", True
        p = c.get("ks_p_value") if c.get("ks_p_value") is not None else c.get("chi2_p_value")
        rows.append([c["name"], c["kind"], c["method"] or "-", fmt_num(c["score"]), fmt_num(c["threshold"]),
                     verdict, fmt_num(c.get("psi")), c.get("psi_band") or "-", fmt_num(p),
                     fmt_num(c.get("missing_share_current"), 3)])
    lines = [f"reference  {result['reference']['path']}  ({result['reference']['rows']} rows)",
             f"current    {result['current']['path']}  ({result['current']['rows']} rows)", "",
             table(rows, ["column", "kind", "method", "score", "threshold", "verdict", "psi", "psi band",
                          "p-value", "missing cur"]), ""]
    if small:
        lines.append("* small sample: fewer than 30 non-missing values in a table, so the verdict is unreliable")
    mv = result.get("multivariate")
    if mv:
        top = ", ".join(f["name"] for f in mv.get("top_features", [])[:5])
        told = "tells the tables apart" if mv.get("drifted") else "cannot tell the tables apart"
        lines.append(f"multivariate: the domain classifier {told} (AUC {fmt_num(mv.get('auc'), 3)}, "
                     f"warns above {fmt_num(mv.get('threshold'), 3)}; top features: {top or '-'})")
    if result.get("engine"):
        lines.append(f"engine: {result['engine']} ({result.get('engine_reason', '')})")
    lines.append(f"dataset drift: {'YES' if result['dataset_drift'] else 'no'} "
                 f"({result['drifted_share']:.0%} of columns drifted; threshold {result['drift_share_threshold']:.0%})")
    for w in result.get("warnings", []):
        lines.append(f"warning: {w}")
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)

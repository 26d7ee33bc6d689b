"""``python main.py profile ...``: build, merge, export and import reference profile files, and
``drift CUR --reference-profile-file P.json``.

* ``profile DATA --out P.json [--edges-from WHOLE.json] [--columns a,b] [--engine auto|memory|duckdb|dask]
  [--memory-limit SIZE] [--scheduler ADDRESS]``
* ``profile merge A.json B.json ... --out U.json``
* ``profile export FILE.preflight [NAME] --out P.json``
* ``profile import FILE.preflight P.json [--name NAME]``
"""

from __future__ import annotations

from core.cli.output import emit_json
from core.errors import PreflightError

ACTIONS = ("merge", "export", "import")


def register(sub) -> None:
    p = sub.add_parser("profile", help="build, merge, export or import a reference profile file")
    p.add_argument("args", nargs="+", metavar="DATA | merge A B ... | export FILE [NAME] | import FILE P",
                   help="a table to profile, or one of: merge, export, import")
    p.add_argument("--out", default=None, help="the profile file to write")
    p.add_argument("--edges-from", default=None, metavar="PROFILE",
                   help="take the numeric bin edges from this profile file (so that parts merge exactly)")
    p.add_argument("--columns", default=None, help="only these columns (comma-separated)")
    p.add_argument("--categorical", default=None, help="treat these columns as categorical")
    p.add_argument("--numeric", default=None, help="treat these columns as numeric")
    p.add_argument("--text", default=None, help="treat these columns as identifiers/text")
    p.add_argument("--datetime", default=None, help="treat these columns as datetimes")
    p.add_argument("--engine", default="auto", choices=("auto", "memory", "duckdb", "dask"),
                   help="profile DATA: in memory, out of core (DuckDB), or on a Dask cluster; auto picks the "
                        "out-of-core engine for a Parquet folder or a table that would not fit (default: auto)")
    p.add_argument("--memory-limit", default=None, metavar="SIZE",
                   help="memory the out-of-core engine may use, e.g. 2GB (default: half the RAM, at most 4 GB)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="--engine dask: the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("--name", default=None, help="import: the name to store the profile under")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_profile)


def cmd_profile(args) -> int:
    action = args.args[0]
    if action == "merge":
        out = _merge(args)
    elif action == "export":
        out = _export(args)
    elif action == "import":
        out = _import(args)
    else:
        out = _build(args)
    if args.json:
        emit_json(out)
    else:
        print("  ".join(f"{k} {v}" for k, v in out.items()))
    return 0


def _need_out(args, what: str) -> str:
    if not args.out:
        raise PreflightError(f"{what} needs --out FILE")
    return args.out


def _build(args) -> dict:
    from core.data.footprint import parse_memory
    from core.data.kinds import parse_kind_overrides, split_names
    from core.drift.profile_build import build_profile_file

    if len(args.args) != 1:
        raise PreflightError("profile takes one table: profile DATA --out P.json")
    out = _need_out(args, "profile DATA")
    overrides = parse_kind_overrides(args.categorical, args.numeric, args.text)
    for name in split_names(args.datetime):
        if overrides.get(name, "datetime") != "datetime":
            raise PreflightError(f"column {name!r} is given as both {overrides[name]} and datetime")
        overrides[name] = "datetime"
    return build_profile_file(args.args[0], out, engine=args.engine, overrides=overrides or None,
                              columns=split_names(args.columns) or None, edges_from=args.edges_from,
                              memory_limit=parse_memory(args.memory_limit), scheduler=args.scheduler)


def _merge(args) -> dict:
    from core.drift import profile_file as pf
    from core.drift.profile_merge import merge_profiles

    paths = args.args[1:]
    if not paths:
        raise PreflightError("profile merge needs profile files: profile merge A.json B.json ... --out U.json")
    out = _need_out(args, "profile merge")
    docs = [(pf.read_profile_file(p)[0], p) for p in paths]
    data = merge_profiles(docs)
    engines = sorted({d["provenance"].get("engine", "?") for d, _ in docs})
    doc = pf.make_profile_file(data, engine="+".join(engines), source=" + ".join(
        str(d["provenance"].get("source", p)) for d, p in docs), edges="merged", extra={"parts": len(docs)})
    sha = pf.write_profile_file(doc, out)
    return {"out": out, "rows": data["rows"], "parts": len(docs), "sha256": sha}


def _export(args) -> dict:
    from core.cli.output import open_existing
    from core.drift.profile_io import export_stored

    if len(args.args) not in (2, 3):
        raise PreflightError("usage: profile export FILE.preflight [NAME] --out P.json")
    out = _need_out(args, "profile export")
    store = open_existing(args.args[1], read_only=True)
    try:
        stored = store.profile(args.args[2] if len(args.args) == 3 else None)
    finally:
        store.close()
    return export_stored(stored, out, args.args[1])


def _import(args) -> dict:
    from core.cli.output import open_existing
    from core.drift import profile_file as pf
    from core.drift.profile_io import import_into

    if len(args.args) != 3:
        raise PreflightError("usage: profile import FILE.preflight P.json [--name NAME]")
    doc, sha = pf.read_profile_file(args.args[2])  # checked completely before anything is stored
    store = open_existing(args.args[1], gate=False)  # like the window's import
    try:
        out = import_into(store, doc, args.args[2], sha, args.name)
    finally:
        store.close()
    return {"assessment": args.args[1], **out}


def cmd_drift_profile_file(args, render_drift) -> int:
    """``drift CUR --reference-profile-file P.json``; ``render_drift(result, run_id)`` is the drift command's
    text output (passed in by ``core.drift.cli``, which owns the command)."""
    from core.data.footprint import parse_memory
    from core.data.kinds import parse_kind_overrides, split_names
    from core.drift import run as drift_run

    if args.reference_profile is not None:
        raise PreflightError("give either --reference-profile or --reference-profile-file, not both")
    if len(args.files) != 1:
        raise PreflightError("with --reference-profile-file give only the current table")
    from core.cli.output import optional_assessment

    overrides = parse_kind_overrides(args.categorical, args.numeric, args.text)
    columns = tuple(split_names(args.columns)) or None
    with optional_assessment(args.assessment) as store:
        share = args.drift_share
        if share is None and store is not None:
            stored = store.meta().get("drift_share_threshold")
            share = float(stored) if stored is not None else None
        run = drift_with_profile_file(args.files[0], args.reference_profile_file, overrides=overrides,
                                      columns=columns, method=args.method, threshold=args.threshold,
                                      drift_share=share, multivariate=not args.no_multivariate,
                                      engine=getattr(args, "engine", None),
                                      memory_limit=parse_memory(getattr(args, "memory_limit", None)))
        run_id = drift_run.record_drift(store, run) if store is not None else None
    if args.json:
        emit_json(run.result)
    else:
        print(render_drift(run.result, run_id))
    return 1 if run.result["dataset_drift"] else 0


def drift_with_profile_file(current, profile_path, *, overrides=None, columns=None, method="auto",
                            threshold=None, drift_share=None, multivariate=True, engine=None,
                            memory_limit=None, progress=None, cancelled=None):
    """Drift of ``current`` against a profile file, after checking the file against the table's columns.

    The current table is read in memory or out of core (``engine``: auto, memory or duckdb).
    """
    from core.drift import profile_file as pf
    from core.drift import run as drift_run
    from core.drift.profile_io import profile_for_store, source_of

    doc, sha = pf.read_profile_file(profile_path)
    settings = drift_run.DriftSettings(method=method, threshold=threshold, columns=columns,
                                       kind_overrides=dict(overrides or {}),
                                       drift_share=0.5 if drift_share is None else drift_share,
                                       multivariate=multivariate)
    run = drift_run.run_drift(None, current, settings, reference_profile=profile_for_store(doc, profile_path, sha),
                              progress=progress, cancelled=cancelled, engine=engine or "auto",
                              memory_limit=memory_limit,
                              profile_check=lambda kinds: pf.check_against_table(doc, profile_path, kinds, columns))
    run.result["reference"]["profile"] = source_of(doc, profile_path, sha)
    return run

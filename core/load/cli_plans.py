"""``loadtest-export`` and ``loadtest-import``: hand a plan to Locust or k6, bring their results back.

``loadtest-export``: exit 0 (the file was written), 2 on unusable input.
``loadtest-import``: exit 0 the imported run passes the verdict, 1 it fails, 2 unusable input.
"""

from __future__ import annotations

from core.cli.output import emit_json, fmt_num, optional_assessment, table


def add_plan_options(p) -> None:
    from core.load.plan import DEMO_URL

    p.add_argument("url", metavar="URL", nargs="?", default=DEMO_URL, help=f"the target (default {DEMO_URL})")
    p.add_argument("--rate", type=float, default=None, metavar="R", help="requests per second (constant)")
    p.add_argument("--duration", type=float, default=10.0, metavar="S", help="seconds at that rate (10)")
    p.add_argument("--stages", default=None, metavar="FILE",
                   help="stages instead of --rate/--duration: JSON [{\"duration_s\", \"rate\", \"ramp_to\"}] or CSV")
    p.add_argument("--expected-qps", type=float, default=None, metavar="Q",
                   help="the 10x-peak preset: ten times Q for --duration (after a short ramp)")
    p.add_argument("--method", default="POST")
    p.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                   help="a request header (repeatable; default Content-Type: application/json)")
    p.add_argument("--body-file", default=None, metavar="F",
                   help="the request body (JSON text); with --rows-csv a template ({{row}}, {{column}})")
    p.add_argument("--rows-csv", default=None, metavar="F", help="one JSON body per row of this table, cycling")
    p.add_argument("--timeout-ms", type=float, default=5000.0, metavar="T")
    p.add_argument("--max-requests", type=int, default=None, metavar="N", help="hard bound on requests")
    p.add_argument("--stop-p95-ms", type=float, default=None, metavar="X", help="abort when p95 exceeds X ms")
    p.add_argument("--stop-error-pct", type=float, default=None, metavar="Y", help="abort when errors exceed Y%%")
    p.add_argument("--stop-window-s", type=float, default=5.0, metavar="W", help="the stop rules' window (5 s)")
    p.add_argument("--slo-p95-ms", type=float, default=200.0, metavar="X", help="the verdict's p95 bound (200)")
    p.add_argument("--slo-success-rate", type=float, default=0.99, metavar="S",
                   help="the verdict's success-rate bound (0.99)")


def plan_from_args(args):
    """A :class:`LoadPlan` from the plan options (the body file's text is read into the plan)."""
    from core.errors import PreflightError
    from core.load.plan import LoadPlan, Stage, parse_stages, ten_x_peak_plan

    chosen = [name for name, value in (("--rate", args.rate), ("--stages", args.stages),
                                       ("--expected-qps", args.expected_qps)) if value is not None]
    if len(chosen) != 1:
        raise PreflightError("give one of --rate, --stages or --expected-qps"
                             + (f" (not {' and '.join(chosen)})" if chosen else ""))
    extra = {}
    if args.stages:
        stages = parse_stages(args.stages)
    elif args.expected_qps is not None:
        preset = ten_x_peak_plan(args.url, args.expected_qps, float(args.duration))
        stages, extra = preset.stages, preset.extra
    else:
        stages = (Stage(float(args.duration), float(args.rate)),)
    headers = []
    for h in args.header or ["Content-Type: application/json"]:
        name, sep, value = h.partition(":")
        if not sep:
            raise PreflightError(f"--header {h!r}: expected 'Name: value'")
        headers.append((name.strip(), value.strip()))
    body = None
    if args.body_file:
        from core.load.run import read_body_file

        body, _ = read_body_file(args.body_file)
    kw = {}
    if args.max_requests is not None:
        kw["max_requests"] = args.max_requests
    return LoadPlan(url=args.url, stages=stages, method=args.method.upper(), headers=tuple(headers), body=body,
                    rows_csv=args.rows_csv, timeout_ms=args.timeout_ms, stop_p95_ms=args.stop_p95_ms,
                    stop_error_pct=args.stop_error_pct, stop_window_s=args.stop_window_s,
                    slo_p95_ms=args.slo_p95_ms, slo_success_rate=args.slo_success_rate, extra=extra, **kw)


def register(sub) -> None:
    e = sub.add_parser("loadtest-export", help="write a load-test plan as a Locust file or a k6 script")
    e.add_argument("--to", required=True, choices=("locust", "k6"), help="the load generator")
    add_plan_options(e)
    e.add_argument("--users", type=int, default=None, metavar="N",
                   help="Locust users (default: enough for the peak rate at twice the SLO p95)")
    e.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    e.add_argument("--json", action="store_true")
    e.set_defaults(handler=cmd_export)

    i = sub.add_parser("loadtest-import", help="import Locust --csv or k6 JSON results as a load-test run")
    i.add_argument("file", metavar="FILE",
                   help="Locust's PREFIX_stats.csv (or PREFIX), k6's --summary-export JSON or --out json file")
    i.add_argument("--tool", choices=("locust", "k6"), default=None, help="the tool (detected when left out)")
    i.add_argument("--slo-p95-ms", type=float, default=None, metavar="X",
                   help="the verdict's p95 bound (default: the file's, else 200)")
    i.add_argument("--slo-success-rate", type=float, default=None, metavar="S",
                   help="the verdict's success-rate bound (default: the file's, else 0.99)")
    i.add_argument("--json", action="store_true")
    i.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    i.set_defaults(handler=cmd_import)


def cmd_export(args) -> int:
    from core.load.plans import write_export

    plan = plan_from_args(args)
    info = write_export(plan, args.to, args.out, users=args.users)
    info.update(url=plan.url, method=plan.method, expected_requests=plan.expected_requests)
    if args.json:
        emit_json(info)
    else:
        extra = f", {info['users']} users" if info.get("users") else ""
        print(f"wrote {info['path']} ({args.to}, {info['bytes']:,} bytes{extra}): {plan.method} {plan.url}, "
              f"{info['duration_s']:g} s at {info['target_rate']:.4g} req/s on average (peak "
              f"{info['peak_rate']:.4g}), sha256 {info['sha256']}")
    return 0


def cmd_import(args) -> int:
    from core.load.imports import import_results, record_import

    with optional_assessment(args.assessment) as store:
        run = import_results(args.file, args.tool, slo_p95_ms=args.slo_p95_ms,
                             slo_success_rate=args.slo_success_rate)
        run_id = record_import(store, run) if store is not None else None
    result = run.result.to_dict()
    if args.json:
        if run_id is not None:
            result["run_id"] = run_id
        emit_json(result)
    else:
        print(render_import(result, run_id))
    return 0 if run.result.production_ready else 1


def render_import(r: dict, run_id: int | None = None) -> str:
    src = r.get("source") or {}
    rows = [[k, fmt_num(r.get(k))] for k in ("requests", "errors", "success_rate", "target_rate", "achieved_rate",
                                             "late_sends", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms",
                                             "max_ms", "mean_ms")]
    lines = [f"imported {src.get('tool')} results (version {src.get('version')})", table(rows, ["figure", "value"]),
             "", "verdict: " + ("production ready" if r.get("production_ready") else "NOT production ready")]
    lines += [f"  {reason}" for reason in r.get("verdict_reasons") or []]
    lines += [f"note: {n}" for n in r.get("generator_notes") or []]
    lines.append("what these numbers mean: " + str(src.get("meaning", "")))
    lines += [f"file: {f['path']} sha256 {f['sha256']}" for f in src.get("files") or []]
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)

"""``python main.py loadtest`` (exit 0 production-ready, 1 not, 2 error) and ``python main.py serve-demo``."""

from __future__ import annotations

import sys

from core.cli.output import emit_json, fmt_num, optional_assessment, table

from core.load.plan import DEMO_PORT, DEMO_URL


def register(sub) -> None:
    p = sub.add_parser("loadtest", help="open-loop HTTP load test (latency from the intended send time)")
    p.add_argument("url", nargs="?", default=DEMO_URL, metavar="URL",
                   help=f"target (default: the demo endpoint {DEMO_URL}); a host outside this machine needs "
                        "--allow-remote")
    rate = p.add_argument_group("rate")
    rate.add_argument("--rate", type=float, default=None, metavar="R", help="requests per second")
    rate.add_argument("--duration", type=float, default=10.0, metavar="S", help="seconds at that rate (10)")
    rate.add_argument("--stages", default=None, metavar="FILE",
                      help="stages instead of --rate: JSON list or CSV of duration_s, rate, ramp_to")
    rate.add_argument("--expected-qps", type=float, default=None, metavar="Q",
                      help="the 10x-peak preset: hold 10 x Q requests per second for --duration")
    rate.add_argument("--ten-x-peak", action="store_true",
                      help="the 10x-peak preset with the expected QPS of the --assessment's handoff")
    rate.add_argument("--arrival", choices=("constant", "poisson"), default="constant")
    req = p.add_argument_group("request")
    req.add_argument("--method", default="POST", help="HTTP method (POST)")
    req.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra header")
    req.add_argument("--body-file", default=None, metavar="F",
                     help="fixed request body (JSON text); with --rows-csv, a template with {{row}} or "
                          "{{column}} placeholders")
    req.add_argument("--rows-csv", default=None, metavar="F", help="one JSON object body per CSV row, cycling")
    lim = p.add_argument_group("limits and stop rules")
    lim.add_argument("--timeout-ms", type=float, default=5000.0, metavar="T")
    lim.add_argument("--max-in-flight", type=int, default=2000, metavar="N", help="connection cap (2000)")
    lim.add_argument("--max-requests", type=int, default=2_000_000, metavar="N", help="hard bound (2,000,000)")
    lim.add_argument("--stop-p95-ms", type=float, default=None, metavar="X",
                     help="stop when p95 over the sliding window exceeds X ms")
    lim.add_argument("--stop-error-pct", type=float, default=None, metavar="Y",
                     help="stop when errors over the sliding window exceed Y%%")
    lim.add_argument("--stop-window-s", type=float, default=5.0, metavar="W", help="sliding window (5 s)")
    slo = p.add_argument_group("verdict")
    slo.add_argument("--slo-p95-ms", type=float, default=200.0, help="p95 must be below this (200 ms)")
    slo.add_argument("--slo-success-rate", type=float, default=0.99, help="success rate must be above (0.99)")
    p.add_argument("--processes", type=int, default=1, metavar="N", help="generator processes (one per core)")
    p.add_argument("--seed", type=int, default=0, help="Poisson arrivals' seed")
    p.add_argument("--allow-remote", action="store_true", help="allow a target outside this machine")
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    p.set_defaults(handler=cmd_loadtest)

    d = sub.add_parser("serve-demo", help="serve the demo model on 127.0.0.1 (POST /predict, GET /health)")
    d.add_argument("--port", type=int, default=DEMO_PORT, help=f"port ({DEMO_PORT}; 0 picks a free one)")
    d.add_argument("--latency-ms", type=float, default=0.0, metavar="M", help="added to every reply")
    d.add_argument("--jitter-ms", type=float, default=0.0, metavar="J", help="uniform extra delay, 0 to J")
    d.add_argument("--error-rate", type=float, default=0.0, metavar="E", help="share of injected 500 replies")
    d.add_argument("--stall-every", type=float, default=0.0, metavar="S", help="seconds between stalls")
    d.add_argument("--stall-ms", type=float, default=0.0, metavar="T", help="length of each stall")
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(handler=cmd_serve_demo)


def preload(args):
    return ("numpy",) if args.handler is cmd_loadtest else ("sklearn.linear_model", "sklearn.datasets")


def _headers(values) -> tuple:
    from core.errors import PreflightError

    out = [("Content-Type", "application/json")]
    for v in values:
        name, sep, value = v.partition(":")
        if not sep or not name.strip():
            raise PreflightError(f"--header needs 'Name: value' (got {v!r})")
        out = [h for h in out if h[0].lower() != name.strip().lower()] + [(name.strip(), value.strip())]
    return tuple(out)


def handoff_qps(store) -> float | None:
    """The expected peak (requests/s) written in the assessment's handoff, if any."""
    value = store.handoff_data()[0].get("expected_qps")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def plan_from(args, store=None):
    """The :class:`LoadPlan` the arguments describe (refusing a remote target without --allow-remote)."""
    from core.errors import PreflightError
    from core.load.plan import LoadPlan, Stage, is_loopback, parse_stages, ten_x_peak_plan

    if getattr(args, "ten_x_peak", False):
        if args.expected_qps is not None:
            raise PreflightError("give --ten-x-peak or --expected-qps, not both")
        if store is None:
            raise PreflightError("--ten-x-peak reads the expected QPS from the handoff: give --assessment FILE")
        args.expected_qps = handoff_qps(store)
        if args.expected_qps is None:
            raise PreflightError(f"{args.assessment}: the handoff has no expected peak load (expected_qps); "
                                 "fill it in or give --expected-qps Q")
    if not is_loopback(args.url) and not args.allow_remote:
        raise PreflightError(f"{args.url} is not on this machine; pass --allow-remote to load-test it "
                             "(only with the owner's permission)")
    chosen = [n for n, v in (("--rate", args.rate), ("--stages", args.stages), ("--expected-qps", args.expected_qps))
              if v is not None]
    if len(chosen) != 1:
        raise PreflightError("give exactly one of --rate, --stages or --expected-qps" if chosen else
                             "give the rate: --rate R (or --stages FILE, or --expected-qps Q)")
    kw = dict(method=args.method.upper(), headers=_headers(args.header), rows_csv=args.rows_csv,
              arrival=args.arrival, timeout_ms=args.timeout_ms, max_in_flight=args.max_in_flight,
              max_requests=args.max_requests, stop_p95_ms=args.stop_p95_ms, stop_error_pct=args.stop_error_pct,
              stop_window_s=args.stop_window_s, slo_p95_ms=args.slo_p95_ms,
              slo_success_rate=args.slo_success_rate, processes=args.processes, seed=args.seed)
    if args.expected_qps is not None:
        plan = ten_x_peak_plan(args.url, args.expected_qps, args.duration, **kw)
    elif args.stages is not None:
        plan = LoadPlan(url=args.url, stages=parse_stages(args.stages), **kw)
    else:
        plan = LoadPlan(url=args.url, stages=(Stage(args.duration, args.rate),), **kw)
    return plan.validate()


def _live(point: dict) -> None:
    print(f"  {point['t']:>4d}s  sent {point['sent']:>7,d}  done {point['completed']:>7,d}  "
          f"errors {point['errors']:>6,d}  p50 {fmt_num(point['p50_ms'], 3):>8} ms  "
          f"p99 {fmt_num(point['p99_ms'], 3):>8} ms", file=sys.stderr, flush=True)


def cmd_loadtest(args) -> int:
    from core.load import run as load_run

    with optional_assessment(args.assessment) as store:
        plan = plan_from(args, store)
        run = load_run.run_loadtest(plan, on_tick=None if args.json else _live, body_file=args.body_file)
        run_id = load_run.record_loadtest(store, run) if store is not None else None
    result = run.result.to_dict()
    if run_id is not None:
        result["run_id"] = run_id
    if args.json:
        emit_json(result)
    else:
        print(render_loadtest(result, run_id))
    return 0 if run.result.production_ready else 1


def render_loadtest(r: dict, run_id: int | None = None) -> str:
    rows = [[name, fmt_num(r.get(f"{key}_ms"), 4), fmt_num(r.get(f"service_{key}_ms"), 4)]
            for name, key in (("p50", "p50"), ("p90", "p90"), ("p95", "p95"), ("p99", "p99"), ("p99.9", "p999"),
                              ("max", "max"), ("mean", "mean"))]
    lines = [f"requests {r['requests']:,}  errors {r['errors']:,}  success rate "
             f"{fmt_num(None if r['success_rate'] is None else 100 * r['success_rate'], 4)}%",
             f"target {fmt_num(r['target_rate'], 6)} req/s  achieved {fmt_num(r['achieved_rate'], 6)} req/s  "
             f"late sends (>1 ms) {r['late_sends']:,}  in-flight cap reached {r['in_flight_cap_hits']:,}",
             table(rows, ["", "latency ms (from intended send)", "service ms (from actual send)"])]
    if r.get("error_types"):
        lines.append("errors: " + ", ".join(f"{k} {v:,}" for k, v in r["error_types"].items()))
    for note in r.get("generator_notes") or []:
        lines.append(f"generator: {note}")
    if r.get("stopped_early"):
        lines.append(f"stopped early: {r['stop_reason']}")
    lines.append(("PRODUCTION READY: " if r["production_ready"] else "NOT READY: ") + "; ".join(r["verdict_reasons"]))
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)


def cmd_serve_demo(args) -> int:
    from core.load.demo_server import serve_demo

    def ready(server):
        print(f"serving the demo model on {server.url} (GET {server.base_url}/health); Ctrl+C to stop", flush=True)

    serve_demo(args.port, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, error_rate=args.error_rate,
               stall_every_s=args.stall_every, stall_ms=args.stall_ms, seed=args.seed, on_ready=ready)
    return 0

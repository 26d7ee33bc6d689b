"""``capacity`` and ``autoscale`` commands.

``capacity``: exit 0 when the SLO is met at the design point (``--peak-factor`` x ``--rate``; with
``--replicas``, by those replicas in simulation; without, by some count up to ``--max-replicas``),
1 when it is not, 2 on unusable input.
``autoscale``: exit 0 when the (first) policy's SLO-violation minutes stay within ``--max-violation-minutes``
(0), 1 when not, 2 on unusable input.
"""

from __future__ import annotations


from core.cli.output import emit_json, fmt_num, optional_assessment, table

CAPACITY_EPILOG = ("exit status: 0 the SLO is met at the design point (rate x peak factor), 1 it is not, "
                   "2 unusable input")
AUTOSCALE_EPILOG = ("exit status: 0 the --policy kept its SLO-violation minutes within --max-violation-minutes, "
                    "1 it did not, 2 unusable input")


def register(sub) -> None:
    p = sub.add_parser("capacity", help="replicas needed for a latency SLO (Erlang C, Allen-Cunneen, simulation)",
                       epilog=CAPACITY_EPILOG)
    p.add_argument("--rate", type=float, required=True, metavar="R", help="expected peak arrival rate, requests/s")
    p.add_argument("--service-ms", type=float, default=None, metavar="M", help="mean service time per request, ms")
    p.add_argument("--cv", type=float, default=None, metavar="C",
                   help="coefficient of variation of the service time: lognormal service (default: exponential)")
    p.add_argument("--from-run", type=int, default=None, metavar="ID",
                   help="service times from the service_histogram of loadtest run ID (needs --assessment)")
    p.add_argument("--replicas", type=int, default=None, metavar="N", help="replicas to check (default: size only)")
    p.add_argument("--slo-p95-ms", type=float, default=200.0, metavar="X", help="p95 latency SLO, ms (200)")
    p.add_argument("--peak-factor", type=float, default=10.0, metavar="F", help="design point = F x rate (10)")
    p.add_argument("--arrival-cv", type=float, default=1.0, metavar="A",
                   help="coefficient of variation of the gaps between arrivals (1: Poisson)")
    p.add_argument("--requests", type=int, default=200_000, metavar="N",
                   help="simulated requests (200000; at least 100 per replica)")
    p.add_argument("--max-replicas", type=int, default=100_000, metavar="N", help="largest count searched (100000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    p.set_defaults(handler=cmd_capacity)

    a = sub.add_parser("autoscale", help="replay traffic through scaling policies (HPA-faithful or the seed policy)",
                       epilog=AUTOSCALE_EPILOG)
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--trace", default=None, metavar="FILE", help="a CSV of time (s or date-time), rate (req/s)")
    src.add_argument("--pattern", choices=("diurnal", "spike", "ramp"), default=None)
    a.add_argument("--base-rate", type=float, default=20.0, metavar="R", help="pattern: lowest rate (20)")
    a.add_argument("--peak-rate", type=float, default=200.0, metavar="R", help="pattern: highest rate (200)")
    a.add_argument("--duration-s", type=float, default=None, help="pattern length (day, 2 h, 1 h)")
    a.add_argument("--policy", choices=("hpa", "seed"), required=True)
    a.add_argument("--compare", choices=("hpa", "seed"), default=None, help="also replay this policy")
    pol = a.add_argument_group("policy options")
    pol.add_argument("--metric", choices=("utilisation", "queue_depth", "p95_ms"), default="utilisation")
    pol.add_argument("--target", type=float, default=0.6, help="metric target (0.6)")
    pol.add_argument("--min-replicas", type=int, default=2)
    pol.add_argument("--max-replicas", type=int, default=20)
    pol.add_argument("--start-replicas", type=int, default=None, help="replicas at the start (min)")
    pol.add_argument("--up", type=float, default=1.5, help="seed: scale up above target x UP (1.5)")
    pol.add_argument("--down", type=float, default=0.5, help="seed: scale down below target x DOWN (0.5)")
    pol.add_argument("--cooldown-s", type=float, default=300.0, help="seed: after the last scaling event (300)")
    pol.add_argument("--tolerance", type=float, default=0.1, help="hpa: no change within this ratio (0.1)")
    pol.add_argument("--stabilization-s", type=float, default=300.0, help="hpa: scale-down window (300)")
    pol.add_argument("--sync-s", type=float, default=15.0, help="evaluation period (15)")
    pol.add_argument("--readiness-s", type=float, default=60.0, help="a new replica is ready after (60)")
    a.add_argument("--step-s", type=float, default=15.0, help="replay step (15)")
    a.add_argument("--service-ms", type=float, default=40.0, metavar="M", help="mean service time, ms (40)")
    a.add_argument("--cv", type=float, default=None, help="service-time CV: lognormal (default exponential)")
    a.add_argument("--slo-p95-ms", type=float, default=200.0, metavar="X")
    a.add_argument("--max-violation-minutes", type=float, default=0.0, metavar="M")
    a.add_argument("--json", action="store_true")
    a.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    a.set_defaults(handler=cmd_autoscale)


def preload(args) -> tuple[str, ...]:
    return ("numpy", "scipy.special") if getattr(args, "command", "") == "capacity" else ("numpy", "pandas")


def cmd_capacity(args) -> int:
    from core.errors import PreflightError
    from core.load import capacity_run as cr

    if args.from_run is not None and not args.assessment:
        raise PreflightError("--from-run reads a loadtest run from an assessment: give --assessment FILE")
    if args.from_run is not None and (args.service_ms is not None or args.cv is not None):
        raise PreflightError("--from-run takes the service times from the run; leave out --service-ms and --cv")
    settings = cr.CapacitySettings(rate=args.rate, service_ms=args.service_ms, cv=args.cv, replicas=args.replicas,
                                   slo_p95_ms=args.slo_p95_ms, peak_factor=args.peak_factor,
                                   arrival_cv=args.arrival_cv, requests=args.requests, seed=args.seed,
                                   max_replicas=args.max_replicas, from_run=args.from_run)
    with optional_assessment(args.assessment) as store:
        hist, inputs = None, ()
        if args.from_run is not None:
            hist, record = cr.loadtest_histogram(store, args.from_run)
            inputs = (record,)
        run = cr.run_capacity(settings, histogram=hist, inputs=inputs)
        run_id = cr.record_capacity(store, run) if store is not None else None
    if args.json:
        emit_json(run.result)
    else:
        print(render_capacity(run.result, run_id))
    return 0 if run.result["slo_met"] else 1


def _row(name: str, d: dict | None) -> list:
    d = d or {}
    if not d:
        return [name] + ["-"] * 7
    if not d.get("stable"):
        return [name, fmt_num(d.get("utilisation"), 3), "unstable"] + ["-"] * 5
    return [name, fmt_num(d.get("utilisation"), 3), fmt_num(d.get("p_wait"), 3), fmt_num(d.get("mean_wait_ms"), 1),
            fmt_num(d.get("p50_ms"), 1), fmt_num(d.get("p95_ms"), 1), fmt_num(d.get("p99_ms"), 1),
            fmt_num(d.get("wait_p99_ms"), 1)]


def render_capacity(r: dict, run_id: int | None = None) -> str:
    dist = r["distribution"]
    lines = [f"service: {dist['kind']}, mean {dist['mean_ms']:.4g} ms, CV {dist['cv']:.3g}; expected peak "
             f"{r['rate']:,.4g} requests/s, design point {r['design_rate']:,.4g}/s ({r['peak_factor']:g}x); "
             f"SLO p95 <= {r['slo_p95_ms']:g} ms"]
    if r.get("replicas") is not None:
        rows = [_row(f"closed form at {r['rate']:,.4g}/s", r.get("at_rate")),
                _row(f"closed form at {r['design_rate']:,.4g}/s", r.get("at_design")),
                _row(f"simulation at {r['design_rate']:,.4g}/s", r.get("simulation"))]
        lines += [f"{r['replicas']} replica(s):",
                  table(rows, ["", "utilisation", "P(wait)", "mean wait ms", "p50 ms", "p95 ms", "p99 ms",
                               "wait p99 ms"])]
        for part in ("at_design", "simulation"):
            if (r.get(part) or {}).get("note"):
                lines.append(r[part]["note"])
    n = r["needed"]
    lines.append(f"replicas needed at the design point: {n.get('replicas') or '-'}"
                 + (f" (by {n['basis']}; the closed-form search started at {n['closed_form']})"
                    if n.get("replicas") else "") + f"; at the expected peak itself: {n.get('at_rate') or '-'}")
    if r.get("judged") and r["judged"].get("p95_ms") is not None:
        lines.append(f"judged p95 of {r['replicas']} replica(s) at the design point: {r['judged']['p95_ms']:,.1f} ms "
                     f"(by {r['judged']['basis']})")
    lines.append(("PASS: " if r["slo_met"] else "FAIL: ") + r["verdict"])
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)


def cmd_autoscale(args) -> int:
    from core.load import capacity_run as cr

    settings = cr.AutoscaleSettings(
        trace=args.trace, pattern=args.pattern, base_rate=args.base_rate, peak_rate=args.peak_rate,
        duration_s=args.duration_s, policy=args.policy, compare=args.compare, metric=args.metric, target=args.target,
        min_replicas=args.min_replicas, max_replicas=args.max_replicas, scale_up_threshold=args.up,
        scale_down_threshold=args.down, cooldown_s=args.cooldown_s, tolerance=args.tolerance, sync_s=args.sync_s,
        stabilization_s=args.stabilization_s, readiness_s=args.readiness_s, step_s=args.step_s,
        start_replicas=args.start_replicas, service_ms=args.service_ms, cv=args.cv, slo_p95_ms=args.slo_p95_ms,
        max_violation_minutes=args.max_violation_minutes)
    with optional_assessment(args.assessment) as store:
        run = cr.run_autoscale(settings)
        run_id = cr.record_autoscale(store, run) if store is not None else None
    if args.json:
        emit_json(run.result)
    else:
        print(render_autoscale(run.result, run_id))
    return 0 if run.result["slo_met"] else 1


def render_autoscale(r: dict, run_id: int | None = None) -> str:
    t = r["traffic"]
    lines = [f"traffic: {t['source']}, {t['duration_s'] / 60:,.0f} min, peak {t['peak_rate']:,.4g} requests/s; "
             f"service mean {r['service']['mean_ms']:.4g} ms; SLO p95 <= {r['slo_p95_ms']:g} ms"]
    rows = [[p["policy"], fmt_num(p["slo_violation_minutes"], 1), fmt_num(p["overloaded_minutes"], 1),
             fmt_num(p["replica_minutes"], 0), p["max_replicas_used"], p["scaling_events"]] for p in r["policies"]]
    lines.append(table(rows, ["policy", "SLO-violation min", "overloaded min", "replica-min", "max replicas",
                              "scaling events"]))
    for p in r["policies"]:
        lines.append(f"{p['policy']}: {p['description']}")
    lines.append(("PASS: " if r["slo_met"] else "FAIL: ") + r["verdict"])
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)

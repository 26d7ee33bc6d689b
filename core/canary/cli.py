"""``python main.py canary``: rehearse a canary rollout; exit 0 promoted, 1 rolled back or paused, 2 error."""

from __future__ import annotations

from core.cli.output import emit_json, fmt_num, optional_assessment, table

#: the error rules (``core.canary.rules.RULES``), spelled out so that ``--help`` needs no scipy import
RULES = ("seed", "fisher", "sprt", "msprt")


def register(sub) -> None:
    p = sub.add_parser("canary", help="simulate a canary rollout and its rollback decisions")
    syn = p.add_argument_group("synthetic behaviour")
    syn.add_argument("--baseline-error", type=float, default=0.01, metavar="B", help="baseline error rate (0.01)")
    syn.add_argument("--candidate-error", type=float, default=None, metavar="C",
                     help="candidate error rate (default: the baseline's)")
    syn.add_argument("--baseline-latency-ms", type=float, default=None, metavar="L")
    syn.add_argument("--candidate-latency-ms", type=float, default=None, metavar="L2")
    syn.add_argument("--latency-cv", type=float, default=0.5, metavar="V", help="latency coefficient of variation")
    syn.add_argument("--degrade-from-step", type=int, default=None, metavar="K",
                     help="the candidate degrades from step K on (1-based)")
    syn.add_argument("--degraded-error", type=float, default=None)
    syn.add_argument("--degraded-latency-ms", type=float, default=None)
    rep = p.add_argument_group("replay")
    rep.add_argument("--baseline-log", default=None, metavar="F", help="the baseline's prediction log")
    rep.add_argument("--candidate-log", default=None, metavar="F", help="the candidate's log of the same requests")
    sch = p.add_argument_group("schedule")
    sch.add_argument("--schedule", default="seed", metavar="seed|flagger|W1,W2,...",
                     help="seed (+10%% per step), flagger (--step-weight up to --max-weight) or a weight list")
    sch.add_argument("--requests-per-step", type=int, default=None, metavar="N",
                     help="requests per step, baseline plus candidate (500)")
    sch.add_argument("--interval-s", type=float, default=None, help="step length in seconds (with --rate)")
    sch.add_argument("--rate", type=float, default=None, help="total requests per second (with --interval-s)")
    sch.add_argument("--step-weight", type=float, default=5.0, help="flagger: percent added per step (5)")
    sch.add_argument("--max-weight", type=float, default=50.0, help="flagger: percent promoted at (50)")
    dec = p.add_argument_group("decision")
    dec.add_argument("--rule", choices=RULES, default="fisher", help="decision rule (fisher)")
    dec.add_argument("--alpha", type=float, default=0.01, metavar="A")
    dec.add_argument("--beta", type=float, default=0.2, help="sprt: chance of missing the tolerated increase")
    dec.add_argument("--tolerance", type=float, default=1.0, help="sprt: relative increase H1 stands for (1.0)")
    dec.add_argument("--latency-tolerance", type=float, default=0.25,
                     help="latency shift allowed, as a share of the baseline median (0.25)")
    dec.add_argument("--min-samples", type=int, default=100, help="requests each side needs before a decision")
    dec.add_argument("--failure-limit", type=int, default=0, help="failing checks tolerated before a rollback")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--monte-carlo", type=int, default=0, metavar="N", help="also compare every rule over N rollouts")
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    p.set_defaults(handler=cmd_canary)


def settings_from(args):
    from core.canary.run import CanarySettings
    from core.errors import PreflightError

    synthetic = [f for f in ("candidate_error", "baseline_latency_ms", "candidate_latency_ms", "degrade_from_step",
                             "degraded_error", "degraded_latency_ms") if getattr(args, f) is not None]
    if (args.baseline_log or args.candidate_log) and synthetic:
        flag = "--" + synthetic[0].replace("_", "-")
        raise PreflightError(f"{flag} describes synthetic traffic; a replay takes its behaviour from the logs")
    candidate = args.candidate_error if args.candidate_error is not None else args.baseline_error
    return CanarySettings(
        rule=args.rule, alpha=args.alpha, beta=args.beta, tolerance=args.tolerance,
        latency_tolerance=args.latency_tolerance, schedule=args.schedule, requests_per_step=args.requests_per_step,
        interval_s=args.interval_s, rate_rps=args.rate, step_weight=args.step_weight, max_weight=args.max_weight,
        min_samples=args.min_samples, failure_limit=args.failure_limit, baseline_error=args.baseline_error,
        candidate_error=candidate, baseline_latency_ms=args.baseline_latency_ms,
        candidate_latency_ms=args.candidate_latency_ms, latency_cv=args.latency_cv,
        degrade_from_step=args.degrade_from_step, degraded_error=args.degraded_error,
        degraded_latency_ms=args.degraded_latency_ms, baseline_log=args.baseline_log,
        candidate_log=args.candidate_log, seed=args.seed, monte_carlo=args.monte_carlo)


def cmd_canary(args) -> int:
    from core.canary import run as canary_run

    settings = settings_from(args)
    with optional_assessment(args.assessment) as store:
        run = canary_run.run_canary(settings)
        run_id = canary_run.record_canary(store, run) if store is not None else None
    result = run.result
    if args.json:
        emit_json(result)
    else:
        print(render_canary(result, run_id))
    return 0 if result["outcome"] == "promoted" else 1


def _rate(side: dict) -> str:
    r = side.get("error_rate")
    return "-" if r is None else f"{100 * r:.2f}%"


def render_canary(result: dict, run_id: int | None = None) -> str:
    lines = [s["explanation"] for s in result["steps"]]
    lines += ["", f"outcome: {result['outcome'].upper().replace('_', ' ')} "
                  f"(candidate's final share of traffic {result['final_traffic_split'] * 100:g}%)",
              result["summary"]]
    rules = result.get("rules")
    if rules:
        mc = result["monte_carlo"]
        rows = [[name, fmt_num(m["false_rollback_rate"], 3), fmt_num(m["detection_rate"], 3),
                 fmt_num(m["detection_before_half_rate"], 3), fmt_num(m["mean_requests_to_detect"], 1),
                 fmt_num(m["exposed_users"], 1)] for name, m in rules.items()]
        lines += ["", f"Monte Carlo, {mc['runs']} rollouts per scenario: equal candidate at "
                      f"{mc['baseline_error'] * 100:g}% errors, worse candidate at {mc['worse_error'] * 100:g}%",
                  table(rows, ["rule", "false rollback", "detection", "before 50%", "requests to detect",
                               "exposed users"])]
    for w in result.get("warnings", []):
        lines.append(f"warning: {w}")
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)

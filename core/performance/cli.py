"""``performance``, ``roi``, ``coldstart`` and ``metrics-export`` commands.

``performance``: exit 0 no degradation, 1 a metric dropped beyond the threshold, 2 error.
``roi``/``coldstart``/``metrics-export``: exit 0, or 2 on unusable input.
"""

from __future__ import annotations

from core.cli.output import emit_json, fmt_num, optional_assessment, table


def register(sub) -> None:
    p = sub.add_parser("performance", help="model performance over time and its degradation against a baseline")
    p.add_argument("log", metavar="LOG", help="a prediction log (CSV, Parquet, ...)")
    base = p.add_mutually_exclusive_group()
    base.add_argument("--baseline", default=None, metavar="FILE",
                      help="baseline metrics: a JSON file ({\"accuracy\": 0.92, ...}) or accuracy=0.92,f1=0.88")
    base.add_argument("--baseline-windows", type=int, default=None, metavar="N",
                      help="the baseline is the first N windows (default 1)")
    p.add_argument("--window", default="1D", metavar="1D|7D|N", help="a time period or a row count (1D)")
    p.add_argument("--segment", default=None, metavar="COL", help="also evaluate per value of this column")
    p.add_argument("--threshold", type=float, default=0.05, help="relative drop that alerts (0.05)")
    p.add_argument("--min-labels", type=int, default=30, metavar="N", help="labels a window needs to be judged (30)")
    p.add_argument("--timestamp-col", default=None, metavar="COL")
    p.add_argument("--y-true-col", default=None, metavar="COL")
    p.add_argument("--y-pred-col", default=None, metavar="COL")
    p.add_argument("--score-col", default=None, metavar="COL")
    p.add_argument("--proba-prefix", default=None, metavar="PREFIX",
                   help="per-class probability columns are PREFIX<class> (found by themselves when named proba_, "
                        "prob_, probability_, score_, y_prob_ or y_score_ followed by the class)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None, metavar="FILE", help="record the run in this assessment")
    p.set_defaults(handler=cmd_performance)

    r = sub.add_parser("roi", help="business value of the predictions in a log")
    r.add_argument("log", metavar="LOG")
    r.add_argument("--confidence-threshold", type=float, default=0.7, metavar="C")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=cmd_roi)

    c = sub.add_parser("coldstart", help="simulate the cold-start policy (global, blend, personal) on a log")
    c.add_argument("log", metavar="LOG")
    c.add_argument("--min-data-points", type=int, default=50, metavar="N")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_coldstart)

    m = sub.add_parser("metrics-export", help="write Prometheus metrics (textfile collector) from a log or assessment")
    m.add_argument("source", metavar="LOG|FILE.preflight")
    m.add_argument("--out", required=True, metavar="FILE", help="the .prom file to write")
    m.add_argument("--rules", default=None, metavar="FILE", help="also write Prometheus alert rules (YAML)")
    m.add_argument("--model", default="model", help="the model label (model)")
    m.add_argument("--assessment", default=None, metavar="FILE",
                   help="with a LOG: also export the PSI of this assessment's drift run that counts")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=cmd_metrics_export)


def parse_baseline(text: str | None) -> tuple[dict | None, str | None]:
    """``--baseline``: a file name, or inline ``metric=value`` pairs.  Returns (numbers, file)."""
    from pathlib import Path

    from core.errors import PreflightError

    if text is None:
        return None, None
    if "=" in text and not Path(text).exists():
        out = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            try:
                out[name.strip()] = float(value)
            except ValueError:
                raise PreflightError(f"--baseline: {part.strip()!r} is not metric=number") from None
        return out, None
    return None, text


def cmd_performance(args) -> int:
    from core.performance import run as perf

    numbers, file = parse_baseline(args.baseline)
    with optional_assessment(args.assessment) as store:
        drift_id = perf.latest_drift_run_id(store) if store is not None else None
        settings = perf.PerformanceSettings(
            window=args.window, baseline=numbers, baseline_file=file, baseline_windows=args.baseline_windows,
            threshold=args.threshold, min_labels=args.min_labels, segment=args.segment,
            timestamp_col=args.timestamp_col, y_true_col=args.y_true_col, y_pred_col=args.y_pred_col,
            score_col=args.score_col, drift_run_id=drift_id, proba_prefix=args.proba_prefix)
        run = perf.run_performance(args.log, settings)
        run_id = perf.record_performance(store, run) if store is not None else None
    if args.json:
        emit_json(run.result)
    else:
        print(render_performance(run.result, run_id))
    return 1 if run.result["alert"] else 0


KEYS = ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2")


def render_performance(result: dict, run_id: int | None = None) -> str:
    keys = [k for k in KEYS if any((w["metrics"] or {}).get(k) is not None for w in result["windows"])]
    has_est = any(w["estimated"] for w in result["windows"])
    rows = []
    for w in result["windows"]:
        m, e = w["metrics"] or {}, w["estimated"]
        row = [w["start"], w["rows"], w["labelled"]] + [fmt_num(m.get(k), 3) for k in keys]
        if has_est:
            row.append(f"{e['accuracy']:.3f} [{e['accuracy_low']:.3f}, {e['accuracy_high']:.3f}]" if e else "-")
        rows.append(row + ["few labels" if w["too_few_labels"] else ""])
    headers = ["window", "rows", "labelled", *keys] + (["estimated accuracy"] if has_est else []) + ["note"]
    lines = [f"task: {result['task']}, {result['rows']:,} rows ({result['labelled']:,} labelled), window "
             f"{result['window']}", table(rows, headers), "",
             "baseline (" + result["baseline_source"] + "): "
             + ", ".join(f"{k} {fmt_num(v, 4)}" for k, v in result["baseline"].items())]
    lines.append(result["alert_text"] or f"no metric dropped more than {result['threshold'] * 100:g}% below the "
                                          "baseline")
    for w in result.get("warnings", []):
        lines.append(f"warning: {w}")
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)


def cmd_roi(args) -> int:
    from core.performance.business_run import run_roi

    out = run_roi(args.log, args.confidence_threshold)
    if args.json:
        emit_json(out)
        return 0
    lines = [f"predictions: {out['predictions']:,}", f"total value: {fmt_num(out['total_value'], 2)}",
             f"value per prediction: {fmt_num(out['value_per_prediction'], 4)}"]
    if out["high_confidence_value"] is not None:
        lines.append(f"value from confidence > {out['confidence_threshold']:g}: "
                     f"{fmt_num(out['high_confidence_value'], 2)}")
    if out["by_outcome"]:
        lines.append(table([[k, fmt_num(v, 2)] for k, v in out["by_outcome"].items()], ["outcome", "value"]))
    print("\n".join(lines))
    return 0


def cmd_coldstart(args) -> int:
    from core.performance.business_run import run_coldstart

    out = run_coldstart(args.log, args.min_data_points)
    if args.json:
        emit_json(out)
        return 0
    rows = [[r, f"{out['users_share'][r] * 100:.1f}%", f"{out['predictions_share'][r] * 100:.1f}%",
             fmt_num((out["per_regime"].get(r) or {}).get("policy"), 4),
             fmt_num((out["per_regime"].get(r) or {}).get("global_only"), 4)] for r in out["users_share"]]
    lines = [f"{out['users']:,} users, {out['rows']:,} predictions, personalised from {out['min_data_points']} "
             "interactions", table(rows, ["regime", "users", "predictions", f"policy {out['metric'] or ''}".strip(),
                                          "global only"])]
    if out["gain"]:
        lines.append(f"gain of the policy over global-only ({out['metric']}): {out['gain']['gain']:+.4f}")
    print("\n".join(lines))
    return 0


def cmd_metrics_export(args) -> int:
    from core.performance.prometheus import export_metrics

    out = export_metrics(args.source, args.out, rules=args.rules, model=args.model, assessment=args.assessment)
    if args.json:
        emit_json(out)
    else:
        print(f"wrote {out['out']} ({out['samples']} samples)" + (f" and {out['rules']}" if out.get("rules") else ""))
    return 0

"""Report body and readiness gate of a performance run: metric chart, degradation, alert, segments, ROI."""

from __future__ import annotations

from core.performance.charts import lines_svg, metric_svg
from core.render.html import CURRENT_COLOUR, REFERENCE_COLOUR, esc, fmt, kv_table, mark, pct, table
from core.render.registry import gate, gate_result, register, warnings_list

MAX_WINDOWS = 60
SHOWN = ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "r2")


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _windows_table(windows: list[dict]) -> str:
    keys = [k for k in SHOWN if any(_dict(w.get("metrics")).get(k) is not None for w in windows)]
    has_est = any(w.get("estimated") for w in windows)
    rows = []
    for w in windows[-MAX_WINDOWS:]:
        m, e = _dict(w.get("metrics")), _dict(w.get("estimated"))
        row = [esc(w.get("start")), esc(fmt(w.get("rows"))), esc(fmt(w.get("labelled")))]
        row += [esc(fmt(m.get(k))) for k in keys]
        if has_est:
            row.append(esc(f"{fmt(e.get('accuracy'))} [{fmt(e.get('accuracy_low'))}, {fmt(e.get('accuracy_high'))}]"
                           if e else "-"))
        row.append(esc("too few labels" if w.get("too_few_labels") else ""))
        rows.append(row)
    headers = ["Window", "Rows", "Labelled", *keys] + (["Estimated accuracy"] if has_est else []) + ["Note"]
    note = (f'<p class="small muted">The last {MAX_WINDOWS} of {len(windows)} windows; all are in the JSON copy.</p>'
            if len(windows) > MAX_WINDOWS else "")
    return table(headers, rows, numeric=set(range(1, 3 + len(keys))), empty="No window.") + note


def _degradation(degr: dict) -> str:
    rows = [[esc(m), esc(fmt(d.get("baseline"))), esc(fmt(d.get("current"))), esc(pct(d.get("drop"), 1)),
             mark("fail", "ALERT") if d.get("alert") else mark("pass", "ok")]
            for m, d in degr.items() if isinstance(d, dict)]
    return table(["Metric", "Baseline", "Current", "Drop", ""], rows, numeric={1, 2, 3}, empty="No baseline metric.")


def _confusion(metrics: dict) -> str:
    cm = _dict(metrics.get("confusion_matrix"))
    labels, matrix = cm.get("labels") or [], cm.get("matrix") or []
    if not labels or len(labels) > 20:
        return ""
    rows = [[esc(f"true {labels[i]}")] + [esc(fmt(v)) for v in row] for i, row in enumerate(matrix)]
    return "<h4>Confusion matrix (judged window)</h4>" + table(["", *[f"pred {c}" for c in labels]], rows,
                                                              numeric=set(range(1, len(labels) + 1)))


def _segments(segments: dict) -> str:
    if not segments:
        return ""
    rows = []
    for name, s in segments.items():
        m = _dict(_dict(s).get("metrics"))
        rows.append([esc(name), esc(fmt(s.get("rows"))), esc(fmt(s.get("labelled"))),
                     esc(fmt(m.get("accuracy", m.get("mae")))), esc(fmt(m.get("f1", m.get("rmse"))))])
    return "<h4>Per segment</h4>" + table(["Segment", "Rows", "Labelled", "Accuracy / MAE", "F1 / RMSE"], rows,
                                          numeric={1, 2, 3, 4})


def _roi(roi: dict) -> str:
    if not roi:
        return ""
    pairs = [("Predictions", esc(fmt(roi.get("predictions")))), ("Total value", esc(fmt(roi.get("total_value")))),
             ("Value per prediction", esc(fmt(roi.get("value_per_prediction")))),
             (f"Value at confidence > {fmt(roi.get('confidence_threshold'))}",
              esc(fmt(roi.get("high_confidence_value"))))]
    pairs += [(f"Outcome {k}", esc(fmt(v))) for k, v in _dict(roi.get("by_outcome")).items()]
    cumulative = [c for c in roi.get("cumulative") or [] if isinstance(c, dict)]
    chart = lines_svg("Cumulative business value", [str(c.get("time")) for c in cumulative],
                      [("cumulative value", CURRENT_COLOUR, [c.get("value") for c in cumulative])])
    return "<h4>Business value</h4>" + kv_table(pairs) + chart


def _coldstart(cs: dict) -> str:
    if not cs:
        return ""
    per = _dict(cs.get("per_regime"))
    metric = cs.get("metric") or ""
    rows = [[esc(r), esc(pct(_dict(cs.get("users_share")).get(r), 1)), esc(pct(_dict(cs.get("predictions_share"))
                                                                              .get(r), 1)),
             esc(fmt(_dict(per.get(r)).get("policy"))), esc(fmt(_dict(per.get(r)).get("global_only")))]
            for r in ("global", "blend", "personal")]
    gain = _dict(cs.get("gain"))
    note = (f'<p class="small">Gain of the policy over global-only ({esc(metric)}): {esc(fmt(gain.get("gain")))}'
            f' ({esc(fmt(cs.get("users")))} users, personalised from {esc(fmt(cs.get("min_data_points")))} '
            "interactions).</p>") if gain else ""
    bins = [b for b in cs.get("by_history") or [] if isinstance(b, dict)]
    chart = lines_svg(f"Cold start: {metric} by history length (interactions)", [str(b.get("bin")) for b in bins],
                      [("policy", CURRENT_COLOUR, [b.get("policy") for b in bins]),
                       ("global only", REFERENCE_COLOUR, [b.get("global_only") for b in bins])])
    return ("<h4>Cold start</h4>" + table(["Regime", "Users", "Predictions", f"Policy {metric}".strip(),
                                           "Global only"], rows, numeric={1, 2, 3, 4}) + note + chart)


@register("performance")
def render(run: dict) -> str:
    r = _dict(run.get("result"))
    windows = [w for w in r.get("windows") or [] if isinstance(w, dict)]
    base = _dict(r.get("baseline"))
    metric = "accuracy" if r.get("task") != "regression" else "mae"
    cur = r.get("current_window")
    judged = windows[cur] if isinstance(cur, int) and 0 <= cur < len(windows) else {}
    pairs = [("Alert", mark("fail", "DEGRADED") if r.get("alert") else mark("pass", "no degradation")),
             ("Task", esc(r.get("task"))), ("Window", esc(r.get("window"))),
             ("Rows", esc(f"{fmt(r.get('rows'))} ({fmt(r.get('labelled'))} labelled)")),
             ("Baseline", esc(f"{r.get('baseline_source')}: " + ", ".join(f"{k} {fmt(v)}" for k, v in base.items()))),
             ("Threshold", esc(pct(r.get("threshold"), 1)))]
    alert = (f'<pre class="small">{esc(r.get("alert_text"))}</pre>' if r.get("alert_text") else "")
    return (kv_table(pairs) + alert
            + metric_svg(windows, metric, base.get(metric), float(r.get("threshold") or 0.05),
                         lower_is_better=metric == "mae")
            + "<h4>Degradation of the judged window</h4>" + _degradation(_dict(r.get("degradation")))
            + _confusion(_dict(judged.get("metrics"))) + "<h4>Windows</h4>" + _windows_table(windows)
            + _segments(_dict(r.get("segments"))) + _roi(_dict(r.get("roi"))) + _coldstart(_dict(r.get("coldstart")))
            + warnings_list(r.get("warnings")))


@gate("performance", "Model performance")
def performance_gate(run: dict | None) -> dict:
    """Fails on a degradation alert, passes when the judged window holds up, warns without a judged window."""
    if run is None:
        return gate_result("performance", "Model performance", "none", "no performance run recorded")
    r = _dict(run.get("result"))
    where = f"run #{run.get('id')}"
    degr = _dict(r.get("degradation"))
    if r.get("alert"):
        dropped = [f"{m} {pct(_dict(d).get('drop'), 1)} below the baseline" for m, d in degr.items()
                   if _dict(d).get("alert")]
        return gate_result("performance", "Model performance", "fail",
                           f"{where}: degraded ({', '.join(dropped)})", dropped)
    if not degr:
        return gate_result("performance", "Model performance", "warn", f"{where}: no labelled window to judge")
    return gate_result("performance", "Model performance", "pass",
                       f"{where}: no metric dropped more than {pct(r.get('threshold'), 1)} below the baseline")

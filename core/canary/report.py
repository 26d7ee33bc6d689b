"""Report body and readiness gate of a canary run: outcome, timeline chart, decision log, Monte Carlo table."""

from __future__ import annotations

from core.canary.charts import timeline_svg
from core.render import svg
from core.render.html import GREEN, RED, esc, fmt, kv_table, mark, pct, table
from core.render.registry import gate, gate_result, register, warnings_list

OUTCOME_STATE = {"promoted": "pass", "rolled_back": "fail", "paused": "warn"}
OUTCOME_WORDS = {"promoted": "PROMOTED", "rolled_back": "ROLLED BACK", "paused": "PAUSED"}
MAX_STEPS = 60


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _behaviour_text(b: dict) -> str:
    if b.get("mode") == "replay":
        return (f"replay of {fmt(b.get('requests'))} logged requests (matched by {b.get('matched_by')}): "
                f"baseline {pct(b.get('baseline_error_rate'), 2)} errors, candidate "
                f"{pct(b.get('candidate_error_rate'), 2)}")
    text = f"synthetic: baseline {pct(b.get('baseline_error'), 2)} errors, candidate {pct(b.get('candidate_error'), 2)}"
    if b.get("baseline_latency_ms") is not None:
        text += (f"; latency {fmt(b.get('baseline_latency_ms'))} ms vs {fmt(b.get('candidate_latency_ms'))} ms "
                 f"(CV {fmt(b.get('latency_cv'))})")
    if b.get("degrade_from_step"):
        text += (f"; degrades from step {b.get('degrade_from_step')} to {pct(b.get('degraded_error'), 2)} errors"
                 if b.get("degraded_error") is not None else f"; degrades from step {b.get('degrade_from_step')}")
    return text


def _steps_table(steps: list[dict]) -> str:
    rows = []
    for s in steps[:MAX_STEPS]:
        b, c = _dict(s.get("baseline")), _dict(s.get("candidate"))
        decision = str(s.get("decision") or "")
        state = {"rollback": "fail", "pause": "warn", "promote": "pass"}.get(decision)
        rows.append([esc(fmt(s.get("step"))), esc(pct(s.get("weight"), 0)),
                     esc(f"{fmt(c.get('total_errors'))}/{fmt(c.get('total_requests'))} ({pct(c.get('error_rate'), 2)})"),
                     esc(f"{fmt(b.get('total_errors'))}/{fmt(b.get('total_requests'))} ({pct(b.get('error_rate'), 2)})"),
                     esc(fmt(s.get("p_value"))), mark(state, decision) if state else esc(decision),
                     esc(s.get("explanation") or "")])
    more = len(steps) - MAX_STEPS
    note = f'<p class="small muted">The first {MAX_STEPS} of {len(steps)} steps; all are in the JSON copy.</p>' \
        if more > 0 else ""
    return table(["Step", "Weight", "Candidate errors", "Baseline errors", "p-value", "Decision", "Explanation"],
                 rows, numeric={0, 1, 4}, widths={0: "5%", 1: "7%", 2: "14%", 3: "14%", 4: "8%", 5: "9%"},
                 empty="No step was run.") + note


def _monte_carlo(result: dict) -> str:
    rules = _dict(result.get("rules"))
    if not rules:
        return ""
    mc = _dict(result.get("monte_carlo"))
    rows, names, false_rates, detect = [], [], [], []
    for name, m in rules.items():
        m = _dict(m)
        names.append(name)
        false_rates.append(m.get("false_rollback_rate"))
        detect.append(m.get("detection_before_half_rate"))
        rows.append([esc(name), esc(pct(m.get("false_rollback_rate"), 1)), esc(pct(m.get("detection_rate"), 1)),
                     esc(pct(m.get("detection_before_half_rate"), 1)), esc(fmt(m.get("mean_requests_to_detect"))),
                     esc(fmt(m.get("mean_steps_to_detect"))), esc(fmt(m.get("exposed_users")))])
    head = (f"<h4>Monte Carlo comparison of the rules</h4><p>{esc(fmt(mc.get('runs')))} simulated rollouts per "
            f"scenario, same schedule and guards: an equal candidate ({esc(pct(mc.get('baseline_error'), 2))} errors) "
            f"and a worse one ({esc(pct(mc.get('worse_error'), 2))}).</p>")
    body = table(["Rule", "False rollback", "Detection", "Detected before 50%", "Requests to detect",
                  "Steps to detect", "Exposed users"], rows, numeric={1, 2, 3, 4, 5, 6})
    charts = (svg.bar_chart(names, false_rates, colours=[RED] * len(names), max_value=1.0,
                            title="False rollback rate (equal candidate)", value_text=lambda v: pct(v, 1))
              + svg.bar_chart(names, detect, colours=[GREEN] * len(names), max_value=1.0,
                              title="Detected before 50% of traffic (worse candidate)",
                              value_text=lambda v: pct(v, 1)))
    return head + body + charts


@register("canary")
def render(run: dict) -> str:
    result = _dict(run.get("result"))
    steps = [s for s in result.get("steps") or [] if isinstance(s, dict)]
    outcome = str(result.get("outcome") or "")
    schedule = _dict(result.get("schedule"))
    params, guards = _dict(result.get("params")), _dict(result.get("guards"))
    weights = ", ".join(pct(w, 0) for w in schedule.get("weights") or [])
    pairs = [("Outcome", mark(OUTCOME_STATE.get(outcome, "none"), OUTCOME_WORDS.get(outcome, outcome or "n/a"))),
             ("Final traffic split", esc(f"{pct(result.get('final_traffic_split'), 0)} to the candidate")),
             ("Rule", esc(f"{result.get('rule')} (alpha {fmt(params.get('alpha'))})")),
             ("Guards", esc(f"at least {fmt(guards.get('min_samples'))} requests per side before deciding; "
                            f"failure limit {fmt(guards.get('failure_limit'))}")),
             ("Schedule", esc(f"{schedule.get('name')}: {weights}; {fmt(schedule.get('requests_per_step'))} "
                              "requests per step")),
             ("Behaviour", esc(_behaviour_text(_dict(result.get("behaviour"))))),
             ("Summary", esc(result.get("summary") or ""))]
    return (kv_table(pairs) + timeline_svg(steps) + "<h4>Decision log</h4>" + _steps_table(steps)
            + _monte_carlo(result) + warnings_list(result.get("warnings")))


def _worse_synthetic(b: dict, params: dict) -> bool:
    base, cand = b.get("baseline_error") or 0.0, b.get("candidate_error") or 0.0
    worse = cand > base
    if b.get("degrade_from_step") and b.get("degraded_error") is not None:
        worse = worse or b["degraded_error"] > base
    lat_b = b.get("baseline_latency_ms")
    tol = 1 + (params.get("latency_tolerance") or 0.0)
    for lat in (b.get("candidate_latency_ms"), b.get("degraded_latency_ms") if b.get("degrade_from_step") else None):
        if lat_b and lat and lat > lat_b * tol:
            worse = True
    return worse


def _result_of(state: str, detail: str, reasons: list[str] | None = None) -> dict:
    return gate_result("canary", "Canary rollout", state, detail, reasons)


@gate("canary", "Canary rollout")
def canary_gate(run: dict | None) -> dict:
    """Replay: promoted passes, paused warns, rolled back fails.  Synthetic (a rehearsal of the rule):
    passes when the rule decided as the assumed rates call for, warns otherwise."""
    if run is None:
        return _result_of("none", "no canary run recorded")
    res = _dict(run.get("result"))
    outcome = res.get("outcome")
    where = f"run #{run.get('id')}"
    behaviour = _dict(res.get("behaviour"))
    said = f"{where}: {OUTCOME_WORDS.get(outcome, str(outcome)).lower()} by the {res.get('rule')} rule"
    reasons = [str(res.get("summary"))] if res.get("summary") else []
    if outcome not in OUTCOME_STATE:
        return _result_of("warn", f"{where}: no outcome recorded")
    if behaviour.get("mode") == "replay":
        return _result_of(OUTCOME_STATE[outcome], f"{said} (replay of the logged requests)", reasons)
    worse = _worse_synthetic(behaviour, _dict(res.get("params")))
    expected = "rolled_back" if worse else "promoted"
    if outcome == expected:
        return _result_of("pass", f"{said}, as a {'worse' if worse else 'healthy'} rehearsal candidate should be",
                          reasons)
    why = ("it rolled back a candidate no worse than the baseline (a false rollback)" if expected == "promoted"
           and outcome == "rolled_back" else "it promoted a worse candidate" if outcome == "promoted"
           else "it paused without a decision")
    return _result_of("warn", f"{said}: {why}", reasons)

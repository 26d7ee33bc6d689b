"""The plain sentence each step of a canary rollout is logged with.

For example: ``step 4 (30%): candidate 4.8% errors vs baseline 1.1% over 300 candidate requests,
Fisher p = 0.0003 < 0.01 → roll back``.
"""

from __future__ import annotations

from core.canary.rules import RULES, RuleParams, sprt_boundaries

ACTION = {"start": "continue", "continue": "continue", "rollback": "roll back", "pause": "pause",
          "promote": "promote"}


def pct(rate) -> str:
    if rate is None:
        return "-"
    value = 100 * rate
    return f"{value:.1f}%" if value == 0 or value >= 0.1 else f"{value:.2f}%"


def pvalue(p: float) -> str:
    if p is None:
        return "-"
    if p < 0.0001:
        return f"{p:.1e}"
    return f"{p:.4f}".rstrip("0").rstrip(".") if p < 1 else "1"


def _alpha(a: float) -> str:
    return f"{a:g}"


def rule_clause(entry: dict, rule: str, params: RuleParams) -> str:
    stat, p, failed = entry["statistic"], entry["p_value"], entry["failed"]
    label = RULES[rule].label
    if rule == "fisher":
        return f"{label} p = {pvalue(p)} {'<' if p is not None and p < params.alpha else '≥'} {_alpha(params.alpha)}"
    if rule == "msprt":
        return (f"{label} always-valid p = {pvalue(p)} {'<' if p is not None and p < params.alpha else '≥'} "
                f"{_alpha(params.alpha)}")
    if rule == "sprt":
        upper = sprt_boundaries(params.alpha, params.beta)[1]
        text = "n/a" if stat is None else f"{stat:.2f}"
        return f"{label} log-likelihood ratio {text} {'≥' if stat is not None and stat >= upper else '<'} {upper:.2f}"
    if stat is None:
        ratio = "undefined (no errors on either side)"
    elif stat == float("inf"):
        ratio = "infinite (the baseline has no errors)"
    else:
        ratio = f"{stat:.2f}x"
    over = entry["candidate"]["error_rate"] is not None and entry["baseline"]["error_rate"] is not None and \
        entry["candidate"]["error_rate"] > params.seed_ratio * entry["baseline"]["error_rate"]
    return f"rate ratio {ratio} {'>' if over else '≤'} {params.seed_ratio:g}"


def latency_clause(lat: dict | None) -> str:
    if not lat:
        return ""
    shift, allowed = lat["shift_ms"], lat["allowed_shift_ms"]
    word = "slower" if shift >= 0 else "faster"
    verdict = "over" if lat["fails"] else "within"
    return (f"; latency {abs(shift):.1f} ms {word} (Hodges-Lehmann), {verdict} the {allowed:.1f} ms allowed, "
            f"Mann-Whitney p = {pvalue(lat['p_value'])}")


def explanation(entry: dict, rule: str, params: RuleParams, guards) -> str:
    head = f"step {entry['step']} ({entry['weight'] * 100:g}%)"
    b, c = entry["baseline"], entry["candidate"]
    action = ACTION[entry["decision"]]
    if entry["state"] == "start":
        return (f"{head}: start - the candidate gets no traffic yet; baseline {pct(b['error_rate'])} errors over "
                f"{b['total_requests']:,} requests → {action}")
    if entry["state"] == "no_data":
        return (f"{head}: the candidate received no requests at this weight - no data, so the rollout pauses "
                f"(inconclusive) instead of comparing nothing → {action}")
    rates = (f"candidate {pct(c['error_rate'])} errors vs baseline {pct(b['error_rate'])} over "
             f"{c['total_requests']:,} candidate requests")
    if entry["state"] == "too_few":
        short = "candidate" if c["total_requests"] < guards.min_samples else "baseline"
        extra = "; no decision was ever possible, so the rollout pauses" if action == "pause" else ""
        return (f"{head}: {rates}; fewer than {guards.min_samples} {short} requests, no decision yet{extra} "
                f"→ {action}")
    clause = rule_clause(entry, rule, params) + latency_clause(entry.get("latency"))
    if entry["failed"] and action == "continue":
        clause += f" (failure {entry['failures']} of {guards.failure_limit} tolerated)"
    return f"{head}: {rates}, {clause} → {action}"

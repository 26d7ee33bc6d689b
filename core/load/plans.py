"""Export a load-test plan to the load generators teams already run: Locust and k6.

A :class:`core.load.plan.LoadPlan` becomes

* a **Locust** file (:func:`locust_file`, from :mod:`core.load.plans_locust`): ``FastHttpUser`` users that
  pace themselves to the plan's arrival rate and a ``LoadTestShape`` that holds them for the plan's
  duration.  Locust stays closed-loop: a user waits for its reply before it can send again, so a slow
  server lowers the rate it sends at.  The file counts the sends that left late or were skipped and writes
  them, with the Locust version, next to the ``--csv`` files (``<prefix>_preflight.json``) for
  :mod:`core.load.imports`;
* a **k6** script (:func:`k6_script`): the open-loop ``constant-arrival-rate`` executor for one constant
  stage, ``ramping-arrival-rate`` otherwise, with the SLO (and the stop rules) as thresholds.

Both carry the URL, method, headers, body (fixed, or one body per CSV row, cycling), stages, timeout, stop
rules and SLO.  Nothing here sends a request.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from core.errors import PreflightError
from core.load.plans_common import (_check_size, _header, _stages, check_plan, default_users,
                                    mean_target_rate, peak_rate, plan_bodies)
from core.load.plans_locust import locust_file

TOOLS = ("locust", "k6")
SUFFIX = {"locust": ".py", "k6": ".js"}
__all__ = ["TOOLS", "check_plan", "default_users", "export_text", "k6_scenario", "k6_script", "k6_thresholds",
           "locust_file", "mean_target_rate", "peak_rate", "plan_bodies", "write_export"]


# ----------------------------------------------------------------------------------------------- k6
def _time_unit(rates: list[float]) -> tuple[int, list[int]]:
    """k6 wants whole iterations per timeUnit: the smallest of 1, 10, 100, 1000 seconds that makes the
    rates whole (rounded at 1000 s)."""
    for unit in (1, 10, 100, 1000):
        scaled = [r * unit for r in rates]
        if all(abs(s - round(s)) < 1e-9 for s in scaled):
            return unit, [int(round(s)) for s in scaled]
    return 1000, [int(round(r * 1000)) for r in rates]


def _dur(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def k6_scenario(plan) -> dict:
    stages = _stages(plan)
    peak = peak_rate(plan)
    vus = max(1, math.ceil(peak * 2 * plan.slo_p95_ms / 1000.0))
    max_vus = max(vus, math.ceil(peak * plan.timeout_ms / 1000.0) + 1)
    if len(stages) == 1 and stages[0][1] == stages[0][2]:
        unit, (rate,) = _time_unit([stages[0][1]])
        return {"executor": "constant-arrival-rate", "rate": rate, "timeUnit": f"{unit}s",
                "duration": _dur(stages[0][0]), "preAllocatedVUs": vus, "maxVUs": max_vus}
    unit, scaled = _time_unit([r for _, a, b in stages for r in (a, b)])
    k6_stages, current = [], scaled[0]
    for i, (duration, _, _) in enumerate(stages):
        start, end = scaled[2 * i], scaled[2 * i + 1]
        if start != current:
            k6_stages.append({"target": start, "duration": "0s"})
        k6_stages.append({"target": end, "duration": _dur(duration)})
        current = end
    return {"executor": "ramping-arrival-rate", "startRate": scaled[0], "timeUnit": f"{unit}s",
            "preAllocatedVUs": vus, "maxVUs": max_vus, "stages": k6_stages}


def k6_thresholds(plan) -> dict:
    duration = [f"p(95)<{plan.slo_p95_ms:g}"]
    failed = [f"rate<{1.0 - plan.slo_success_rate:.6g}"]
    delay = _dur(float(plan.stop_window_s))
    if plan.stop_p95_ms is not None:
        duration.append({"threshold": f"p(95)<{plan.stop_p95_ms:g}", "abortOnFail": True,
                         "delayAbortEval": delay})
    if plan.stop_error_pct is not None:
        failed.append({"threshold": f"rate<{plan.stop_error_pct / 100.0:.6g}", "abortOnFail": True,
                       "delayAbortEval": delay})
    return {"http_req_duration": duration, "http_req_failed": failed}


_K6_BODY = '''
export const options = {
  discardResponseBodies: true,
  scenarios: { plan: SCENARIO },
  thresholds: THRESHOLDS,
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'count'],
};

export default function () {
  const body = BODIES === null ? null : BODIES[exec.scenario.iterationInTest % BODIES.length];
  http.request(METHOD, URL, body, { headers: HEADERS, timeout: TIMEOUT });
}
'''


def k6_script(plan) -> str:
    """The plan as a k6 script (an ES module)."""
    check_plan(plan)
    bodies = plan_bodies(plan)
    _check_size(bodies)
    head = "\n".join("// " + line for line in _header(plan, "k6") + [
        "",
        "Run:    k6 run --summary-export RESULTS.json [--out json=POINTS.json] THIS_FILE",
        "Import: python main.py loadtest-import RESULTS.json   (or POINTS.json)",
        "",
        "The arrival-rate executors are open-loop: iterations start on schedule whether or not earlier",
        "requests have returned.  When no VU is free an iteration is not started and k6 counts it in",
        "dropped_iterations (Preflight reports those as late/dropped sends).  http_req_duration is timed",
        "from the actual send.  Thresholds are evaluated over the whole run so far, not a sliding window.",
    ])
    lines = [
        head,
        "import http from 'k6/http';",
        "import exec from 'k6/execution';",
        "",
        f"const URL = {json.dumps(plan.url)};",
        f"const METHOD = {json.dumps(plan.method.upper())};",
        f"const HEADERS = {json.dumps(dict(plan.headers))};",
        f"const BODIES = {json.dumps(bodies)};",
        f"const TIMEOUT = {json.dumps(_dur(plan.timeout_ms / 1000.0))};",
        f"const SCENARIO = {json.dumps(k6_scenario(plan), indent=2)};",
        f"const THRESHOLDS = {json.dumps(k6_thresholds(plan), indent=2)};",
    ]
    return "\n".join(lines) + "\n" + _K6_BODY


# ----------------------------------------------------------------------------------------------- files
def export_text(plan, tool: str, *, users: int | None = None) -> str:
    if tool == "locust":
        return locust_file(plan, users=users)
    if tool == "k6":
        return k6_script(plan)
    raise PreflightError(f"unknown tool {tool!r}: choose one of {', '.join(TOOLS)}")


def write_export(plan, tool: str, out, *, users: int | None = None) -> dict:
    """Write the exported plan to ``out``; returns what was written (tool, path, sha256, bytes, rates)."""
    text = export_text(plan, tool, users=users)
    path = Path(out)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the exported plan ({exc.strerror or exc})") from None
    data = text.encode("utf-8")
    return {"tool": tool, "path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
            "target_rate": mean_target_rate(plan), "peak_rate": peak_rate(plan),
            "duration_s": sum(d for d, _, _ in _stages(plan)),
            "users": (int(users) if users else default_users(plan)) if tool == "locust" else None}

"""Export a load-test plan to the load generators teams already run: Locust and k6.

A :class:`core.load.plan.LoadPlan` becomes

* a **Locust** file (:func:`locust_file`): a ``FastHttpUser`` whose single task paces itself to the plan's
  arrival rate (a pool of users, each sending every ``users / rate`` seconds) and a ``LoadTestShape`` that
  holds the pool for the plan's duration.  Locust stays closed-loop: a user waits for its reply before it
  can send again, so a slow server lowers the rate it sends at.  The file counts the sends that left late
  or were skipped and writes them, with the Locust version, next to the ``--csv`` files
  (``<prefix>_preflight.json``) for :mod:`core.load.imports`;
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
from urllib.parse import urlsplit

from core.errors import PreflightError

TOOLS = ("locust", "k6")
SUFFIX = {"locust": ".py", "k6": ".js"}
#: above this the bodies are not embedded in the exported file (a plan's CSV can be large)
MAX_EMBEDDED_BYTES = 20_000_000


def plan_bodies(plan) -> list[str] | None:
    """The request bodies the plan sends, in order (cycled): the rows CSV's rows, the fixed body, the demo
    model's default body for a POST/PUT/PATCH without either, or None (no body)."""
    from core.load.plan import DEFAULT_BODY

    if plan.rows_csv:
        from core.load.run import read_row_bodies

        bodies, _ = read_row_bodies(plan.rows_csv)
        return bodies
    if plan.body is not None:
        return [plan.body]
    if plan.method.upper() in ("POST", "PUT", "PATCH"):
        return [DEFAULT_BODY]
    return None


def _stages(plan) -> list[tuple[float, float, float]]:
    """(duration_s, start rate, end rate) per stage."""
    out = []
    for s in plan.stages:
        end = s.rate if s.ramp_to is None else s.ramp_to
        out.append((float(s.duration_s), float(s.rate), float(end)))
    if not out or sum(d for d, _, _ in out) <= 0:
        raise PreflightError("the plan has no stage with a positive duration")
    return out


def peak_rate(plan) -> float:
    return max(max(a, b) for _, a, b in _stages(plan))


def default_users(plan) -> int:
    """Locust users the exported file runs: enough to hold the peak rate while replies take up to twice
    the SLO's p95 (each user sends at most one request per reply)."""
    return max(1, math.ceil(peak_rate(plan) * 2 * plan.slo_p95_ms / 1000.0))


def check_plan(plan):
    """Validate the plan as the native generator would, except that https targets are allowed (Locust and
    k6 speak TLS)."""
    if plan.url.lower().startswith("https://"):
        plan.with_(url="http://" + plan.url[len("https://"):]).validate()
    else:
        plan.validate()
    return plan


def _split_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PreflightError(f"{url!r} is not an http:// or https:// URL")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return f"{parts.scheme}://{parts.netloc}", path


def _check_size(bodies) -> None:
    if bodies and sum(len(b) for b in bodies) > MAX_EMBEDDED_BYTES:
        raise PreflightError(f"the plan's bodies exceed {MAX_EMBEDDED_BYTES // 1_000_000} MB, too large to "
                             "embed in an exported script; use fewer rows")


def _header(plan, tool: str) -> list[str]:
    return [
        f"Load-test plan exported by Preflight for {tool}.",
        f"Target: {plan.method} {plan.url}",
        "Stages (duration s, rate req/s -> rate at the end): "
        + "; ".join(f"{d:g} s, {a:g} -> {b:g}" for d, a, b in _stages(plan)),
        f"SLO: p95 < {plan.slo_p95_ms:g} ms and success rate > {plan.slo_success_rate * 100:g}%.",
    ] + (["Arrivals here are evenly spaced: the plan's Poisson arrivals are not reproduced."]
         if plan.arrival == "poisson" else [])


# ----------------------------------------------------------------------------------------------- Locust
_LOCUST_BODY = '''
import json
import math
import random
import time

import gevent
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.runners import MasterRunner, WorkerRunner

TOTAL_S = sum(d for d, _, _ in STAGES)
_state = {"start": None, "late": 0, "missed": 0, "stop_reason": "", "users": 0, "offset": random.random()}


def due_time(n):
    """When, in seconds from the start, the plan's n-th request (counted fractionally from 0) is due:
    the inverse of the cumulative arrivals of the stages (linear ramps included).  None after the plan."""
    start = 0.0
    for duration, a, b in STAGES:
        arrivals = duration * (a + b) / 2.0
        if n < arrivals:
            if a == b:
                return start + n / a
            slope = (b - a) / duration
            return start + (math.sqrt(max(a * a + 2.0 * slope * n, 0.0)) - a) / slope
        n -= arrivals
        start += duration
    return None


class PlanUser(FastHttpUser):
    """One of USERS users; together they send at the plan's arrival rate.

    User i sends the plan's requests number (k + phase_i) * USERS, k = 0, 1, ...: each at the time the
    plan says it is due.  A user waits for each reply before sending again (Locust's closed loop): when the
    reply comes after the user's next due time, that send leaves late (counted as late, if by more than
    1 ms); due times that passed entirely while it waited are skipped (counted as missed), not caught up.
    """

    wait_time = constant(0)
    host = HOST
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    def on_start(self):
        _state["users"] += 1
        self._phase = (_state["offset"] + _state["users"] * 0.6180339887) % 1.0
        self._k = None
        self._n = random.randrange(len(BODIES)) if BODIES else 0

    @task
    def send(self):
        if _state["start"] is None:
            _state["start"] = time.monotonic()
        now = time.monotonic() - _state["start"]
        if self._k is None:  # a user that joins late starts at its next due time
            self._k = 0
            while (due := due_time((self._k + self._phase) * USERS)) is not None and due < now:
                self._k += 1
        due = due_time((self._k + self._phase) * USERS)
        if due is None:
            gevent.sleep(0.2)
            return
        if due > now:
            gevent.sleep(due - now)
        else:
            nxt = due_time((self._k + 1 + self._phase) * USERS)
            while nxt is not None and nxt <= now:
                _state["missed"] += 1
                self._k += 1
                nxt = due_time((self._k + 1 + self._phase) * USERS)
            due = due_time((self._k + self._phase) * USERS)
            if now - due > 0.001:
                _state["late"] += 1
        self._k += 1
        body = None
        if BODIES:
            body = BODIES[self._n % len(BODIES)]
            self._n += 1
        self.client.request(METHOD, PATH, data=body, headers=HEADERS, name=PATH)


class PlanShape(LoadTestShape):
    """Holds USERS users for the plan's duration, then ends the test."""

    def tick(self):
        if self.get_run_time() >= TOTAL_S:
            return None
        return USERS, USERS * 20.0  # the whole pool within a twentieth of a second


@events.test_start.add_listener
def _on_test_start(environment, **kwargs):
    _state["start"] = time.monotonic()
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_watch, environment)


@events.report_to_master.add_listener
def _on_report(client_id, data, **kwargs):
    data["preflight_pacing"] = {"late": _state["late"], "missed": _state["missed"]}
    _state["late"] = _state["missed"] = 0


@events.worker_report.add_listener
def _on_worker_report(client_id, data, **kwargs):
    pacing = data.get("preflight_pacing") or {}
    _state["late"] += pacing.get("late", 0)
    _state["missed"] += pacing.get("missed", 0)


def _window_p95(old, new):
    """p95 (ms) of the response times recorded between two snapshots of Locust's rounded-time counts."""
    diff = {k: n - old.get(k, 0) for k, n in new.items() if n > old.get(k, 0)}
    total = sum(diff.values())
    if total == 0:
        return None
    seen = 0
    for ms in sorted(diff):
        seen += diff[ms]
        if seen >= 0.95 * total:
            return ms
    return max(diff)


def _watch(environment):
    """Once a second: end the test on a stop rule (over the last STOP_WINDOW_S seconds) or MAX_REQUESTS."""
    snaps = []
    while True:
        gevent.sleep(1.0)
        total = environment.runner.stats.total
        snaps.append((total.num_requests, total.num_failures, dict(total.response_times)))
        snaps = snaps[-(int(STOP_WINDOW_S) + 1):]
        reason = ""
        if total.num_requests >= MAX_REQUESTS:
            reason = f"request bound reached ({MAX_REQUESTS})"
        elif len(snaps) > 1:
            n0, f0, rt0 = snaps[0]
            n1, f1, rt1 = snaps[-1]
            p95 = _window_p95(rt0, rt1)
            if STOP_P95_MS is not None and p95 is not None and p95 > STOP_P95_MS:
                reason = f"slo stop rule: p95 {p95} ms > {STOP_P95_MS:g} ms over the last {STOP_WINDOW_S:g} s"
            elif STOP_ERROR_PCT is not None and n1 > n0 and 100.0 * (f1 - f0) / (n1 - n0) > STOP_ERROR_PCT:
                pct = 100.0 * (f1 - f0) / (n1 - n0)
                reason = f"slo stop rule: errors {pct:.1f}% > {STOP_ERROR_PCT:g}% over the last {STOP_WINDOW_S:g} s"
        if reason:
            _state["stop_reason"] = reason
            environment.runner.quit()
            return


@events.quitting.add_listener
def _on_quitting(environment, **kwargs):
    if isinstance(environment.runner, WorkerRunner):
        return
    total = environment.runner.stats.total
    p95 = total.get_response_time_percentile(0.95) if total.num_requests else None
    ok = (total.num_requests > 0 and 1.0 - total.fail_ratio > SLO_SUCCESS_RATE
          and p95 is not None and p95 < SLO_P95_MS and not _state["stop_reason"])
    environment.process_exit_code = 0 if ok else 1
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        import locust

        meta = {
            "written_by": "a locustfile exported by Preflight",
            "locust_version": locust.__version__,
            "distributed": isinstance(environment.runner, MasterRunner),
            "users": USERS,
            "stages": [list(s) for s in STAGES],
            "target_rate": TARGET_MEAN_RATE,
            "late_sends": _state["late"],
            "missed_sends": _state["missed"],
            "stopped_early": bool(_state["stop_reason"]),
            "stop_reason": _state["stop_reason"],
            "slo": {"p95_ms": SLO_P95_MS, "success_rate": SLO_SUCCESS_RATE},
            "url": HOST + PATH,
            "method": METHOD,
        }
        with open(prefix + "_preflight.json", "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2)
'''


def mean_target_rate(plan) -> float:
    stages = _stages(plan)
    total = sum(d for d, _, _ in stages)
    return sum(d * (a + b) / 2 for d, a, b in stages) / total


def locust_file(plan, *, users: int | None = None) -> str:
    """The plan as a Locust file (text)."""
    check_plan(plan)
    host, path = _split_url(plan.url)
    bodies = plan_bodies(plan)
    _check_size(bodies)
    users = int(users) if users else default_users(plan)
    if users < 1:
        raise PreflightError("--users must be at least 1")
    head = "\n".join("# " + line for line in _header(plan, "Locust") + [
        "",
        "Run:    locust -f THIS_FILE --headless --csv RESULTS [--host URL]",
        "Import: python main.py loadtest-import RESULTS_stats.csv",
        "Distributed: start one master (--master) and workers (--worker) with this same file.",
        "",
        "Locust is closed-loop: each user waits for its reply before it sends again.  The users below pace",
        "themselves to the plan's arrival rate, but when the server stalls they stop sending, so the stall",
        "is under-measured (coordinated omission), and its response times are timed from the actual send,",
        "not from when the request was due.  Late and skipped sends are counted in RESULTS_preflight.json.",
        "Locust's percentiles are rounded to about two significant figures.",
    ])
    consts = [
        f"HOST = {host!r}",
        f"PATH = {path!r}",
        f"METHOD = {plan.method.upper()!r}",
        f"HEADERS = {dict(plan.headers)!r}",
        f"BODIES = {bodies!r}",
        f"STAGES = {[(d, a, b) for d, a, b in _stages(plan)]!r}  # (duration s, rate at start, rate at end)",
        f"TARGET_MEAN_RATE = {mean_target_rate(plan)!r}",
        f"USERS = {users}  # enough for the peak rate while replies take <= 2x the SLO p95; raise it if not",
        f"TIMEOUT_S = {plan.timeout_ms / 1000.0!r}",
        f"MAX_REQUESTS = {int(plan.max_requests)}",
        f"STOP_P95_MS = {plan.stop_p95_ms!r}",
        f"STOP_ERROR_PCT = {plan.stop_error_pct!r}",
        f"STOP_WINDOW_S = {float(plan.stop_window_s)!r}",
        f"SLO_P95_MS = {float(plan.slo_p95_ms)!r}",
        f"SLO_SUCCESS_RATE = {float(plan.slo_success_rate)!r}",
    ]
    return head + "\n" + "\n".join(consts) + "\n" + _LOCUST_BODY


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

"""The Locust side of :mod:`core.load.plans`: a plan as a locustfile.

The file paces a pool of ``FastHttpUser`` users to the plan's arrival rate (user i sends the plan's requests
number ``(k + phase_i) x USERS``, each when the plan says it is due), holds the pool for the plan's duration
with a ``LoadTestShape``, applies the stop rules and the request bound once a second, sets Locust's exit code
from the SLO, and writes ``<csv prefix>_preflight.json`` (Locust version, target rate, late and skipped
sends, stop reason) for :mod:`core.load.imports`.
"""

from __future__ import annotations

from core.errors import PreflightError
from core.load.plans_common import (_check_size, _header, _split_url, _stages, check_plan, default_users,
                                    mean_target_rate, plan_bodies)

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
        "themselves to the plan's arrival rate, but while every user waits on a stalled server the requests",
        "falling due go out late or not at all, and a late request is timed from its actual send, not from",
        "when it was due: the stall is under-measured (coordinated omission).  Late and skipped sends are",
        "counted in RESULTS_preflight.json; with too few USERS the rate is not held.",
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

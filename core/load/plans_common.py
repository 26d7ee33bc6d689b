"""What the Locust and k6 exports of a plan share: the plan's stages, bodies, URL parts, sizes and the
header comment (:mod:`core.load.plans`, :mod:`core.load.plans_locust`)."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from core.errors import PreflightError

#: above this the bodies are not embedded in the exported file (a plan's CSV can be large)
MAX_EMBEDDED_BYTES = 20_000_000


def plan_bodies(plan) -> list[str] | None:
    """The request bodies the plan sends, in order (cycled): the rows CSV's rows, the fixed body, the demo
    model's default body for a POST/PUT/PATCH without either, or None (no body)."""
    from core.load.plan import DEFAULT_BODY

    if plan.rows_csv:
        from core.load.run import read_row_bodies

        bodies, _ = read_row_bodies(plan.rows_csv, template=plan.body)
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


def mean_target_rate(plan) -> float:
    stages = _stages(plan)
    total = sum(d for d, _, _ in stages)
    return sum(d * (a + b) / 2 for d, a, b in stages) / total

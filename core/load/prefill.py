"""Handoff pre-fill from the load feature's runs.

:func:`handoff_values` reads the runs that count (store dicts with ``id``, ``kind``, ``result``,
``settings``) and offers:

* ``expected_qps``: from the newest load-test run planned with the 10x-peak preset (the peak it was
  planned from: its target rate / 10); other runs say nothing about the expected peak;
* ``baseline_p95_latency_ms``: the measured p95 latency (from the intended send time) of the newest
  load-test run planned with the 10x-peak preset, else of the newest load-test run;
* ``scaling_policy``: a one-line description of the newest autoscaling replay's winning policy.
"""

from __future__ import annotations

import math


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _newest(runs: list[dict], kind: str, pick):
    for run in sorted((r for r in runs if isinstance(r, dict) and r.get("kind") == kind),
                      key=lambda r: r.get("id") or 0, reverse=True):
        value = pick(run)
        if value is not None:
            return run, value
    return None


def _ten_x_peak_qps(run: dict) -> float | None:
    settings = _d(run.get("settings"))
    extra = _d(settings.get("extra"))
    if extra.get("preset") != "10x_peak":
        return None
    qps = _num(extra.get("expected_qps"))
    if qps is None:
        stages = [s for s in settings.get("stages") or [] if isinstance(s, dict)]
        peak = max((max(_num(s.get("rate")) or 0.0, _num(s.get("ramp_to")) or 0.0) for s in stages), default=0.0)
        qps = peak / 10.0 if peak > 0 else None
    return qps


def _p95(run: dict) -> float | None:
    return _num(_d(run.get("result")).get("p95_ms"))


def _policy(run: dict) -> str | None:
    r = _d(run.get("result"))
    winner = r.get("winner")
    policies = [p for p in r.get("policies") or [] if isinstance(p, dict)]
    chosen = next((p for p in policies if p.get("policy") == winner), policies[0] if policies else None)
    if chosen is None:
        return None
    text = str(chosen.get("description") or chosen.get("policy") or "").strip()
    if not text:
        return None
    figures = []
    if _num(chosen.get("slo_violation_minutes")) is not None:
        figures.append(f"{chosen['slo_violation_minutes']:.1f} SLO-violation min")
    if _num(chosen.get("replica_minutes")) is not None:
        figures.append(f"{chosen['replica_minutes']:,.0f} replica-min")
    return " ".join(text.split()) + (f" ({', '.join(figures)} in the replay)" if figures else "")


def handoff_values(runs: list[dict]) -> list[dict]:
    """The handoff fields these runs can fill: ``{"field", "value", "run_id", "kind", "unit"}`` items."""
    out = []
    for field, kind, pick, unit in (("expected_qps", "loadtest", _ten_x_peak_qps, "requests/s"),
                                    ("baseline_p95_latency_ms", "loadtest", _p95, "ms"),
                                    ("scaling_policy", "autoscale", _policy, "")):
        found = None
        if field == "baseline_p95_latency_ms":  # the p95 that matters is the one measured at 10x peak
            found = _newest([r for r in runs if isinstance(r, dict) and _ten_x_peak_qps(r) is not None], kind, pick)
        found = found or _newest(runs, kind, pick)
        if found is not None:
            run, value = found
            out.append({"field": field, "value": value, "run_id": run.get("id"), "kind": kind, "unit": unit})
    return out

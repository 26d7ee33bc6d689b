from __future__ import annotations

from core.render.html import esc
from core.render.registry import gate, gate_result, register


@register("rowcount")
def render(run: dict) -> str:
    return f"<p>Row count: {esc(run['result']['rows'])}</p>"


@gate("rowcount", "Row count")
def rowcount_gate(run: dict | None) -> dict:
    if run is None:
        return gate_result("rowcount", "Row count", "none", "no row count recorded")
    res = run["result"]
    state = "pass" if res["passed"] else "fail"
    return gate_result("rowcount", "Row count", state, f"run #{run['id']}: {res['rows']} rows (minimum {res['minimum']})")

"""Handoff pre-fill: the values features offer from their runs, written into the handoff.

A feature may have ``core/<feature>/prefill.py`` with ``handoff_values(runs) -> list[dict]`` (and optionally
``KINDS``, the run kinds it reads).  Each item is ``{"field": <Handoff field>, "value": ..., "run_id": int,
"kind": <run kind>, "unit": str}``.  :func:`prefill_values` finds these modules through
:func:`core.features.feature_modules`, so the handoff never imports a feature; ``runs`` is the list of runs
that count (:func:`core.handoff.signing.counted_runs`).
"""

from __future__ import annotations

from core.errors import PreflightError
from core.handoff.form import LABELS, Handoff, latest_run, run_p95_ms


def prefill_values(runs: list[dict]) -> list[dict]:
    """What the features offer the handoff from ``runs``: their ``prefill.handoff_values(runs)``, in the
    feature registry's order.

    A feature may have ``core/<feature>/prefill.py`` with ``handoff_values(runs) -> list[dict]``, each item
    ``{"field": <Handoff field>, "value": ..., "run_id": int, "kind": <run kind>, "unit": str}``.  The handoff
    finds these modules through :func:`core.features.feature_modules` and never imports a feature.
    """
    from core.features import feature_modules

    items = []
    for module in feature_modules("prefill"):
        offer = getattr(module, "handoff_values", None)
        if callable(offer):
            items += [dict(i) for i in offer(runs) or [] if isinstance(i, dict)]
    if not any(i.get("kind") == "load" for i in items):
        items += _load_fallback(runs)
    return items


def prefill_kinds() -> tuple[str, ...]:
    """The run kinds something can be pre-filled from (a feature's ``prefill.KINDS``, plus ``load``)."""
    from core.features import feature_modules

    kinds = []
    for module in feature_modules("prefill"):
        kinds += [k for k in getattr(module, "KINDS", ()) if k not in kinds]
    return tuple(kinds) + (() if "load" in kinds else ("load",))


def _load_fallback(runs: list[dict]) -> list[dict]:
    """The p95 latency of the newest load run, until the load feature offers its own pre-fill values."""
    found = latest_run(runs, "load", run_p95_ms)
    if found is None:
        return []
    run, value = found
    return [{"field": "baseline_p95_latency_ms", "value": value, "run_id": run.get("id"), "kind": "load",
             "unit": " ms"}]


def _shown(value, unit: str = "") -> str:
    if value is None or value == "" or value == ():
        return "not set"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}"


def apply_prefill(h: Handoff, items: list[dict]) -> tuple[Handoff, list[str]]:
    """Write pre-fill items into the handoff: the first item per field wins, a value the handoff refuses (or
    an unknown field) is skipped with a note, and a field is never cleared.  Returns the new handoff and one
    note per item, naming its run."""
    notes, seen = [], set()
    for item in items:
        name, value = item.get("field"), item.get("value")
        if name in seen or value is None:
            continue
        seen.add(name)
        kind, rid, unit = item.get("kind", "?"), item.get("run_id"), str(item.get("unit") or "")
        if name not in LABELS:
            notes.append(f"{name}: not a handoff field (offered by {kind} run #{rid}); skipped")
            continue
        data = h.to_dict()
        data[name] = list(value) if isinstance(value, tuple) else value
        try:
            updated = Handoff.from_dict(data)
        except PreflightError as exc:
            notes.append(f"{LABELS[name]}: not taken from {kind} run #{rid} ({exc})")
            continue
        old, new = getattr(h, name), getattr(updated, name)
        if old == new:
            notes.append(f"{LABELS[name]}: {_shown(new, unit)} from {kind} run #{rid} (unchanged)")
            continue
        notes.append(f"{LABELS[name]}: {_shown(new, unit)} from {kind} run #{rid} (was {_shown(old, unit)})")
        h = updated
    return h, notes

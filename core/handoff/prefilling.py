"""Handoff pre-fill: the values features offer from their runs, written into the handoff.

A feature may have ``core/<feature>/prefill.py`` with ``handoff_values(runs) -> list[dict]`` (and optionally
``KINDS``, the run kinds it reads).  Each item is ``{"field": <Handoff field>, "value": ..., "run_id": int,
"kind": <run kind>, "unit": str}``.  :func:`prefill_values` finds these modules through
:func:`core.features.feature_modules`, so the handoff never imports a feature; ``runs`` is the list of runs
that count (:func:`core.handoff.signing.counted_runs`).  :func:`core.handoff.form.prefill_from_runs` puts
the pieces together; this module does not import the form (the handoff's types come in as arguments).
"""

from __future__ import annotations

from core.errors import PreflightError


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
    return items


def prefill_kinds() -> tuple[str, ...]:
    """The run kinds the features' pre-fill modules read (their ``prefill.KINDS``)."""
    from core.features import feature_modules

    kinds = []
    for module in feature_modules("prefill"):
        kinds += [k for k in getattr(module, "KINDS", ()) if k not in kinds]
    return tuple(kinds)


def _shown(value, unit: str = "") -> str:
    if value is None or value == "" or value == ():
        return "not set"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}"


def apply_prefill(h, items: list[dict], labels: dict) -> tuple[object, list[str]]:
    """Write pre-fill items into the handoff: the first item per field wins, a value the handoff refuses (or
    an unknown field) is skipped with a note, and a field is never cleared.  ``h`` is a handoff (anything
    with ``to_dict`` and a checking ``from_dict``), ``labels`` its fields' labels.  Returns the new handoff and
    one note per item, naming its run."""
    notes, seen = [], set()
    for item in items:
        name, value = item.get("field"), item.get("value")
        if name in seen or value is None:
            continue
        seen.add(name)
        kind, rid, unit = item.get("kind", "?"), item.get("run_id"), str(item.get("unit") or "")
        if name not in labels:
            notes.append(f"{name}: not a handoff field (offered by {kind} run #{rid}); skipped")
            continue
        data = h.to_dict()
        data[name] = list(value) if isinstance(value, tuple) else value
        try:
            updated = type(h).from_dict(data)
        except PreflightError as exc:
            notes.append(f"{labels[name]}: not taken from {kind} run #{rid} ({exc})")
            continue
        old, new = getattr(h, name), getattr(updated, name)
        if old == new:
            notes.append(f"{labels[name]}: {_shown(new, unit)} from {kind} run #{rid} (unchanged)")
            continue
        notes.append(f"{labels[name]}: {_shown(new, unit)} from {kind} run #{rid} (was {_shown(old, unit)})")
        h = updated
    return h, notes

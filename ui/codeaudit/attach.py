"""Attach a code-audit run to a checklist item, the items the run is evidence for suggested first."""

from __future__ import annotations

from ui.common.evidence import AttachEvidenceDialog, named

#: checklist items a code audit speaks to, in the order they are suggested (seed and ML Test Score templates)
PREFERRED_ITEMS = ("Error handling", "Backward compatibility", "API documentation", "Training is reproducible")


def suggested_items(summary: dict) -> list[str]:
    """The run's suggested items (only "Training is reproducible" when nothing unseeded was found)."""
    names = [e.get("item") for e in summary.get("suggested_evidence") or [] if isinstance(e, dict)]
    return [n for n in names if n] or list(PREFERRED_ITEMS[:3])


def attach_dialog(items, run_id: int, summary: dict, parent=None) -> AttachEvidenceDialog:
    """The shared attach dialog with the run's suggested items first, each with what the run says about it."""
    items = list(items)
    suggested = suggested_items(summary)
    notes = {e.get("item"): e.get("note") or "" for e in summary.get("suggested_evidence") or []
             if isinstance(e, dict)}
    return AttachEvidenceDialog(items, f"code audit run #{run_id}", suggested=named(items, suggested), notes=notes,
                                parent=parent)

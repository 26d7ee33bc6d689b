"""Attach a canary run as evidence: every checklist item, the canary and rollback ones first."""

from __future__ import annotations

from ui.common.evidence import AttachEvidenceDialog

#: the ML Test Score 2017 tests a canary run is evidence for, then words that mark a related item in any template
SUGGESTED = ("Models are tested via a canary process before entering production", "Serving models can be rolled back")
RELATED_WORDS = ("canary", "rollback", "rolled back", "roll back", "rollout", "staged")


def rank(item) -> int:
    """0 for the named ML Test Score tests, 1 for items that mention canaries or rollbacks, 2 otherwise."""
    if item.name in SUGGESTED:
        return 0
    text = f"{item.name} {getattr(item, 'requirement', '') or ''}".lower()
    return 1 if any(w in text for w in RELATED_WORDS) else 2


def ordered_items(items) -> list:
    return [item for _r, _n, item in sorted((rank(item), n, item) for n, item in enumerate(items))]


NO_ITEM_HINT = ("No item of this checklist is about canarying or rolling back: choose the closest one, or add one "
                "on the Checklist tab first.")


def attach_dialog(items, run_id: int, summary: str, parent=None) -> AttachEvidenceDialog:
    """The shared attach dialog with the canary and rollback items first (every item can be chosen)."""
    items = list(items)
    suggested = [item for item in ordered_items(items) if rank(item) < 2]
    return AttachEvidenceDialog(items, f"canary run #{run_id} ({summary})", suggested=suggested,
                                hint_if_none=NO_ITEM_HINT, parent=parent)

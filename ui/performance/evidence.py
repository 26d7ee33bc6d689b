"""Attach a performance run as evidence: every checklist item, the monitoring and metrics ones first."""

from __future__ import annotations

from ui.common.evidence import AttachEvidenceDialog, named

SUGGESTED = ("Model performance metrics", "Business metrics", "Alerting system")
NO_ITEM_HINT = ("No item of this checklist is about model performance, business metrics or alerting: choose the "
                "closest one, or add one on the Checklist tab first.")


def attach_dialog(items, run_id: int, summary: str, parent=None) -> AttachEvidenceDialog:
    items = list(items)
    return AttachEvidenceDialog(items, f"performance run #{run_id} ({summary})", suggested=named(items, SUGGESTED),
                                hint_if_none=NO_ITEM_HINT, parent=parent)

"""Attach a load-feature run as evidence: every checklist item, the latency, load-testing and scaling ones first.

A load test (native or imported from Locust/k6) is evidence for "Latency requirements" and "Load testing";
an autoscaling replay for "Auto-scaling"; a capacity model for "Load testing" and "Auto-scaling".
"""

from __future__ import annotations

from ui.common.evidence import AttachEvidenceDialog, named

SUGGESTED = {
    "loadtest": ("Latency requirements", "Load testing"),
    "capacity": ("Load testing", "Auto-scaling", "Latency requirements"),
    "autoscale": ("Auto-scaling",),
}
WHAT = {"loadtest": "load test", "capacity": "capacity model", "autoscale": "autoscaling replay"}
NO_ITEM_HINT = ("No item of this checklist is about latency, load testing or scaling: choose the closest one, "
                "or add one on the Checklist tab first.")


def suggested_items(items, kind: str) -> list:
    return named(items, SUGGESTED.get(kind, SUGGESTED["loadtest"]))


def attach_dialog(items, kind: str, run_id: int, summary: str, parent=None) -> AttachEvidenceDialog:
    """The shared attach dialog for a ``kind`` run ("loadtest", "capacity", "autoscale")."""
    items = list(items)
    what = f"{WHAT.get(kind, kind)} run #{run_id}" + (f" ({summary})" if summary else "")
    return AttachEvidenceDialog(items, what, suggested=suggested_items(items, kind), hint_if_none=NO_ITEM_HINT,
                                parent=parent)

"""The tab registry: (module, class) pairs, in display order.

A feature adds its tab by adding one line here.  Each tab class takes the
:class:`ui.context.AssessmentContext` and has a ``title``.  A module that does
not exist yet is skipped, so only working tabs are shown.
"""

from __future__ import annotations

import importlib

TABS = (
    ("ui.checklist.tab", "ChecklistTab"),
    ("ui.data.tab", "DataTab"),
    ("ui.performance.tab", "PerformanceTab"),
    ("ui.load.tab", "LoadTab"),
    ("ui.codeaudit.tab", "CodeAuditTab"),
    ("ui.canary.tab", "CanaryTab"),
    ("ui.handoff.tab", "HandoffTab"),
    ("ui.report.tab", "ReportTab"),
)


def tab_classes() -> list[type]:
    out = []
    for module_name, class_name in TABS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        out.append(getattr(module, class_name))
    return out

"""The Load tab: sub-views for an open-loop load test, the capacity model, the autoscaling replay and the
Locust / k6 plans, one per page.

Each sub-view is a QWidget taking the :class:`ui.context.AssessmentContext`, with a ``title`` and optionally
``busy`` and ``shutdown()``.  A sub-view module that does not exist yet is skipped, like the tab registry
does for whole tabs.
"""

from __future__ import annotations

import importlib

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

#: (module, class) of each sub-view, in display order
SUBVIEWS = (
    ("ui.load.loadtest_view", "LoadTestView"),
    ("ui.load.capacity_view", "CapacityView"),
    ("ui.load.autoscale_view", "AutoscaleView"),
    ("ui.load.plans_view", "PlansView"),
)


def subview_classes() -> list[type]:
    out = []
    for module_name, class_name in SUBVIEWS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        out.append(getattr(module, class_name))
    return out


class LoadTab(QWidget):
    title = "Load"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.context = context
        self.pages = QTabWidget()
        self.views: list[QWidget] = []
        for cls in subview_classes():
            view = cls(context)
            self.views.append(view)
            self.pages.addTab(view, getattr(view, "title", cls.__name__))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.pages)

    def view(self, title: str) -> QWidget | None:
        """The sub-view called ``title`` ("Load test", "Capacity", "Autoscaling", "Locust / k6")."""
        return next((v for v in self.views if getattr(v, "title", "") == title), None)

    @property
    def busy(self) -> bool:
        return any(bool(getattr(v, "busy", False)) for v in self.views)

    def shutdown(self) -> None:
        """Stop every sub-view's running work (and the demo endpoint) before the window closes."""
        for view in self.views:
            stop = getattr(view, "shutdown", None)
            if stop is not None:
                stop()

"""The feature registry: the one list a new feature is added to on the core side.

A feature is a package ``core/<name>/`` (see ``core/README.md``).  Besides its
computation and its ``run_…``/``record_…`` functions it may hold

* ``cli.py`` with ``register(subparsers)``: its commands (``python main.py <command>``);
* ``report.py``: its run kinds' report bodies and readiness gates, registered with
  :func:`core.render.registry.register` and :func:`core.render.registry.gate`.

The CLI and the report find these modules here by name, so they never import a
feature directly and a new feature touches no other feature's files.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: feature packages, in the order their commands and report gates appear
FEATURES = (
    "core.assessment",
    "core.drift",
    "core.validation",
    "core.performance",
    "core.load",
    "core.handoff",
    "core.codeaudit",
    "core.canary",
    "core.report",
)


def feature_modules(part: str) -> list[ModuleType]:
    """``<feature>.<part>`` of every feature that has one (e.g. ``cli`` or ``report``), imported."""
    out = []
    for package in FEATURES:
        name = f"{package}.{part}"
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out

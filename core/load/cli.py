"""The load feature's commands: each part registers its own (``loadtest``, ``serve-demo``,
``capacity``, ``autoscale``, ``loadtest-export``, ``loadtest-import``)."""

from __future__ import annotations

import importlib

#: modules with a ``register(subparsers)`` of their own, in help order
PARTS = ("core.load.cli_loadtest", "core.load.cli_capacity", "core.load.cli_plans")


def register(sub) -> None:
    for name in PARTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)

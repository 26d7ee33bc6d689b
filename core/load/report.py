"""Report bodies and readiness gates of the load feature's run kinds (each part registers its own)."""

from __future__ import annotations

import importlib

PARTS = ("core.load.report_loadtest", "core.load.report_capacity")

for _name in PARTS:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise

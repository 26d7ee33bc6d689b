"""The open-loop load generator (being written: the signature is final)."""

from __future__ import annotations

from core.load.plan import LoadPlan
from core.load.result import LoadResult


def run_load(plan: LoadPlan, *, progress=None, cancelled=None, on_tick=None, bodies=None) -> LoadResult:
    """Send ``plan``'s requests open-loop and measure them; see the module docstring."""
    raise NotImplementedError("the load engine is not written yet")

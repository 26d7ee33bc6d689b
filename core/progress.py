"""Progress and cancellation helpers shared by every long computation.

A long computation takes two optional callables: ``progress(fraction)`` with a
fraction in [0, 1], and ``cancelled() -> bool``.  :func:`scaled` maps a
sub-step's 0..1 onto a slice of the whole; :func:`core.errors.check_cancel`
raises :class:`core.errors.Cancelled` once ``cancelled()`` is true.
"""

from __future__ import annotations

from typing import Callable, Optional

Progress = Optional[Callable[[float], None]]
CancelCheck = Optional[Callable[[], bool]]


def scaled(progress: Progress, lo: float, hi: float) -> Progress:
    """``progress`` seen through the slice [lo, hi]: the sub-step's 0..1 lands there."""
    if progress is None:
        return None
    return lambda f: progress(lo + (hi - lo) * max(0.0, min(1.0, f)))

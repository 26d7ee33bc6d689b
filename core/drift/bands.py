"""PSI bands, one definition for the drift result, its report chart and the GUI.

"stable" below ``PSI_MODERATE`` (0.1), "moderate" from 0.1 up to and including ``PSI_MAJOR`` (0.25),
"major" above 0.25.  The ``psi`` decision method's default threshold (0.2, in
:mod:`core.drift.stattests`) is a separate setting that lies inside the moderate band.
This module imports nothing, so the report can read the limits without loading scipy.
"""

from __future__ import annotations

PSI_MODERATE = 0.1
PSI_MAJOR = 0.25


def psi_band(value: float | None) -> str | None:
    """"stable" below 0.1, "moderate" from 0.1 to 0.25, "major" above 0.25 (None for None)."""
    if value is None:
        return None
    if value < PSI_MODERATE:
        return "stable"
    if value <= PSI_MAJOR:
        return "moderate"
    return "major"

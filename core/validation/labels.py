"""Words people read for validation results: check names, values and shares.

The CLI's text output and the GUI show these labels; the JSON output and stored runs keep the
check keys (``allowed_values``, ...), which scripts depend on.
"""

from __future__ import annotations

#: check key (as in ``Violation.check`` and the JSON output) -> label shown to people
CHECK_LABELS = {
    "missing_column": "Missing column", "type_mismatch": "Type mismatch", "range": "Out of range",
    "missing_values": "Missing values", "uniqueness": "Not unique", "allowed_values": "Allowed values",
    "pattern": "Pattern", "length": "Length", "monotonic": "Not monotonic",
    "unexpected_column": "Unexpected column", "duplicate_rows": "Duplicate rows", "row_count": "Row count",
}
#: checks whose threshold is a number of rows, not a fraction of them
COUNT_THRESHOLDS = frozenset({"row_count"})


def check_label(check: str) -> str:
    """``"allowed_values"`` -> ``"Allowed values"`` (an unknown key is made readable the same way)."""
    return CHECK_LABELS.get(check, str(check).replace("_", " ").capitalize())


def value_text(value) -> str:
    """A failing value as shown in an example: ``(missing)`` for a missing one, text in quotes."""
    if value is None:
        return "(missing)"
    return repr(value) if isinstance(value, str) else str(value)


def share_text(fraction) -> str:
    """A fraction of rows as a percentage (``0.25`` -> ``25%``); ``-`` when there is none."""
    if fraction is None:
        return "-"
    return f"{100 * float(fraction):.4g}%"


def threshold_text(check: str, threshold) -> str:
    """A violation's threshold: a row count for ``row_count``, otherwise a percentage."""
    if threshold is None:
        return "-"
    if check in COUNT_THRESHOLDS or isinstance(threshold, str):
        return str(threshold)
    return share_text(threshold)

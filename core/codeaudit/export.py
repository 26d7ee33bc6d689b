"""Findings as CSV: the columns of the CLI's JSON, one finding a row.

Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return at
the start) gets a leading quote.  Findings hold no secret value (the scan redacts them), so the
export holds none either.
"""

from __future__ import annotations

import csv

from core.codeaudit.model import FINDING_KEYS
from core.errors import PreflightError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def write_findings_csv(findings, path) -> int:
    """Write ``findings`` (dicts with the CLI's keys) to ``path``; returns the number of rows."""
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(FINDING_KEYS)
            for f in findings:
                writer.writerow([_cell(f.get(k)) for k in FINDING_KEYS])
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the CSV ({exc.strerror or exc})") from None
    return len(findings)

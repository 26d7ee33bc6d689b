"""Request bodies from a CSV of feature rows: one JSON object per row (missing cells left out), or a
body template filled from each row.

A template is the plan's body text with placeholders: ``{{row}}`` becomes the row's JSON object and
``{{column name}}`` the JSON value of that column (``null`` when the cell is empty), so the rows can be
wrapped in whatever envelope the endpoint expects, e.g. ``{"instances": [{{row}}]}``.
"""

from __future__ import annotations

import json
import math
import re

from core.errors import InputFileError, PreflightError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

MAX_BODY_ROWS = 100_000


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def placeholders(template: str) -> list[str]:
    """The placeholder names in a body template, in order (``row`` included)."""
    return PLACEHOLDER.findall(template or "")


def fill(template: str, row: dict) -> str:
    """The template with ``{{row}}`` and ``{{column}}`` replaced from ``row``."""
    def value(match):
        name = match.group(1)
        if name == "row":
            return json.dumps(row, separators=(",", ":"), default=str)
        return json.dumps(row.get(name), default=str)
    return PLACEHOLDER.sub(value, template)


def read_row_bodies(path, *, template: str | None = None, progress=None, cancelled=None) -> tuple[list[str], dict]:
    """One body per CSV row (the row as a JSON object, or ``template`` filled from it) and the table's
    input record."""
    from core.data.tables import read_table

    table = read_table(path, progress=progress, cancelled=cancelled)
    if table.rows == 0:
        raise InputFileError(path, "the rows file has no data row")
    df = table.df.head(MAX_BODY_ROWS)
    cols = [str(c) for c in df.columns]
    if template is not None:
        names = placeholders(template)
        if not names:
            raise PreflightError("the body template has no {{row}} or {{column}} placeholder to fill from the rows")
        unknown = [n for n in names if n != "row" and n not in cols]
        if unknown:
            raise InputFileError(path, f"the body template names {unknown[0]!r}, which is not a column")
    bodies = []
    for values in df.itertuples(index=False, name=None):
        obj = {c: v for c, v in zip(cols, map(_cell, values)) if v is not None}
        bodies.append(json.dumps(obj, separators=(",", ":"), default=str) if template is None
                      else fill(template, obj))
    return bodies, table.input_record("rows_csv")

"""Request bodies from a CSV of feature rows: one JSON object per row (missing cells left out)."""

from __future__ import annotations

import json
import math

from core.errors import InputFileError

MAX_BODY_ROWS = 100_000


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def read_row_bodies(path, *, progress=None, cancelled=None) -> tuple[list[str], dict]:
    """One JSON object body per CSV row (missing cells left out), and the table's input record."""
    from core.data.tables import read_table

    table = read_table(path, progress=progress, cancelled=cancelled)
    if table.rows == 0:
        raise InputFileError(path, "the rows file has no data row")
    df = table.df.head(MAX_BODY_ROWS)
    cols = [str(c) for c in df.columns]
    bodies = []
    for values in df.itertuples(index=False, name=None):
        obj = {c: v for c, v in zip(cols, map(_cell, values)) if v is not None}
        bodies.append(json.dumps(obj, separators=(",", ":"), default=str))
    return bodies, table.input_record("rows_csv")

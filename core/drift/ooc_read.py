"""Reading tables for the out-of-core engines without loading them: one column at a time, coerced as the
in-memory reader would, and the SHA-256 and description of a table file or Parquet folder.

Kept apart from :mod:`core.drift.ooc` so that building a profile out of core does not import the drift
statistics (scipy).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from core.data import duckdb_source as dsrc
from core.data.kinds import coerce_column
from core.errors import Cancelled, InputFileError, PreflightError, check_cancel


def sha256_path(path, cancelled=None) -> str:
    """SHA-256 of a file, or of a dataset folder's Parquet files (their names and bytes, sorted)."""
    p = Path(path)
    h = hashlib.sha256()
    files = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            h.update(str(f.relative_to(p)).encode() + b"\0")
        with open(f, "rb") as fh:
            while chunk := fh.read(8 << 20):
                check_cancel(cancelled)
                h.update(chunk)
    return h.hexdigest()


def table_info(view: dsrc.SourceView, sha: str) -> dict:
    p = Path(view.path)
    size = sum(f.stat().st_size for f in p.rglob("*.parquet")) if p.is_dir() else p.stat().st_size
    fmt = "parquet" if p.is_dir() or dsrc.file_format(p).startswith("parquet") else \
        ("tsv" if ".tsv" in p.name.lower() else "csv")
    return {"path": str(p), "rows": view.rows, "columns": len(view.columns), "sha256": sha,
            "format": fmt, "size": int(size), "rows_exact": True}


def fetch_column(q: dsrc.Interruptible, view: dsrc.SourceView, name: str, kind: str,
                 warnings: list) -> pd.Series:
    """One column of a registered table as a pandas Series, coerced to ``kind`` like the reader does."""
    col = dsrc.ident(name)
    q.check()
    try:
        frame = q.conn.execute(f"SELECT {col} FROM {dsrc.ident(view.view)}").df()
    except dsrc.duckdb.InterruptException:
        raise Cancelled() from None
    except dsrc.duckdb.Error as exc:
        raise InputFileError(view.path, f"column {name!r} cannot be read: "
                                        f"{str(exc).splitlines()[0]}") from None
    q.check()
    series = frame[name]
    series.name = name
    try:
        return coerce_column(name, series, kind, warnings)
    except PreflightError as exc:
        raise InputFileError(view.path, str(exc)) from None

"""Shared output helpers for CLI commands."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from core.canonical import dumps
from core.errors import PreflightError


def emit_json(obj) -> None:
    sys.stdout.write(dumps(obj, indent=2) + "\n")


def table(rows: list[list], headers: list[str]) -> str:
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def open_existing(path, **options):
    """Open an existing assessment (the store is imported only by commands that use one).

    ``options`` go to :func:`open_assessment` (``read_only=True`` for commands that only read)."""
    from core.assessment.store import open_assessment

    p = Path(path)
    if p.suffix.lower() != ".preflight" and p.exists() and not p.is_dir():
        with open(p, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise PreflightError(f"{p}: not a .preflight assessment file")
    return open_assessment(p, **options)


def fmt_num(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


@contextmanager
def optional_assessment(path):
    """The assessment named by ``--assessment`` (or None), closed when the command is done."""
    store = open_existing(path) if path else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()

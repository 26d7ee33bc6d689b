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


#: Checks a command runs before it edits an assessment: ``gate(store)`` raises PreflightError to refuse.
#: Features add theirs when their commands register (the handoff feature: the checklist of an approved
#: assessment is not edited without an amendment, as in the window).
WRITE_GATES: list = []


def check_gates(store) -> None:
    for gate in WRITE_GATES:
        gate(store)


def open_existing(path, *, gate: bool = True, **options):
    """Open an existing assessment (the store is imported only by commands that use one).

    ``options`` go to :func:`open_assessment` (``read_only=True`` for commands that only read).  Opened
    for writing, every transaction first runs :data:`WRITE_GATES`; ``gate=False`` for the writes the
    window does not gate either: signing, managing signers, recording runs and profiles."""
    from core.assessment.store import open_assessment

    p = Path(path)
    if p.suffix.lower() != ".preflight" and p.exists() and not p.is_dir():
        with open(p, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise PreflightError(f"{p}: not a .preflight assessment file")
    store = open_assessment(p, **options)
    if gate and WRITE_GATES and not store.read_only:
        store.write_gate = check_gates
    return store


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
    """The assessment named by ``--assessment`` (or None), closed when the command is done.  Recording an
    analysis run is not held back by the write gates, as in the window: the run is audited, and on an
    approved assessment it invalidates the signatures."""
    store = open_existing(path, gate=False) if path else None
    try:
        yield store
    finally:
        if store is not None:
            store.close()

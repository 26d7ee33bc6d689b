"""From text to parsed chunks: Python files, notebook cells, and IPython magics set aside.

A notebook is nbformat v4 JSON: ``{"cells": [{"cell_type", "source", "execution_count", "outputs"}, ...]}``
with ``source`` a string or a list of lines.  Cells are numbered from 1 in document order (markdown
cells count), the way a reader counts them down the page.

Magic lines (``%time ...``, ``!pip install ...``, ``x = !ls``, ``obj?``) are not Python: they are
replaced by ``pass`` (or ``None`` on the right of an assignment) at the same indentation, so the
rest of the cell parses with its line numbers intact, and each is reported.  A cell magic
(``%%bash``, ``%%writefile`` ...) makes the whole cell another language, except the few that run
the Python below them (``%%time``, ``%%timeit``, ``%%capture``, ``%%prun``).
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

from core.codeaudit.model import Chunk, Finding, printable
from core.codeaudit.secrets import contains_secret

#: cell magics whose body is still Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_ASSIGNED_MAGIC = re.compile(r"^(\s*[A-Za-z_][\w.,\s\[\]]*=\s*)[!%]")
_HELP = re.compile(r"^\s*[A-Za-z_][\w.]*\?{1,2}\s*$")


@dataclass(frozen=True)
class Cell:
    """A notebook cell as the checks need it (``index`` counts from 1)."""

    index: int
    cell_type: str
    source: str
    execution_count: int | None
    outputs: tuple


def cell_text(source) -> str:
    """A cell's ``source`` (a string or a list of lines) as one string."""
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return "" if source is None else str(source)


def _magic_finding(path: str, cell: int | None, line: int, text: str) -> Finding:
    stripped = text.strip()
    if re.search(r"\b(pip|conda|mamba)\s+install\b", stripped):
        suggestion = "list the package in requirements.txt or pyproject.toml instead of installing it from the code"
    elif stripped.startswith("!") or "=" in stripped.split("!")[0]:
        suggestion = "move shell commands to a script or Makefile; call them with subprocess if the code needs them"
    else:
        suggestion = "IPython only: drop it, or use plain Python (time.perf_counter, logging) in production code"
    if contains_secret(stripped):
        shown = "(a line holding a secret, redacted)"
    else:
        shown = printable(stripped, 60)
    return Finding(path, cell, line, "magic_command", "info", f"IPython line set aside: {shown}", suggestion)


def set_magics_aside(source: str, path: str, cell: int | None) -> tuple[str | None, list[Finding]]:
    """The source with magic lines neutralised (None when the cell is in another language), and their findings."""
    lines = source.split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    findings: list[Finding] = []
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].strip()[2:].split(None, 1)[0] if lines[first].strip()[2:] else ""
        findings.append(_magic_finding(path, cell, first + 1, lines[first]))
        if name not in PYTHON_CELL_MAGICS:
            return None, findings
        lines[first] = ""
    out = []
    for n, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        assigned = _ASSIGNED_MAGIC.match(line)
        if stripped.startswith(("%", "!")) and not stripped.startswith("!="):
            out.append(indent + "pass")
        elif assigned:
            out.append(assigned.group(1) + "None")
        elif _HELP.match(line):
            out.append(indent + "pass")
        else:
            out.append(line)
            continue
        findings.append(_magic_finding(path, cell, n, line))
    return "\n".join(out), findings


def _syntax_finding(path: str, cell: int | None, exc: SyntaxError) -> Finding:
    where = "this cell" if cell is not None else "this file"
    return Finding(path, cell, exc.lineno, "syntax_error", "medium",
                   f"does not parse: {exc.msg} ({where} is skipped by the other checks)",
                   "fix the syntax error; code that does not parse cannot be reviewed, tested or shipped")


def parse(source: str, path: str, cell: int | None = None, *, magics: bool = False) -> tuple[Chunk | None, list[Finding]]:
    """Parse a file or a cell; a syntax error becomes a finding (and no chunk), never an exception."""
    findings: list[Finding] = []
    text: str | None = source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not our findings
            tree = ast.parse(source)
    except (SyntaxError, ValueError) as first:
        if not magics:
            return None, [_syntax_finding(path, cell, first if isinstance(first, SyntaxError) else
                                          SyntaxError(str(first)))]
        text, findings = set_magics_aside(source, path, cell)
        if text is None:
            return None, findings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError) as exc:
            return None, findings + [_syntax_finding(path, cell, exc if isinstance(exc, SyntaxError) else
                                                     SyntaxError(str(exc)))]
    return Chunk.parse(cell, source, tree), findings


def notebook_cells(nb) -> list[Cell]:
    """The cells of an nbformat v4 notebook; raises ValueError with a reason when it is not one."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("not a Jupyter notebook (no list of cells)")
    major = nb.get("nbformat")
    if isinstance(major, int) and major < 4:
        raise ValueError(f"nbformat {major} notebook: only nbformat 4 is read (save it again with Jupyter)")
    cells = []
    for n, raw in enumerate(nb["cells"], start=1):
        if not isinstance(raw, dict):
            continue
        count = raw.get("execution_count")
        outputs = raw.get("outputs")
        cells.append(Cell(n, str(raw.get("cell_type") or ""), cell_text(raw.get("source")),
                          count if isinstance(count, int) and not isinstance(count, bool) else None,
                          tuple(o for o in outputs if isinstance(o, dict)) if isinstance(outputs, list) else ()))
    return cells


def notebook_language(nb: dict) -> str:
    """The notebook's language as its metadata states it ("python" when it does not say)."""
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    for key in ("language_info", "kernelspec"):
        info = meta.get(key) if isinstance(meta.get(key), dict) else {}
        name = info.get("name") if key == "language_info" else info.get("language")
        if isinstance(name, str) and name.strip():
            return name.strip().lower()
    return "python"

"""Findings, parsed source units and the AST helpers every check shares."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

#: severities, most serious first; a ``high`` finding fails the scan (CLI exit 1, report gate FAIL)
SEVERITIES = ("high", "medium", "low", "info")

#: finding kinds and what they are called on screen
KIND_LABELS = {
    "secret": "Secret in a literal",
    "absolute_path": "Absolute path",
    "magic_number": "Magic number",
    "unseeded_random": "Unseeded randomness",
    "hidden_state": "Hidden state",
    "execution_order": "Cells run out of order",
    "unexecuted_cell": "Unexecuted cell",
    "error_output": "Error output",
    "large_output": "Large output",
    "structure": "Structure",
    "undeclared_import": "Undeclared import",
    "unpinned_requirement": "Unpinned requirement",
    "syntax_error": "Syntax error",
    "magic_command": "IPython magic or shell",
    "unreadable": "Unreadable file",
}
KINDS = tuple(KIND_LABELS)

#: the keys of one finding, in the order the CLI's JSON and the CSV export write them
FINDING_KEYS = ("path", "cell", "line", "kind", "severity", "message", "suggestion")


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, notebook cell or None, 1-based line or None), what, how serious, how to fix."""

    path: str
    cell: int | None
    line: int | None
    kind: str
    severity: str
    message: str
    suggestion: str

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in FINDING_KEYS}


@dataclass(frozen=True)
class Redaction:
    """Where a secret literal sits, so every view of the source can mask it (1-based lines, 0-based columns)."""

    path: str
    cell: int | None
    line: int
    col: int
    end_line: int
    end_col: int

    def to_dict(self) -> dict:
        return {"path": self.path, "cell": self.cell, "line": self.line, "col": self.col,
                "end_line": self.end_line, "end_col": self.end_col}


@dataclass(frozen=True)
class Chunk:
    """One parsed piece of code: a ``.py`` file (``cell`` None) or one notebook code cell (1-based index)."""

    cell: int | None
    source: str
    tree: ast.Module
    nodes: tuple = field(repr=False, compare=False)

    @classmethod
    def parse(cls, cell: int | None, source: str, tree: ast.Module) -> "Chunk":
        return cls(cell, source, tree, tuple(ast.walk(tree)))


def printable(text: str, limit: int = 70) -> str:
    """``text`` for a message: control characters as ``?`` (nothing reaches a terminal as an escape), shortened."""
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dotted(node) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def import_aliases(chunks) -> dict[str, str]:
    """Local name -> the full dotted name it was imported as (``np`` -> ``numpy``, ``rand`` -> ``numpy.random.rand``)."""
    out: dict[str, str] = {}
    for chunk in chunks:
        for node in chunk.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        out[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        out.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def resolve(node, aliases: dict[str, str]) -> str | None:
    """The full dotted name a call target refers to through the imports (``np.random.rand`` -> ``numpy.random.rand``)."""
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + ("." + rest if rest else "")


def string_constants(chunk: Chunk):
    """Every ``str`` literal of a chunk that is not a docstring (a string statement of its own), f-string
    parts included."""
    statements = {id(n.value) for n in chunk.nodes if isinstance(n, ast.Expr)}
    for node in chunk.nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in statements:
            yield node

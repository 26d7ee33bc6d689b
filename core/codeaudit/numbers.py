"""Magic numbers: numeric literals passed to calls or compared with, that carry no name.

Counted: an ``int`` or ``float`` literal (a leading minus included) that is an argument of a call
(``fit(epochs=10000)``) or an operand of a comparison (``if score > 0.87``), other than -1, 0, 1
and 2.  Not counted: literals in a statement that binds an UPPER_CASE name (``BATCH = max(512, n)``:
that *is* the name), subscripts and slices (indices), default values of parameters, and booleans.
"""

from __future__ import annotations

import ast

from core.codeaudit.model import Chunk, Finding, dotted

ALLOWED = frozenset({-1, 0, 1, 2})
SUGGESTION = "give it a name (an UPPER_CASE constant or a config/settings entry) that says what it is and why"


def _is_constant_name(target) -> bool:
    if isinstance(target, ast.Name):
        return target.id.isupper()
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_is_constant_name(t) for t in target.elts)
    return False


def _named_statements(chunk: Chunk) -> set:
    """Nodes inside statements that bind UPPER_CASE names."""
    skip = set()
    for node in chunk.nodes:
        targets = None
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        if targets and all(_is_constant_name(t) for t in targets):
            skip.update(ast.walk(node))
    return skip


def _value(node):
    """The number a literal (or a negated literal) stands for, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _shown(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def check(chunk: Chunk, path: str) -> tuple[list[Finding], dict[str, int]]:
    """The findings and their counts by context (``call_argument``, ``comparison``)."""
    skip = _named_statements(chunk)
    out: list[Finding] = []
    counts = {"call_argument": 0, "comparison": 0}
    for node in chunk.nodes:
        if node in skip:
            continue
        if isinstance(node, ast.Call):
            callee = dotted(node.func) or "a call"
            short = callee.rsplit(".", 1)[-1]
            candidates = [(a, f"passed to {short}()") for a in node.args]
            candidates += [(k.value, f"passed to {short}({k.arg}=...)") for k in node.keywords if k.arg]
            context = "call_argument"
        elif isinstance(node, ast.Compare):
            candidates = [(o, "in a comparison") for o in [node.left, *node.comparators]]
            context = "comparison"
        else:
            continue
        for arg, where in candidates:
            value = _value(arg)
            if value is None or value in ALLOWED:
                continue
            counts[context] += 1
            out.append(Finding(path, chunk.cell, arg.lineno, "magic_number", "low",
                               f"magic number {_shown(value)} {where}", SUGGESTION))
    return out, counts

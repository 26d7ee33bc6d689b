"""Notebook hygiene: execution order, unexecuted cells, error outputs, large outputs and hidden state.

* **Execution order**: the execution counts of code cells, read down the page, must increase;
  a cell whose count is lower than one above it was run out of order.
* **Unexecuted cells**: code cells with code and no execution count, reported only when other cells
  did run (a notebook saved with every output cleared is a clean notebook, not a half-run one).
* **Error outputs**: a cell whose saved output is an exception.
* **Large outputs**: a cell whose outputs take more than 1 MB in the file.
* **Hidden state**: a name used at the top level of a cell that is first defined in a *later* cell:
  the notebook only worked because cells ran in another order, and fails top to bottom in a fresh
  kernel.  Names used inside functions are not counted (they are looked up when called).
"""

from __future__ import annotations

import ast
import builtins
import json
import re

from core.codeaudit.model import Chunk, Finding
from core.codeaudit.sources import Cell

LARGE_OUTPUT_BYTES = 1_000_000
IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "display", "exit", "quit", "_", "__", "___", "_ih", "_oh",
                           "_dh"})
_IPYTHON_HISTORY = re.compile(r"^_(?:i{1,3}|i?\d+)$")
BUILTINS = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _top_level(tree: ast.AST):
    """Nodes executed when the cell runs: function and class bodies left out (their names, decorators and
    default values kept)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            extra = list(node.decorator_list)
            if not isinstance(node, ast.ClassDef):
                extra += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            else:
                extra += list(node.bases) + [k.value for k in node.keywords]
            stack.extend(extra)
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            continue
        stack.extend(ast.iter_child_nodes(node))


def defined_and_used(chunk: Chunk) -> tuple[set[str], dict[str, int]]:
    """Names a cell defines at module level, and the names it reads there (with the first line)."""
    defined: set[str] = set()
    used: dict[str, int] = {}
    for node in _top_level(chunk.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                defined.add(node.id)
            elif node.id not in used or node.lineno < used[node.id]:
                used[node.id] = node.lineno
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                defined.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            defined.update(node.names)
        elif isinstance(node, ast.MatchAs) and node.name:
            defined.add(node.name)
    return defined, used


def hidden_state(chunks: list[Chunk], path: str) -> list[Finding]:
    per_cell = [(chunk, *defined_and_used(chunk)) for chunk in chunks]
    first_defined: dict[str, int] = {}
    for chunk, defined, _used in per_cell:
        for name in defined:
            first_defined.setdefault(name, chunk.cell)
    before: set[str] = set()
    out = []
    for chunk, defined, used in per_cell:
        for name, line in sorted(used.items(), key=lambda kv: kv[1]):
            if name in defined or name in before or name in BUILTINS or name in IPYTHON_NAMES \
                    or _IPYTHON_HISTORY.match(name):
                continue
            later = first_defined.get(name)
            if later is not None and later > chunk.cell:
                out.append(Finding(path, chunk.cell, line, "hidden_state", "medium",
                                   f"{name!r} is used here but first defined in cell {later}: the notebook fails "
                                   "when run top to bottom in a fresh kernel",
                                   "move the definition above its first use, then restart the kernel and run all"))
        before |= defined
    return out


def _output_size(outputs) -> int:
    try:
        return len(json.dumps(list(outputs), ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        return 0


def cell_checks(cells: list[Cell], path: str) -> list[Finding]:
    code = [c for c in cells if c.cell_type == "code"]
    ran = [c for c in code if c.execution_count is not None]
    out = []
    highest = None
    for c in ran:
        if highest is not None and c.execution_count <= highest[1]:
            out.append(Finding(path, c.index, None, "execution_order", "low",
                               f"ran as [{c.execution_count}] after cell {highest[0]} ran as [{highest[1]}]: the "
                               "notebook was not run top to bottom",
                               "restart the kernel and run all cells in order before saving"))
        if highest is None or c.execution_count > highest[1]:
            highest = (c.index, c.execution_count)
    if ran:
        for c in code:
            if c.execution_count is None and c.source.strip():
                out.append(Finding(path, c.index, None, "unexecuted_cell", "low",
                                   "code cell never run, while other cells were: its effect is not in the outputs",
                                   "run all cells in order, or delete the cell if it is dead code"))
    for c in code:
        errors = [o for o in c.outputs if o.get("output_type") == "error"]
        if errors:
            name = str(errors[0].get("ename") or "an exception")
            out.append(Finding(path, c.index, None, "error_output", "medium",
                               f"the saved output is an error ({name[:60]})",
                               "fix the cause and re-run, or handle the error explicitly in the code"))
        size = _output_size(c.outputs) if c.outputs else 0
        if size > LARGE_OUTPUT_BYTES:
            out.append(Finding(path, c.index, None, "large_output", "low",
                               f"outputs take {size / 1e6:.1f} MB in the notebook file",
                               "clear large outputs before committing (or write the data to a file)"))
    return out

"""Structure: functions, classes, top-level statements and the share of code inside functions.

Per file (a notebook counts as one file, all its code cells together):

* ``functions`` (methods included) and ``classes``;
* ``code_lines``: non-blank lines that are not only a comment;
* ``share_in_functions``: the share of code lines inside a function or class body;
* ``top_level_statements``: statements at module level, and ``script_statements``, those among them
  that do work when the file runs: not imports, definitions, docstrings, assignments without a call
  (constants, type aliases) or the ``if __name__ == "__main__":`` guard;
* ``documented``: functions and classes with a docstring; ``bare_excepts``: ``except:`` clauses.

Reusability is **low** (a ``structure`` finding: needs refactoring) when the file does work at the top
level and has fewer than 3 functions (the article's rule of thumb) or less than half its code inside
functions.
"""

from __future__ import annotations

import ast

from core.codeaudit.model import Chunk, Finding

MIN_FUNCTIONS = 3
MIN_SHARE_IN_FUNCTIONS = 0.5
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _code_lines(source: str) -> set[int]:
    return {n for n, line in enumerate(source.split("\n"), start=1)
            if line.strip() and not line.lstrip().startswith("#")}


def _is_script_statement(stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, *_DEFS, ast.Pass)):
        return False
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return False  # docstring or bare string
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return any(isinstance(n, ast.Call) for n in ast.walk(stmt))  # aliases and constants do no work
    if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) \
            and isinstance(stmt.test.left, ast.Name) and stmt.test.left.id == "__name__":
        return False
    return True


def metrics(chunks: list[Chunk]) -> dict:
    functions = classes = documented = bare = top = script = 0
    code = inside = 0
    for chunk in chunks:
        lines = _code_lines(chunk.source)
        covered: set[int] = set()
        for node in chunk.nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions += 1
            elif isinstance(node, ast.ClassDef):
                classes += 1
            elif isinstance(node, ast.ExceptHandler) and node.type is None:
                bare += 1
            if isinstance(node, _DEFS) and ast.get_docstring(node):
                documented += 1
        for stmt in chunk.tree.body:
            top += 1
            script += _is_script_statement(stmt)
            if isinstance(stmt, _DEFS):
                first = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list])
                covered.update(range(first, (stmt.end_lineno or stmt.lineno) + 1))
        code += len(lines)
        inside += len(lines & covered)
    share = inside / code if code else None
    low = bool(script) and (functions < MIN_FUNCTIONS or (share is not None and share < MIN_SHARE_IN_FUNCTIONS))
    return {"functions": functions, "classes": classes, "code_lines": code, "share_in_functions": share,
            "top_level_statements": top, "script_statements": script, "documented": documented,
            "bare_excepts": bare, "reusability": "low" if low else "ok"}


def check(m: dict, path: str) -> list[Finding]:
    if m["reusability"] != "low":
        return []
    share = m["share_in_functions"] or 0.0
    return [Finding(path, None, None, "structure", "medium",
                    f"needs refactoring: {m['functions']} function(s), {m['classes']} class(es), "
                    f"{share:.0%} of {m['code_lines']} code lines inside functions, "
                    f"{m['script_statements']} statement(s) doing work at the top level",
                    "move the steps into small functions with parameters (load, prepare, train, evaluate) "
                    "and call them from a main(); that code can be imported, tested and reused")]

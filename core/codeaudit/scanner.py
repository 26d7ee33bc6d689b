"""The pure scan: one file's text (or notebook JSON) in, findings and metrics out; then the folder summary.

Nothing here reads a file or looks at the clock: :mod:`core.codeaudit.run` does that and calls
:func:`scan_python`, :func:`scan_notebook` and :func:`audit`.

Score: each kind of problem costs points once per file, by its severity (high 10, medium 3, low 1,
info 0), so fifty magic numbers in one file cost as much as one; the score is
``100 x (1 - points / (10 x files))``, floored at 0: 100 is clean, 0 is one serious problem per file.  The scan passes (CLI exit 0, report gate PASS) when no finding is high.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from core.codeaudit import dependencies, hygiene, numbers, paths, randomness, secrets, structure
from core.codeaudit.model import KINDS, SEVERITIES, Chunk, Finding, Redaction, import_aliases
from core.codeaudit.sources import notebook_cells, notebook_language, parse

POINTS = {"high": 10, "medium": 3, "low": 1, "info": 0}


@dataclass(frozen=True)
class FileScan:
    path: str
    kind: str                      # "python", "notebook" or "unreadable"
    findings: tuple
    redactions: tuple
    metrics: dict
    imports: tuple                 # (path, cell, line, top-level module)


def _imports(chunks: list[Chunk], path: str) -> list[tuple]:
    out = []
    for chunk in chunks:
        for node in chunk.nodes:
            if isinstance(node, ast.Import):
                out += [(path, chunk.cell, node.lineno, a.name.split(".")[0]) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.append((path, chunk.cell, node.lineno, node.module.split(".")[0]))
    return out


def _token_secrets(source: str, path: str, cell: int | None, skip_lines: set[int]) -> tuple[list, list]:
    """Secrets in code the AST did not see (a syntax error, magic lines), found token by token."""
    findings, redactions = [], []
    for line, col, end_line, end_col, what in secrets.token_spans(source):
        if line in skip_lines:
            continue
        findings.append(Finding(path, cell, line, "secret", "high", f"secret in a string literal: {what} (redacted)",
                                secrets.SUGGESTION))
        redactions.append(Redaction(path, cell, line, col, end_line, end_col))
    return findings, redactions


def _analyse(chunks: list[Chunk], path: str, kind: str, findings: list[Finding], extra: dict,
             unparsed: list[tuple[int | None, str, Chunk | None]] = ()) -> FileScan:
    """The checks over parsed chunks; ``unparsed`` are sources (with their chunk, if any) whose magic lines
    or syntax errors hid some code from the AST."""
    redactions: list[Redaction] = []
    magic_counts = {"call_argument": 0, "comparison": 0}
    for chunk in chunks:
        found, spans = secrets.check(chunk, path)
        findings += found
        redactions += spans
        secret_lines = {r.line for r in spans}
        findings += [f for f in paths.check(chunk, path) if f.line not in secret_lines]
        found, counts = numbers.check(chunk, path)
        findings += found
        for key, n in counts.items():
            magic_counts[key] += n
    for cell, source, chunk in unparsed:
        seen = {r.line for r in redactions if r.cell == cell}
        found, spans = _token_secrets(source, path, cell, seen)
        findings += found
        redactions += spans
    findings += randomness.check(chunks, path, import_aliases(chunks))
    m = structure.metrics(chunks)
    findings += structure.check(m, path)
    metrics = {"path": path, "kind": kind, **extra, **m, "magic_numbers": magic_counts}
    return FileScan(path, kind, tuple(findings), tuple(redactions), metrics, tuple(_imports(chunks, path)))


def scan_python(text: str, path: str) -> FileScan:
    """Scan the source of one ``.py`` file (``path`` is only the name findings carry)."""
    chunk, findings = parse(text, path)
    unparsed = [(None, text, None)] if chunk is None else []
    return _analyse([chunk] if chunk else [], path, "python", findings, {"cells": None, "parsed": chunk is not None},
                    unparsed)


def scan_notebook(nb, path: str) -> FileScan:
    """Scan a notebook already loaded from its JSON (nbformat v4)."""
    try:
        cells = notebook_cells(nb)
    except ValueError as exc:
        return unreadable(path, str(exc))
    language = notebook_language(nb)
    if language != "python":
        return FileScan(path, "notebook", (Finding(path, None, None, "unreadable", "info",
                                                   f"a {language} notebook: only Python notebooks are audited",
                                                   "audit this notebook with tools for its language"),),
                        (), {"path": path, "kind": "notebook", "cells": len(cells), "language": language}, ())
    findings: list[Finding] = []
    chunks = []
    unparsed = []
    for cell in cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        chunk, found = parse(cell.source, path, cell.index, magics=True)
        findings += found
        if chunk is not None:
            chunks.append(chunk)
        if chunk is None or found:
            unparsed.append((cell.index, cell.source, chunk))
    findings += hygiene.cell_checks(cells, path)
    findings += hygiene.hidden_state(chunks, path)
    code_cells = sum(1 for c in cells if c.cell_type == "code")
    return _analyse(chunks, path, "notebook", findings, {"cells": len(cells), "code_cells": code_cells,
                                                         "parsed": len(chunks)}, unparsed)


def unreadable(path: str, problem: str) -> FileScan:
    """A file that could not be read or decoded: one finding, and it is skipped."""
    return FileScan(path, "unreadable", (Finding(path, None, None, "unreadable", "medium",
                                                 f"cannot be read: {problem}",
                                                 "fix or remove the file; it was skipped"),),
                    (), {"path": path, "kind": "unreadable"}, ())


def _order(f: Finding):
    return (f.path, f.cell or 0, f.line or 0, SEVERITIES.index(f.severity), f.kind)


@dataclass(frozen=True)
class AuditResult:
    root: str
    scans: tuple
    findings: tuple
    summary: dict
    requirements: str | None = None

    @property
    def redactions(self) -> list[dict]:
        return [r.to_dict() for s in self.scans for r in s.redactions]

    def cli_dict(self) -> dict:
        """``{"files", "findings", "summary"}``: the CLI's JSON."""
        return {"files": len(self.scans), "findings": [f.to_dict() for f in self.findings], "summary": self.summary}

    def to_dict(self) -> dict:
        """The stored result: the CLI's JSON plus the root folder, per-file metrics and secret positions."""
        out = self.cli_dict()
        out.update(root=self.root, requirements=self.requirements, file_metrics=[s.metrics for s in self.scans],
                   redactions=self.redactions)
        return out


def suggested_evidence(summary: dict, scans) -> list[dict]:
    """Checklist items this run is evidence for, with a note each (seed and ML Test Score templates)."""
    total = lambda key: sum(s.metrics.get(key) or 0 for s in scans)  # noqa: E731
    kinds = summary["by_kind"]
    functions, documented = total("functions"), total("documented")
    out = [{"item": "Error handling",
            "note": f"{total('bare_excepts')} bare except clause(s), {kinds.get('error_output', 0)} notebook "
                    f"cell(s) saved with an error, {kinds.get('syntax_error', 0)} syntax error(s)"},
           {"item": "Backward compatibility",
            "note": (f"{kinds.get('unpinned_requirement', 0)} unpinned requirement(s), "
                     f"{kinds.get('undeclared_import', 0)} import(s) missing from {summary['requirements']}")
            if summary.get("requirements") else "no requirements file was checked"},
           {"item": "API documentation",
            "note": f"{documented} of {functions + total('classes')} functions and classes have a docstring"}]
    if not kinds.get("unseeded_random"):
        out.append({"item": "Training is reproducible",
                    "note": "no unseeded randomness found (scikit-learn random_state, numpy seeds)"})
    return out


def audit(scans, requirements: dependencies.Requirements | None = None, local_modules=frozenset(),
          root: str = "") -> AuditResult:
    """Combine the per-file scans with the dependency check into the run's findings and summary."""
    scans = tuple(scans)
    findings = [f for s in scans for f in s.findings]
    imports = [i for s in scans for i in s.imports]
    findings += dependencies.check(imports, requirements, set(local_modules))
    findings.sort(key=_order)
    by_kind = {k: 0 for k in KINDS}
    by_severity = {s: 0 for s in SEVERITIES}
    for f in findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    points = sum(POINTS.get(severity, 0) for severity in {(f.path, f.kind): f.severity for f in findings}.values())
    score = round(100.0 * max(0.0, 1.0 - points / (10.0 * len(scans))), 1) if scans else None
    magic = {"call_argument": 0, "comparison": 0}
    for s in scans:
        for key, n in (s.metrics.get("magic_numbers") or {}).items():
            magic[key] += n
    summary = {
        "files": len(scans), "python_files": sum(1 for s in scans if s.kind == "python"),
        "notebooks": sum(1 for s in scans if s.kind == "notebook"),
        "findings": len(findings), "high": by_severity["high"], "passed": by_severity["high"] == 0,
        "score": score, "by_severity": by_severity, "by_kind": {k: n for k, n in by_kind.items() if n},
        "magic_numbers": magic,
        "functions": sum(s.metrics.get("functions") or 0 for s in scans),
        "classes": sum(s.metrics.get("classes") or 0 for s in scans),
        "low_reusability_files": sum(1 for s in scans if s.metrics.get("reusability") == "low"),
        "reproducible": by_kind["unseeded_random"] == 0,
        "requirements": requirements.path if requirements is not None else None,
    }
    summary["suggested_evidence"] = suggested_evidence(summary, scans)
    return AuditResult(root, scans, tuple(findings), summary, summary["requirements"])


def scan_text(text: str, path: str = "example.py") -> AuditResult:
    """One piece of Python source audited on its own (no requirements check)."""
    return audit([scan_python(text, path)])


"""A code-audit run: find the files, read and hash them, scan, and record the run.

The CLI (``audit-code``) and the Code audit tab call :func:`run_code_audit`, then
:func:`record_code_audit` to store the run with every input's SHA-256.

A folder is walked recursively for ``*.py`` and ``*.ipynb`` files, in sorted order, leaving out hidden
folders (``.git``, ``.venv``, ``.ipynb_checkpoints`` ...), ``__pycache__``, ``node_modules``, ``venv``
and ``site-packages``.  In a folder, a file that cannot be read or decoded is a finding and is
skipped; a single file given on its own that cannot be read is an input error.
"""

from __future__ import annotations

import io
import json
import os
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from core.canonical import hash_stream, utc_now
from core.codeaudit import dependencies, secrets
from core.codeaudit.scanner import AuditResult, FileScan, audit, scan_notebook, scan_python, unreadable
from core.codeaudit.sources import notebook_cells
from core.errors import InputFileError, PreflightError, check_cancel

SUFFIXES = (".py", ".ipynb")
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "venv", "site-packages"})
#: a file larger than this is reported and skipped, not parsed
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class CodeAuditRun:
    result: dict                  # AuditResult.to_dict(): files, findings, summary, root, file_metrics, redactions
    settings: dict
    inputs: tuple
    started_utc: str
    finished_utc: str
    audit: AuditResult | None = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> dict:
        s = self.result["summary"]
        return {k: s[k] for k in ("files", "findings", "high", "passed", "score", "by_severity", "by_kind")}

    def cli_dict(self) -> dict:
        return {k: self.result[k] for k in ("files", "findings", "summary")}


def source_files(path) -> tuple[Path, list[Path]]:
    """The root folder and the files to scan (a single file is its own list)."""
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "no such file or folder")
    if p.is_file():
        if p.suffix.lower() not in SUFFIXES:
            raise InputFileError(p, "not a Python file (.py) or a Jupyter notebook (.ipynb)")
        return p.parent, [p]
    found = []
    for folder, dirs, files in os.walk(p):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        found += [Path(folder) / f for f in sorted(files) if Path(f).suffix.lower() in SUFFIXES]
    if not found:
        raise PreflightError(f"{p}: no Python files (.py) or notebooks (.ipynb) in this folder")
    return p, found


def _relative(file: Path, root: Path) -> str:
    try:
        return file.relative_to(root).as_posix()
    except ValueError:
        return str(file)


def decode_python(data: bytes) -> str:
    """Source bytes as text, honouring a PEP 263 coding line or BOM (UTF-8 by default)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def scan_file(file: Path, rel: str) -> tuple[FileScan, dict]:
    """Read, hash and scan one file: its scan and its input record."""
    try:
        digest, size = hash_stream(file)
    except OSError as exc:
        return unreadable(rel, exc.strerror or str(exc)), {"role": "source", "path": str(file), "sha256": None,
                                                             "size": None}
    record = {"role": "source", "path": str(file), "sha256": digest, "size": size}
    if size > MAX_FILE_BYTES:
        return unreadable(rel, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"), record
    try:
        data = file.read_bytes()
        if file.suffix.lower() == ".ipynb":
            return scan_notebook(json.loads(data.decode("utf-8-sig")), rel), record
        return scan_python(decode_python(data), rel), record
    except json.JSONDecodeError as exc:
        return unreadable(rel, f"not valid notebook JSON (line {exc.lineno}: {exc.msg})"), record
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        return unreadable(rel, f"not readable as text ({type(exc).__name__}: {exc})"), record
    except OSError as exc:
        return unreadable(rel, exc.strerror or str(exc)), record
    except RecursionError:
        return unreadable(rel, "nested too deeply to parse"), record


def read_requirements(path, root: Path) -> tuple[dependencies.Requirements, dict]:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(p, "requirements file not found")
    digest, size = hash_stream(p)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(p, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    shown = _relative(p.resolve(), root.resolve()) if p.resolve().is_relative_to(root.resolve()) else str(p)
    try:
        reqs = dependencies.parse(text, shown)
    except dependencies.NotARequirement as exc:
        raise InputFileError(p, str(exc)) from None
    except ValueError as exc:  # tomllib.TOMLDecodeError
        raise InputFileError(p, f"not valid TOML ({exc})") from None
    return reqs, {"role": "requirements", "path": str(p), "sha256": digest, "size": size}


def local_modules(rels: list[str]) -> set[str]:
    """Module names the scanned code can import from itself: every file's stem and every folder name."""
    out = set()
    for rel in rels:
        parts = Path(rel).parts
        out.update(parts[:-1])
        out.add(Path(parts[-1]).stem if parts else rel)
    return out


def run_code_audit(path, requirements=None, *, progress=None, cancelled=None) -> CodeAuditRun:
    """Audit a ``.py`` file, a notebook or a folder of them (see the module docstring)."""
    started = utc_now()
    root, files = source_files(path)
    reqs, req_record = read_requirements(requirements, root) if requirements else (None, None)
    scans, inputs = [], []
    single = Path(path).is_file()
    for n, file in enumerate(files):
        check_cancel(cancelled)
        scan, record = scan_file(file, _relative(file, root))
        if single and scan.kind == "unreadable":
            raise InputFileError(file, scan.findings[0].message.removeprefix("cannot be read: "))
        scans.append(scan)
        inputs.append(record)
        if progress is not None:
            progress((n + 1) / len(files))
    check_cancel(cancelled)
    if req_record is not None:
        inputs.append(req_record)
    result = audit(scans, reqs, local_modules([s.path for s in scans]), root=str(root.resolve()))
    settings = {"path": str(path), "requirements": str(requirements) if requirements else None}
    return CodeAuditRun(result=result.to_dict(), settings=settings, inputs=tuple(inputs), started_utc=started,
                        finished_utc=utc_now(), audit=result)


def record_code_audit(store, run: CodeAuditRun) -> int:
    """Store the run (inputs with their SHA-256, its audit event) in one transaction; returns the run id."""
    return store.record_run("code_audit", run)


def preview_lines(result: dict, rel_path: str, cell: int | None) -> list[str]:
    """The source a finding points to (the file, or one notebook cell), with every secret masked.

    Secrets are masked twice over: at the positions the scan stored, and wherever the text shown now
    holds one (the file may have changed since).  For a notebook with ``cell`` None, every code cell
    follows its own ``# ---- cell N ----`` line.  Raises :class:`PreflightError` when it cannot be read.
    """
    root = Path(result.get("root") or ".")
    file = Path(rel_path) if Path(rel_path).is_absolute() else root / rel_path
    try:
        data = file.read_bytes()
        if file.suffix.lower() == ".ipynb":
            cells = {c.index: c for c in notebook_cells(json.loads(data.decode("utf-8-sig")))}
            if cell is None:  # a finding about the whole notebook: every code cell, masked one by one
                out = []
                for c in cells.values():
                    if c.cell_type == "code":
                        out += [f"# ---- cell {c.index} ----"] + _masked(result, rel_path, c.index, c.source)
                return out
            if cell not in cells:
                raise PreflightError(f"{file}: the notebook has no cell {cell} any more")
            text = cells[cell].source
        else:
            text = decode_python(data)
    except (OSError, ValueError, SyntaxError, LookupError) as exc:
        raise PreflightError(f"{file}: cannot show the source ({exc})") from None
    return _masked(result, rel_path, cell, text)


def _masked(result: dict, rel_path: str, cell: int | None, text: str) -> list[str]:
    stored = [(r["line"], r["col"], r["end_line"], r["end_col"]) for r in result.get("redactions") or []
              if r.get("path") == rel_path and r.get("cell") == cell]
    found = [span[:4] for span in secrets.token_spans(text)]
    return secrets.mask(text.split("\n"), stored + found)

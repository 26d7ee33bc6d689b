"""Bring results of Locust and k6 runs back as load-test runs, with provenance.

:func:`import_results` reads

* Locust's ``--csv`` files: the stats CSV (or the ``--csv`` prefix), with the history, failures and the
  Preflight note (``_preflight.json``) found next to it (:mod:`core.load.imports_locust`);
* k6's ``--summary-export`` JSON, or its JSON output stream (``--out json=FILE``)
  (:mod:`core.load.imports_k6`),

and returns a run of kind ``loadtest`` (:func:`core.load.run.loadtest_run_from_result`) whose result has the
same keys as a native run, with ``None`` for what the tool does not give, and a ``source`` that names the
tool, its version (when the files record it), each file's SHA-256 and what the numbers mean.  The verdict
is the native one (:func:`core.load.result.verdict`).
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import InputFileError, PreflightError, check_cancel
from core.load import imports_k6, imports_locust
from core.load.result import LoadResult

TOOLS = ("locust", "k6")
_FORMATS = {"locust_csv": "locust", "k6_summary": "k6", "k6_stream": "k6"}


def detect_format(path) -> str:
    """``locust_csv``, ``k6_summary`` or ``k6_stream``, from the file's name and first bytes."""
    p = Path(path)
    if not p.exists():
        if imports_locust.locust_prefix(p) is not None:
            return "locust_csv"
        raise InputFileError(p, "file not found")
    if p.is_dir():
        raise InputFileError(p, "is a folder; give the stats CSV (or the --csv prefix) or the k6 JSON file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputFileError(p, f"cannot read the file ({exc.strerror or exc})") from None
    if not head.strip():
        raise InputFileError(p, "the file is empty")
    if head.startswith(b"\x1f\x8b"):
        return "k6_stream"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("{"):
        first = text.split("\n", 1)[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            return "k6_summary"          # a pretty-printed object: the summary (checked when read)
        return "k6_stream" if imports_k6.looks_like_stream_line(obj) else "k6_summary"
    if imports_locust.looks_like_locust(p):
        return "locust_csv"
    raise InputFileError(p, "not a Locust --csv stats file nor a k6 --summary-export or JSON output file")


def _file_entry(path, role: str) -> dict:
    from core.load.run import file_record

    return file_record(path, role)


def _summary_json(path) -> dict:
    try:
        with imports_k6.open_text(path) as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    except UnicodeDecodeError:
        raise InputFileError(path, "not a text file (not UTF-8)") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc})") from None
    if not imports_k6.looks_like_summary(data):
        raise InputFileError(path, "not a k6 summary: no \"metrics\" object")
    return data


def import_results(path, tool: str | None = None, *, slo_p95_ms: float | None = None,
                   slo_success_rate: float | None = None, progress=None, cancelled=None):
    """Read a Locust or k6 result file and return a ``loadtest`` run (not yet recorded).

    ``tool`` (``locust`` or ``k6``) must match the file when given.  The SLO is, in order: the arguments, the
    one the files state (the Preflight note of a Locust run, a k6 script's thresholds), the default
    (p95 < 200 ms, success rate > 99%).
    """
    from core.load.run import loadtest_run_from_result

    if tool is not None and tool not in TOOLS:
        raise PreflightError(f"unknown tool {tool!r}: choose locust or k6")
    fmt = detect_format(path)
    found = _FORMATS[fmt]
    if tool is not None and tool != found:
        raise InputFileError(path, f"this looks like {found} output, not {tool}")
    check_cancel(cancelled)
    if fmt == "locust_csv":
        files = imports_locust.locust_files(path)
        fields = imports_locust.read_locust(files, cancelled=cancelled)
        roles = [(files[k], f"locust_{k}") for k in ("stats", "history", "failures", "meta") if files.get(k)]
        meaning = imports_locust.MEANING
        file_slo = (fields.get("meta") or {}).get("slo") or {}
    elif fmt == "k6_summary":
        fields = imports_k6.read_summary(path, _summary_json(path))
        roles = [(str(path), "k6_summary")]
        meaning = imports_k6.MEANING_SUMMARY
        file_slo = fields.get("slo_from_file") or {}
    else:
        fields = imports_k6.read_stream(path, progress=progress, cancelled=cancelled)
        roles = [(str(path), "k6_stream")]
        meaning = imports_k6.MEANING_STREAM
        file_slo = fields.get("slo_from_file") or {}
    check_cancel(cancelled)
    inputs = [_file_entry(p, role) for p, role in roles]
    slo = {"p95_ms": float(slo_p95_ms if slo_p95_ms is not None else file_slo.get("p95_ms", 200.0)),
           "success_rate": float(slo_success_rate if slo_success_rate is not None
                                 else file_slo.get("success_rate", 0.99))}
    version = fields.pop("version", "") or ""
    extra = {k: fields.pop(k) for k in ("meta", "slo_from_file", "thresholds", "duration_s", "url", "method")
             if k in fields}
    source = {"tool": found, "version": version or "not recorded in the files", "format": fmt,
              "files": [{"path": e["path"], "sha256": e["sha256"]} for e in inputs], "meaning": meaning}
    if fields.get("target_rate") is None:
        fields["generator_notes"] = list(fields.get("generator_notes") or []) + [
            "the target rate is not in the files"]
    result = LoadResult(**fields, slo=slo, source=source,
                        extra={k: v for k, v in extra.items() if k in ("thresholds", "duration_s")}).with_verdict()
    meta = extra.get("meta") or {}
    settings = {"imported": True, "tool": found, "format": fmt, "path": str(path), "slo_p95_ms": slo["p95_ms"],
                "slo_success_rate": slo["success_rate"],
                "url": meta.get("url") or extra.get("url"), "method": meta.get("method") or extra.get("method"),
                "target_rate": fields.get("target_rate")}
    if progress is not None:
        progress(1.0)
    return loadtest_run_from_result(result, settings, inputs)


def record_import(store, run) -> int:
    """Store an imported run like a native one (one transaction with its audit event)."""
    from core.load.run import record_loadtest

    return record_loadtest(store, run)

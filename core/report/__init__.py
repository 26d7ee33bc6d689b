"""The offline report of an assessment: one self-contained HTML file, a PDF, and a JSON electronic copy.

* :func:`build_report` gathers what the report shows (:class:`ReportData`);
* :func:`render_html` turns it into one HTML document with inline CSS and
  inline SVG charts - no script, no external URL, every user- or
  data-supplied text escaped;
* :func:`report_json` is the complete electronic copy (every item, run
  result, signature and audit event with its hashes);
* :func:`write_report` writes ``.html``, ``.json`` or, through a writer the
  caller supplies (Qt lives in ``ui/``), ``.pdf``: ``writer(html, path, footer)``
  with ``footer`` from :func:`pdf_footer` (assessment name, content ID, audit head).

The report's content ID is defined in :mod:`core.report.document`.

Sections, in order: verdict, checklist (weighted and ML Test Score views),
analysis runs (one renderer per run kind, see :mod:`core.render.registry`),
production handoff, evidence, signatures, audit trail, manifest.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.canonical import dumps
from core.errors import PreflightError
from core.report import sections
from core.render import svg
from core.report.build import ReportData, build_from_snapshot, build_report, snapshot
from core.report.document import FORMAT, FORMAT_VERSION, content_id_of, report_json  # noqa: F401
from core.render.html import CSS, esc

SUFFIXES = (".html", ".pdf", ".json")


def render_html(data: ReportData, charts: str = "svg") -> str:
    """The report as one HTML document.

    ``charts``: ``"svg"`` inline SVG (for browsers), ``"img"`` SVG as data-URI
    images (for Qt's rich text: the PDF and the GUI preview), ``"none"`` a
    note in place of each chart.
    """
    with svg.use_charts(charts):
        body = sections.header(data) + "".join(fn(data) for fn in sections.ALL) + sections.footer(data)
    title = f"Preflight report: {data.meta.get('name') or ''}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"generator\" content=\"Preflight {esc(data.manifest.get('preflight_version'))}\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
            f"<body><div class=\"page\">\n{body}\n</div></body></html>\n")


def _check_target(path: Path, extra_writers: dict | None) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise PreflightError(f"{path}: cannot write a report with the suffix {path.suffix or '(none)'!r}; "
                             "use .html, .pdf or .json")
    if suffix == ".pdf" and not (extra_writers or {}).get(".pdf"):
        raise PreflightError(f"{path}: no PDF writer is available (PDF export needs PySide6, the Qt toolkit); "
                             "write the report as .html or .json instead")
    if path.is_dir():
        raise PreflightError(f"{path}: is a folder; give a file name for the report")
    if not path.parent.exists():
        raise PreflightError(f"{path}: the folder {path.parent} does not exist")
    return suffix


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a failed write leaves no half report."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def pdf_footer(data: ReportData) -> dict:
    """What a PDF writer prints at the foot of every page, next to "page x of y"."""
    return {"title": data.meta.get("name") or "", "content_id": data.content_id,
            "audit_head": f"{data.audit.get('count')}:{data.audit.get('head_hash')}"}


def _write_pdf(writer, html: str, path: Path, footer: dict) -> None:
    """Run the PDF writer on a temporary file and move it into place only when it produced a PDF."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.pdf")
    try:
        writer(html, tmp, footer)
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise PreflightError(f"{path}: the PDF writer produced no file (is the folder writable?)")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_data(data: ReportData, path, extra_writers: dict | None = None) -> Path:
    """Write already built report data to ``path`` (.html, .json, or .pdf through ``extra_writers[".pdf"]``)."""
    path = Path(path)
    suffix = _check_target(path, extra_writers)
    try:
        if suffix == ".html":
            _write_text(path, render_html(data, charts="svg"))
        elif suffix == ".json":
            _write_text(path, dumps(report_json(data), indent=2, sort_keys=False) + "\n")
        else:
            _write_pdf(extra_writers[".pdf"], render_html(data, charts="img"), path, pdf_footer(data))
    except ImportError as exc:
        raise PreflightError(f"{path}: PDF export is not available ({exc}); write .html or .json instead") from None
    except PermissionError:
        raise PreflightError(f"{path}: permission denied; choose a folder you can write to") from None
    except OSError as exc:
        raise PreflightError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
    return path


def write_report(store, path, extra_writers: dict | None = None, *, generated_utc: str | None = None,
                 progress=None, cancelled=None) -> ReportData:
    """Build the report of ``store`` and write it to ``path``; the format follows the suffix."""
    _check_target(Path(path), extra_writers)
    data = build_report(store, generated_utc=generated_utc, progress=progress, cancelled=cancelled)
    write_data(data, path, extra_writers)
    return data


__all__ = ["ReportData", "build_report", "build_from_snapshot", "snapshot", "render_html", "report_json",
           "write_data", "write_report", "SUFFIXES"]

"""Report command: ``report FILE --out OUT.html|OUT.pdf|OUT.json``."""

from __future__ import annotations

from pathlib import Path

from core.cli.output import emit_json, open_existing
from core.errors import PreflightError

FORMATS = {".html": "HTML", ".pdf": "PDF", ".json": "JSON"}


def register(sub) -> None:
    p = sub.add_parser("report", help="write the assessment's report (.html, .pdf or .json, by the --out suffix)")
    p.add_argument("file", help="the .preflight assessment")
    p.add_argument("--out", required=True, help="output file: .html (self-contained), .pdf, or .json (full copy)")
    p.add_argument("--json", action="store_true", help="print what was written as one JSON object")
    p.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    from core import cli
    from core.report import write_report

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise PreflightError(f"{out}: unsupported report format {out.suffix or '(no suffix)'!r}; "
                             "use .html, .pdf or .json")
    if suffix == ".pdf" and not cli.EXTRA_WRITERS.get(".pdf"):
        raise PreflightError(f"{out}: no PDF writer is available in this installation (PDF export needs "
                             "PySide6); write .html or .json instead")
    with open_existing(args.file, read_only=True, upgrade_copy=True) as store:
        data = write_report(store, out, cli.EXTRA_WRITERS)
    verdict = data.verdict
    if args.json:
        emit_json({"file": str(args.file), "out": str(out), "format": FORMATS[suffix].lower(),
                   "bytes": out.stat().st_size, "status": verdict["status"], "ready": verdict["ready"],
                   "stage": verdict["stage"], "reasons": verdict["reasons"], "content_id": data.content_id})
    else:
        print(f"wrote {out} ({FORMATS[suffix]}, {out.stat().st_size:,} bytes); verdict: {verdict['headline']}")
    return 0

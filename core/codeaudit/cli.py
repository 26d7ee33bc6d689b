"""``python main.py audit-code PATH``: exit 0 no high-severity finding, 1 otherwise, 2 error."""

from __future__ import annotations

from core.cli.output import emit_json, optional_assessment, table

MAX_MESSAGE = 90


def register(sub) -> None:
    p = sub.add_parser("audit-code", help="audit a .py file, a notebook or a folder of them")
    p.add_argument("path", metavar="PATH", help="a .py file, an .ipynb notebook or a folder")
    p.add_argument("--requirements", default=None, metavar="FILE",
                   help="requirements.txt or pyproject.toml to check the imports against")
    p.add_argument("--json", action="store_true")
    p.add_argument("--assessment", default=None, help="record the run in this assessment")
    p.set_defaults(handler=cmd_audit_code)


def cmd_audit_code(args) -> int:
    from core.codeaudit.run import record_code_audit, run_code_audit

    with optional_assessment(args.assessment) as store:
        run = run_code_audit(args.path, args.requirements)
        run_id = record_code_audit(store, run) if store is not None else None
    out = run.cli_dict()
    if args.json:
        emit_json(out)
    else:
        print(render_text(out, run_id))
    return 0 if out["summary"]["passed"] else 1


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_text(out: dict, run_id: int | None = None) -> str:
    s = out["summary"]
    rows = [[f["severity"], f["path"], "" if f["cell"] is None else f["cell"], "" if f["line"] is None else f["line"],
             f["kind"], _short(f["message"])] for f in out["findings"]]
    sev = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n) or "none"
    lines = [f"{out['files']} file(s): {s['python_files']} Python, {s['notebooks']} notebook(s); "
             f"{s['functions']} function(s), {s['classes']} class(es)"]
    if rows:
        lines += ["", table(rows, ["severity", "path", "cell", "line", "kind", "finding"]), ""]
    lines.append(f"findings: {sev}; score {s['score']} / 100 -> "
                 f"{'PASSED' if s['passed'] else 'FAILED (high-severity findings)'}")
    if run_id is not None:
        lines.append(f"recorded as run #{run_id}")
    return "\n".join(lines)

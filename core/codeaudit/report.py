"""Report body and readiness gate of a code-audit run.

The body: the result and score, findings by severity and by kind (a bar chart), the files whose
structure needs refactoring, the suggested checklist evidence, and the findings themselves (the
most serious first).  Messages never hold a secret's value (the scan redacts them), and every
text is escaped.  The gate passes when no finding is high severity and fails otherwise (secrets).
"""

from __future__ import annotations

from core.codeaudit.model import KIND_LABELS, SEVERITIES
from core.render.html import AMBER, BLUE, GREY, RED, bullet_list, esc, fmt, kv_table, mark, pct, table
from core.render.registry import gate, gate_result, register
from core.render.svg import bar_chart

MAX_FINDINGS = 300
MAX_FILES = 30
SEVERITY_STATE = {"high": "fail", "medium": "warn", "low": "none", "info": "info"}
SEVERITY_COLOUR = {"high": RED, "medium": AMBER, "low": BLUE, "info": GREY}


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _where(f: dict) -> str:
    parts = [str(f.get("path") or "?")]
    if f.get("cell") is not None:
        parts.append(f"cell {f.get('cell')}")
    if f.get("line") is not None:
        parts.append(f"line {f.get('line')}")
    return ", ".join(parts)


def _severity_rank(f: dict) -> int:
    return SEVERITIES.index(f.get("severity")) if f.get("severity") in SEVERITIES else len(SEVERITIES)


def _kind_chart(findings: list[dict]) -> str:
    counts: dict[str, tuple[int, int]] = {}
    for f in findings:
        kind = str(f.get("kind"))
        n, worst = counts.get(kind, (0, len(SEVERITIES)))
        counts[kind] = (n + 1, min(worst, _severity_rank(f)))
    if not counts:
        return ""
    ranked = sorted(counts.items(), key=lambda kv: (kv[1][1], -kv[1][0]))
    labels = [KIND_LABELS.get(k, k) for k, _ in ranked]
    colours = [SEVERITY_COLOUR.get(SEVERITIES[w] if w < len(SEVERITIES) else "info", GREY) for _, (_n, w) in ranked]
    return bar_chart(labels, [n for _, (n, _w) in ranked], colours=colours, title="Findings by kind",
                     value_text=lambda v: fmt(int(v)))


def _structure_table(metrics: list[dict]) -> str:
    low = [m for m in metrics if isinstance(m, dict) and m.get("reusability") == "low"]
    if not low:
        return ""
    rows = [[esc(m.get("path")), esc(fmt(m.get("functions"))), esc(fmt(m.get("classes"))),
             esc(pct(m.get("share_in_functions"), 0)), esc(fmt(m.get("script_statements"))),
             esc(fmt(m.get("code_lines")))] for m in low[:MAX_FILES]]
    more = f'<p class="small muted">{len(low) - MAX_FILES} more in the JSON copy.</p>' if len(low) > MAX_FILES else ""
    return ("<h4>Files that need refactoring</h4>" + table(
        ["File", "Functions", "Classes", "Code in functions", "Top-level work", "Code lines"], rows,
        numeric={1, 2, 3, 4, 5}, widths={0: "40%"}) + more)


@register("code_audit")
def render(run: dict) -> str:
    result = _dict(run.get("result"))
    summary = _dict(result.get("summary"))
    findings = [f for f in result.get("findings") or [] if isinstance(f, dict)]
    by_sev = _dict(summary.get("by_severity"))
    passed = summary.get("passed")
    sev_text = ", ".join(f"{fmt(by_sev.get(s))} {s}" for s in SEVERITIES if by_sev.get(s)) or "none"
    files = (f"{fmt(result.get('files'))} ({fmt(summary.get('python_files'))} Python files, "
             f"{fmt(summary.get('notebooks'))} notebooks)")
    pairs = [("Result", mark("none", "n/a") if passed is None else
              mark("pass", "PASSED: no high-severity finding") if passed else
              mark("fail", f"FAILED: {fmt(summary.get('high'))} high-severity finding(s)")),
             ("Folder or file", esc(result.get("root") or _dict(run.get("settings")).get("path"))),
             ("Files scanned", esc(files)),
             ("Score", esc(f"{fmt(summary.get('score'))} / 100") if summary.get("score") is not None else ""),
             ("Findings", esc(sev_text)),
             ("Functions / classes", esc(f"{fmt(summary.get('functions'))} / {fmt(summary.get('classes'))}")),
             ("Requirements checked", esc(summary.get("requirements") or "none given")),
             ("Reproducible randomness", mark("pass", "yes: every random source is seeded")
              if summary.get("reproducible") else mark("warn", "no: unseeded randomness found")
              if summary.get("reproducible") is False else "")]
    evidence = [f"<b>{esc(e.get('item'))}</b>: {esc(e.get('note'))}"
                for e in summary.get("suggested_evidence") or [] if isinstance(e, dict)]
    ranked = sorted(findings, key=_severity_rank)
    rows = [[mark(SEVERITY_STATE.get(f.get("severity"), "none"), str(f.get("severity") or "-")),
             esc(_where(f)), esc(KIND_LABELS.get(f.get("kind"), f.get("kind"))), esc(f.get("message")),
             esc(f.get("suggestion"))] for f in ranked[:MAX_FINDINGS]]
    body = (kv_table(pairs) + _kind_chart(findings) + _structure_table(result.get("file_metrics") or [])
            + ("<h4>Suggested checklist evidence</h4>" + bullet_list(evidence) if evidence else "")
            + "<h4>Findings</h4>" + table(["Severity", "Where", "Kind", "Finding", "Suggestion"], rows,
                                          widths={0: "8%", 1: "20%", 2: "13%", 3: "32%"},
                                          empty="No findings."))
    if len(ranked) > MAX_FINDINGS:
        body += (f'<p class="small muted">The {MAX_FINDINGS} most serious of {len(ranked)} findings; all are in '
                 "the JSON copy.</p>")
    return body


def _gate(state: str, detail: str, reasons=None, why=None) -> dict:
    return gate_result("code_audit", "Code audit", state, detail, reasons, why)


@gate("code_audit", "Code audit")
def code_audit_gate(run: dict | None) -> dict:
    """Pass: no high-severity finding; fail: high findings (secrets); none: no run recorded."""
    if run is None:
        return _gate("none", "no code audit recorded")
    result = _dict(run.get("result"))
    summary = _dict(result.get("summary"))
    findings = [f for f in result.get("findings") or [] if isinstance(f, dict)]
    where = f"run #{run.get('id')}"
    high = [f for f in findings if f.get("severity") == "high"]
    if not high and summary.get("passed") is False:
        return _gate("warn", f"{where}: failed, but its high-severity findings are not recorded")
    files = fmt(result.get("files"))
    if high:
        reasons = [f"{_where(f)}: {f.get('message')}" for f in high[:8]]
        return _gate("fail", f"{where}: {len(high)} high-severity finding(s) in {files} file(s)", reasons,
                     why=f"{len(high)} high-severity finding(s), e.g. {high[0].get('message')}")
    medium = sum(1 for f in findings if f.get("severity") == "medium")
    return _gate("pass", f"{where}: no high-severity finding in {files} file(s) ({medium} medium, score "
                         f"{fmt(summary.get('score'))})")

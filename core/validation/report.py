"""Report body of a data-validation run: verdict, violations by severity, and each violation with examples."""

from __future__ import annotations

from core.render.html import bullet_list, esc, fmt, kv_table, mark, pct, table
from core.render.registry import gate, gate_result, register, warnings_list
from core.validation.labels import check_label, threshold_text

SEVERITY_ORDER = ("critical", "high", "medium", "low")
SEVERITY_STATE = {"critical": "fail", "high": "fail", "medium": "warn", "low": "none"}
MAX_EXAMPLES = 5
MAX_VIOLATIONS = 200


def _schema_text(run: dict, result: dict) -> str:
    settings = run.get("settings") if isinstance(run.get("settings"), dict) else {}
    schema = result["schema"] if result.get("schema") is not None else settings.get("schema")
    source = settings.get("schema_source")
    if isinstance(schema, dict):
        name = source or schema.get("name") or schema.get("path") or "schema stored with the run"
        cols = schema.get("columns")
        count = len(cols) if isinstance(cols, (list, dict)) else None
        return esc(name) + (f" ({count} columns)" if count is not None else "")
    if schema is None:
        return esc(source or "")
    return esc(schema)


def _schema_diff(diff) -> str:
    """How the table's shape differs from the reference it was compared with, as bullet lines."""
    if not isinstance(diff, dict):
        return ""
    lines = []
    for key, label in (("added_columns", "columns only in the data"), ("removed_columns", "columns missing")):
        names = [str(c) for c in diff.get(key) or []]
        if names:
            lines.append(f"{esc(label)}: {esc(', '.join(names[:20]))}" + (" ..." if len(names) > 20 else ""))
    for t in (diff.get("type_changes") or [])[:20]:
        if isinstance(t, dict):
            lines.append(f"type of {esc(t.get('column'))}: {esc(t.get('reference'))} &rarr; {esc(t.get('current'))}")
    new = diff.get("new_categories") if isinstance(diff.get("new_categories"), dict) else {}
    for column, values in list(new.items())[:20]:
        shown = ", ".join(str(v) for v in list(values or [])[:5])
        lines.append(f"new categories in {esc(column)}: {esc(shown)}" + (" ..." if len(values or []) > 5 else ""))
    for m in (diff.get("missing_rate_changes") or [])[:20]:
        if isinstance(m, dict):
            lines.append(f"missing share of {esc(m.get('column'))}: {esc(pct(m.get('reference')))} &rarr; "
                         f"{esc(pct(m.get('current')))}")
    if not lines:
        return "<h4>Schema differences</h4><p>None: the data has the reference table's shape.</p>"
    return "<h4>Schema differences</h4>" + bullet_list(lines)


def _examples(v: dict) -> str:
    out = []
    for e in (v.get("examples") or [])[:MAX_EXAMPLES]:
        if isinstance(e, dict):
            value = e.get("value")
            shown = "(missing)" if value is None else repr(value) if isinstance(value, str) else fmt(value)
            out.append(f"row {esc(fmt(e.get('row')))}: {esc(shown[:60])}")
        else:
            out.append(esc(str(e)[:60]))
    more = len(v.get("examples") or []) - MAX_EXAMPLES
    if more > 0:
        out.append(f"+{more} more")
    return "<br>".join(out)


@register("validation")
def render(run: dict) -> str:
    result = run.get("result") if isinstance(run.get("result"), dict) else {}
    violations = [v for v in (result.get("violations") or []) if isinstance(v, dict)]
    passed = result.get("passed")
    counts = {s: sum(1 for v in violations if v.get("severity") == s) for s in SEVERITY_ORDER}
    count_text = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    pairs = [("Result", mark("none", "n/a") if passed is None else
              mark("pass", "PASSED") if passed else mark("fail", "FAILED")),
             ("Rows checked", esc(fmt(result.get("rows")))),
             ("Schema", _schema_text(run, result)),
             ("Violations", esc(count_text))]
    ranked = sorted(violations, key=lambda v: (SEVERITY_ORDER.index(v["severity"])
                                               if v.get("severity") in SEVERITY_ORDER else 9))
    rows = []
    for v in ranked[:MAX_VIOLATIONS]:
        sev = v.get("severity")
        rows.append([mark(SEVERITY_STATE.get(sev, "none"), str(sev or "-")),
                     esc(v.get("column") if v.get("column") is not None else "(table)"),
                     esc(check_label(v.get("check"))), esc(fmt(v.get("count"))), esc(pct(v.get("fraction"), 2)),
                     esc(threshold_text(v.get("check"), v.get("threshold"))),
                     esc(v.get("message") or ""), _examples(v)])
    body = kv_table(pairs) + "<h4>Violations</h4>" + table(
        ["Severity", "Column", "Check", "Rows", "Share", "Limit", "Message", "Examples"], rows,
        numeric={3, 4}, empty="No violations: every check passed.",
        widths={0: "10%", 1: "14%", 2: "13%", 3: "7%", 4: "8%", 5: "7%", 6: "20%"})
    if len(ranked) > MAX_VIOLATIONS:
        body += (f'<p class="small muted">The first {MAX_VIOLATIONS} of {len(ranked)} violations; all are in the '
                 "JSON copy.</p>")
    return body + _schema_diff(result.get("schema_diff")) + warnings_list(result.get("warnings"))


def _result_of(state: str, detail: str, reasons: list[str] | None = None, why: str | None = None) -> dict:
    return gate_result("validation", "Data validation", state, detail, reasons, why)


def _run_result(run: dict) -> dict:
    return run.get("result") if isinstance(run.get("result"), dict) else {}


@gate("validation", "Data validation")
def validation_gate(run: dict | None) -> dict:
    """The data validation gate on the run that counts for the verdict."""
    if run is None:
        return _result_of("none", "no validation run recorded")
    res = _run_result(run)
    violations = [v for v in res.get("violations") or [] if isinstance(v, dict)]
    passed = res.get("passed")
    where = f"run #{run.get('id')}"
    if passed is None:
        return _result_of("warn", f"{where}: no verdict recorded")
    if passed:
        return _result_of("pass", f"{where}: every check passed")
    by_sev: dict[str, int] = {}
    for v in violations:
        by_sev[str(v.get("severity"))] = by_sev.get(str(v.get("severity")), 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in by_sev.items())
    reasons = [f"{v.get('severity')}: {v.get('column') or '(table)'} {check_label(v.get('check')).lower()} "
               f"({v.get('count')} row(s))" for v in violations[:8]]
    return _result_of("fail", f"{where}: {len(violations)} violation(s) ({counts})", reasons)

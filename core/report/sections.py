"""The report's sections as HTML fragments, in report order.

Each function takes the :class:`core.report.build.ReportData` and returns
HTML in which every user- or data-supplied text is escaped.
"""

from __future__ import annotations

from collections import defaultdict

from core.handoff.approval import amendments
from core.handoff.form import FIELDS, GROUPS
from core.handoff.modelcard import SECTIONS as MODEL_CARD_SECTIONS
from core.render.html import (GREEN, GREY, RED, AMBER, bullet_list, esc, fmt, kv_table, mark, mono, section,
                              short_hash, table, verdict_word, when)
from core.render.registry import render_run

BADGE_COLOURS = {"ready": GREEN, "pending_signoff": AMBER, "not_ready": RED}
TOC = (("verdict", "Verdict"), ("checklist", "Checklist"), ("runs", "Analysis runs"), ("handoff", "Handoff"),
       ("evidence", "Evidence"), ("signatures", "Signatures"), ("audit", "Audit trail"), ("manifest", "Manifest"))
STATUS_STATE = {"done": "pass", "open": "fail", "not_applicable": "none"}
AUDIT_TAIL = 12


def header(data) -> str:
    meta = data.meta
    sub = " \u00b7 ".join(esc(x) for x in (meta.get("system"), meta.get("owner")) if x)
    info = kv_table([("Assessment file", mono(meta.get("path"))), ("Template", esc(meta.get("template"))),
                     ("Created (UTC)", esc(when(meta.get("created_utc")))),
                     ("Report generated (UTC)", esc(when(data.generated_utc))),
                     ("Preflight", esc(data.manifest.get("preflight_version")))])
    toc = " &middot; ".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in TOC)
    return (f'<h1>Production readiness report: {esc(meta.get("name"))}</h1>'
            + (f'<p class="subtitle">{sub}</p>' if sub else "") + info + f'<p class="toc">{toc}</p>')


def verdict_section(data) -> str:
    v = data.verdict
    colour = BADGE_COLOURS.get(v["status"], GREY)
    reasons = bullet_list([esc(r) for r in v["reasons"]]) or '<p>Every gate passes and the assessment is approved.</p>'
    banner = (f'<table class="verdict" width="100%" cellspacing="0" cellpadding="10"><tr>'
              f'<td class="badge" width="30%" bgcolor="{colour}" style="background-color:{colour}">'
              f'{esc(v["headline"])}</td><td>{reasons}</td></tr></table>')
    rows = []
    for c in v["checks"]:
        detail = esc(c["detail"]) + (bullet_list([esc(r) for r in c["reasons"]]) if c["reasons"] else "")
        if c.get("counted"):
            detail += f'<br><span class="small muted">Judged on {esc(c["counted"])}</span>'
        rows.append([mark(c["state"]), f"<b>{esc(c['label'])}</b>", detail])
    return section("verdict", "Verdict", banner + table(["State", "Gate", "Details"], rows,
                                                        widths={0: "9%", 1: "18%"}))


def _score_summary(s: dict) -> str:
    blockers = s["critical_blockers"]
    return kv_table([
        ("Weighted score", f"<b>{s['weighted_score']:.2f}</b> / 100 (readiness threshold "
                           f"{esc(fmt(s['readiness_threshold']))}; {esc(fmt(s.get('done_weight')))} of "
                           f"{esc(fmt(s.get('applicable_weight')))} weight done)"),
        ("Completion", f"{s['completion']:.2f}% of applicable items done"),
        ("Checklist ready", verdict_word(s["ready"], "yes", "no")),
        ("Critical blockers", mark("fail", str(len(blockers))) if blockers else mark("pass", "none")),
    ])


def _ml_test_score(s: dict) -> str:
    mts = s.get("ml_test_score")
    if not mts:
        return ""
    rows = [[esc(name), esc(fmt(value))] for name, value in (mts.get("sections") or {}).items()]
    return ("<h3>ML Test Score view</h3>" + kv_table([
        ("Final score", f"<b>{esc(fmt(mts.get('final')))}</b> (the lowest section score)"),
        ("Band", esc(mts.get("band"))), ("Rubric", esc(mts.get("rubric")))])
        + table(["Section", "Points"], rows, numeric={1}, widths={1: "20%"}))


def _evidence_names(data) -> dict:
    files = {f.get("id"): f.get("label") for f in data.evidence}
    out = defaultdict(list)
    for link in data.links:
        if link.get("run_id") is not None:
            out[link.get("item_id")].append(f"run #{link['run_id']}")
        elif link.get("file_id") is not None:
            out[link.get("item_id")].append(str(files.get(link["file_id"], f"file #{link['file_id']}")))
    return out


def checklist_section(data) -> str:
    s = data.score
    parts = ["<h3>Weighted view</h3>", _score_summary(s)]
    if s["critical_blockers"]:
        parts.append("<h4>Critical blockers</h4>" + bullet_list(
            [f"{esc(b.get('category'))}: <b>{esc(b.get('name'))}</b>" for b in s["critical_blockers"]]))
    cat_rows = [[esc(c), esc(f"{v.get('done')} / {v.get('applicable')}"), esc(fmt(v.get("total")))]
                for c, v in (s.get("by_category") or {}).items()]
    parts.append("<h4>By category</h4>" + table(["Category", "Done / applicable", "Items"], cat_rows,
                                                 numeric={1, 2}, widths={1: "20%", 2: "12%"}))
    parts.append(_ml_test_score(s))
    evidence = _evidence_names(data)
    has_maturity = any(i.get("maturity") is not None for i in data.items)
    has_owner = any(i.get("owner") or i.get("due_date") for i in data.items)
    rows = []
    for i in data.items:
        status = i.get("status")
        state = STATUS_STATE.get(status, "none")
        if status == "open" and i.get("priority") != "critical":
            state = "warn"
        owner = " ".join(x for x in (i.get("owner"), f"due {i['due_date']}" if i.get("due_date") else "") if x)
        notes = esc(i.get("notes"))
        if i.get("requirement"):
            notes = f'<span class="muted">{esc(i.get("requirement"))}</span>' + (f"<br>{notes}" if notes else "")
        row = [esc(i.get("category")), f"<b>{esc(i.get('name'))}</b>", esc(i.get("priority")),
               mark(state, str(status).replace("_", " "))]
        if has_maturity:
            row.append(esc(fmt(i.get("maturity"))))
        if has_owner:
            row.append(esc(owner))
        row += [notes, esc(", ".join(evidence.get(i.get("id"), [])))]
        rows.append(row)
    headers = ["Category", "Item", "Priority", "Status"] + (["Maturity"] if has_maturity else []) + \
        (["Owner"] if has_owner else []) + ["Requirement / notes", "Evidence"]
    widths = {0: "14%", 1: "19%", 2: "10%", 3: "11%", len(headers) - 1: "11%"}
    parts.append("<h3>Items</h3>" + table(headers, rows, widths=widths, empty="The checklist is empty."))
    return section("checklist", "Checklist", "".join(parts))


def _excluded(run: dict) -> bool:
    return bool(run.get("excluded_from_report"))


def runs_used(data) -> str:
    """Which run each run gate was judged on, e.g. "Data drift gate: run #7 (chosen explicitly)"."""
    lines = [f"<b>{esc(c['label'])}</b> gate: {esc(c['counted'])}" for c in data.verdict["checks"] if c.get("counted")]
    return ("<h3>Runs used for the verdict</h3>" + bullet_list(lines)) if lines else ""


def runs_section(data) -> str:
    if not data.runs:
        return section("runs", "Analysis runs", '<p class="note">No analysis has been recorded.</p>')
    shown = [r for r in data.runs if not _excluded(r)]
    left_out = [r for r in data.runs if _excluded(r)]
    parts = [runs_used(data)]
    if left_out:
        names = ", ".join(f"#{r.get('id')} ({r.get('kind')})" for r in left_out)
        parts.append(f'<p class="note">Left out of this report: run{"s" if len(left_out) > 1 else ""} '
                     f"{esc(names)}. They stay in the assessment file, its audit trail and the JSON copy.</p>")
    if not shown:
        parts.append('<p class="note">Every recorded run is left out of this report.</p>')
    parts += [render_run(r) for r in shown]
    return section("runs", "Analysis runs", "".join(parts))


def _field_value(kind: str, value) -> str:
    if kind == "bool":
        return verdict_word(bool(value), "yes", "no")
    if kind == "hash":
        return mono(value) if value else '<span class="muted">not set</span>'
    if isinstance(value, list):
        return esc(", ".join(map(str, value))) if value else '<span class="muted">not set</span>'
    if value is None or value == "":
        return '<span class="muted">not set</span>'
    return esc(fmt(value))


def handoff_section(data) -> str:
    parts = []
    if data.handoff_error:
        parts.append(f'<p class="fail">{esc(data.handoff_error)}</p>')
    v = data.handoff_validation
    rows = [[verdict_word(r.get("passed")), esc(r.get("rule")), esc(r.get("message"))] for r in v.get("results", [])]
    parts.append("<h3>Validation</h3>" + table(["", "Rule", "Result"], rows, widths={0: "8%", 1: "27%"}))
    by_group = defaultdict(list)
    for name, label, group, kind in FIELDS:
        by_group[group].append((label, _field_value(kind, data.handoff.get(name))))
    fields_rows = []
    for group in GROUPS:
        for n, (label, value) in enumerate(by_group[group]):
            fields_rows.append([f"<b>{esc(group)}</b>" if n == 0 else "", esc(label), value])
    parts.append("<h3>Fields</h3>" + table(["Group", "Field", "Value"], fields_rows, widths={0: "16%", 1: "30%"}))
    texts = [(title, data.model_card_sections.get(key)) for key, title in MODEL_CARD_SECTIONS]
    texts = [(t, x) for t, x in texts if isinstance(x, str) and x.strip()]
    if texts:
        parts.append("<h3>Model card notes</h3>" + "".join(
            f'<h4>{esc(t)}</h4><pre class="text">{esc(x.strip())}</pre>' for t, x in texts))
    return section("handoff", "Production handoff", "".join(parts))


def evidence_section(data) -> str:
    checks = {r.get("id"): r for r in data.reverification}
    rows = []
    for f in data.evidence:
        r = checks.get(f.get("id"), {})
        status = r.get("status")
        state = {"ok": "pass", "changed": "fail", "missing": "fail"}.get(status, "none")
        detail = mark(state, status or "not checked") + (f'<br><span class="small">{esc(r.get("message"))}</span>'
                                                         if r.get("message") else "")
        if status == "changed":
            detail += f'<br><span class="small">now {mono(r.get("actual_sha256"))}</span>'
        stored = '<br><span class="small muted">copy embedded in the assessment</span>' if f.get("embedded") else ""
        rows.append([esc(fmt(f.get("id"))), f"<b>{esc(f.get('label'))}</b><br>{mono(f.get('path'))}{stored}",
                     mono(f.get("sha256")), esc(fmt(f.get("size"))), esc(when(f.get("attached_utc"))), detail])
    body = table(["#", "Label / file", "SHA-256 when attached", "Bytes", "Attached (UTC)", "Re-verification"], rows,
                 numeric={3}, widths={0: "4%", 1: "22%", 2: "26%", 3: "8%", 4: "12%"},
                 empty="No evidence files attached.")
    return section("evidence", "Evidence", body)


def signatures_section(data) -> str:
    intro = kv_table([("Sign-off stage", f"<b>{esc(data.stage)}</b>"),
                      ("Current content hash", mono(data.content_hash))])
    rows = []
    for s in data.signatures:
        state = mark("pass", "valid") if s.get("valid") else mark("fail", "INVALID")
        extra = ""
        if s.get("override_reason"):
            extra += f'<br><span class="warn">Override:</span> {esc(s["override_reason"])}'
        if not s.get("valid") and s.get("changes"):
            shown = s["changes"][:8] + (["..."] if len(s["changes"]) > 8 else [])
            extra += '<br><span class="small">Changed since signing:</span>' + bullet_list([esc(c) for c in shown])
        rows.append([f"<b>{esc(s.get('user_name'))}</b>", esc(s.get("role")), esc(s.get("meaning")),
                     esc(s.get("signed_utc_text"))
                     + f'<br><span class="muted">{esc(s.get("signed_local_text"))}</span>',
                     mono(s.get("content_hash")), state + extra])
    body = intro + table(["Printed name", "Role", "Meaning", "Signed (UTC / local)", "Signed content hash",
                          "State"], rows, widths={0: "15%", 1: "9%", 2: "10%", 3: "19%", 4: "23%"},
                         empty="No signatures yet.")
    lines = [esc(s.get("manifestation")) for s in data.signatures]
    if lines:
        body += "<h4>Signature manifestations</h4>" + bullet_list(lines)
    return section("signatures", "Signatures", body)


def audit_section(data) -> str:
    a = data.audit
    state = mark("pass", "intact") if a.get("ok") else mark("fail", "BROKEN")
    pairs = [("Verification", state + (f" &nbsp;{esc(a.get('problem'))}" if a.get("problem") else "")),
             ("Events", esc(fmt(a.get("count")))), ("Head hash", mono(a.get("head_hash")))]
    if a.get("first_bad_seq") is not None:
        pairs.append(("First bad event", esc(fmt(a.get("first_bad_seq")))))
    tail = data.audit_events[-AUDIT_TAIL:]
    rows = [[esc(fmt(e.get("seq"))), esc(when(e.get("ts_utc"))), esc(e.get("actor")), esc(e.get("action")),
             esc(e.get("entity")), mono(short_hash(e.get("hash"), 20))] for e in reversed(tail)]
    note = (f'<p class="small muted">The {len(tail)} most recent of {len(data.audit_events)} events; the JSON copy '
            "holds every event with its hashes. Keep this head hash: a rewritten chain will not match it.</p>")
    amended = amendments(data.audit_events)
    amend_html = ("<h4>Amendments after approval</h4>" + bullet_list(
        [f"event {esc(fmt(a['seq']))}, {esc(when(a['ts_utc']))}, {esc(a['actor'])}: {esc(a['reason'])} "
         f"({esc(fmt(a['invalidates']))} signature(s) invalidated)" for a in amended]) if amended else "")
    return section("audit", "Audit trail", kv_table(pairs) + amend_html + "<h4>Recent events</h4>" +
                   table(["Seq", "Time (UTC)", "Actor", "Action", "Entity", "Hash"], rows, numeric={0}) + note)


def manifest_section(data) -> str:
    m = data.manifest
    libs = ", ".join(f"{esc(k)} {esc(v or 'not installed')}" for k, v in (m.get("libraries") or {}).items())
    pairs = [("Preflight", esc(m.get("preflight_version"))),
             ("Python", esc(f"{m.get('python')} ({m.get('python_implementation')})")),
             ("Platform", esc(m.get("platform"))), ("Libraries", libs), ("SQLite", esc(m.get("sqlite"))),
             ("File schema version", esc(fmt(m.get("schema_version")))),
             ("Assessment created (UTC)", esc(when(m.get("assessment_created_utc")))),
             ("Report generated (UTC)", esc(when(m.get("generated_utc")))),
             ("Signed-content hash", mono(m.get("content_hash"))), ("Audit head", mono(m.get("audit_head"))),
             ("Report content ID", mono(data.content_id))]
    runs = [r for r in m.get("runs") or [] if not _excluded(r)]
    rows = []
    for run in runs:
        for d in run.get("inputs") or [{}]:
            rows.append([esc(f"#{run.get('id')} {run.get('kind')}"), esc(d.get("role")), esc(d.get("path")),
                         mono(d.get("sha256") or "-"), esc(fmt(d.get("size"))), esc(fmt(d.get("rows")))])
    settings_rows = [[esc(f"#{r.get('id')} {r.get('kind')}"), esc(r.get("preflight_version")),
                      esc(when(r.get("finished_utc"))), mono(_settings(r.get("settings")))]
                     for r in runs]
    return section("manifest", "Manifest", kv_table(pairs)
                   + "<h4>Input files of every run</h4>"
                   + table(["Run", "Role", "File", "SHA-256", "Bytes", "Rows"], rows, numeric={4, 5},
                           widths={3: "36%"}, empty="No runs recorded.")
                   + "<h4>Run settings</h4>"
                   + table(["Run", "Preflight", "Finished (UTC)", "Settings"], settings_rows, empty="No runs."))


def _settings(settings) -> str:
    from core.canonical import canonical_json
    text = canonical_json(settings or {})
    return text if len(text) <= 400 else text[:397] + "..."


def footer(data) -> str:
    return (f'<p class="footer">Generated by Preflight {esc(data.manifest.get("preflight_version"))} on '
            f"{esc(when(data.generated_utc))} UTC. This is the human-readable copy of the assessment; the JSON "
            f"export is the complete electronic copy. Report content ID (SHA-256) {esc(data.content_id)}; audit chain "
            f"head {esc(fmt(data.audit.get('count')))}:{esc(data.audit.get('head_hash'))} "
            f"({esc(fmt(data.audit.get('count')))} events; check a file against it with "
            f"audit verify --expect-head).</p>")


ALL = (verdict_section, checklist_section, runs_section, handoff_section, evidence_section, signatures_section,
       audit_section, manifest_section)

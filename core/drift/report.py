"""Report body of a data-drift run: verdict, PSI chart, per-column table, charts of the drifted columns."""

from __future__ import annotations

from core.drift.bands import PSI_MAJOR, PSI_MODERATE
from core.render import svg
from core.render.html import AMBER, GREEN, GREY, RED, esc, fmt, kv_table, mark, number, pct, table
from core.render.registry import gate, gate_result, register, warnings_list

MAX_PSI_BARS = 40
MAX_COLUMN_CHARTS = 12
BAND_COLOURS = {"stable": GREEN, "moderate": AMBER, "major": RED}
METHOD_LABELS = {"wasserstein": "Wasserstein", "jensenshannon": "Jensen-Shannon", "ks": "KS test",
                 "chi2": "chi-square", "psi": "PSI", "auto": "automatic"}


def method_label(method) -> str:
    return METHOD_LABELS.get(method, str(method)) if method else "-"


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _columns(result: dict) -> list[dict]:
    return [c for c in (result.get("columns") or []) if isinstance(c, dict)]


def _side(result: dict, run: dict, role: str) -> str:
    side = _dict(result.get(role))
    if not side:
        side = next((i for i in (run.get("inputs") or []) if isinstance(i, dict) and i.get("role") == role), {})
    if not side:
        return ""
    parts = [esc(side.get("path") or side.get("name") or "")]
    if side.get("rows") is not None:
        parts.append(f"{esc(fmt(side.get('rows')))} rows")
    cols = side.get("columns")
    if isinstance(cols, (int, float)) or isinstance(cols, list):
        parts.append(f"{esc(fmt(cols if not isinstance(cols, list) else len(cols)))} columns")
    return ", ".join(p for p in parts if p)


def _profile_provenance(prof: dict) -> str:
    """Where a reference profile file came from: engine, source, rows, the file's SHA-256."""
    parts = [f"engine {esc(prof.get('engine') or '?')}", f"source {esc(prof.get('source') or '?')}",
             f"{esc(fmt(prof.get('rows')))} rows", f"file {esc(prof.get('path') or '?')}",
             f"SHA-256 <code>{esc(prof.get('sha256') or '?')}</code>"]
    if prof.get("created_utc"):
        parts.append(f"built {esc(prof.get('created_utc'))}")
    return (", ".join(parts) + '<br><span class="small muted">From a profile, PSI, chi-square and '
            "Jensen-Shannon are exact; KS and Wasserstein read a quantile sketch when the reference "
            "had more than 5,000 values, and are then marked approximate.</span>")


def _summary(result: dict, run: dict, cols: list[dict]) -> str:
    drift = result.get("dataset_drift")
    if drift is None:
        drift = _dict(run.get("summary")).get("dataset_drift")
    analysed = [c for c in cols if c.get("score") is not None or c.get("method")]
    drifted = [c for c in cols if c.get("drifted")]
    verdict = mark("none", "not decided") if drift is None else (
        mark("fail", "DETECTED") if drift else mark("pass", "not detected"))
    share = number(result.get("drifted_share"))
    threshold = number(result.get("drift_share_threshold"))
    share_text = f"{len(drifted)} of {len(analysed) or len(cols)} analysed columns"
    if share is not None:
        share_text += f" ({pct(share)}"
        share_text += f"; the dataset drifts at {pct(threshold)})" if threshold is not None else ")"
    pairs = [("Dataset drift", verdict), ("Drifted columns", esc(share_text)),
             ("Method", esc(method_label(result.get("method") or _dict(run.get("settings")).get("method")))),
             ("Reference", _side(result, run, "reference")), ("Current", _side(result, run, "current"))]
    prof = _dict(_dict(result.get("reference")).get("profile"))
    if prof:
        pairs.append(("Reference profile", _profile_provenance(prof)))
    mv = _dict(result.get("multivariate"))
    if mv:
        auc = number(mv.get("auc"))
        mv_text = (mark("warn", "warning: the tables can be told apart") if mv.get("drifted") else
                   mark("pass", "the tables cannot be told apart")) if \
            mv.get("drifted") is not None else mark("none", "n/a")
        mv_text += f" &nbsp;domain-classifier AUC {esc(fmt(auc, 3))}"
        if mv.get("threshold") is not None:
            mv_text += f" (alert above {esc(fmt(mv.get('threshold'), 3))})"
        top = [f"{esc(t.get('name'))} ({esc(fmt(t.get('importance'), 3))})"
               for t in (mv.get("top_features") or [])[:5] if isinstance(t, dict)]
        if top:
            mv_text += "; strongest: " + ", ".join(top)
        if mv.get("drifted"):
            mv_text += ('<br><span class="small muted">A warning beside the verdict: the dataset drift verdict '
                        'counts drifted columns only, and the drift gate reports WARN.</span>')
        pairs.append(("Multivariate (warning only)", mv_text))
    return kv_table(pairs)


def _psi_chart(cols: list[dict]) -> str:
    with_psi = [c for c in cols if number(c.get("psi")) is not None]
    if not with_psi:
        return ""
    ranked = sorted(with_psi, key=lambda c: -number(c.get("psi")))[:MAX_PSI_BARS]
    values = [number(c.get("psi")) for c in ranked]
    colours = [BAND_COLOURS.get(c.get("psi_band"), GREY) for c in ranked]
    title = "Population stability index per column"
    if len(with_psi) > len(ranked):
        title += f" (highest {len(ranked)} of {len(with_psi)})"
    chart = svg.bar_chart([c.get("name") for c in ranked], values, colours=colours, title=title,
                          ref_lines=((PSI_MODERATE, f"{PSI_MODERATE:g}", AMBER), (PSI_MAJOR, f"{PSI_MAJOR:g}", RED)),
                          max_value=max(values + [PSI_MAJOR + 0.05]) * 1.05)
    return chart + (f'<p class="small muted">PSI below {PSI_MODERATE:g} is stable, {PSI_MODERATE:g} to {PSI_MAJOR:g} '
                    f'a moderate shift, above {PSI_MAJOR:g} a major shift.</p>')


def _score_cell(c: dict) -> str:
    text = esc(fmt(c.get("score"), 3))
    adj = c.get("p_value_adjusted")
    if number(adj) is not None:
        text += f' <span class="muted">(adj. {esc(fmt(adj))})</span>'
    return text


def _missing_cell(c: dict) -> str:
    ref, cur = c.get("missing_share_reference"), c.get("missing_share_current")
    if ref is None and cur is None:
        return "-"
    return f"{esc(pct(ref))} &rarr; {esc(pct(cur))}"


def _new_categories_cell(c: dict) -> str:
    new = c.get("new_categories")
    if not isinstance(new, (list, tuple)) or not new:
        return ""
    count = c.get("new_categories_count") or len(new)
    shown = ", ".join(esc(svg.shorten(v, 20)) for v in list(new)[:3])
    return f"{esc(fmt(count))}: {shown}" + (", ..." if count > 3 else "")


def _verdict_cell(c: dict) -> str:
    if c.get("score") is None and not c.get("method"):
        return mark("none", "no verdict")
    cell = mark("fail", "DRIFT") if c.get("drifted") else mark("pass", "stable")
    if c.get("small_sample"):
        cell += " " + mark("warn", "small sample*")
    return cell


def _psi_cell(c: dict) -> str:
    psi = number(c.get("psi"))
    if psi is None:
        return "-"
    band = c.get("psi_band")
    cls = {"stable": "pass", "moderate": "warn", "major": "fail"}.get(band, "muted")
    return f'{esc(fmt(psi, 3))} <span class="{cls}">{esc(band or "")}</span>'


def _small_sample_note(cols: list[dict]) -> str:
    small = [c for c in cols if c.get("small_sample") and (c.get("score") is not None or c.get("method"))]
    if not small:
        return ""
    return (f'<p class="small muted">* Small sample: {esc(fmt(len(small)))} column(s) have fewer than 30 '
            "non-missing values in a table, so their verdict is unreliable.</p>")


def _column_table(cols: list[dict]) -> str:
    ordered = sorted(range(len(cols)), key=lambda i: (not cols[i].get("drifted"), i))
    rows = []
    for i in ordered:
        c = cols[i]
        rows.append([esc(c.get("name")), esc(c.get("kind") or "-"), esc(method_label(c.get("method"))), _score_cell(c),
                     esc(fmt(c.get("threshold"))), _verdict_cell(c), _psi_cell(c), _missing_cell(c),
                     _new_categories_cell(c)])
    return table(["Column", "Kind", "Method", "Score", "Thresh.", "Verdict", "PSI", "Missing ref \u2192 cur",
                  "New categories"], rows, numeric={3, 4}, empty="No column was compared.",
                 widths={0: "16%", 1: "10%", 2: "12%", 3: "9%", 4: "6%", 5: "9%", 6: "13%", 7: "11%"})


def _column_chart(c: dict) -> str:
    title = f"{svg.shorten(c.get('name'), 30)} ({method_label(c.get('method') or c.get('kind'))})"
    hist = _dict(c.get("histogram"))
    if hist.get("reference") is not None and hist.get("current") is not None:
        return svg.histogram(hist.get("edges"), hist.get("reference"), hist.get("current"), title=title) \
            + _clipped_note(hist)
    cats = _dict(c.get("categories"))
    if cats.get("labels") is not None:
        return svg.paired_bars(cats.get("labels"), cats.get("reference"), cats.get("current"), title=title)
    bins = _dict(c.get("psi_bins"))
    if bins.get("reference") is not None:
        return svg.histogram(bins.get("edges"), bins.get("reference"), bins.get("current"), title=title)
    return ""


def _clipped_note(hist: dict) -> str:
    """Says how many values the histogram's 0.5-99.5 percentile range leaves out, per table."""
    clipped = _dict(hist.get("clipped"))
    parts = []
    for role in ("reference", "current"):
        side = _dict(clipped.get(role))
        below, above = number(side.get("below")) or 0, number(side.get("above")) or 0
        if below or above:
            parts.append(f"{role} {fmt(below)} below, {fmt(above)} above")
    if not parts:
        return ""
    lo, hi = (list(hist.get("range") or []) + [None, None])[:2]
    return (f'<p class="small muted">Axis {esc(fmt(lo))} to {esc(fmt(hi))} (0.5-99.5 percentile); values '
            f"outside left out: {esc('; '.join(parts))}.</p>")


def _drifted_charts(cols: list[dict]) -> str:
    drifted = [c for c in cols if c.get("drifted")]
    charts = [ch for ch in (_column_chart(c) for c in drifted[:MAX_COLUMN_CHARTS]) if ch]
    if not charts:
        return ""
    cells = [f'<td width="50%" valign="top">{ch}</td>' for ch in charts]
    if len(cells) % 2:
        cells.append('<td width="50%"></td>')
    rows = "".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))
    note = ""
    if len(drifted) > MAX_COLUMN_CHARTS:
        note = (f'<p class="small muted">Charts for the first {MAX_COLUMN_CHARTS} of {len(drifted)} drifted '
                "columns; all distributions are in the JSON copy.</p>")
    return ("<h4>Distributions of the drifted columns</h4>"
            f'<table width="100%" cellspacing="0" cellpadding="2">{rows}</table>{note}')


@register("drift")
def render(run: dict) -> str:
    result = _dict(run.get("result"))
    cols = _columns(result)
    return (_summary(result, run, cols) + _psi_chart(cols) + "<h4>Columns</h4>" + _column_table(cols)
            + _small_sample_note(cols) + _drifted_charts(cols) + warnings_list(result.get("warnings")))


def _result_of(state: str, detail: str, reasons: list[str] | None = None, why: str | None = None) -> dict:
    return gate_result("drift", "Data drift", state, detail, reasons, why)


def _run_result(run: dict) -> dict:
    return run.get("result") if isinstance(run.get("result"), dict) else {}


@gate("drift", "Data drift")
def drift_gate(run: dict | None) -> dict:
    """The data drift gate on the run that counts for the verdict."""
    if run is None:
        return _result_of("none", "no drift analysis recorded")
    res = _run_result(run)
    drift = res.get("dataset_drift")
    cols = [c for c in res.get("columns") or [] if isinstance(c, dict)]
    drifted = [str(c.get("name")) for c in cols if c.get("drifted")]
    share = res.get("drifted_share")
    share_text = f"{100 * share:.1f}% of columns drifted" if isinstance(share, (int, float)) and \
        not isinstance(share, bool) else f"{len(drifted)} column(s) drifted"
    where = f"run #{run.get('id')}"
    if drift is None:
        return _result_of("warn", f"{where}: no dataset-level verdict ({share_text})")
    if drift:
        listed = ", ".join(drifted[:8]) + (", ..." if len(drifted) > 8 else "")
        return _result_of("fail", f"{where}: dataset drift detected, {share_text}",
                      [f"drifted columns: {listed}"] if drifted else [])
    reasons = [f"column drift below the dataset threshold: {', '.join(drifted[:8])}"] if drifted else []
    mv = res.get("multivariate") if isinstance(res.get("multivariate"), dict) else {}
    if mv.get("drifted"):
        auc = mv.get("auc")
        auc_text = f" (AUC {auc:.3f})" if isinstance(auc, (int, float)) and not isinstance(auc, bool) else ""
        reasons.append(f"the multivariate domain classifier tells the tables apart{auc_text}")
        return _result_of("warn", f"{where}: no dataset drift, {share_text}", reasons)
    return _result_of("pass", f"{where}: no dataset drift, {share_text}", reasons)

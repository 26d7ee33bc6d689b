"""HTML building blocks of the report: escaping, number formatting, tables, badges and the style sheet.

Every text that comes from the user or from data goes through :func:`esc`
(``html.escape`` with ``quote=True``).  The markup and the CSS keep to what
both a browser and Qt's ``QTextDocument`` understand (the PDF and the GUI
preview are rendered by Qt): tables with ``width``/``cellpadding`` attributes,
class selectors, sizes in points, no ``nth-child``, no flexbox, no scripts.
"""

from __future__ import annotations

import html
import math

#: Colours shared by the HTML and the charts.
GREEN, RED, AMBER, BLUE, GREY = "#1a7f37", "#cf222e", "#9a6700", "#0969da", "#6e7781"
REFERENCE_COLOUR, CURRENT_COLOUR = "#0969da", "#e16f24"

CSS = """
body { font-family: 'Helvetica Neue', Helvetica, Arial, 'DejaVu Sans', sans-serif; font-size: 9.5pt;
       color: #1f2328; background-color: #ffffff; }
.page { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
h1 { font-size: 19pt; font-weight: bold; margin: 0 0 3px 0; color: #0b1f3a; }
h2 { font-size: 14pt; font-weight: bold; color: #0b3d91; margin: 27px 0 8px 0; padding-bottom: 4px;
     border-bottom: 1px solid #d0d7de; }
h3 { font-size: 11pt; font-weight: bold; color: #1f2328; margin: 16px 0 5px 0; }
h4 { font-size: 10pt; font-weight: bold; color: #424a53; margin: 11px 0 3px 0; }
p { margin: 4px 0 7px 0; }
ul { margin-top: 3px; margin-bottom: 5px; }
.subtitle { color: #57606a; font-size: 10.5pt; margin: 0 0 11px 0; }
table.grid { border-collapse: collapse; margin: 4px 0 11px 0; }
table.grid th { background-color: #eef1f5; color: #24292f; text-align: left; font-weight: bold;
                border-bottom: 1px solid #afb8c1; padding: 4px 5px; font-size: 8.5pt; }
table.grid td { border-bottom: 1px solid #e4e8ec; padding: 4px 5px; vertical-align: top; font-size: 8.5pt; }
table.grid tr.z td { background-color: #f6f8fa; }
table.kv td { padding: 3px 11px 3px 0; vertical-align: top; font-size: 9pt; }
table.kv td.k { color: #57606a; font-weight: bold; }
td.num, th.num { text-align: right; }
table.verdict { border-collapse: collapse; margin: 8px 0 13px 0; border: 1px solid #d0d7de; }
table.verdict td { padding: 11px 16px; vertical-align: middle; }
td.badge { color: #ffffff; font-size: 16pt; font-weight: bold; text-align: center; }
.pill { font-weight: bold; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #cf222e; font-weight: bold; }
.warn { color: #9a6700; font-weight: bold; }
.none { color: #6e7781; font-weight: bold; }
.muted { color: #6e7781; }
.small { font-size: 8pt; }
.mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, 'Courier New', monospace; font-size: 8pt;
        word-break: break-all; }
.note { color: #57606a; font-style: italic; }
.chart { margin: 5px 0 11px 0; }
.toc { color: #57606a; font-size: 9pt; margin: 0 0 8px 0; }
.toc a { color: #0969da; text-decoration: none; }
pre.text { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 8pt; white-space: pre-wrap;
           background-color: #f6f8fa; padding: 5px; }
.footer { color: #6e7781; font-size: 8pt; margin-top: 24px; border-top: 1px solid #d0d7de; padding-top: 5px; }
"""

#: State -> (CSS class, label) for pass/fail marks.
STATE_STYLE = {"pass": ("pass", "PASS"), "fail": ("fail", "FAIL"), "warn": ("warn", "WARN"), "none": ("none", "N/A"),
               "info": ("muted", "INFO")}


def esc(value) -> str:
    """HTML-escape any value (``None`` becomes an empty string)."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True)


def fmt(value, digits: int = 4) -> str:
    """A number or value as short text (not yet escaped): 4 significant digits, thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        if value == 0:
            return "0"
        if abs(value) >= 10 ** digits:
            return f"{value:,.0f}"
        if abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.{digits}g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def pct(value, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{100 * value:.{digits}f}%"


def number(value) -> float | None:
    """``value`` as a finite float, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def mark(state: str, label: str | None = None) -> str:
    cls, default = STATE_STYLE.get(state, ("muted", str(state).upper()))
    return f'<span class="{cls}">{esc(label or default)}</span>'


def verdict_word(ok: bool | None, yes: str = "pass", no: str = "fail") -> str:
    """A coloured yes/no word; ``None`` reads "n/a"."""
    if ok is None:
        return mark("none", "n/a")
    return mark("pass", yes) if ok else mark("fail", no)


def mono(text) -> str:
    return f'<span class="mono">{esc(text)}</span>'


NUM, ZEBRA = ' class="num"', ' class="z"'


def table(headers: list[str], rows: list[list[str]], *, numeric: set[int] = frozenset(), widths: dict | None = None,
          empty: str = "None.") -> str:
    """A zebra-striped table.  ``headers`` are plain text (escaped here); ``rows`` hold ready HTML cells."""
    if not rows:
        return f'<p class="note">{esc(empty)}</p>'
    widths = widths or {}

    def attrs(i: int) -> str:
        out = NUM if i in numeric else ""
        return out + (f' width="{widths[i]}"' if i in widths else "")

    head = "".join(f"<th{attrs(i)}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for n, row in enumerate(rows):
        cells = "".join(f"<td{NUM if i in numeric else ''}>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr{ZEBRA if n % 2 else ''}>{cells}</tr>")
    return (f'<table class="grid" width="100%" cellspacing="0" cellpadding="3"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def kv_table(pairs: list[tuple[str, str]]) -> str:
    """Label/value rows; labels are plain text, values ready HTML.  Empty values are skipped."""
    rows = "".join(f'<tr><td class="k">{esc(k)}</td><td>{v}</td></tr>' for k, v in pairs if v not in (None, ""))
    return f'<table class="kv" cellspacing="0" cellpadding="2">{rows}</table>' if rows else ""


def bullet_list(lines_html: list[str]) -> str:
    if not lines_html:
        return ""
    return "<ul>" + "".join(f"<li>{line}</li>" for line in lines_html) + "</ul>"


def section(anchor: str, title: str, body: str) -> str:
    return f'<a name="{esc(anchor)}"></a><h2 id="{esc(anchor)}">{esc(title)}</h2>\n{body}\n'


def when(ts) -> str:
    """An ISO 8601 UTC time shown as ``2025-03-01 10:00:05`` (to the second); other text unchanged."""
    text = "" if ts is None else str(ts)
    if len(text) >= 19 and text[4] == "-" and text[10] in "T ":
        return text[:10] + " " + text[11:19]
    return text


def short_hash(value, n: int = 16) -> str:
    text = "" if value is None else str(value)
    return text[:n] + ("..." if len(text) > n else "")

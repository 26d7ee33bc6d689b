"""How each kind of analysis run appears in the report: its body and its readiness gate.

A feature registers its run kinds in its ``report.py`` (found through
:mod:`core.features` by :func:`load_kinds`)::

    from core.render.registry import gate, gate_result, register

    @register("drift")
    def render(run: dict) -> str:
        ...  # an HTML fragment; escape every data-supplied text with core.render.html.esc

    @gate("drift", "Data drift")
    def drift_gate(run: dict | None) -> dict:
        ...  # gate_result("drift", "Data drift", "pass" | "warn" | "fail" | "none", detail, reasons)

The report passes each gate the run of its kind that counts for the verdict
(None when there is none); the verdict counts every registered gate.

Every run gets the same header (kind, id, times, settings, input files with
their SHA-256) from :func:`render_run`; a kind without a renderer gets
:func:`render_generic` (its summary and top-level results).  A renderer that
fails on an unexpected (older or damaged) result does not break the report:
the run falls back to the generic view with a note.
"""

from __future__ import annotations

from typing import Callable

from core.render.html import bullet_list, esc, fmt, kv_table, mono, table, when

Renderer = Callable[[dict], str]
Gate = Callable[[dict | None], dict]
_RENDERERS: dict[str, Renderer] = {}
_GATES: dict[str, tuple[str, Gate]] = {}
_LOADED = False


def register(kind: str) -> Callable[[Renderer], Renderer]:
    """Decorator: ``render(run) -> str`` is the HTML body for runs of ``kind``."""
    def wrap(fn: Renderer) -> Renderer:
        _RENDERERS[kind] = fn
        return fn
    return wrap


def gate(kind: str, label: str) -> Callable[[Gate], Gate]:
    """Decorator: ``check(run_or_None) -> gate_result(...)`` is the readiness gate for runs of ``kind``."""
    def wrap(fn: Gate) -> Gate:
        _GATES[kind] = (label, fn)
        return fn
    return wrap


def gate_result(key: str, label: str, state: str, detail: str, reasons: list[str] | None = None,
                why: str | None = None) -> dict:
    """One gate of the verdict; ``why`` is the short sentence the verdict summary quotes (default: ``detail``)."""
    return {"key": key, "label": label, "state": state, "detail": detail, "reasons": list(reasons or []),
            "why": why or detail}


def load_kinds() -> None:
    """Import every feature's ``report`` module so their ``@register`` and ``@gate`` calls run."""
    global _LOADED
    if _LOADED:
        return
    from core.features import feature_modules
    feature_modules("report")
    _LOADED = True


def gates() -> list[tuple[str, str, Gate]]:
    """``(kind, label, check)`` of every registered gate, in the order of ``core.features.FEATURES``
    (whatever order their modules happened to be imported in)."""
    load_kinds()
    from core.features import FEATURES

    def rank(item):
        module = getattr(item[1][1], "__module__", "")
        return next((n for n, pkg in enumerate(FEATURES) if module == pkg or module.startswith(pkg + ".")),
                    len(FEATURES))

    return [(kind, label, fn) for kind, (label, fn) in sorted(_GATES.items(), key=rank)]


def renderer_for(kind) -> Renderer:
    load_kinds()
    return _RENDERERS.get(kind, render_generic)


def kinds() -> list[str]:
    load_kinds()
    return sorted(_RENDERERS)


def _as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def input_rows(inputs) -> list[dict]:
    """A run's inputs as ``[{role, path, sha256, size, rows}]`` whatever form they were stored in."""
    if isinstance(inputs, dict):
        out = []
        for name, value in inputs.items():
            d = dict(value) if isinstance(value, dict) else {"sha256": value}
            d.setdefault("role", name)
            out.append(d)
        return out
    out = []
    for n, value in enumerate(inputs or [], start=1):
        d = dict(value) if isinstance(value, dict) else {"sha256": value}
        d.setdefault("role", f"input {n}")
        out.append(d)
    return out


#: input files listed per run in the HTML/PDF (a folder scan can have hundreds; the JSON copy has them all)
MAX_INPUT_ROWS = 25


def inputs_table(inputs) -> str:
    records = input_rows(inputs)
    rows = [[esc(d.get("role")), esc(d.get("path")), mono(d.get("sha256") or "-"), fmt(d.get("size")),
             fmt(d.get("rows"))] for d in records[:MAX_INPUT_ROWS]]
    out = table(["Role", "File", "SHA-256", "Bytes", "Rows"], rows, numeric={3, 4},
                widths={2: "42%"}, empty="No input files recorded.")
    if len(records) > MAX_INPUT_ROWS:
        out += (f'<p class="small muted">The first {MAX_INPUT_ROWS} of {len(records)} input files; all of them, '
                "with their SHA-256, are in the JSON copy.</p>")
    return out


def settings_text(settings) -> str:
    settings = _as_dict(settings)
    if not settings:
        return '<span class="muted">defaults</span>'
    parts = []
    for key, value in sorted(settings.items()):
        shown = fmt(value) if _scalar(value) or isinstance(value, (list, tuple)) else "{...}"
        parts.append(f"{esc(key)} = {esc(shown)}")
    return "; ".join(parts)


def scalars_table(d: dict, limit: int = 40) -> str:
    pairs = [(str(k), esc(fmt(v))) for k, v in d.items() if _scalar(v) or
             (isinstance(v, (list, tuple)) and all(_scalar(x) for x in v) and len(v) <= 10)]
    return kv_table(pairs[:limit])


def render_generic(run: dict) -> str:
    """Summary and top-level results of a run whose kind has no renderer of its own."""
    parts = []
    summary = _as_dict(run.get("summary"))
    if summary:
        parts.append("<h4>Summary</h4>" + scalars_table(summary))
    result = _as_dict(run.get("result"))
    shown = scalars_table(result)
    if shown:
        parts.append("<h4>Results</h4>" + shown)
    nested = sorted(k for k, v in result.items() if not _scalar(v))
    if nested:
        parts.append(f'<p class="note">Further results ({esc(", ".join(nested))}) are in the JSON copy.</p>')
    return "".join(parts) or '<p class="note">No results recorded.</p>'


def run_title(run: dict) -> str:
    kind = str(run.get("kind") or "run")
    return f"{kind.replace('_', ' ').capitalize()} run #{run.get('id', '?')}"


def render_run(run: dict) -> str:
    """The header every run gets, then its kind's body."""
    run = _as_dict(run)
    anchor = f"run-{run.get('id')}"
    header = kv_table([
        ("Started (UTC)", esc(when(run.get("started_utc")))),
        ("Finished (UTC)", esc(when(run.get("finished_utc")))),
        ("Preflight version", esc(run.get("preflight_version"))),
        ("Settings", settings_text(run.get("settings"))),
    ])
    renderer = renderer_for(run.get("kind"))
    try:
        body = renderer(run)
    except Exception as exc:  # an older or damaged result must not stop the report
        body = (f'<p class="warn">This {esc(run.get("kind"))} result could not be shown in full '
                f'({esc(type(exc).__name__)}: {esc(exc)}); the summary follows.</p>' + render_generic(run))
    return (f'<a name="{esc(anchor)}"></a><h3 id="{esc(anchor)}">{esc(run_title(run))}</h3>{header}'
            f"<h4>Input files</h4>{inputs_table(run.get('inputs'))}{body}")


def warnings_list(warnings, limit: int = 30) -> str:
    items = [esc(w) for w in (warnings or []) if w]
    if not items:
        return ""
    more = len(items) - limit
    shown = items[:limit] + ([f"... and {more} more (see the JSON copy)"] if more > 0 else [])
    return "<h4>Warnings</h4>" + bullet_list(shown)

"""Model card in Markdown, with the nine sections of Mitchell et al. (2019).

"Model Cards for Model Reporting" (Mitchell, Wu, Zaldivar, Barnes, Vasserman,
Hutchinson, Spitzer, Raji and Gebru, FAT* 2019) lists: model details, intended
use, factors, metrics, evaluation data, training data, quantitative analyses,
ethical considerations, and caveats and recommendations.

Preflight fills what it knows - the handoff (location, version, training data
hash, baselines, reviews) and the latest stored runs (drift, validation,
performance, load) - and adds the free text the user wrote for each section.
A section with nothing to say reads "Not provided." so gaps stay visible.
"""

from __future__ import annotations

import math
import re

from core.errors import PreflightError
from core.handoff.form import (MAX_P95_MS, MIN_ACCURACY, Handoff, latest_run, run_accuracy, run_p95_ms,
                          validate_handoff)

#: (key, title) of the nine model-card sections, in order; the keys are the
#: keys of the free-text ``sections`` mapping.
SECTIONS = (
    ("model_details", "Model details"),
    ("intended_use", "Intended use"),
    ("factors", "Factors"),
    ("metrics", "Metrics"),
    ("evaluation_data", "Evaluation data"),
    ("training_data", "Training data"),
    ("quantitative_analyses", "Quantitative analyses"),
    ("ethical_considerations", "Ethical considerations"),
    ("caveats", "Caveats and recommendations"),
)
NOT_PROVIDED = "_Not provided._"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """Remove control characters except newline and tab (carriage returns become newlines)."""
    return _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def _inline(value) -> str:
    """A value for a single Markdown line: control characters removed, whitespace collapsed."""
    return " ".join(strip_control(value).split())


def _num(value, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}g}"


def _bullet(label: str, value) -> str | None:
    if value is None or value == "" or value == () or value == []:
        return None
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        value = ", ".join(_inline(v) for v in value)
    return f"- **{label}:** {_inline(value)}"


def _first(result: dict, *keys):
    for key in keys:
        if key in result and result[key] is not None:
            return result[key]
    summary = result.get("summary")
    if isinstance(summary, dict):
        for key in keys:
            if key in summary and summary[key] is not None:
                return summary[key]
    return None


def _run_tag(run: dict) -> str:
    when = run.get("finished_utc") or "unknown time"
    return f"run #{run.get('id')}, {_inline(when)}"


def _drift_line(runs) -> str | None:
    found = latest_run(runs, "drift")
    if not found:
        return None
    run, result = found
    drift = _first(result, "dataset_drift", "drift_detected")
    share = _first(result, "drifted_share", "share_drifted", "drift_share")
    verdict = "n/a" if drift is None else ("detected" if drift else "not detected")
    share_text = f"{100 * share:.1f}% of columns drifted" if isinstance(share, (int, float)) and \
        not isinstance(share, bool) and math.isfinite(share) else "drifted share n/a"
    return f"- **Data drift** ({_run_tag(run)}): dataset drift {verdict}; {share_text}"


def _validation_line(runs) -> str | None:
    found = latest_run(runs, "validation")
    if not found:
        return None
    run, result = found
    passed = _first(result, "passed")
    count = _first(result, "violation_count", "n_violations")
    if count is None and isinstance(result.get("violations"), list):
        count = len(result["violations"])
    verdict = "n/a" if passed is None else ("passed" if passed else "failed")
    return f"- **Data validation** ({_run_tag(run)}): {verdict}; {_num(count) if count is not None else 'n/a'} " \
           f"violation(s)"


def _performance_lines(runs) -> list[str]:
    found = latest_run(runs, "performance")
    if not found:
        return []
    run, result = found
    metrics = dict(result.get("metrics") or {}) if isinstance(result.get("metrics"), dict) else {}
    for key, value in result.items():
        if key not in metrics and isinstance(value, (int, float)) and not isinstance(value, bool):
            metrics[key] = value
    shown = [f"{_inline(k)} {_num(v)}" for k, v in sorted(metrics.items())
             if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return [f"- **Model performance** ({_run_tag(run)}): " + ("; ".join(shown) if shown else "no scalar metrics")]


def _load_lines(runs) -> list[str]:
    found = latest_run(runs, "load")
    if not found:
        return []
    run, result = found
    parts = [f"p95 latency {_num(run_p95_ms(result))} ms"]
    latency = result.get("latency") if isinstance(result.get("latency"), dict) else {}
    for key, label in (("p50_ms", "p50"), ("p99_ms", "p99")):
        value = result.get(key, latency.get(key))
        if value is not None:
            parts.append(f"{label} latency {_num(value)} ms")
    for key, label in (("achieved_qps", "achieved throughput"), ("error_rate", "error rate")):
        if result.get(key) is not None:
            parts.append(f"{label} {_num(result[key])}{' requests/s' if key == 'achieved_qps' else ''}")
    return [f"- **Load test** ({_run_tag(run)}): " + "; ".join(parts)]


def _input_hashes(runs) -> list[str]:
    lines = []
    for kind in ("drift", "validation", "performance"):
        found = latest_run(runs, kind)
        if not found:
            continue
        inputs = found[0].get("inputs")
        items = inputs.items() if isinstance(inputs, dict) else enumerate(inputs or [])
        for name, value in items:
            sha = value if isinstance(value, str) else (value or {}).get("sha256")
            if isinstance(name, str):
                label = name
            elif isinstance(value, dict):
                label = value.get("role") or value.get("name") or value.get("path") or f"input {name + 1}"
            else:
                label = f"input {name + 1}"
            if sha:
                lines.append(f"- {kind} run #{found[0].get('id')} {_inline(label)}: SHA-256 `{_inline(sha)}`")
    return lines


def generate_model_card(meta: dict, handoff: Handoff, runs: list[dict], sections: dict[str, str],
                        generated_utc: str | None = None) -> str:
    """The model card as Markdown.

    ``meta`` gives ``name``, ``system`` and ``owner``; ``sections`` maps keys of
    :data:`SECTIONS` to free text (unknown keys raise :class:`PreflightError`).
    Output is deterministic for equal inputs; ``generated_utc`` adds a date line.
    """
    meta = meta or {}
    sections = sections or {}
    known = {key for key, _title in SECTIONS}
    unknown = sorted(str(k) for k in sections if k not in known)
    if unknown:
        raise PreflightError(f"model card: unknown section(s) {', '.join(unknown)}; "
                             f"sections are {', '.join(k for k, _t in SECTIONS)}")
    if isinstance(handoff, dict):
        handoff = Handoff.from_dict(handoff)
    runs = list(runs or [])
    h = handoff
    accuracy = h.baseline_accuracy
    p95 = h.baseline_p95_latency_ms

    auto: dict[str, list] = {key: [] for key, _t in SECTIONS}
    auto["model_details"] = [
        _bullet("System", meta.get("system")), _bullet("Assessment", meta.get("name")),
        _bullet("Owner", meta.get("owner")), _bullet("Model location", h.model_location),
        _bullet("Model version", h.model_version), _bullet("Python version", h.python_version),
        _bullet("Dependencies", h.dependencies_file), _bullet("API documentation", h.api_docs_ref),
        _bullet("Runbook", h.runbook_ref), _bullet("Escalation contact", h.escalation_contact),
    ]
    auto["metrics"] = [
        f"- **Accuracy** - handoff baseline {_num(accuracy) if accuracy is not None else 'not set'} "
        f"(minimum accepted {MIN_ACCURACY:g})",
        f"- **p95 latency** - handoff baseline {_num(p95) + ' ms' if p95 is not None else 'not set'} "
        f"(maximum accepted {MAX_P95_MS:g} ms)",
        _bullet("Expected peak load (requests/s)", _num(h.expected_qps) if h.expected_qps is not None else None),
        _bullet("Metrics dashboard", h.metrics_dashboard_url),
    ]
    auto["evaluation_data"] = _input_hashes(runs)
    auto["training_data"] = [
        _bullet("Training data file", h.training_data_path),
        f"- **Training data SHA-256:** `{_inline(h.training_data_hash)}`" if h.training_data_hash else None,
    ]
    analyses = [_drift_line(runs), _validation_line(runs)] + _performance_lines(runs) + _load_lines(runs)
    if accuracy is not None and latest_run(runs, "performance", run_accuracy) is None:
        analyses.append(f"- **Baseline accuracy** (handoff): {_num(accuracy)}")
    if p95 is not None and latest_run(runs, "load", run_p95_ms) is None:
        analyses.append(f"- **Baseline p95 latency** (handoff): {_num(p95)} ms")
    auto["quantitative_analyses"] = analyses
    auto["ethical_considerations"] = [
        _bullet("Data privacy review completed", h.data_privacy_review_completed),
        _bullet("Security scan completed", h.security_scan_completed),
        _bullet("Legal approval obtained", h.legal_approval_obtained),
    ]
    failed = validate_handoff(h).failed()
    if failed:
        auto["caveats"] = [f"- Handoff rule not met: {_inline(r.message)}" for r in failed]

    title = _inline(meta.get("system") or meta.get("name") or h.model_location or "model")
    lines = [f"# Model card: {title}", ""]
    if h.model_version:
        lines[0] += f" {_inline(h.model_version)}"
    if generated_utc:
        lines += [f"Generated {_inline(generated_utc)} by Preflight.", ""]
    lines += ["Sections follow Mitchell et al., \"Model Cards for Model Reporting\" (FAT* 2019).", ""]
    for key, heading in SECTIONS:
        lines += [f"## {heading}", ""]
        facts = [line for line in auto[key] if line]
        text = strip_control(sections.get(key) or "").strip()
        if facts:
            lines += facts + [""]
        if text:
            lines += [text, ""]
        if not facts and not text:
            lines += [NOT_PROVIDED, ""]
    return strip_control("\n".join(lines).rstrip() + "\n")

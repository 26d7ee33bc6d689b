"""Structured production handoff: what operations needs before a model goes live.

A :class:`Handoff` records where the model lives, the baselines it was accepted
on, the environment it needs, who watches it, where its documentation is, and
whether the privacy, security and legal reviews happened.  :func:`validate_handoff`
applies the handoff rules, each one named so the GUI and the report can say
exactly which rule failed:

* ``model_location`` - the model location is set;
* ``baseline_accuracy`` - the baseline accuracy is at least 0.7;
* ``baseline_p95_latency`` - the baseline p95 latency is at most 500 ms;
* ``data_privacy_review`` - the data privacy review is completed;
* ``security_scan`` - the security scan is completed;
* ``model_card`` - a model card is referenced.

The training data hash is never typed: :func:`hash_training_data` computes it
from the file.  :func:`prefill_from_runs` fills baselines and monitoring fields
from stored runs, through the features' pre-fill modules (see
:mod:`core.handoff.prefilling`): the handoff never imports a feature.

Fields added after handoffs were first signed (:data:`LATER_FIELDS`) are left
out of :meth:`Handoff.to_dict` while unset, so an older handoff keeps the exact
content (and content hash) its signatures were made over.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone

from core.canonical import hash_stream
from core.errors import InputFileError, PreflightError
from core.handoff import prefilling

MIN_ACCURACY = 0.7
MAX_P95_MS = 500.0
LOAD_TEST_MULTIPLIER = 10

_TEXT = "text"
_FLOAT = "float"
_LIST = "list"
_BOOL = "bool"

#: (name, label, group, kind) for each handoff field, in form order.  Kinds:
#: ``text``, ``url``, ``path`` (a file chosen by the user), ``hash`` (computed,
#: read-only), ``float`` (with the unit in the label), ``list`` (several
#: values, one per line), ``bool`` (a tick box).
FIELDS = (
    ("model_location", "Model location", "Model", "text"),
    ("model_version", "Model version", "Model", "text"),
    ("training_data_path", "Training data file", "Model", "path"),
    ("training_data_hash", "Training data SHA-256", "Model", "hash"),
    ("baseline_accuracy", "Baseline accuracy (0-1)", "Baselines", "float"),
    ("baseline_precision", "Baseline precision (0-1)", "Baselines", "float"),
    ("baseline_recall", "Baseline recall (0-1)", "Baselines", "float"),
    ("baseline_f1", "Baseline F1 (0-1)", "Baselines", "float"),
    ("baseline_p95_latency_ms", "Baseline p95 latency (ms)", "Baselines", "float"),
    ("expected_qps", "Expected peak load (requests/s)", "Baselines", "float"),
    ("python_version", "Python version", "Environment", "text"),
    ("dependencies_file", "Dependencies file", "Environment", "path"),
    ("required_env_vars", "Required environment variables", "Environment", "list"),
    ("metrics_dashboard_url", "Metrics dashboard URL", "Operations", "url"),
    ("alert_recipients", "Alert recipients", "Operations", "list"),
    ("escalation_contact", "Escalation contact", "Operations", "text"),
    ("monitored_metrics", "Monitored metrics", "Operations", "list"),
    ("alert_threshold", "Performance alert threshold (relative drop, 0-1)", "Operations", "float"),
    ("scaling_policy", "Scaling policy", "Operations", "text"),
    ("model_card_ref", "Model card", "Documentation", "text"),
    ("api_docs_ref", "API documentation", "Documentation", "text"),
    ("runbook_ref", "Runbook", "Documentation", "text"),
    ("data_privacy_review_completed", "Data privacy review completed", "Approvals", "bool"),
    ("security_scan_completed", "Security scan completed", "Approvals", "bool"),
    ("legal_approval_obtained", "Legal approval obtained", "Approvals", "bool"),
)
GROUPS = ("Model", "Baselines", "Environment", "Operations", "Documentation", "Approvals")
LABELS = {name: label for name, label, _group, _kind in FIELDS}
#: fields added after the first signed handoffs, with their unset value: left out of ``to_dict`` while unset
LATER_FIELDS = {"baseline_precision": None, "baseline_recall": None, "baseline_f1": None, "monitored_metrics": (),
                "alert_threshold": None, "scaling_policy": ""}
LIST_FIELDS = ("required_env_vars", "alert_recipients", "monitored_metrics")
#: number fields that are fractions between 0 and 1
FRACTION_FIELDS = ("baseline_accuracy", "baseline_precision", "baseline_recall", "baseline_f1", "alert_threshold")


@dataclass(frozen=True)
class Handoff:
    """The production handoff document (all fields optional until validated)."""

    model_location: str = ""
    model_version: str = ""
    training_data_hash: str = ""  # computed by hash_training_data, never typed
    training_data_path: str = ""
    baseline_accuracy: float | None = None
    baseline_p95_latency_ms: float | None = None
    expected_qps: float | None = None
    python_version: str = ""
    dependencies_file: str = ""
    required_env_vars: tuple[str, ...] = ()
    metrics_dashboard_url: str = ""
    alert_recipients: tuple[str, ...] = ()
    escalation_contact: str = ""
    model_card_ref: str = ""
    api_docs_ref: str = ""
    runbook_ref: str = ""
    data_privacy_review_completed: bool = False
    security_scan_completed: bool = False
    legal_approval_obtained: bool = False
    baseline_precision: float | None = None
    baseline_recall: float | None = None
    baseline_f1: float | None = None
    monitored_metrics: tuple[str, ...] = ()
    alert_threshold: float | None = None
    scaling_policy: str = ""

    def __post_init__(self):
        for name in LIST_FIELDS:
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))

    def to_dict(self) -> dict:
        """Every field, except a :data:`LATER_FIELDS` one that is unset (so older content hashes stay)."""
        out = asdict(self)
        for name, unset in LATER_FIELDS.items():
            if out[name] == unset:
                del out[name]
        for name in LIST_FIELDS:
            if name in out:
                out[name] = list(out[name])
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Handoff":
        """Build a handoff from plain data, checking every field's type.

        Unknown keys and wrong types raise :class:`PreflightError` naming the
        field.  Numbers may be given as int or float; lists as list or tuple of
        text.  ``None`` stands for "not set" in any field.
        """
        if not isinstance(d, dict):
            raise PreflightError(f"handoff: expected a mapping of fields, got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in d if k not in known)
        if unknown:
            raise PreflightError(f"handoff: unknown field(s) {', '.join(unknown)}")
        kinds = {f.name: f.type for f in fields(cls)}
        values = {}
        for name, value in d.items():
            values[name] = _check_field(name, kinds[name], value)
        return cls(**values)


def _check_field(name: str, annotation: str, value):
    where = f"handoff field {name}"
    if annotation == "str":
        if value is None:
            return ""
        if not isinstance(value, str):
            raise PreflightError(f"{where}: expected text, got {value!r}")
        return value.strip()
    if annotation == "bool":
        if value is None:
            return False
        if not isinstance(value, bool):
            raise PreflightError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation.startswith("tuple"):
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise PreflightError(f"{where}: expected a list of texts, got {value!r}")
        return tuple(v.strip() for v in value if v.strip())
    # float | None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PreflightError(f"{where}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise PreflightError(f"{where}: must be a finite number >= 0, got {value!r}")
    if name in FRACTION_FIELDS and value > 1:
        what = name.removeprefix("baseline_").replace("_", " ")
        raise PreflightError(f"{where}: {what} is a fraction between 0 and 1 (0.92 for 92%), got {value:g}")
    return value


def split_list(text: str) -> tuple[str, ...]:
    """Turn the text of a ``list`` form field (one value per line or comma-separated) into a tuple."""
    parts = []
    for line in (text or "").replace(",", "\n").splitlines():
        if line.strip():
            parts.append(line.strip())
    return tuple(parts)


# ---------------------------------------------------------------------------- validation

@dataclass(frozen=True)
class RuleResult:
    rule: str
    field: str
    passed: bool
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class HandoffValidation:
    passed: bool
    results: tuple[RuleResult, ...]

    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def to_dict(self) -> dict:
        return {"passed": self.passed,
                "results": [r.to_dict() for r in self.results],
                "failed": [r.rule for r in self.failed()]}


def _rule(rule: str, field_name: str, ok: bool, good: str, bad: str) -> RuleResult:
    return RuleResult(rule, field_name, bool(ok), good if ok else bad)


def validate_handoff(h: Handoff) -> HandoffValidation:
    """Apply every handoff rule; the result names each rule and whether it passed."""
    results = [
        _rule("model_location", "model_location", bool(h.model_location.strip()),
              f"model location: {h.model_location.strip()}", "model location is not set"),
    ]
    acc = h.baseline_accuracy
    if acc is None:
        results.append(RuleResult("baseline_accuracy", "baseline_accuracy", False,
                                  "baseline accuracy is not set"))
    else:
        results.append(_rule("baseline_accuracy", "baseline_accuracy", acc >= MIN_ACCURACY,
                             f"baseline accuracy {acc:g} >= {MIN_ACCURACY:g}",
                             f"baseline accuracy {acc:g} is below the minimum {MIN_ACCURACY:g}"))
    p95 = h.baseline_p95_latency_ms
    if p95 is None:
        results.append(RuleResult("baseline_p95_latency", "baseline_p95_latency_ms", False,
                                  "baseline p95 latency is not set"))
    else:
        results.append(_rule("baseline_p95_latency", "baseline_p95_latency_ms", p95 <= MAX_P95_MS,
                             f"baseline p95 latency {p95:g} ms <= {MAX_P95_MS:g} ms",
                             f"baseline p95 latency {p95:g} ms is above the maximum {MAX_P95_MS:g} ms"))
    results += [
        _rule("data_privacy_review", "data_privacy_review_completed", h.data_privacy_review_completed,
              "data privacy review completed", "data privacy review is not completed"),
        _rule("security_scan", "security_scan_completed", h.security_scan_completed,
              "security scan completed", "security scan is not completed"),
        _rule("model_card", "model_card_ref", bool(h.model_card_ref.strip()),
              f"model card: {h.model_card_ref.strip()}", "model card is missing (no model card reference)"),
    ]
    return HandoffValidation(passed=all(r.passed for r in results), results=tuple(results))


# ---------------------------------------------------------------------------- runs

def _finished(run: dict) -> datetime | None:
    text = run.get("finished_utc")
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def latest_run(runs: list[dict], kind: str, pick=None) -> tuple[dict, object] | None:
    """The most recently finished run of ``kind`` (and ``pick(result)``'s value).

    With ``pick``, only runs whose ``pick(result)`` is not None count, so a
    finished run that lacks the value does not hide an earlier one that has it.
    Runs without a parseable ``finished_utc`` are unfinished and ignored; equal
    times are broken by the larger run id.
    """
    best = None
    for run in runs:
        if run.get("kind") != kind:
            continue
        when = _finished(run)
        if when is None:
            continue
        result = run.get("result") if isinstance(run.get("result"), dict) else {}
        value = pick(result) if pick else result
        if value is None:
            continue
        rid = run.get("id")
        order = (when, rid if isinstance(rid, (int, float)) else -1)
        if best is None or order > best[0]:
            best = (order, run, value)
    return None if best is None else (best[1], best[2])


def run_accuracy(result: dict) -> float | None:
    """Accuracy of a performance run: ``result["accuracy"]`` or ``result["metrics"]["accuracy"]``."""
    value = _number(result.get("accuracy"))
    if value is None and isinstance(result.get("metrics"), dict):
        value = _number(result["metrics"].get("accuracy"))
    return value


def run_p95_ms(result: dict) -> float | None:
    """p95 latency of a load run: ``result["p95_ms"]`` or ``result["latency"]["p95_ms"]``."""
    value = _number(result.get("p95_ms"))
    if value is None and isinstance(result.get("latency"), dict):
        value = _number(result["latency"].get("p95_ms"))
    return value


def prefill_from_runs(h: Handoff, runs: list[dict]) -> tuple[Handoff, list[str]]:
    """Fill baselines and monitoring fields from the runs, through the features' pre-fill modules
    (see :mod:`core.handoff.prefilling`).  Returns the new handoff and one note per value offered."""
    items = prefilling.prefill_values(runs)
    if not any(i.get("kind") == "load" for i in items):
        items += _load_fallback(runs)
    return prefilling.apply_prefill(h, items, LABELS)


def prefill_kinds() -> tuple[str, ...]:
    """The run kinds the handoff can be pre-filled from: the features' and ``load`` (see :func:`_load_fallback`)."""
    kinds = prefilling.prefill_kinds()
    return kinds + (() if "load" in kinds else ("load",))


def _load_fallback(runs: list[dict]) -> list[dict]:
    """The p95 latency of the newest load run, until the load feature offers its own pre-fill values."""
    found = latest_run(runs, "load", run_p95_ms)
    if found is None:
        return []
    run, value = found
    return [{"field": "baseline_p95_latency_ms", "value": value, "run_id": run.get("id"), "kind": "load",
             "unit": " ms"}]


def load_test_preset(h: Handoff) -> dict | None:
    """Load-test target of ten times the expected peak, when the peak is known."""
    if h.expected_qps is None or h.expected_qps <= 0:
        return None
    return {"target_qps": LOAD_TEST_MULTIPLIER * h.expected_qps,
            "label": f"{LOAD_TEST_MULTIPLIER}x expected peak"}


# ---------------------------------------------------------------------------- hashing

def hash_training_data(path, progress=None, cancelled=None, chunk: int = 1 << 20) -> tuple[str, int]:
    """SHA-256 and size in bytes of a training-data file, read in chunks.

    ``progress(fraction)`` is called as the file is read; ``cancelled()`` is
    checked between chunks.  A missing or unreadable file raises
    :class:`InputFileError` naming it.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise InputFileError(path, "is a folder; choose the training data file itself")
    try:
        digest, size = hash_stream(path, progress, cancelled, total=os.path.getsize(path), chunk=chunk)
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except PermissionError:
        raise InputFileError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if progress is not None:
        progress(1.0)
    return digest, size

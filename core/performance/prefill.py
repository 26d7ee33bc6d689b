"""What a performance run offers the production handoff ("Pre-fill from runs").

From the newest finished performance run that has each value:

* ``baseline_accuracy``: the run's baseline accuracy (``result["accuracy"]``), else its overall accuracy;
* ``baseline_precision``, ``baseline_recall``, ``baseline_f1``: the baseline's weighted precision, recall, F1;
* ``monitored_metrics``: the metrics the degradation alert watches (those of the baseline);
* ``alert_threshold``: the relative drop that alerts.

The handoff collects these through the feature registry (see :mod:`core.handoff.prefilling`).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

#: run kinds read here
KINDS = ("performance",)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _finished(run: dict) -> datetime | None:
    text = run.get("finished_utc")
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _accuracy(result: dict) -> float | None:
    value = _number(result.get("accuracy"))
    if value is None and isinstance(result.get("metrics"), dict):
        value = _number(result["metrics"].get("accuracy"))
    return value


def _baseline(key: str):
    def pick(result: dict):
        base = result.get("baseline")
        return _number(base.get(key)) if isinstance(base, dict) else None
    return pick


def _monitored(result: dict) -> list[str] | None:
    watched = result.get("degradation") or result.get("baseline")
    if not isinstance(watched, dict) or not watched:
        return None
    return [str(k) for k in watched]


def _threshold(result: dict) -> float | None:
    value = _number(result.get("threshold"))
    return value if value is not None and 0 < value < 1 else None


PICKS = (("baseline_accuracy", _accuracy), ("baseline_precision", _baseline("precision")),
         ("baseline_recall", _baseline("recall")), ("baseline_f1", _baseline("f1")),
         ("monitored_metrics", _monitored), ("alert_threshold", _threshold))


def _newest_first(runs: list[dict]) -> list[dict]:
    """Finished performance runs, newest first (equal times: the larger run id first)."""
    done = []
    for run in runs:
        when = _finished(run) if run.get("kind") in KINDS else None
        if when is not None:
            rid = run.get("id")
            done.append(((when, rid if isinstance(rid, (int, float)) else -1), run))
    return [run for _, run in sorted(done, key=lambda t: t[0], reverse=True)]


def handoff_values(runs: list[dict]) -> list[dict]:
    """Per handoff field, the value of the newest finished performance run that has it."""
    ordered = _newest_first(runs)
    out = []
    for field, pick in PICKS:
        for run in ordered:
            result = run.get("result") if isinstance(run.get("result"), dict) else {}
            value = pick(result)
            if value is not None:
                out.append({"field": field, "value": value, "run_id": run.get("id"), "kind": run.get("kind"),
                            "unit": ""})
                break
    return out

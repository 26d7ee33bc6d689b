"""Prometheus export: a text-exposition file for node_exporter's textfile collector, and alert rules.

Metrics (written with ``prometheus_client`` into a registry of their own, never the process-wide one):

* ``ml_predictions_total{model,version}``: predictions in the log (per ``model_version`` when present);
* ``ml_prediction_latency_seconds``: histogram of the logged latencies;
* ``ml_prediction_confidence``: histogram (buckets 0.5 ... 1.0) of the confidence column, else of
  ``max(score, 1 - score)``;
* ``ml_model_accuracy``: accuracy over the labelled rows (or of the stored performance run);
* ``ml_data_drift_score{model,feature}``: each column's PSI from the drift run that counts;
* ``ml_errors_total{model,error_type}``: logged failures (per ``error_type`` column value when present).

The source is a prediction log, or a ``.preflight`` assessment (its counted performance and drift runs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import PreflightError

CONFIDENCE_BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _histogram_from(name, doc, values, buckets, labels: dict):
    """A histogram filled from ``values`` at once (bucket counts and sum set directly)."""
    from prometheus_client.metrics_core import HistogramMetricFamily
    from prometheus_client.utils import floatToGoString

    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    counts = [int((values <= b).sum()) for b in buckets]
    fam = HistogramMetricFamily(name, doc, labels=list(labels))
    fam.add_metric(list(labels.values()), [(floatToGoString(b), c) for b, c in zip(buckets, counts)]
                   + [("+Inf", int(len(values)))], float(values.sum()))
    return fam


class _Static:
    """A collector that yields prepared metric families."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return iter(self.families)


def exposition(*, model: str, predictions: dict, accuracy: float | None, latency_s=None, confidence=None,
               drift: dict | None = None, errors: dict | None = None) -> str:
    """The exposition text.  ``predictions``: {version: count}; ``drift``: {feature: psi}; ``errors``: {type: n}."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily

    fams = []
    c = CounterMetricFamily("ml_predictions", "Predictions served", labels=["model", "version"])
    for version, n in predictions.items():
        c.add_metric([model, str(version)], float(n))
    fams.append(c)
    if latency_s is not None:
        fams.append(_histogram_from("ml_prediction_latency_seconds", "Prediction latency in seconds",
                                    latency_s, LATENCY_BUCKETS, {"model": model}))
    if confidence is not None:
        fams.append(_histogram_from("ml_prediction_confidence", "Confidence of the predictions", confidence,
                                    CONFIDENCE_BUCKETS, {"model": model}))
    if accuracy is not None:
        g = GaugeMetricFamily("ml_model_accuracy", "Accuracy over the labelled predictions", labels=["model"])
        g.add_metric([model], float(accuracy))
        fams.append(g)
    g = GaugeMetricFamily("ml_data_drift_score", "PSI of each feature (reference vs current)",
                          labels=["model", "feature"])
    for feature, psi in (drift or {}).items():
        if psi is not None:
            g.add_metric([model, str(feature)], float(psi))
    fams.append(g)
    e = CounterMetricFamily("ml_errors", "Failed predictions", labels=["model", "error_type"])
    for kind, n in (errors or {}).items():
        e.add_metric([model, str(kind)], float(n))
    fams.append(e)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Static(fams))
    return generate_latest(registry).decode("utf-8")


def alert_rules(model: str, *, baseline_accuracy: float | None = None, threshold: float = 0.05,
                psi_threshold: float = 0.2, p95_latency_s: float = 0.5) -> str:
    """Prometheus alert rules (YAML): accuracy drop, drift above the threshold, p95 latency."""
    floor = baseline_accuracy * (1 - threshold) if baseline_accuracy is not None else 1 - threshold - 0.15
    name = model.replace('"', "")
    return f"""groups:
  - name: preflight-{name}
    rules:
      - alert: ModelAccuracyDrop
        expr: ml_model_accuracy{{model="{name}"}} < {floor:.4f}
        for: 15m
        labels:
          severity: critical
        annotations:
          summary: "Accuracy of {name} fell more than {threshold * 100:g}% below its baseline"
          description: "Check for data drift, analyse the recent production distribution, consider retraining, review recent system changes."
      - alert: DataDriftDetected
        expr: ml_data_drift_score{{model="{name}"}} > {psi_threshold:g}
        for: 30m
        labels:
          severity: warning
        annotations:
          summary: "Feature {{{{ $labels.feature }}}} of {name} drifted (PSI above {psi_threshold:g})"
      - alert: HighPredictionLatency
        expr: histogram_quantile(0.95, sum by (le) (rate(ml_prediction_latency_seconds_bucket{{model="{name}"}}[5m]))) > {p95_latency_s:g}
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "p95 prediction latency of {name} above {p95_latency_s:g} s"
"""


def _from_log(path, model: str) -> tuple[dict, float | None]:
    from core.data.prediction_log import read_prediction_log

    log = read_prediction_log(path, require=(), missing_labels=True)
    df = log.table.df
    lower = {str(c).strip().lower(): c for c in df.columns}
    version = lower.get("model_version") or lower.get("version")
    predictions = ({str(k): int(v) for k, v in df[version].astype(str).value_counts().items()} if version
                   else {"unknown": log.rows})
    accuracy = None
    if log.y_true is not None and log.y_pred is not None:
        from core.data.prediction_log import same_labels
        known = ~pd.isna(pd.Series(log.y_true, dtype=object)).to_numpy()
        if known.any():
            accuracy = float(same_labels(log.y_true[known], log.y_pred[known]).mean())
    conf_col = lower.get("confidence")
    confidence = None
    if conf_col is not None:
        confidence = pd.to_numeric(df[conf_col], errors="coerce").to_numpy(float)
    elif log.y_score is not None:
        confidence = np.maximum(log.y_score, 1 - log.y_score)
    errors = {}
    kind_col = lower.get("error_type")
    if kind_col is not None:
        kinds = df[kind_col].astype(object)
        kinds = kinds[~kinds.isna() & (kinds.astype(str).str.strip() != "")]
        errors = {str(k): int(v) for k, v in kinds.astype(str).value_counts().items()}
    elif log.failed.any():
        errors = {"failed": int(log.failed.sum())}
    kw = {"model": model, "predictions": predictions, "accuracy": accuracy, "confidence": confidence,
          "latency_s": None if log.latency_ms is None else log.latency_ms / 1000.0, "errors": errors}
    return kw, accuracy


def _counted_runs(store) -> list[dict]:
    from core.assessment.counted import runs_that_count

    return runs_that_count(store.runs(), store.links(), store.counted_run_choices())


def drift_psi(store) -> dict:
    """``{feature: PSI}`` of the assessment's drift run that counts (empty without one)."""
    drift = {}
    for run in _counted_runs(store):
        if run.get("kind") == "drift":
            drift = run.get("result") or {}
    return {c.get("name"): c.get("psi") for c in drift.get("columns") or [] if isinstance(c, dict)}


def _from_assessment(path, model: str) -> tuple[dict, float | None]:
    from core.cli.output import open_existing

    with open_existing(path) as store:
        runs = _counted_runs(store)
    newest = {}
    for run in runs:
        if run.get("kind") in ("performance", "drift"):
            newest[run["kind"]] = run
    perf = (newest.get("performance") or {}).get("result") or {}
    drift = (newest.get("drift") or {}).get("result") or {}
    if not perf and not drift:
        raise PreflightError(f"{path}: the assessment holds no performance or drift run to export")
    accuracy = (perf.get("metrics") or {}).get("accuracy")
    kw = {"model": model, "predictions": {"unknown": perf.get("rows", 0)} if perf else {}, "accuracy": accuracy,
          "drift": {c.get("name"): c.get("psi") for c in drift.get("columns") or [] if isinstance(c, dict)}}
    return kw, (perf.get("baseline") or {}).get("accuracy")


def export_metrics(source, out, *, rules=None, model: str = "model", drift: dict | None = None,
                   assessment=None) -> dict:
    """Write the exposition file (and the rules YAML); returns what was written.

    For a log, the drift scores come from ``drift`` (``{feature: PSI}``) or from the drift run that counts in
    the ``assessment`` file.
    """
    src = Path(source)
    if src.suffix.lower() == ".preflight":
        kw, baseline = _from_assessment(src, model)
    else:
        kw, baseline = _from_log(src, model)
        if drift is None and assessment is not None:
            from core.cli.output import open_existing

            with open_existing(assessment) as store:
                drift = drift_psi(store)
        kw["drift"] = drift or {}
    text = exposition(**kw)
    Path(out).write_text(text, encoding="utf-8")
    result = {"out": str(out), "samples": sum(1 for line in text.splitlines() if line and not line.startswith("#")),
              "rules": None}
    if rules:
        Path(rules).write_text(alert_rules(model, baseline_accuracy=baseline), encoding="utf-8")
        result["rules"] = str(rules)
    return result

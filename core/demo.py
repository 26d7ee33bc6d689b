"""The built-in demo assessment a new user opens on first start.

It holds the seed checklist with a few items done and notes filled in, plus a
drift run and a validation run on generated fraud-scoring data (written beside
the demo file), so every tab shows a live example.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core import paths

from core.assessment import templates
from core.assessment.store import Assessment, create_assessment, open_assessment

#: the script that generates the demo's prediction log (a breast-cancer classifier drifting after 8 weeks)
PERFORMANCE_LOG_GENERATOR = Path(__file__).resolve().parents[1] / "resources" / "performance_log.py"

DEMO_NOTES = {
    "Production data availability": ("done", "Nightly export of the last 30 days lands in the analytics bucket "
                                             "with the training schema."),
    "Latency requirements": ("done", "Measured p95 of 142 ms at the expected peak of 120 requests/s."),
    "API documentation": ("done", "OpenAPI spec published with error codes and rate limits."),
    "Backward compatibility": ("done", "v1 request format still accepted; contract tests in CI."),
    "Data drift monitoring": ("open", "See the Data tab: last month's production extract against the training "
                                      "set."),
    "Load testing": ("open", "Peak expected at 120 requests/s, so test at 1,200."),
}

DEMO_SCHEMA = {
    "columns": {
        "transaction_amount": {"type": "numeric", "range": [0, 10000], "max_missing_pct": 0.01},
        "credit_score": {"type": "numeric", "range": [300, 850], "max_missing_pct": 0.05},
        "account_age_days": {"type": "integer", "range": [0, 20000]},
        "merchant_category": {"type": "category",
                              "allowed": ["grocery", "travel", "electronics", "fuel", "restaurants"]},
        "channel": {"type": "category", "allowed": ["web", "app", "pos"]},
    }
}


def demo_tables(n: int = 6000, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference (training) and production extracts of a fraud-scoring model's inputs."""
    rng = np.random.default_rng(seed)

    def table(n, amount_mu, score_mu, mix, channel_p, extra_category=False):
        cats = ["grocery", "travel", "electronics", "fuel", "restaurants"]
        if extra_category:
            cats = cats + ["crypto"]
            mix = list(mix) + [0.06]
            mix = [m / sum(mix) for m in mix]
        return pd.DataFrame({
            "transaction_amount": np.round(rng.lognormal(amount_mu, 0.9, n), 2),
            "credit_score": np.clip(rng.normal(score_mu, 60, n), 300, 850).round(),
            "account_age_days": rng.integers(1, 4000, n),
            "merchant_category": rng.choice(cats, n, p=mix),
            "channel": rng.choice(["web", "app", "pos"], n, p=channel_p),
            "hour_of_day": rng.integers(0, 24, n),
        })

    ref = table(n, 4.0, 690, [0.35, 0.1, 0.15, 0.2, 0.2], [0.4, 0.3, 0.3])
    cur = table(n, 4.3, 675, [0.3, 0.08, 0.2, 0.17, 0.19], [0.25, 0.5, 0.25], extra_category=True)
    cur.loc[rng.choice(n, 25, replace=False), "transaction_amount"] = 25000.0  # a few out-of-range amounts
    cur.loc[rng.choice(n, 420, replace=False), "credit_score"] = np.nan        # a bureau outage
    return ref, cur


def create_demo(path) -> Assessment:
    from core.drift.run import record_drift, run_drift
    from core.validation.run import record_validation, run_validation
    from core.validation.schema import Schema

    path = Path(path)
    items = []
    for item in templates.load("seed").items:
        status, note = DEMO_NOTES.get(item.name, (item.status, item.notes))
        items.append(item.__class__(**{**item.to_dict(), "status": status, "notes": note}))
    store = create_assessment(path, name="Demo: fraud scoring model", system="fraud-scorer v2",
                              owner="Risk ML team", items=items, template="seed", actor="Preflight demo")
    data_dir = path.parent / "demo-data"
    data_dir.mkdir(exist_ok=True)
    ref, cur = demo_tables()
    ref_path, cur_path = data_dir / "training_2026-09.csv", data_dir / "production_2026-11.parquet"
    ref.to_csv(ref_path, index=False)
    cur.to_parquet(cur_path, index=False)
    drift_run = run_drift(ref_path, cur_path)
    drift_id = record_drift(store, drift_run)
    schema = Schema.from_dict(DEMO_SCHEMA)
    store.save_schema("default", schema.to_dict())
    validation_id = record_validation(store, run_validation(cur_path, schema=schema,
                                                                                 schema_source="demo schema"))
    performance_id = _demo_performance(store, data_dir, drift_id)
    _demo_handoff(store)
    by_name = {i.name: i.id for i in store.items()}
    store.link_evidence(by_name["Data drift monitoring"], run_id=drift_id)
    store.link_evidence(by_name["Data validation pipeline"], run_id=validation_id)
    store.link_evidence(by_name["Model performance metrics"], run_id=performance_id)
    return store


def _demo_handoff(store) -> None:
    """The handoff a team would start from: where the model lives and the peak load it must take (the
    Load tab's 10x-peak preset reads it)."""
    from dataclasses import replace

    from core.handoff import signing

    signing.save_handoff(store, replace(signing.load_handoff(store), model_location="s3://models/fraud-scorer/v2",
                                        model_version="2.0.3", expected_qps=120.0))


def _demo_performance(store, data_dir: Path, drift_id: int) -> int:
    """A performance run over the generated 12-week prediction log (resources/performance_log.py)."""
    import importlib.util

    from core.performance.run import PerformanceSettings, record_performance, run_performance

    spec = importlib.util.spec_from_file_location("preflight_demo_performance_log", PERFORMANCE_LOG_GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    log_path = data_dir / "predictions_2026-08_to_10.csv"
    generator.generate().to_csv(log_path, index=False)
    settings = PerformanceSettings(window="7D", baseline_windows=4, segment="channel", drift_run_id=drift_id)
    return record_performance(store, run_performance(log_path, settings))


def open_or_create_demo() -> Assessment:
    """Open the demo in the user data directory, creating it on first start."""
    path: Path = paths.demo_path()
    if path.exists():
        return open_assessment(path)
    try:
        create_demo(path).close()  # written as "Preflight demo"; the user's own edits carry their name
        return open_assessment(path)
    except BaseException:
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        raise

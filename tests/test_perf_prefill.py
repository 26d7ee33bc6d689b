"""Handoff pre-fill through the feature registry: the performance feature's values, the registry's rules
(first offer wins, unknown fields and refused values noted, never cleared, load fallback), and the new
handoff fields leaving an older signed handoff's content hash and signature intact."""

import numpy as np
import pandas as pd
import pytest

import core.features
from core.assessment import templates
from core.assessment.store import create_assessment
from core.handoff import signing
from core.handoff import signoff as so
from core.handoff.form import LABELS, LATER_FIELDS, Handoff, prefill_from_runs, prefill_kinds
from core.handoff.prefilling import apply_prefill, prefill_values
from core.performance import prefill as perf_prefill
from core.performance.run import PerformanceSettings, record_performance, run_performance

#: the handoff's fields before the monitoring and scaling fields were added
OLD_FIELDS = {"model_location": "s3://models/churn/7", "model_version": "7", "training_data_hash": "",
              "training_data_path": "", "baseline_accuracy": 0.9, "baseline_p95_latency_ms": 120.0,
              "expected_qps": 40.0, "python_version": "3.11", "dependencies_file": "", "required_env_vars": ["A"],
              "metrics_dashboard_url": "", "alert_recipients": ["ops@example.com"], "escalation_contact": "",
              "model_card_ref": "card.md", "api_docs_ref": "", "runbook_ref": "",
              "data_privacy_review_completed": True, "security_scan_completed": True,
              "legal_approval_obtained": False}


def _run(rid, when, result, kind="performance"):
    return {"id": rid, "kind": kind, "finished_utc": when, "result": result}


def test_performance_offers_the_newest_value_of_each_field():
    runs = [_run(1, "2026-01-01T00:00:00Z", {"accuracy": 0.8, "threshold": 0.05,
                                              "baseline": {"accuracy": 0.8, "precision": 0.81, "f1": 0.79},
                                              "degradation": {"accuracy": {}, "precision": {}, "f1": {}}}),
            _run(2, "2026-01-02T00:00:00Z", {"accuracy": 0.9, "threshold": 0.1, "baseline": {"accuracy": 0.9}}),
            _run(3, None, {"accuracy": 0.99}),                       # unfinished: ignored
            _run(4, "2026-01-09T00:00:00Z", {"accuracy": 0.5}, kind="drift")]
    got = {i["field"]: (i["value"], i["run_id"]) for i in perf_prefill.handoff_values(runs)}
    assert got["baseline_accuracy"] == (0.9, 2) and got["alert_threshold"] == (0.1, 2)
    assert got["baseline_precision"] == (0.81, 1)                    # run 2's baseline has no precision
    assert got["monitored_metrics"] == (["accuracy"], 2)
    assert "baseline_recall" not in got
    assert all(i["kind"] == "performance" for i in perf_prefill.handoff_values(runs))
    assert perf_prefill.handoff_values([]) == []


def test_registry_applies_offers_in_order_and_notes_what_it_skips(monkeypatch):
    class Offer:
        KINDS = ("custom",)

        @staticmethod
        def handoff_values(runs):
            return [{"field": "scaling_policy", "value": "HPA on CPU 70%", "run_id": 9, "kind": "custom", "unit": ""},
                    {"field": "scaling_policy", "value": "ignored: second offer", "run_id": 9, "kind": "custom"},
                    {"field": "no_such_field", "value": 1, "run_id": 9, "kind": "custom"},
                    {"field": "alert_threshold", "value": 5, "run_id": 9, "kind": "custom"},  # not a fraction
                    {"field": "model_location", "value": None, "run_id": 9, "kind": "custom"}]

    monkeypatch.setattr(core.features, "feature_modules", lambda part: [Offer])
    assert prefill_kinds() == ("custom", "load")
    runs = [_run(5, "2026-01-01T00:00:00Z", {"p95_ms": 80.0}, kind="load")]
    h, notes = prefill_from_runs(Handoff(model_location="kept"), runs)
    assert h.scaling_policy == "HPA on CPU 70%" and h.model_location == "kept" and h.alert_threshold is None
    assert h.baseline_p95_latency_ms == 80.0                         # no load offer: the fallback reads it
    assert any("no_such_field: not a handoff field" in n for n in notes)
    assert any(n.startswith("Performance alert threshold") and "not taken" in n for n in notes)
    assert any("from load run #5" in n for n in notes)
    # once a feature offers load values, the fallback stays out of the way
    Offer.handoff_values = staticmethod(lambda runs: [{"field": "expected_qps", "value": 12.0, "run_id": 5,
                                                       "kind": "load", "unit": " requests/s"}])
    assert [i["field"] for i in prefill_values(runs)] == ["expected_qps"]
    h, notes = prefill_from_runs(Handoff(expected_qps=12.0), runs)
    assert notes == ["Expected peak load (requests/s): 12 requests/s from load run #5 (unchanged)"]
    assert h.baseline_p95_latency_ms is None
    assert apply_prefill(h, prefill_values(runs), LABELS) == (h, notes)


def _log(tmp_path):
    rng = np.random.default_rng(7)
    n = 2000
    ts = pd.Timestamp("2026-02-01") + pd.to_timedelta(np.arange(n) * 200, unit="s")
    y = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.85, y, 1 - y)
    path = tmp_path / "log.csv"
    pd.DataFrame({"timestamp": ts.astype(str), "y_true": y, "y_pred": pred}).to_csv(path, index=False)
    return path


def test_prefill_from_a_stored_performance_run(tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    try:
        run = run_performance(_log(tmp_path), PerformanceSettings(window="1D", threshold=0.08))
        rid = record_performance(store, run)
        h, notes = signing.prefill_handoff(store)
    finally:
        store.close()
    base = run.result["baseline"]
    assert h.baseline_accuracy == pytest.approx(base["accuracy"])
    assert (h.baseline_precision, h.baseline_recall, h.baseline_f1) == pytest.approx(
        (base["precision"], base["recall"], base["f1"]))
    assert h.alert_threshold == 0.08 and set(h.monitored_metrics) == set(run.result["degradation"])
    assert len(notes) == 6 and all(f"performance run #{rid}" in n for n in notes)


def test_new_fields_unset_keep_an_old_signed_handoff_valid(tmp_path):
    store = create_assessment(tmp_path / "s.preflight", name="S", items=templates.load("seed").items)
    try:
        store.set_handoff(dict(OLD_FIELDS))
        ann = signing.add_user(store, "Ann Preparer", "preparer", "correct-horse-1")
        signing.sign(store, ann, "correct-horse-1", "authorship")
        signed = so.content_hash(signing.current_content(store))
        # read and written back through today's Handoff (what the form does on any save)
        assert set(LATER_FIELDS).isdisjoint(Handoff.from_dict(OLD_FIELDS).to_dict())
        signing.save_handoff(store, signing.load_handoff(store))
        assert so.content_hash(signing.current_content(store)) == signed
        assert all(s.valid for s in signing.signature_states(store))
        # setting one of the new fields is a real change: the signature no longer covers the content
        signing.save_handoff(store, Handoff.from_dict({**OLD_FIELDS, "scaling_policy": "HPA"}))
        assert not any(s.valid for s in signing.signature_states(store))
    finally:
        store.close()

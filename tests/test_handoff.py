"""Handoff document: validation rules, dict round trip, pre-fill from runs, load preset, hashing."""

import dataclasses
import hashlib
from dataclasses import replace

import pytest

from core.errors import Cancelled, InputFileError, PreflightError
from core.handoff.form import (FIELDS, GROUPS, Handoff, load_test_preset, prefill_from_runs, hash_training_data,
                          split_list, validate_handoff)

EXAMPLE = Handoff(
    model_location="s3://models/fraud-v2.pkl",
    model_version="2.0.0",
    baseline_accuracy=0.92,
    baseline_p95_latency_ms=180.0,
    data_privacy_review_completed=True,
    security_scan_completed=True,
    model_card_ref="docs/model_card.md",
)

RULES = ("model_location", "baseline_accuracy", "baseline_p95_latency", "data_privacy_review", "security_scan",
         "model_card")


def test_example_handoff_passes_every_rule():
    v = validate_handoff(EXAMPLE)
    assert v.passed
    assert [r.rule for r in v.results] == list(RULES)
    assert v.failed() == ()
    d = v.to_dict()
    assert d["passed"] is True and d["failed"] == []


@pytest.mark.parametrize("change, rule, text", [
    ({"model_location": "  "}, "model_location", "not set"),
    ({"baseline_accuracy": 0.69}, "baseline_accuracy", "below"),
    ({"baseline_accuracy": None}, "baseline_accuracy", "not set"),
    ({"baseline_p95_latency_ms": 500.5}, "baseline_p95_latency", "above"),
    ({"baseline_p95_latency_ms": None}, "baseline_p95_latency", "not set"),
    ({"data_privacy_review_completed": False}, "data_privacy_review", "not completed"),
    ({"security_scan_completed": False}, "security_scan", "not completed"),
    ({"model_card_ref": ""}, "model_card", "missing"),
])
def test_each_rule_fails_alone(change, rule, text):
    v = validate_handoff(replace(EXAMPLE, **change))
    assert not v.passed
    assert [r.rule for r in v.failed()] == [rule]
    assert text in v.failed()[0].message
    assert v.to_dict()["failed"] == [rule]


def test_boundaries_are_inclusive():
    v = validate_handoff(replace(EXAMPLE, baseline_accuracy=0.7, baseline_p95_latency_ms=500.0))
    assert v.passed


def test_empty_handoff_fails_all_rules():
    v = validate_handoff(Handoff())
    assert [r.rule for r in v.failed()] == list(RULES)


def test_fields_cover_the_dataclass_once_with_known_groups():
    names = [f[0] for f in FIELDS]
    assert sorted(names) == sorted(f.name for f in dataclasses.fields(Handoff))
    assert len(set(names)) == len(names)
    assert {f[2] for f in FIELDS} == set(GROUPS)
    assert dict((f[0], f[3]) for f in FIELDS)["training_data_hash"] == "hash"


def test_dict_round_trip():
    h = replace(EXAMPLE, required_env_vars=("MODEL_PATH", "API_KEY"), alert_recipients=("ops@example.com",),
                expected_qps=50.0, legal_approval_obtained=True)
    d = h.to_dict()
    assert d["required_env_vars"] == ["MODEL_PATH", "API_KEY"]
    assert Handoff.from_dict(d) == h
    # integers are accepted for numbers, lists become tuples
    h2 = Handoff.from_dict({"baseline_p95_latency_ms": 180, "alert_recipients": ["a", "b"]})
    assert h2.baseline_p95_latency_ms == 180.0 and isinstance(h2.baseline_p95_latency_ms, float)
    assert h2.alert_recipients == ("a", "b")


def test_from_dict_unknown_keys_are_named():
    with pytest.raises(PreflightError, match="unknown field") as info:
        Handoff.from_dict({"model_location": "x", "zzz": 1, "colour": "red"})
    assert "colour" in str(info.value) and "zzz" in str(info.value)
    assert "model_location" not in str(info.value)


@pytest.mark.parametrize("field, value", [
    ("baseline_accuracy", "0.9"),
    ("baseline_accuracy", True),
    ("baseline_accuracy", 92),          # a percentage, not a fraction
    ("baseline_p95_latency_ms", -1),
    ("expected_qps", float("nan")),
    ("model_location", 5),
    ("security_scan_completed", "yes"),
    ("alert_recipients", "ops@example.com"),
    ("required_env_vars", ["A", 3]),
])
def test_from_dict_wrong_types_name_the_field(field, value):
    with pytest.raises(PreflightError, match=field):
        Handoff.from_dict({field: value})


def test_from_dict_rejects_non_mapping():
    with pytest.raises(PreflightError):
        Handoff.from_dict(["model_location"])


def test_split_list():
    assert split_list("A, B\n\n C ") == ("A", "B", "C")
    assert split_list("") == ()


def _run(rid, kind, when, result):
    return {"id": rid, "kind": kind, "finished_utc": when, "result": result}


def test_prefill_picks_latest_runs_and_notes_the_ids():
    runs = [
        _run(1, "performance", "2025-01-01T10:00:00Z", {"accuracy": 0.81}),
        _run(4, "performance", "2025-01-03T10:00:00Z", {"accuracy": 0.88}),
        _run(2, "performance", "2025-01-02T10:00:00Z", {"accuracy": 0.85}),
        _run(3, "load", "2025-01-01T09:00:00+00:00", {"p95_ms": 210.0}),
        _run(5, "load", "2025-01-02T09:00:00+00:00", {"latency": {"p95_ms": 190.5}}),
        _run(6, "drift", "2025-01-09T09:00:00Z", {"accuracy": 0.1, "p95_ms": 1}),
        _run(7, "performance", None, {"accuracy": 0.99}),  # not finished
    ]
    h, notes = prefill_from_runs(Handoff(baseline_accuracy=0.75), runs)
    assert h.baseline_accuracy == 0.88
    assert h.baseline_p95_latency_ms == 190.5
    assert len(notes) == 2
    assert "run #4" in notes[0] and "0.88" in notes[0] and "0.75" in notes[0]
    assert "run #5" in notes[1] and "190.5" in notes[1]


def test_prefill_time_order_not_list_order_or_offsets():
    # 2025-01-02T01:00+02:00 is 2025-01-01T23:00Z: earlier than run 1
    runs = [_run(1, "performance", "2025-01-02T00:00:00Z", {"accuracy": 0.8}),
            _run(2, "performance", "2025-01-02T01:00:00+02:00", {"accuracy": 0.9})]
    h, _ = prefill_from_runs(Handoff(), runs)
    assert h.baseline_accuracy == 0.8


def test_prefill_skips_runs_without_the_value_and_never_clears():
    runs = [_run(1, "performance", "2025-01-01T00:00:00Z", {"metrics": {"accuracy": 0.77}}),
            _run(2, "performance", "2025-01-02T00:00:00Z", {"rmse": 3.0})]
    h, notes = prefill_from_runs(Handoff(baseline_p95_latency_ms=120.0), runs)
    assert h.baseline_accuracy == 0.77 and "run #1" in notes[0]
    assert h.baseline_p95_latency_ms == 120.0  # no load run: left alone, nothing said
    assert len(notes) == 1
    h2, notes2 = prefill_from_runs(EXAMPLE, [])
    assert h2 == EXAMPLE and notes2 == []


def test_load_test_preset():
    assert load_test_preset(Handoff()) is None
    assert load_test_preset(Handoff(expected_qps=0.0)) is None
    assert load_test_preset(Handoff(expected_qps=12.5)) == {"target_qps": 125.0, "label": "10x expected peak"}


def test_hash_training_data_streams_and_reports_progress(tmp_path):
    path = tmp_path / "train.csv"
    data = b"a,b\n" + b"1,2\n" * 5000
    path.write_bytes(data)
    seen = []
    sha, size = hash_training_data(path, progress=seen.append, chunk=4096)
    assert sha == hashlib.sha256(data).hexdigest()
    assert size == len(data)
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == 1.0


def test_hash_training_data_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.parquet"
    with pytest.raises(InputFileError, match="nope.parquet"):
        hash_training_data(missing)
    with pytest.raises(InputFileError, match="folder"):
        hash_training_data(tmp_path)


def test_hash_training_data_can_be_cancelled(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 10000)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        hash_training_data(path, cancelled=cancelled, chunk=1000)

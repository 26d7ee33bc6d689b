"""Model card: the nine Mitchell et al. sections, filled from the handoff, runs and free text."""

import re

import pytest

from core.errors import PreflightError
from core.handoff.form import Handoff
from core.handoff.modelcard import NOT_PROVIDED, SECTIONS, generate_model_card, strip_control

HANDOFF = Handoff(model_location="s3://models/fraud-v2.pkl", model_version="2.0.0",
                  training_data_hash="ab" * 32, training_data_path="/data/train.parquet",
                  baseline_accuracy=0.92, baseline_p95_latency_ms=180.0,
                  data_privacy_review_completed=True, security_scan_completed=True,
                  model_card_ref="docs/card.md")
META = {"name": "Fraud Q1 review", "system": "fraud-scorer", "owner": "Ana Ruiz"}
RUNS = [
    {"id": 1, "kind": "drift", "finished_utc": "2025-01-01T00:00:00Z",
     "result": {"dataset_drift": False, "drifted_share": 0.1}},
    {"id": 3, "kind": "drift", "finished_utc": "2025-01-05T00:00:00Z",
     "result": {"dataset_drift": True, "drifted_share": 0.375},
     "inputs": [{"role": "reference", "sha256": "1" * 64}, {"role": "current", "sha256": "2" * 64}]},
    {"id": 2, "kind": "validation", "finished_utc": "2025-01-02T00:00:00Z",
     "result": {"passed": False, "violations": [{"column": "amount"}, {"column": "age"}]}},
]


def _headings(md):
    return re.findall(r"^## (.+)$", md, flags=re.M)


def test_all_nine_sections_in_order():
    md = generate_model_card(META, HANDOFF, RUNS, {})
    assert len(SECTIONS) == 9
    assert _headings(md) == [title for _key, title in SECTIONS]
    assert [k for k, _t in SECTIONS][-1] == "caveats"
    assert md.startswith("# Model card: fraud-scorer 2.0.0\n")


def test_handoff_values_appear():
    md = generate_model_card(META, HANDOFF, [], {})
    for text in ("s3://models/fraud-v2.pkl", "2.0.0", "ab" * 32, "/data/train.parquet", "0.92", "180 ms",
                 "Ana Ruiz"):
        assert text in md
    assert "**Data privacy review completed:** yes" in md
    assert "**Legal approval obtained:** no" in md


def test_runs_fill_quantitative_analyses_from_latest():
    md = generate_model_card(META, HANDOFF, RUNS, {})
    assert "run #3" in md and "dataset drift detected" in md and "37.5% of columns drifted" in md
    assert "10.0%" not in md  # the older drift run is not reported
    assert "Data validation** (run #2" in md and "failed; 2 violation(s)" in md
    assert "1" * 64 in md and "current" in md  # evaluation data hashes from the drift run


def test_performance_and_load_runs_when_present():
    runs = RUNS + [
        {"id": 4, "kind": "performance", "finished_utc": "2025-01-06T00:00:00Z",
         "result": {"metrics": {"accuracy": 0.9134, "f1": 0.88}}},
        {"id": 5, "kind": "load", "finished_utc": "2025-01-06T00:00:00Z",
         "result": {"latency": {"p95_ms": 171.0, "p99_ms": 240.0}, "achieved_qps": 48.0}},
    ]
    md = generate_model_card(META, HANDOFF, runs, {})
    assert "run #4" in md and "accuracy 0.9134" in md and "f1 0.88" in md
    assert "run #5" in md and "p95 latency 171 ms" in md and "p99 latency 240 ms" in md


def test_free_text_sections_and_placeholders():
    md = generate_model_card(META, HANDOFF, [], {"intended_use": "Score card payments in real time.",
                                                "caveats": "Retrain quarterly."})
    body = md.split("## Intended use", 1)[1].split("## Factors", 1)[0]
    assert "Score card payments in real time." in body
    factors = md.split("## Factors", 1)[1].split("## Metrics", 1)[0]
    assert NOT_PROVIDED in factors
    assert "Retrain quarterly." in md.split("## Caveats and recommendations", 1)[1]


def test_failed_handoff_rules_become_caveats():
    md = generate_model_card(META, Handoff(model_location="x"), [], {})
    caveats = md.split("## Caveats and recommendations", 1)[1]
    assert "baseline accuracy is not set" in caveats and "security scan is not completed" in caveats


def test_control_characters_are_stripped_but_markdown_kept():
    md = generate_model_card({"system": "fraud\x00-scorer"}, HANDOFF, [],
                             {"factors": "**Region**\x1b[31m and\r\nage\x07"})
    assert "\x00" not in md and "\x1b" not in md and "\x07" not in md and "\r" not in md
    assert "fraud-scorer" in md and "**Region**[31m and\nage" in md
    assert strip_control("a\tb\nc\x7f") == "a\tb\nc"


def test_unknown_section_key_is_refused():
    with pytest.raises(PreflightError, match="intended_uses"):
        generate_model_card(META, HANDOFF, [], {"intended_uses": "typo"})


def test_deterministic_and_accepts_handoff_dict():
    a = generate_model_card(META, HANDOFF, RUNS, {"factors": "x"})
    b = generate_model_card(META, HANDOFF.to_dict(), list(reversed(RUNS)), {"factors": "x"})
    assert a == b
    assert "Generated 2025-02-01T00:00:00Z" in generate_model_card(META, HANDOFF, [], {},
                                                                   generated_utc="2025-02-01T00:00:00Z")


def test_model_card_uses_the_run_that_counts_not_the_newest(tmp_path):
    from core.assessment import templates
    from core.assessment.store import create_assessment
    from core.handoff import signing

    store = create_assessment(tmp_path / "a.preflight", name="x", items=list(templates.load("seed").items))
    try:
        for run in RUNS:
            store.add_run(run["kind"], settings={}, inputs=run.get("inputs", []), result=run["result"],
                          started_utc=run["finished_utc"], finished_utc=run["finished_utc"])
        drift_ids = [r["id"] for r in store.runs() if r["kind"] == "drift"]
        newest_only = generate_model_card(META, HANDOFF, signing.counted_runs(store), {})
        assert f"run #{drift_ids[-1]}" in newest_only and "dataset drift detected" in newest_only
        store.set_counted_run("drift", drift_ids[0])
        chosen = generate_model_card(META, HANDOFF, signing.counted_runs(store), {})
        assert f"**Data drift** (run #{drift_ids[0]}" in chosen and "dataset drift not detected" in chosen
        store.set_run_excluded(drift_ids[0], True)
        assert "dataset drift detected" in generate_model_card(META, HANDOFF, signing.counted_runs(store), {})
    finally:
        store.close()

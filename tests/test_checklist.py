"""Checklist scoring: the worked examples, the rules, and properties."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.assessment import checklist, templates
from core.assessment.checklist import Item, score
from core.errors import InputFileError, PreflightError


def seed_items(**statuses):
    return [replace(i, status=statuses.get(i.name, i.status)) for i in templates.load("seed").items]


def test_seed_template_has_the_fourteen_items_with_their_priorities():
    items = templates.load("seed").items
    assert len(items) == 14
    crit = {i.name for i in items if i.priority == "critical"}
    assert crit == {"Production data availability", "Data drift monitoring", "Latency requirements", "Load testing",
                    "Model performance metrics", "Alerting system", "Error handling", "Security audit",
                    "Compliance review"}
    assert {i.name for i in items if i.priority == "medium"} == {"Backward compatibility"}
    reqs = {i.name: i.requirement for i in items}
    assert reqs["Latency requirements"] == "p95 latency under 200ms at peak load"
    assert reqs["Load testing"] == "Tested at 10x expected peak traffic"


def test_worked_example_two_items_done():
    s = score(seed_items(**{"Production data availability": "done", "Latency requirements": "done"}))
    assert s.weighted_score == 16.00
    assert (s.done_weight, s.applicable_weight) == (8, 50)
    assert s.completion == 14.29
    assert len(s.critical_blockers) == 7
    assert s.ready is False


def test_worked_example_all_but_validation_then_not_applicable():
    items = [replace(i, status="done") for i in templates.load("seed").items]
    items = [replace(i, status="open") if i.name == "Data validation pipeline" else i for i in items]
    s = score(items)
    assert s.weighted_score == 94.00 and s.ready and not s.critical_blockers
    items = [replace(i, status="not_applicable") if i.name == "Data validation pipeline" else i for i in items]
    s = score(items)
    assert s.weighted_score == 100.0 and s.completion == 100.0
    assert s.by_category["Data Quality"] == {"done": 2, "applicable": 2, "total": 3}


def test_threshold_decides_ready_and_blockers_always_block():
    items = [replace(i, status="done") for i in templates.load("seed").items]
    items = [replace(i, status="open") if i.name == "Data validation pipeline" else i for i in items]
    assert score(items, readiness_threshold=95).ready is False
    items = [replace(i, status="open") if i.name == "Security audit" else i for i in items]
    s = score(items, readiness_threshold=0)
    assert not s.ready and s.critical_blockers == ({"category": "Security", "name": "Security audit"},)


def test_no_applicable_items_scores_zero_and_not_ready():
    s = score([Item("A", "x", status="not_applicable")])
    assert (s.weighted_score, s.completion, s.ready) == (0.0, 0.0, False)


def test_ml_test_score_sections_minimum_and_bands():
    items = list(templates.load("ml-test-score-2017").items)
    assert len(items) == 28
    assert {i.category for i in items} == {"Data", "Model", "Infrastructure", "Monitoring"}
    assert score(items).ml_test_score.final == 0 and score(items).ml_test_score.band == "A research project"
    # 3 automated tests in every section, plus one manual: 3.5 each -> "Strong automated ..."
    counts = {}
    upd = []
    for i in items:
        n = counts.get(i.category, 0)
        counts[i.category] = n + 1
        upd.append(replace(i, maturity=1.0 if n < 3 else (0.5 if n == 3 else 0.0)))
    m = score(upd).ml_test_score
    assert m.sections == {"Data": 3.5, "Infrastructure": 3.5, "Model": 3.5, "Monitoring": 3.5}
    assert m.final == 3.5 and m.band == "Strong automated testing and monitoring"
    # one weak section pulls the final score down
    upd = [replace(i, maturity=0.5) if i.category == "Model" and i.maturity == 1.0 else i for i in upd]
    m = score(upd).ml_test_score
    assert m.sections["Model"] == 2.0 and m.final == 2.0 and m.band == "First pass at productionization"
    assert "2017" in m.rubric


@pytest.mark.parametrize("final,band", [(0, "A research project"), (0.5, "Serious holes"), (1, "Serious holes"),
                                        (1.5, "First pass at productionization"), (3, "Reasonably tested"),
                                        (5, "Strong automated testing and monitoring"), (5.5, "Exceptional")])
def test_band_boundaries(final, band):
    assert checklist.band_for(final) == band


def test_maturity_changes_keep_status_consistent():
    item = Item("Data", "x", maturity=0.0)
    assert checklist.maturity_changes(item, 1.0) == {"maturity": 1.0, "status": "done"}
    done = replace(item, status="done", maturity=1.0)
    assert checklist.maturity_changes(done, 0.0) == {"maturity": 0.0, "status": "open"}


def test_import_export_round_trip(tmp_path):
    items = list(templates.load("ml-test-score-2017").items)[:3]
    path = tmp_path / "c.json"
    checklist.save_checklist(items, path)
    back = checklist.load_checklist(path)
    assert [(i.name, i.priority, i.maturity) for i in back] == [(i.name, i.priority, i.maturity) for i in items]


@pytest.mark.parametrize("content,needle", [
    ("", "is empty"),
    ("{not json", "not valid JSON"),
    ('{"items": {}}', '"items" must be a list'),
    ('[1, 2]', 'expected a JSON object'),
    ('{"items": [{"category": "A", "name": "x", "priority": "urgent"}]}', "item 1: priority 'urgent'"),
    ('{"items": [{"category": "A", "name": "x", "status": "finished"}]}', "status 'finished'"),
    ('{"items": [{"category": "A", "name": "x", "maturity": 0.7}]}', "maturity 0.7"),
    ('{"items": [{"category": "A"}]}', "missing 'name'"),
    ('{"items": [{"category": "A", "name": "x", "colour": "red"}]}', "unknown field(s) colour"),
])
def test_bad_checklist_files_name_the_problem(tmp_path, content, needle):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        checklist.load_checklist(path)
    assert needle in str(info.value) and "bad.json" in str(info.value)


def test_binary_checklist_is_rejected(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(PreflightError, match="not UTF-8"):
        checklist.load_checklist(path)


item_strategy = st.builds(
    Item, category=st.sampled_from(["A", "B", "C"]), name=st.text(min_size=1, max_size=5),
    priority=st.sampled_from(checklist.PRIORITIES), status=st.sampled_from(checklist.STATUSES),
    maturity=st.one_of(st.none(), st.sampled_from(checklist.MATURITIES)))


@settings(max_examples=200, deadline=None)
@given(st.lists(item_strategy, max_size=30), st.randoms(), st.floats(0, 100))
def test_score_in_range_and_order_independent(items, rnd, threshold):
    s = score(items, threshold)
    assert 0 <= s.weighted_score <= 100 and 0 <= s.completion <= 100
    shuffled = list(items)
    rnd.shuffle(shuffled)
    t = score(shuffled, threshold)
    assert (t.weighted_score, t.completion, t.ready) == (s.weighted_score, s.completion, s.ready)
    assert sorted(map(tuple, (b.values() for b in t.critical_blockers))) == \
        sorted(map(tuple, (b.values() for b in s.critical_blockers)))
    assert (t.ml_test_score is None) == (s.ml_test_score is None)
    if s.ml_test_score:
        assert t.ml_test_score.final == s.ml_test_score.final

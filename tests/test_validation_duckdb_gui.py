"""The validation view says which engine ran and why."""

import pytest

pytest.importorskip("pytestqt")


def test_verdict_names_the_engine_and_its_reason(qtbot):
    from ui.validation.view import ValidationView

    view = ValidationView()
    qtbot.addWidget(view)
    result = {"passed": True, "rows": 5, "violations": [],
              "engine": {"name": "duckdb", "reason": "the table (9 bytes) is above the 8-byte limit"}}
    view.show_result(result, "stored as run #1", 1)
    text = view.verdict.text()
    assert "DuckDB, out of core" in text and "above the 8-byte limit" in text
    view.show_result({"passed": True, "rows": 5, "violations": []}, "older run", 2)  # stored before engines
    assert "Engine" not in view.verdict.text() and "older run" in view.verdict.text()

"""The validation report kind speaks human: check labels, limits as percentages, whole messages."""

from __future__ import annotations

import json

from core.validation.report import render, validation_gate
from core.validation.run import run_validation
from core.validation.schema import Schema


def _run(tmp_path):
    data = tmp_path / "d.csv"
    rows = ["colour,amount"] + [f"{'red' if i % 4 else 'mauve'},{'' if i % 5 == 0 else i}" for i in range(40)]
    data.write_text("\n".join(rows) + "\n")
    schema = Schema.from_dict({"colour": {"type": "category", "allowed": ["red", "blue"]},
                               "amount": {"type": "numeric", "max_missing_fraction": 0.05}})
    run = run_validation(data, schema=schema, schema_source="test schema")
    return {"id": 1, "kind": "validation", "result": json.loads(json.dumps(run.result)), "settings": run.settings}


def test_report_uses_labels_percentages_and_whole_messages(tmp_path):
    run = _run(tmp_path)
    checks = {v["check"] for v in run["result"]["violations"]}
    assert {"allowed_values", "missing_values"} <= checks          # the stored keys stay as they are
    html = render(run)
    assert "Allowed values" in html and "Missing values" in html
    assert "allowed_values" not in html and "missing_values" not in html
    assert "5%" in html                                              # the limit, not 0.05
    assert "may be missing" in html
    gate = validation_gate(run)
    assert gate["state"] == "fail" and any("allowed values" in r for r in gate["reasons"])

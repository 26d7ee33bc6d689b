"""``python main.py validate``: human wording of the text output, and ``--assessment`` recording the run."""

import hashlib
import json

import pytest

from core.cli import main as cli_main

DATA = "user_id,amount,score,channel\nU1,100,720,web\nU2,15000,650,shop\nU3,500,,app\nU2,200,800,fax\n"
SCHEMA = {"columns": {"user_id": {"type": "string", "unique": True},
                      "amount": {"type": "numeric", "range": [0, 10000], "max_missing_fraction": 0.01},
                      "score": {"type": "numeric", "range": [300, 850], "max_missing_pct": 0.05},
                      "channel": {"allowed": ["web", "app", "shop"]}},
          "dataset": {"row_count": [10, None]}}


@pytest.fixture
def files(tmp_path):
    data, schema = tmp_path / "batch.csv", tmp_path / "schema.json"
    data.write_text(DATA)
    schema.write_text(json.dumps(SCHEMA))
    return data, schema


def _rows(out: str) -> dict:
    """The text table's data rows keyed by their first cell (column name)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    return {line.split()[0]: line for line in lines[start:] if line.strip()}


def test_text_output_uses_human_labels_percentages_and_missing(files, capsys):
    data, schema = files
    assert cli_main(["validate", str(data), "--schema", str(schema)]) == 1
    out = capsys.readouterr().out
    rows = _rows(out)
    assert "row 3: (missing)" in rows["score"] and "None" not in out
    assert "Missing values" in rows["score"] and "25%" in rows["score"] and "5%" in rows["score"]
    assert "Allowed values" in rows["channel"] and "row 4: 'fax'" in rows["channel"]
    assert "Not unique" in rows["user_id"] and "75%" in rows["user_id"] and "95%" in rows["user_id"]
    assert "Out of range" in rows["amount"] and " 1% " in rows["amount"]
    assert "Row count" in rows["(dataset)"] and rows["(dataset)"].split()[-1] == "10"  # a count, not a share
    for key in ("allowed_values", "missing_values", "uniqueness", "row_count", "0.25"):
        assert key not in out


def test_json_output_keeps_its_keys_and_fractions(files, capsys):
    data, schema = files
    assert cli_main(["validate", str(data), "--schema", str(schema), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    got = {v["check"]: v for v in out["violations"]}
    assert set(got) == {"uniqueness", "range", "missing_values", "allowed_values", "row_count"}
    assert got["missing_values"]["fraction"] == 0.25 and got["missing_values"]["threshold"] == 0.05
    assert got["missing_values"]["examples"] == [{"row": 3, "value": None}]
    for v in out["violations"]:
        assert set(v) == {"column", "check", "severity", "count", "fraction", "threshold", "examples", "message"}


def test_check_labels_cover_every_check():
    from core.validation.labels import CHECK_LABELS
    from core.validation.validate import CHECKS
    assert set(CHECK_LABELS) == set(CHECKS)
    assert all(label[0].isupper() and "_" not in label for label in CHECK_LABELS.values())


def test_assessment_flag_records_the_run_with_input_hash_and_an_audit_event(files, tmp_path, capsys):
    from core.assessment.store import open_assessment

    data, schema = files
    f = tmp_path / "a.preflight"
    assert cli_main(["new", str(f)]) == 0
    store = open_assessment(f)
    events_before = len(store.audit_events())
    store.close()
    capsys.readouterr()
    assert cli_main(["validate", str(data), "--schema", str(schema), "--assessment", str(f)]) == 1
    out = capsys.readouterr().out
    store = open_assessment(f)
    try:
        runs = store.runs("validation")
        assert len(runs) == 1
        run = runs[0]
        assert f"recorded as run #{run['id']}" in out
        (data_input,) = [i for i in run["inputs"] if i["role"] == "data"]
        assert data_input["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
        assert data_input["size"] == data.stat().st_size and data_input["rows"] == 4
        assert run["result"]["passed"] is False and run["summary"]["violations"] == 5
        assert run["result"]["schema"]["columns"]["score"]["max_missing_fraction"] == 0.05
        events = store.audit_events()
        assert len(events) == events_before + 1
        assert events[-1]["entity"] == f"run:{run['id']}" and events[-1]["action"] == "create"
        assert json.loads(events[-1]["after"])["inputs"][0]["sha256"] == data_input["sha256"]
        assert store.verify_audit().ok
    finally:
        store.close()

"""CLI: drift and validate, end to end through subprocesses (exit codes, JSON contract, recording)."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent

BATCH = "user_id,transaction_amount,credit_score\nU1,100,720\nU2,15000,650\nU3,500,\nU2,200,800\n"
ARTICLE_SCHEMA = {"user_id": {"type": "string", "unique": True},
                  "transaction_amount": {"type": "numeric", "range": [0, 10000], "max_missing_pct": 0.01},
                  "credit_score": {"type": "numeric", "range": [300, 850], "max_missing_pct": 0.05}}


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(7)
    n = 3000
    ref = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.lognormal(10, 0.5, n),
                        "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2])})
    same = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.lognormal(10, 0.5, n),
                         "plan": rng.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2])})
    drifted = pd.DataFrame({"age": rng.normal(48, 10, n), "income": rng.lognormal(10.6, 0.5, n),
                            "plan": rng.choice(["basic", "plus", "pro", "max"], n, p=[0.2, 0.2, 0.3, 0.3])})
    ref.to_csv(d / "ref.csv", index=False)
    same.to_parquet(d / "same.parquet")
    drifted.to_csv(d / "drifted.csv", index=False)
    return d


def test_worked_validation_example(tmp_path):
    data = tmp_path / "batch.csv"
    data.write_text(BATCH)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(ARTICLE_SCHEMA))
    proc = run("validate", data, "--schema", schema, "--json")
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["passed"] is False and out["rows"] == 4
    got = {(v["column"], v["check"]): v for v in out["violations"]}
    assert set(got) == {("user_id", "uniqueness"), ("transaction_amount", "range"),
                        ("credit_score", "missing_values")}
    assert got[("user_id", "uniqueness")]["fraction"] == 0.75 and got[("user_id", "uniqueness")]["threshold"] == 0.95
    rng = got[("transaction_amount", "range")]
    assert (rng["count"], rng["fraction"], rng["threshold"]) == (1, 0.25, 0.01)
    assert rng["examples"] == [{"row": 2, "value": 15000}] or rng["examples"] == [{"row": 2, "value": 15000.0}]
    miss = got[("credit_score", "missing_values")]
    assert (miss["count"], miss["fraction"], miss["severity"]) == (1, 0.25, "high")
    for v in out["violations"]:
        assert set(v) >= {"column", "check", "severity", "count", "fraction", "threshold", "examples"}


def test_validate_passes_with_exit_0_and_writes_schema_and_failures(tables, tmp_path):
    schema = tmp_path / "inferred.json"
    proc = run("validate", tables / "same.parquet", "--infer-from", tables / "ref.csv", "--write-schema", schema,
               "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["passed"] is True
    assert "age" in json.loads(schema.read_text()).get("columns", json.loads(schema.read_text()))
    bad = tmp_path / "bad.csv"
    bad.write_text("user_id,transaction_amount,credit_score\n=cmd|' /C calc'!A0,20000,700\nU2,-5,710\n")
    failures = tmp_path / "fail.csv"
    articles = tmp_path / "s.json"
    articles.write_text(json.dumps({**ARTICLE_SCHEMA, "user_id": {"type": "string", "pattern": "U[0-9]+"}}))
    proc = run("validate", bad, "--schema", articles, "--failures", failures)
    assert proc.returncode == 1
    rows = list(csv.reader(failures.open(encoding="utf-8")))
    assert len(rows) >= 3
    cells = [c for r in rows[1:] for c in r]
    # text cells that a spreadsheet would run as formulas are neutralised; real numbers stay numbers
    text_cells = [c for c in cells if not _is_number(c)]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in text_cells)
    assert "'=cmd|' /C calc'!A0" in cells and "-5" in cells


def test_drift_exit_codes_and_json_contract(tables):
    proc = run("drift", tables / "ref.csv", tables / "same.parquet", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"reference", "current", "dataset_drift", "drifted_share", "columns", "multivariate",
                        "warnings"}
    assert set(out["reference"]) >= {"path", "rows", "columns", "sha256"} and out["reference"]["rows"] == 3000
    assert out["dataset_drift"] is False
    for c in out["columns"]:
        assert set(c) >= {"name", "kind", "missing_share_reference", "missing_share_current", "method", "score",
                          "threshold", "drifted", "psi"}
    proc = run("drift", tables / "ref.csv", tables / "drifted.csv", "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    by = {c["name"]: c for c in out["columns"]}
    assert out["dataset_drift"] is True and by["age"]["drifted"] and by["plan"]["new_categories"] == ["max"]
    assert out["multivariate"]["auc"] > 0.55


def test_drift_method_and_threshold_override(tables):
    proc = run("drift", tables / "ref.csv", tables / "drifted.csv", "--json", "--method", "psi", "--threshold",
               "100", "--no-multivariate")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert all(c["method"] == "psi" and c["threshold"] == 100 for c in out["columns"])
    assert out["multivariate"] is None


def test_drift_recorded_and_profile_reused(tables, tmp_path):
    f = tmp_path / "a.preflight"
    assert run("new", f).returncode == 0
    proc = run("drift", tables / "ref.csv", tables / "drifted.csv", "--json", "--assessment", f,
               "--no-multivariate")
    assert proc.returncode == 1
    first = json.loads(proc.stdout)
    proc = run("drift", tables / "drifted.csv", "--reference-profile", "--assessment", f, "--json")
    assert proc.returncode == 1, proc.stderr
    second = json.loads(proc.stdout)
    for a, b in zip(first["columns"], second["columns"]):
        assert a["name"] == b["name"] and a["psi"] == pytest.approx(b["psi"], rel=1e-9)
    from core.assessment.store import open_assessment
    s = open_assessment(f)
    runs = s.runs("drift")
    assert len(runs) == 2 and runs[0]["inputs"][0]["sha256"] == first["reference"]["sha256"]
    assert any(e["entity"] == f"run:{runs[0]['id']}" for e in s.audit_events())
    assert s.profiles() and s.verify_audit().ok
    s.close()


def test_data_errors_are_one_line(tables, tmp_path):
    one_line_error(run("drift", tables / "ref.csv", tmp_path / "nope.csv"), "nope.csv")
    png = tmp_path / "pic.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    one_line_error(run("drift", tables / "ref.csv", png), "pic.csv")
    header = tmp_path / "header.csv"
    header.write_text("a,b,c\n")
    one_line_error(run("validate", header, "--infer-from", tables / "ref.csv"), "header.csv")
    one_line_error(run("drift", tables / "ref.csv"), "two tables")
    one_line_error(run("drift", tables / "ref.csv", tables / "same.parquet", "--categorical", "nosuch"), "nosuch")
    one_line_error(run("drift", tables / "ref.csv", tables / "same.parquet", "--method", "magic"), "invalid choice")
    one_line_error(run("validate", tables / "ref.csv"), "required")
    schema = tmp_path / "s.json"
    schema.write_text('{"age": {"type": "numeric", "range": "big"}}')
    one_line_error(run("validate", tables / "ref.csv", "--schema", schema), "age")


def test_cli_method_choices_match_the_registered_stat_tests():
    from core.drift import run as drift_run
    from core.drift import stattests
    from core.drift.cli import DRIFT_METHODS

    assert DRIFT_METHODS == drift_run.DRIFT_METHODS
    assert set(DRIFT_METHODS) == {"auto", *stattests.names()}

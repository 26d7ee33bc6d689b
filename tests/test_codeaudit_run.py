"""The code audit end to end: the run (reading, hashing, progress, cancel), the store, the CLI, the report,
the CSV export, and a secret redacted in every one of them."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from core import cli
from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.codeaudit.export import write_findings_csv
from core.codeaudit.run import preview_lines, record_code_audit, run_code_audit
from core.errors import Cancelled, InputFileError, PreflightError

SECRET = "AKIAZ7Q3N5B2X4C6V8M1"
PASSWORD = "Tr0ub4dor-and-3"


def nb(*sources):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "source": s, "execution_count": n + 1, "outputs": [],
                                  "metadata": {}} for n, s in enumerate(sources)]})


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / "__pycache__").mkdir()
    (root / "train.py").write_text("import pandas as pd\ndata = pd.read_csv('/Users/john/data.csv')\n"
                                   "model.fit(data, epochs=10000, batch_size=512)\n")
    (root / "pkg" / "keys.py").write_text(f"AWS_KEY = '{SECRET}'\n\n\ndef password():\n"
                                          f"    return dict(password='{PASSWORD}')\n")
    (root / "explore.ipynb").write_text(nb("import numpy as np\nx = np.random.rand(5)", "!ls\nprint(x)"))
    (root / ".venv" / "lib" / "skipped.py").write_text("password = 'not-scanned-1'\n")
    (root / "__pycache__" / "skipped.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("not code")
    (root / "requirements.txt").write_text("pandas==2.1.0\nnumpy\n")
    return root


def test_run_reads_hashes_and_reports_progress(project):
    seen = []
    run = run_code_audit(project, project / "requirements.txt", progress=seen.append)
    assert [(i["role"], i["path"]) for i in run.inputs] == [
        ("source", str(project / "explore.ipynb")), ("source", str(project / "train.py")),
        ("source", str(project / "pkg" / "keys.py")), ("requirements", str(project / "requirements.txt"))]
    for record in run.inputs:
        data = open(record["path"], "rb").read()
        assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["size"] == len(data)
    assert {i["role"] for i in run.inputs} == {"source", "requirements"}
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert run.result["files"] == 3
    paths = {f["path"] for f in run.result["findings"]}
    assert "skipped.py" not in " ".join(paths) and ".venv" not in " ".join(paths)
    assert run.result["summary"]["passed"] is False and run.result["summary"]["high"] == 2
    kinds = {f["kind"] for f in run.result["findings"]}
    assert {"absolute_path", "magic_number", "structure", "secret", "unseeded_random", "magic_command",
            "unpinned_requirement"} <= kinds


def test_cancel_stops_the_run(project):
    calls = {"n": 0}

    def cancelled():
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(Cancelled):
        run_code_audit(project, cancelled=cancelled)


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such file or folder"),
    (lambda p: (p / "data.csv").write_text("a\n") and p / "data.csv", "not a Python file"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no Python files"),
    (lambda p: (p / "bad.ipynb").write_text("{not json") and p / "bad.ipynb", "not valid notebook JSON"),
])
def test_bad_input_is_a_preflight_error(tmp_path, make, message):
    with pytest.raises(PreflightError, match=message):
        run_code_audit(make(tmp_path))


def test_a_broken_notebook_inside_a_folder_is_a_finding_not_an_error(tmp_path):
    (tmp_path / "ok.py").write_text("def a():\n    pass\n")
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")
    run = run_code_audit(tmp_path)
    bad = [f for f in run.result["findings"] if f["kind"] == "unreadable"]
    assert sorted(f["path"] for f in bad) == ["bad.ipynb", "latin.py"]


def test_bad_requirements_file(project):
    with pytest.raises(InputFileError, match="line 1 is not a requirement"):
        run_code_audit(project, project / "train.py")
    (project / "pyproject.toml").write_text("[project\n")
    with pytest.raises(InputFileError, match="not valid TOML"):
        run_code_audit(project, project / "pyproject.toml")


def test_record_stores_the_run_with_its_audit_event(project, tmp_path):
    store = create_assessment(tmp_path / "a.preflight", name="x", items=templates.load("seed").items)
    run = run_code_audit(project)
    events = len(store.audit_events())
    run_id = record_code_audit(store, run)
    stored = store.run(run_id)
    assert stored["kind"] == "code_audit" and stored["result"]["files"] == 3
    assert stored["inputs"] == json.loads(json.dumps(list(run.inputs)))
    assert stored["summary"]["high"] == 2
    assert len(store.audit_events()) == events + 1
    assert f"run:{run_id}" in json.dumps(store.audit_events()[-1])
    store.close()


def _all_text_of_run(project, tmp_path, capsys) -> dict[str, str]:
    """Every output a code audit produces for ``project``, as text."""
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("seed").items).close()
    out = {}
    assert cli.main(["audit-code", str(project)]) == 1
    out["cli text"] = capsys.readouterr().out
    assert cli.main(["audit-code", str(project), "--json", "--assessment", str(path)]) == 1
    out["cli json"] = capsys.readouterr().out
    from core.report import build_report, render_html
    from core.report.document import report_document
    with open_assessment(path) as store:
        run = store.latest_run("code_audit")
        out["stored run"] = json.dumps(run)
        out["audit trail"] = json.dumps(store.audit_events())
        data = build_report(store)
    out["report html"] = render_html(data)
    out["report json"] = json.dumps(report_document(data))
    csv_path = tmp_path / "findings.csv"
    write_findings_csv(run["result"]["findings"], csv_path)
    out["csv"] = csv_path.read_text()
    out["preview"] = "\n".join(preview_lines(run["result"], "pkg/keys.py", None))
    return out


def test_a_secret_is_redacted_in_every_output(project, tmp_path, capsys):
    outputs = _all_text_of_run(project, tmp_path, capsys)
    assert "AWS_KEY" in outputs["preview"] and "•" * len(SECRET) in outputs["preview"]
    for name, text in outputs.items():
        assert SECRET not in text, name
        assert PASSWORD not in text, name
        assert SECRET[4:12] not in text, name
    assert "secret in a string literal" in outputs["cli text"]
    assert "redacted" in outputs["report html"] and "redacted" in outputs["csv"]


def test_cli_json_shape_and_exit_codes(project, tmp_path, capsys):
    clean = tmp_path / "clean.py"
    clean.write_text("def a():\n    return 1\n")
    assert cli.main(["audit-code", str(clean), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"files", "findings", "summary"} and out["files"] == 1
    assert cli.main(["audit-code", str(project / "train.py"), "--json"]) == 0  # medium/low only: exit 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"] and all(set(f) == {"path", "cell", "line", "kind", "severity", "message", "suggestion"}
                                   for f in out["findings"])
    assert cli.main(["audit-code", str(project), "--json"]) == 1
    capsys.readouterr()
    assert cli.main(["audit-code", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "nope" in err
    assert cli.main(["audit-code", str(project), "--requirements", str(project / "train.py")]) == 2
    assert "line 1 is not a requirement" in capsys.readouterr().err


def test_the_report_gate_fails_on_a_high_finding_and_passes_without(project, tmp_path):
    from core.report import build_report, render_html
    path = tmp_path / "a.preflight"
    store = create_assessment(path, name="x", items=templates.load("seed").items)
    gate = next(c for c in build_report(store).verdict["checks"] if c["key"] == "code_audit")
    assert gate["state"] == "none"
    (project / "pkg" / "keys.py").unlink()
    record_code_audit(store, run_code_audit(project))
    gate = next(c for c in build_report(store).verdict["checks"] if c["key"] == "code_audit")
    assert gate["state"] == "pass"
    (project / "leak.py").write_text(f"key = '{SECRET}'\n")
    record_code_audit(store, run_code_audit(project))
    data = build_report(store)
    gate = next(c for c in data.verdict["checks"] if c["key"] == "code_audit")
    assert gate["state"] == "fail" and "1 high-severity" in gate["detail"]
    assert data.verdict["status"] == "not_ready"
    assert any(r.startswith("Code audit:") for r in data.verdict["reasons"])
    html = render_html(data)
    assert "Code audit run #" in html and "Findings by kind" in html and "leak.py" in html
    store.close()

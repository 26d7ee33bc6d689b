"""CLI: new, templates, score, checklist import/export, audit; exit codes and one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None):
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)
    return proc


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_templates_lists_all_three():
    proc = run("templates", "--json")
    assert proc.returncode == 0
    names = {t["name"]: t["items"] for t in json.loads(proc.stdout)["templates"]}
    assert names == {"seed": 14, "launch-checklist": 8, "ml-test-score-2017": 28}


def _set(path, names, status):
    data = json.loads(Path(path).read_text())
    for item in data["items"]:
        if item["name"] in names or names == "*":
            item["status"] = status
    Path(path).write_text(json.dumps(data))


def test_score_reproduces_the_worked_examples(tmp_path):
    f = tmp_path / "a.preflight"
    assert run("new", f).returncode == 0
    out = tmp_path / "c.json"
    assert run("checklist", "export", f, "--out", out).returncode == 0
    _set(out, {"Production data availability", "Latency requirements"}, "done")
    proc = run("score", out, "--json")
    assert proc.returncode == 1
    s = json.loads(proc.stdout)
    assert s["weighted_score"] == 16.0 and s["completion"] == 14.29 and s["ready"] is False
    assert len(s["critical_blockers"]) == 7 and s["readiness_threshold"] == 80
    assert s["by_category"]["Data Quality"] == {"done": 1, "applicable": 3, "total": 3}
    assert s["ml_test_score"] is None
    _set(out, "*", "done")
    _set(out, {"Data validation pipeline"}, "open")
    # the same numbers through the assessment file, after a CLI import
    assert run("checklist", "import", f, out).returncode == 0
    proc = run("score", f, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["weighted_score"] == 94.0
    _set(out, {"Data validation pipeline"}, "not_applicable")
    proc = run("score", out, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["weighted_score"] == 100.0
    text = run("score", f)
    assert text.returncode == 0 and "READY" in text.stdout and "94.00" in text.stdout


def test_ml_test_score_in_json(tmp_path):
    f = tmp_path / "m.preflight"
    assert run("new", f, "--template", "ml-test-score-2017").returncode == 0
    s = json.loads(run("score", f, "--json").stdout)
    assert s["ml_test_score"]["final"] == 0 and set(s["ml_test_score"]["sections"]) == {
        "Data", "Model", "Infrastructure", "Monitoring"}
    assert s["ml_test_score"]["band"] == "A research project"


def test_errors_are_one_line_with_exit_2(tmp_path):
    assert_one_line_error(run("score", tmp_path / "missing.preflight"), "missing.preflight", "no such file")
    garbage = tmp_path / "g.preflight"
    garbage.write_bytes(os.urandom(300))
    assert_one_line_error(run("score", garbage), "g.preflight")
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [{"category": "A", "name": "x", "priority": "urgent"}]}')
    assert_one_line_error(run("score", bad), "bad.json", "priority")
    assert_one_line_error(run("new", tmp_path / "x.preflight", "--template", "nope"), "unknown template")
    assert_one_line_error(run("frobnicate"), "invalid choice")
    assert_one_line_error(run("score"), "required")
    f = tmp_path / "a.preflight"
    run("new", f)
    assert_one_line_error(run("new", f), "already exists")


def test_audit_verify_and_log(tmp_path):
    f = tmp_path / "a.preflight"
    run("new", f)
    proc = run("audit", "verify", f)
    assert proc.returncode == 0 and "intact" in proc.stdout
    log = json.loads(run("audit", "log", f, "--json").stdout)["events"]
    assert [e["action"] for e in log] == ["create", "replace"]
    import sqlite3
    c = sqlite3.connect(f)
    c.execute("DROP TRIGGER audit_events_no_update")
    c.execute("UPDATE audit_events SET actor='mallory' WHERE seq=1")
    c.commit()
    c.close()
    proc = run("audit", "verify", f, "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["first_bad_seq"] == 1
    assert_one_line_error(run("audit", "verify", tmp_path / "nope.preflight"), "nope.preflight")


def test_gui_without_display_prints_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "QT_QPA_PLATFORM=offscreen" in proc.stderr and "CLI" in proc.stderr


def test_score_threshold_flag_replaces_the_readiness_threshold(tmp_path):
    f = tmp_path / "t.preflight"
    assert run("new", f).returncode == 0
    out = tmp_path / "c.json"
    assert run("checklist", "export", f, "--out", out).returncode == 0
    _set(out, "*", "done")
    _set(out, {"Data validation pipeline"}, "open")  # a high item: no blocker, score 94
    assert run("checklist", "import", f, out).returncode == 0
    plain = json.loads(run("score", f, "--json").stdout)
    score = plain["weighted_score"]
    assert plain["critical_blockers"] == [] and 80 <= score < 100 and plain["readiness_threshold"] == 80
    for path in (f, out):
        low = run("score", path, "--json", "--threshold", "50")
        assert low.returncode == 0, low.stderr
        assert json.loads(low.stdout)["ready"] is True and json.loads(low.stdout)["readiness_threshold"] == 50
        high = run("score", path, "--json", "--threshold", str(score + 1))
        assert high.returncode == 1
        s = json.loads(high.stdout)
        assert s["ready"] is False and s["readiness_threshold"] == score + 1 and s["weighted_score"] == score

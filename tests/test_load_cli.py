"""``python main.py loadtest`` and ``serve-demo``: JSON keys, exit codes, refusing remote targets,
recording the run with its input files' SHA-256, bad input as one error line."""

import hashlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core.assessment import templates
from core.assessment.store import create_assessment, open_assessment
from core.cli import main
from core.load.demo_server import DemoServer

ISSUE_KEYS = {"requests", "errors", "success_rate", "target_rate", "achieved_rate", "late_sends", "p50_ms", "p90_ms",
              "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "service_p99_ms", "timeline", "production_ready",
              "stopped_early"}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo():
    with DemoServer() as srv:
        yield srv


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip().startswith("{") else None), out.err


def test_json_keys_and_exit_0(demo, capsys):
    code, data, _ = _json(capsys, ["loadtest", demo.url, "--rate", "100", "--duration", "1", "--json"])
    assert code == 0
    assert ISSUE_KEYS <= set(data)
    assert data["requests"] == 100 and data["errors"] == 0 and data["production_ready"] is True
    assert data["stopped_early"] is False and data["target_rate"] == 100


def test_failing_verdict_exits_1(capsys):
    with DemoServer(error_rate=0.5, seed=1) as bad:
        code, data, _ = _json(capsys, ["loadtest", bad.url, "--rate", "100", "--duration", "1", "--json"])
    assert code == 1 and data["production_ready"] is False and data["errors"] > 0


def test_tight_slo_exits_1(demo, capsys):
    code, data, _ = _json(capsys, ["loadtest", demo.url, "--rate", "50", "--duration", "1", "--slo-p95-ms",
                                   "0.000001", "--json"])
    assert code == 1 and any("p95" in r for r in data["verdict_reasons"])


def test_remote_target_refused_without_allow_remote(capsys):
    code = main(["loadtest", "http://192.0.2.1/predict", "--rate", "10", "--duration", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "--allow-remote" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, words", [
    (["--duration", "1"], "--rate"),
    (["--rate", "10", "--stages", "[]"], "exactly one"),
    (["--rate", "-5"], "negative"),
    (["--rate", "10", "--timeout-ms", "0"], "timeout"),
    (["--rows-csv", "/nonexistent/rows.csv", "--rate", "10"], "rows.csv"),
])
def test_bad_input_is_one_error_line(demo, capsys, argv, words):
    code = main(["loadtest", demo.url, *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and words in err and err.count("\n") == 1


def test_rows_csv_and_assessment_record(demo, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("mean radius,mean texture\n12,18\n25,30\n14,\n")
    stages = tmp_path / "stages.json"
    stages.write_text(json.dumps([{"duration_s": 0.5, "rate": 40}, {"duration_s": 0.5, "rate": 40, "ramp_to": 80}]))
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    code, data, _ = _json(capsys, ["loadtest", demo.url, "--stages", str(stages), "--rows-csv", str(rows),
                                   "--assessment", str(path), "--json"])
    assert code == 0 and data["requests"] == 20 + 30 and data["errors"] == 0
    store = open_assessment(path)
    try:
        run = store.run(data["run_id"])
    finally:
        store.close()
    assert run["kind"] == "loadtest"
    assert run["inputs"][0]["role"] == "rows_csv"
    assert run["inputs"][0]["sha256"] == hashlib.sha256(rows.read_bytes()).hexdigest()
    assert run["result"]["requests"] == 50 and run["settings"]["rows_csv"] == str(rows)


def test_body_file_is_hashed(demo, tmp_path, capsys):
    body = tmp_path / "body.json"
    body.write_text('{"mean radius": 30}')
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    code, data, _ = _json(capsys, ["loadtest", demo.url, "--rate", "20", "--duration", "0.5", "--body-file",
                                   str(body), "--assessment", str(path), "--json"])
    assert code == 0
    store = open_assessment(path)
    try:
        run = store.run(data["run_id"])
    finally:
        store.close()
    assert run["inputs"] == [{"role": "body_file", "path": str(body), "size": body.stat().st_size,
                              "sha256": hashlib.sha256(body.read_bytes()).hexdigest()}]
    assert run["settings"]["body"] == '{"mean radius": 30}'


def test_text_output(demo, capsys):
    code = main(["loadtest", demo.url, "--rate", "20", "--duration", "0.5", "--expected-qps", "2"])
    assert code == 2  # --rate and --expected-qps together
    capsys.readouterr()
    code = main(["loadtest", demo.url, "--expected-qps", "4", "--duration", "0.5"])
    out = capsys.readouterr()
    assert code == 0 and "PRODUCTION READY" in out.out and "latency ms (from intended send)" in out.out
    assert "sent" in out.err  # the live per-second lines


def test_serve_demo_command(tmp_path):
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve-demo", "--port", "0", "--latency-ms", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving the demo model on http://127.0.0.1:")
        url = line.split()[5]
        port = int(url.split(":")[2].split("/")[0])
        assert port > 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as resp:
            assert json.loads(resp.read())["status"] == "ok"
        req = urllib.request.Request(url, data=b'{"mean radius": 10}', method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["label"] in ("malignant", "benign")
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_serve_demo_bad_option_is_an_error(capsys):
    assert main(["serve-demo", "--stall-ms", "100"]) == 2
    assert "--stall-every" in capsys.readouterr().err


def test_ten_x_peak_from_the_handoff(demo, tmp_path, capsys):
    path = tmp_path / "a.preflight"
    create_assessment(path, name="x", items=templates.load("ml-test-score-2017").items).close()
    argv = ["loadtest", demo.url, "--ten-x-peak", "--duration", "0.5", "--assessment", str(path), "--json"]
    assert main(argv) == 2
    assert "expected_qps" in capsys.readouterr().err
    store = open_assessment(path)
    try:
        store.set_handoff({"expected_qps": 6})
    finally:
        store.close()
    code, data, _ = _json(capsys, argv)
    assert code == 0 and data["target_rate"] == 60 and data["requests"] == 30


def test_body_template_filled_from_rows(demo, tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("mean radius,id\n12,a\n25,b\n")
    template = tmp_path / "template.json"
    template.write_text('{"features": {{row}}, "radius_again": {{mean radius}}}')
    code, data, _ = _json(capsys, ["loadtest", demo.url, "--rate", "20", "--duration", "0.5", "--rows-csv", str(rows),
                                   "--body-file", str(template), "--json"])
    assert code == 0 and data["requests"] == 10 and data["status_counts"] == {"200": 10}
    from core.load.engine_bodies import read_row_bodies
    bodies, _ = read_row_bodies(rows, template=template.read_text())
    assert [json.loads(b) for b in bodies] == [{"features": {"mean radius": 12, "id": "a"}, "radius_again": 12},
                                               {"features": {"mean radius": 25, "id": "b"}, "radius_again": 25}]
    template.write_text('{"x": {{nope}}}')
    assert main(["loadtest", demo.url, "--rate", "5", "--duration", "0.2", "--rows-csv", str(rows), "--body-file",
                 str(template)]) == 2
    assert "'nope'" in capsys.readouterr().err
    template.write_text('{"fixed": 1}')
    assert main(["loadtest", demo.url, "--rate", "5", "--duration", "0.2", "--rows-csv", str(rows), "--body-file",
                 str(template)]) == 2
    assert "placeholders" in capsys.readouterr().err

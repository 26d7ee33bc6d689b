"""Exporting a load-test plan to Locust and k6: what the files say, that they parse (Python; node for the k6
ES module), how the stages become k6 executors, and the `loadtest-export` command."""

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import PreflightError
from core.load import plans
from core.load.plan import DEFAULT_BODY, LoadPlan, Stage

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")


def plan(**kw):
    base = dict(url="http://127.0.0.1:8765/predict", stages=(Stage(10, 20), Stage(20, 20, 80), Stage(5, 5)),
                body='{"mean radius": 14.0}', timeout_ms=1500.0, slo_p95_ms=250.0, slo_success_rate=0.995)
    base.update(kw)
    return LoadPlan(**base)


def constants(source: str) -> dict:
    """The module-level constants of an exported locustfile (read from its syntax tree, not run)."""
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper():
                try:
                    out[name] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return out


def k6_objects(source: str) -> dict:
    """The JSON constants of an exported k6 script (``const NAME = <json>;``)."""
    out = {}
    for m in re.finditer(r"^const (\w+) = (.*?);$", source, flags=re.M | re.S):
        out[m.group(1)] = json.loads(m.group(2))
    return out


def node_check(tmp_path, source: str):
    if NODE is None:
        pytest.skip("node is not installed: the k6 script's syntax cannot be checked")
    f = tmp_path / "script.mjs"   # k6 scripts are ES modules
    f.write_text(source, encoding="utf-8")
    return subprocess.run([NODE, "--check", str(f)], capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------------------------- Locust
def test_locustfile_carries_the_plan():
    p = plan(stop_p95_ms=400.0, stop_error_pct=5.0, max_requests=12345)
    src = plans.locust_file(p)
    compile(src, "plan.py", "exec")
    c = constants(src)
    assert c["HOST"] == "http://127.0.0.1:8765" and c["PATH"] == "/predict" and c["METHOD"] == "POST"
    assert c["HEADERS"] == {"Content-Type": "application/json"}
    assert c["BODIES"] == ['{"mean radius": 14.0}']
    assert c["STAGES"] == [(10.0, 20.0, 20.0), (20.0, 20.0, 80.0), (5.0, 5.0, 5.0)]
    assert c["TIMEOUT_S"] == 1.5 and c["MAX_REQUESTS"] == 12345
    assert c["STOP_P95_MS"] == 400.0 and c["STOP_ERROR_PCT"] == 5.0
    assert c["SLO_P95_MS"] == 250.0 and c["SLO_SUCCESS_RATE"] == 0.995
    # mean target rate = expected requests / duration: (200 + 1000 + 25) / 35
    assert c["TARGET_MEAN_RATE"] == pytest.approx(1225 / 35)
    # users: peak 80 req/s while replies take up to twice the 250 ms SLO -> 40
    assert c["USERS"] == 40
    assert "FastHttpUser" in src and "LoadTestShape" in src and "closed-loop" in src


def test_locustfile_query_string_users_and_default_body():
    p = plan(url="http://127.0.0.1:9/predict?v=2", body=None)
    c = constants(plans.locust_file(p, users=7))
    assert c["PATH"] == "/predict?v=2" and c["USERS"] == 7
    assert c["BODIES"] == [DEFAULT_BODY]
    assert constants(plans.locust_file(plan(method="GET", body=None)))["BODIES"] is None


def test_rows_csv_becomes_one_body_per_row(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("mean radius,mean texture\n14.5,20.1\n11.0,\n", encoding="utf-8")
    p = plan(body=None, rows_csv=str(rows))
    bodies = constants(plans.locust_file(p))["BODIES"]
    assert [json.loads(b) for b in bodies] == [{"mean radius": 14.5, "mean texture": 20.1}, {"mean radius": 11.0}]
    assert k6_objects(plans.k6_script(p))["BODIES"] == bodies


def test_https_target_is_exported_but_bad_plans_are_refused():
    c = constants(plans.locust_file(plan(url="https://api.example.test/v1/predict")))
    assert c["HOST"] == "https://api.example.test" and c["PATH"] == "/v1/predict"
    with pytest.raises(PreflightError, match="URL"):
        plans.locust_file(plan(url="ftp://x/predict"))
    with pytest.raises(PreflightError, match="stage"):
        plans.k6_script(plan(stages=()))
    with pytest.raises(PreflightError, match="unknown tool"):
        plans.export_text(plan(), "jmeter")


# --------------------------------------------------------------------------------------------- k6
def test_k6_constant_stage_uses_constant_arrival_rate(tmp_path):
    p = plan(stages=(Stage(30, 50),), stop_p95_ms=500.0, stop_error_pct=10.0)
    src = plans.k6_script(p)
    proc = node_check(tmp_path, src)
    assert proc.returncode == 0, proc.stderr
    objs = k6_objects(src)
    sc = objs["SCENARIO"]
    assert sc["executor"] == "constant-arrival-rate" and sc["rate"] == 50 and sc["timeUnit"] == "1s"
    assert sc["duration"] == "30s" and sc["maxVUs"] >= sc["preAllocatedVUs"] >= 1
    th = objs["THRESHOLDS"]
    assert th["http_req_duration"][0] == "p(95)<250" and th["http_req_failed"][0] == "rate<0.005"
    stop = th["http_req_duration"][1]
    assert stop["threshold"] == "p(95)<500" and stop["abortOnFail"] is True
    assert th["http_req_failed"][1]["threshold"] == "rate<0.1"
    assert objs["TIMEOUT"] == "1500ms" and objs["URL"] == p.url and objs["METHOD"] == "POST"
    assert "import http from 'k6/http'" in src


def test_k6_stages_become_ramping_arrival_rate_with_steps(tmp_path):
    src = plans.k6_script(plan())
    assert node_check(tmp_path, src).returncode == 0
    sc = k6_objects(src)["SCENARIO"]
    assert sc["executor"] == "ramping-arrival-rate" and sc["startRate"] == 20 and sc["timeUnit"] == "1s"
    # hold 20 for 10 s, ramp to 80 over 20 s, step down to 5 at once, hold 5 s
    assert sc["stages"] == [{"target": 20, "duration": "10s"}, {"target": 80, "duration": "20s"},
                            {"target": 5, "duration": "0s"}, {"target": 5, "duration": "5s"}]


def test_k6_fractional_rates_use_a_longer_time_unit():
    sc = plans.k6_scenario(plan(stages=(Stage(4, 2.5),)))
    assert sc["rate"] == 25 and sc["timeUnit"] == "10s"      # 25 per 10 s = 2.5 per second
    sc = plans.k6_scenario(plan(stages=(Stage(1.5, 0.25), Stage(2, 1.0))))
    assert sc["timeUnit"] == "100s" and sc["startRate"] == 25
    assert sc["stages"][0] == {"target": 25, "duration": "1500ms"}


def test_node_rejects_a_broken_script(tmp_path):
    """The syntax check can fail: a script with a missing brace is refused."""
    broken = plans.k6_script(plan()).replace("export default function () {", "export default function () ")
    assert node_check(tmp_path, broken).returncode != 0


# --------------------------------------------------------------------------------------------- CLI
def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_cli_export_both_tools(tmp_path):
    stages = tmp_path / "stages.json"
    stages.write_text(json.dumps([{"duration_s": 2, "rate": 10}, {"duration_s": 3, "rate": 10, "ramp_to": 30}]))
    out = tmp_path / "plan.js"
    proc = run("loadtest-export", "--to", "k6", "http://127.0.0.1:8765/predict", "--stages", stages,
               "--slo-p95-ms", "150", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["path"] == str(out) and info["tool"] == "k6" and info["expected_requests"] == 80
    import hashlib
    assert info["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert k6_objects(out.read_text())["THRESHOLDS"]["http_req_duration"][0] == "p(95)<150"

    body = tmp_path / "body.json"
    body.write_text('{"mean area": 700}', encoding="utf-8")
    out2 = tmp_path / "locustfile.py"
    proc = run("loadtest-export", "--to", "locust", "--rate", "12", "--duration", "3", "--body-file", body,
               "--method", "put", "--header", "X-Key: abc", "--out", out2)
    assert proc.returncode == 0, proc.stderr
    c = constants(out2.read_text())
    assert c["METHOD"] == "PUT" and c["BODIES"] == ['{"mean area": 700}'] and c["HEADERS"] == {"X-Key": "abc"}
    assert c["STAGES"] == [(3.0, 12.0, 12.0)] and "wrote" in proc.stdout


@pytest.mark.parametrize("args, needle", [
    ((), "give one of --rate, --stages or --expected-qps"),
    (("--rate", "5", "--duration", "2", "--stages", "[]"), "not --rate and --stages"),
    (("--rate", "-5", "--duration", "2"), "negative"),
    (("--rate", "5", "--duration", "2", "--body-file", "/nonexistent/body.json"), "body.json"),
])
def test_cli_export_errors(tmp_path, args, needle):
    proc = run("loadtest-export", "--to", "locust", *args, "--out", tmp_path / "x.py")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert not (tmp_path / "x.py").exists()


def test_cli_export_ten_x_peak(tmp_path):
    out = tmp_path / "peak.js"
    proc = run("loadtest-export", "--to", "k6", "--expected-qps", "3", "--duration", "20", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    sc = k6_objects(out.read_text())["SCENARIO"]
    # a ramp from the expected 3 req/s to ten times it, then held at 30 req/s to the end of the 20 s
    assert sc["executor"] == "ramping-arrival-rate" and sc["startRate"] == 3
    assert sc["stages"][-1]["target"] == 30 and max(s["target"] for s in sc["stages"]) == 30
    assert sum(float(s["duration"].rstrip("s")) for s in sc["stages"] if s["duration"].endswith("s")
               and not s["duration"].endswith("ms")) == 20


def test_cli_export_rows_through_a_body_template(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("mean radius,mean area\n14.5,700\n12.0,500\n", encoding="utf-8")
    template = tmp_path / "template.json"
    template.write_text('{"features": {{row}}}', encoding="utf-8")
    out = tmp_path / "lf.py"
    proc = run("loadtest-export", "--to", "locust", "--rate", "4", "--duration", "2", "--rows-csv", rows,
               "--body-file", template, "--out", out)
    assert proc.returncode == 0, proc.stderr
    bodies = [json.loads(b) for b in constants(out.read_text())["BODIES"]]
    assert bodies == [{"features": {"mean radius": 14.5, "mean area": 700}},
                      {"features": {"mean radius": 12.0, "mean area": 500}}]

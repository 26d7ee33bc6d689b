"""Importing Locust and k6 results: hand-built k6 fixtures (the documented --summary-export, handleSummary and
JSON-output formats), a real Locust --csv run, provenance, the verdict, recording, and clear errors."""

import csv
import gzip
import hashlib
import json
import math
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from core.errors import InputFileError, PreflightError
from core.load.imports import detect_format, import_results, record_import

ROOT = Path(__file__).resolve().parent.parent
K6 = ROOT / "tests" / "fixtures" / "k6"
LOCUST = ROOT / "tests" / "fixtures" / "locust"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def nearest_rank(values, q):
    s = sorted(values)
    return s[max(1, math.ceil(q * len(s))) - 1]


# --------------------------------------------------------------------------------------------- k6
def test_k6_summary_export():
    path = K6 / "summary_export.json"
    raw = json.loads(path.read_text())["metrics"]
    run = import_results(path)
    r = run.result
    assert r.requests == raw["http_reqs"]["count"]
    assert r.errors == raw["http_req_failed"]["passes"]          # a Rate's "passes" are the failed requests
    assert r.success_rate == pytest.approx(1 - raw["http_req_failed"]["value"])
    d = raw["http_req_duration"]
    assert (r.p50_ms, r.p90_ms, r.p95_ms, r.p99_ms, r.p999_ms, r.max_ms, r.mean_ms) == (
        d["med"], d["p(90)"], d["p(95)"], d["p(99)"], d["p(99.9)"], d["max"], d["avg"])
    assert r.service_p95_ms == d["p(95)"]
    assert r.late_sends == raw["dropped_iterations"]["count"]
    assert r.achieved_rate == raw["http_reqs"]["rate"]
    duration = raw["http_reqs"]["count"] / raw["http_reqs"]["rate"]
    assert r.target_rate == pytest.approx((raw["iterations"]["count"] + raw["dropped_iterations"]["count"]) / duration)
    assert r.slo == {"p95_ms": 200.0, "success_rate": 0.99}    # from the thresholds p(95)<200, rate<0.01
    assert r.production_ready is True
    assert r.timeline == [] and r.histogram["counts"] == []
    assert r.source["tool"] == "k6" and r.source["files"] == [{"path": str(path), "sha256": sha(path)}]
    assert "dropped_iterations" in r.source["meaning"] and "actual send" in r.source["meaning"]
    assert run.settings["imported"] is True and run.settings["tool"] == "k6"
    assert run.inputs[0]["sha256"] == sha(path)


def test_k6_handle_summary_shape_and_crossed_thresholds():
    path = K6 / "handle_summary.json"
    raw = json.loads(path.read_text())
    m = raw["metrics"]
    r = import_results(path, "k6").result
    assert r.requests == m["http_reqs"]["values"]["count"] and r.errors == m["http_req_failed"]["values"]["passes"]
    assert r.p95_ms == m["http_req_duration"]["values"]["p(95)"] and r.p999_ms is None   # not asked for
    assert r.slo == {"p95_ms": 250.0, "success_rate": pytest.approx(0.99)}
    duration = raw["state"]["testRunDurationMs"] / 1000
    assert r.target_rate == pytest.approx((m["iterations"]["values"]["count"]
                                           + m["dropped_iterations"]["values"]["count"]) / duration)
    assert r.production_ready is False
    assert any("p(95)<250" in n for n in r.generator_notes)
    # an SLO given by the user wins over the file's
    r2 = import_results(path, slo_p95_ms=1000.0, slo_success_rate=0.9).result
    assert r2.slo == {"p95_ms": 1000.0, "success_rate": 0.9} and r2.production_ready is True


def read_points(path):
    out = []
    for line in Path(path).read_text().splitlines():
        obj = json.loads(line)
        if obj["type"] == "Point":
            out.append(obj)
    return out


def test_k6_json_stream(tmp_path):
    path = K6 / "points.json"
    pts = read_points(path)
    dur = [p for p in pts if p["metric"] == "http_req_duration"]
    values = [p["data"]["value"] for p in dur]
    failed = sum(p["data"]["value"] for p in pts if p["metric"] == "http_req_failed")
    dropped = sum(p["data"]["value"] for p in pts if p["metric"] == "dropped_iterations")
    r = import_results(path).result
    assert r.requests == len(values) and r.errors == failed and r.late_sends == dropped
    for field, q in (("p50_ms", .5), ("p90_ms", .9), ("p95_ms", .95), ("p99_ms", .99)):
        assert getattr(r, field) == nearest_rank(values, q)
    assert r.max_ms == max(values) and r.mean_ms == pytest.approx(sum(values) / len(values))
    statuses = {}
    for p in dur:
        statuses[p["data"]["tags"]["status"]] = statuses.get(p["data"]["tags"]["status"], 0) + 1
    assert r.status_counts == statuses
    assert r.error_types == {"http_5xx": 1, "timeout": 1}     # status 500, and error_code 1050 (timeout)
    # timeline: one point per second since the first request started, counts adding up
    assert sum(t["completed"] for t in r.timeline) == len(values)
    assert sum(t["errors"] for t in r.timeline) == failed
    assert [t["t"] for t in r.timeline] == sorted(t["t"] for t in r.timeline)
    assert r.histogram["count"] == len(values) and sum(r.histogram["counts"]) == len(values)
    assert r.slo == {"p95_ms": 300.0, "success_rate": pytest.approx(0.95)}   # the Metric lines' thresholds
    times = [datetime.fromisoformat(p["data"]["time"][:26] + p["data"]["time"][-6:]).timestamp() for p in dur]
    span = max(times) - min(t - v / 1000 for t, v in zip(times, values))
    assert r.achieved_rate == pytest.approx(len(values) / span, rel=1e-6)

    gz = tmp_path / "points.json.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    r_gz = import_results(gz).result
    assert (r_gz.requests, r_gz.p95_ms, r_gz.status_counts) == (r.requests, r.p95_ms, r.status_counts)


# --------------------------------------------------------------------------------------------- Locust
def locust_stats():
    with open(LOCUST / "demo_stats.csv", newline="") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}["Aggregated"]


@pytest.mark.parametrize("given", ["demo_stats.csv", "demo", "demo_stats_history.csv"])
def test_locust_csv_any_of_its_names(given):
    agg = locust_stats()
    meta = json.loads((LOCUST / "demo_preflight.json").read_text())
    run = import_results(LOCUST / given)
    r = run.result
    assert r.requests == int(agg["Request Count"]) and r.errors == int(agg["Failure Count"])
    assert r.p50_ms == float(agg["50%"]) and r.p95_ms == float(agg["95%"]) and r.p99_ms == float(agg["99%"])
    assert r.max_ms == float(agg["Max Response Time"]) and r.mean_ms == float(agg["Average Response Time"])
    assert r.achieved_rate == float(agg["Requests/s"])
    assert r.target_rate == meta["target_rate"] and r.late_sends == meta["late_sends"] + meta["missed_sends"]
    assert r.source["tool"] == "locust" and r.source["version"] == meta["locust_version"]
    names = {Path(f["path"]).name: f["sha256"] for f in r.source["files"]}
    assert set(names) == {"demo_stats.csv", "demo_stats_history.csv", "demo_failures.csv", "demo_preflight.json"}
    assert all(names[n] == sha(LOCUST / n) for n in names)
    assert "closed loop" in r.source["meaning"] and "2 significant figures" in r.source["meaning"]
    # the history's totals add up to the stats file's counts
    assert sum(t["completed"] for t in r.timeline) == r.requests
    assert sum(t["errors"] for t in r.timeline) == r.errors
    with open(LOCUST / "demo_failures.csv", newline="") as fh:
        failures = sum(int(row["Occurrences"]) for row in csv.DictReader(fh))
    assert r.error_types == {"http_5xx": failures} and r.status_counts == {"500": failures}
    expected_ok = r.success_rate > 0.99 and r.p95_ms < 200
    assert r.production_ready is expected_ok
    assert run.settings["url"] == meta["url"]


def test_locust_without_the_preflight_note(tmp_path):
    shutil.copy(LOCUST / "demo_stats.csv", tmp_path / "x_stats.csv")
    r = import_results(tmp_path / "x_stats.csv", "locust").result
    assert r.target_rate is None and r.late_sends is None and r.timeline == []
    assert r.source["version"] == "not recorded in the files"
    assert any("target rate" in n for n in r.generator_notes)


# --------------------------------------------------------------------------------------------- recording
def test_recorded_like_a_native_run(tmp_path):
    from core.assessment.store import create_assessment

    store = create_assessment(tmp_path / "a.preflight", name="imports")
    try:
        run_id = record_import(store, import_results(K6 / "summary_export.json"))
        stored = store.run(run_id)
        assert stored["kind"] == "loadtest"
        assert stored["result"]["source"]["tool"] == "k6" and stored["result"]["requests"] == 1480
        assert stored["settings"]["imported"] is True
        assert stored["inputs"][0]["sha256"] == sha(K6 / "summary_export.json")
    finally:
        store.close()


# --------------------------------------------------------------------------------------------- errors
def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_clear_errors(tmp_path):
    with pytest.raises(InputFileError, match="file not found"):
        import_results(tmp_path / "nothing.json")
    with pytest.raises(InputFileError, match="empty"):
        import_results(write(tmp_path, "empty.json", ""))
    with pytest.raises(InputFileError, match="not a Locust"):
        import_results(write(tmp_path, "notes.txt", "hello\n"))
    with pytest.raises(InputFileError, match="not valid JSON"):
        import_results(write(tmp_path, "cut.json", '{\n  "metrics": {"http_reqs": {"count": 3,'))
    with pytest.raises(InputFileError, match="http_reqs"):
        import_results(write(tmp_path, "other.json", '{\n "metrics": {"vus": {"value": 1}}}'))
    with pytest.raises(InputFileError, match="not a number"):
        import_results(write(tmp_path, "bad.json", '{\n "metrics": {"http_reqs": {"count": "many"}}}'))
    lines = (K6 / "points.json").read_text().splitlines()
    garbled = lines[:20] + ['{"type":"Point","data":{"time":"2026-11-30T10:00:05Z","value":3,"tags":{}},"metric":"http_req_duration"'] + lines[20:]
    err = pytest.raises(InputFileError, import_results, write(tmp_path, "garbled.json", "\n".join(garbled)))
    assert err.value.line == 21
    with pytest.raises(InputFileError, match="no http_req_duration"):
        import_results(write(tmp_path, "novus.json", lines[0] + "\n"))
    with pytest.raises(InputFileError, match="looks like k6 output, not locust"):
        import_results(K6 / "summary_export.json", "locust")
    with pytest.raises(PreflightError, match="unknown tool"):
        import_results(K6 / "summary_export.json", "jmeter")


def test_locust_errors_name_file_row_and_column(tmp_path):
    text = (LOCUST / "demo_stats.csv").read_text().splitlines()
    bad = [text[0], text[1], text[2].replace(",Aggregated,", ",Aggregated,lots", 1)]
    p = write(tmp_path, "b_stats.csv", "\n".join(bad) + "\n")
    err = pytest.raises(InputFileError, import_results, p).value
    assert err.line == 3 and "Request Count" in str(err) and "b_stats.csv" in str(err)
    p = write(tmp_path, "c_stats.csv", "\n".join(text[:2]) + "\n")
    with pytest.raises(InputFileError, match="Aggregated"):
        import_results(p)
    p = write(tmp_path, "d_stats.csv", "Type,Name,Request Count,Failure Count\n,Aggregated,3,1\n")
    with pytest.raises(InputFileError, match="no column"):
        import_results(p)
    lonely = write(tmp_path, "e_stats_history.csv", (LOCUST / "demo_stats_history.csv").read_text())
    with pytest.raises(InputFileError, match="stats file is missing"):
        import_results(lonely)


def run_cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_cli_import(tmp_path):
    from core.assessment.store import create_assessment, open_assessment

    create_assessment(tmp_path / "a.preflight", name="x").close()
    proc = run_cli("loadtest-import", K6 / "handle_summary.json", "--json", "--assessment", tmp_path / "a.preflight")
    assert proc.returncode == 1, proc.stderr          # the run misses its SLO
    out = json.loads(proc.stdout)
    for key in ("requests", "errors", "success_rate", "target_rate", "achieved_rate", "late_sends", "p50_ms",
                "p90_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "service_p99_ms", "timeline",
                "production_ready", "stopped_early", "source"):
        assert key in out
    store = open_assessment(tmp_path / "a.preflight")
    try:
        assert [r["id"] for r in store.runs("loadtest")] == [out["run_id"]]
    finally:
        store.close()
    proc = run_cli("loadtest-import", LOCUST / "demo_stats.csv")
    assert proc.returncode in (0, 1) and "what these numbers mean" in proc.stdout and "locust" in proc.stdout
    proc = run_cli("loadtest-import", tmp_path / "missing_stats.csv")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_detect_format():
    assert detect_format(K6 / "points.json") == "k6_stream"
    assert detect_format(K6 / "summary_export.json") == "k6_summary"
    assert detect_format(LOCUST / "demo_stats.csv") == "locust_csv"
    assert detect_format(LOCUST / "demo") == "locust_csv"


def test_report_and_gate_treat_imports_like_native_runs():
    from core.load import report_loadtest

    for name, ready in (("summary_export.json", True), ("handle_summary.json", False)):
        run = import_results(K6 / name)
        stored = {"id": 7, "kind": "loadtest", "result": run.result.to_dict(), "settings": run.settings}
        assert run.result.production_ready is ready
        assert report_loadtest.loadtest_gate(stored)["state"] == ("pass" if ready else "fail")
        page = report_loadtest.render(stored)
        assert "dropped_iterations" in page and sha(K6 / name)[:16] in page
    run = import_results(K6 / "points.json")    # a timeline and a histogram: the charts are drawn
    page = report_loadtest.render({"id": 8, "kind": "loadtest", "result": run.result.to_dict(),
                                   "settings": run.settings})
    assert page.count("<svg") >= 2

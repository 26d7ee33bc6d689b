"""The offline report: content and order, escaping, no external resources, JSON copy, verdict, CLI and PDF."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy
import numpy as np
import pandas as pd
import pytest

from core.handoff import signing

from core.assessment import templates
from core.assessment.audit import verify_chain
from core.assessment.checklist import Item, score
from core.errors import PreflightError
from core.handoff.form import Handoff
from core.render import registry
from core.report import build_report, render_html, report_json, write_data, write_report
from core.assessment.store import create_assessment
from core.canonical import sha256_file
from core.canonical import dumps
from core.drift.run import DriftSettings, record_drift, run_drift
from core.validation.run import record_validation, run_validation
from core.validation.schema import Schema

ROOT = Path(__file__).resolve().parent.parent
XSS_COLUMN = "<script>alert(1)</script>"
XSS_NOTE = "<img src=x onerror=alert(1)>"
XSS_LABEL = '"><svg onload=alert(1)>'
PASSWORD = "correct horse battery"


SCHEMA = {"columns": {"age": {"type": "integer", "range": [0, 120], "max_out_of_range_pct": 0},
                      "country": {"type": "category", "allowed": ["DE", "FR", "<i>IT</i>", "XX", "<b>bold</b>"]},
                      XSS_COLUMN: {"type": "numeric", "max_missing_pct": 0}}}
GOOD_HANDOFF = Handoff(model_location="s3://models/fraud-v2.pkl", model_version="2.1", baseline_accuracy=0.91,
                       baseline_p95_latency_ms=142.0, data_privacy_review_completed=True, security_scan_completed=True,
                       model_card_ref="docs/model-card.md", alert_recipients=("oncall@example.com",))


def tables(drifted: bool, n: int = 1500, seed: int = 3):
    """Training and production extracts.  Drifted: income, the oddly named column and country shift (3 of 5),
    with two ages out of range, a missing value and a script tag as a country.  Not drifted: the same
    marginals, but ``b`` follows ``a`` in training and ``-a`` in production, which only the multivariate
    domain classifier sees."""
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"age": rng.integers(18, 80, n), "income": np.round(rng.lognormal(10, 0.5, n), 2),
                        XSS_COLUMN: np.round(rng.normal(5, 1, n), 3),
                        "country": rng.choice(["DE", "FR", "<i>IT</i>"], n, p=[0.5, 0.3, 0.2]),
                        "device": rng.choice(["ios", "android"], n)})
    cur = pd.DataFrame({"age": rng.integers(18, 80, n), "income": np.round(rng.lognormal(10, 0.5, n), 2),
                        XSS_COLUMN: np.round(rng.normal(5, 1, n), 3),
                        "country": rng.choice(["DE", "FR", "<i>IT</i>"], n, p=[0.5, 0.3, 0.2]),
                        "device": rng.choice(["ios", "android"], n)})
    if drifted:
        cur["income"] = np.round(rng.lognormal(10.6, 0.5, n), 2)
        cur[XSS_COLUMN] = np.round(rng.normal(6.5, 1, n), 3)
        cur["country"] = rng.choice(["DE", "FR", "<i>IT</i>", "XX", "<b>bold</b>"], n, p=[0.2, 0.3, 0.25, 0.2, 0.05])
        cur.loc[[3, 9], "age"] = [-4, 212]
        cur.loc[7, "country"] = "<script>x</script>"
        cur.loc[11, XSS_COLUMN] = np.nan
    else:
        a, a2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
        ref["a"], ref["b"] = a, a + rng.normal(0, 0.3, n)
        cur["a"], cur["b"] = a2, -a2 + rng.normal(0, 0.3, n)
    return ref, cur


def record_real_runs(store, folder: Path, drifted=True) -> tuple[int, int]:
    """Write the two tables, run drift and validation on them for real and record both; returns the run ids."""
    folder.mkdir(exist_ok=True)
    ref, cur = tables(drifted)
    train, prod = folder / "train.csv", folder / "prod-<week>.csv"
    ref.to_csv(train, index=False)
    cur.to_csv(prod, index=False)
    drift_id = record_drift(store, run_drift(train, prod))
    schema = Schema.from_dict(SCHEMA if drifted else {"columns": {"age": {"type": "integer", "range": [0, 120]}}})
    validation_id = record_validation(store, run_validation(prod, schema=schema, schema_source="fraud-schema.yaml"))
    return drift_id, validation_id


def make_sample(tmp_path, name="Fraud scoring Q3"):
    """A realistic, not-ready assessment: blockers, drift, failed validation, changed evidence, two signatures."""
    store = create_assessment(tmp_path / "sample.preflight", name=name, system="fraud-scorer v2",
                              owner="Risk ML <team>", items=templates.load("seed").items, template="seed")
    for n, item in enumerate(store.items()):
        if n % 3:
            store.update_item(item.id, status="done", notes=f"checked in sprint {n}")
    first = store.items()[0]
    store.update_item(first.id, notes=XSS_NOTE)
    record_real_runs(store, tmp_path / "data")
    signing.save_handoff(store, replace(GOOD_HANDOFF, baseline_accuracy=0.6, security_scan_completed=False),
                         {"intended_use": "Scoring card payments <b>only</b>."})
    evidence = tmp_path / "scan-report.txt"
    evidence.write_text("scan ok\n")
    signing.attach_evidence(store, evidence, label=XSS_LABEL)
    store.link_evidence(first.id, file_id=1)
    store.link_evidence(first.id, run_id=1)
    signing.add_user(store, "Paula <Preparer>", "preparer", PASSWORD)
    signing.add_user(store, "Rita Reviewer", "reviewer", PASSWORD, admin_password=PASSWORD)
    signing.sign(store, 1, PASSWORD, "authorship")
    signing.sign(store, 2, PASSWORD, "review")
    evidence.write_text("scan ok, edited later\n")  # changed after signing: the report must flag it
    return store


@pytest.fixture
def sample(tmp_path):
    store = make_sample(tmp_path)
    yield store
    store.close()


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.urls, self.ids = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key in ("src", "href"):
                self.urls.append(value or "")
            if key == "id":
                self.ids.append(value)


def parse(html_text):
    p = Tags()
    p.feed(html_text)
    return p


def assert_safe(html_text):
    for raw in (XSS_COLUMN, XSS_NOTE, "<svg onload", "<b>bold</b>", "<i>IT</i>", "<script>x</script>"):
        assert raw not in html_text
    p = parse(html_text)
    assert "script" not in p.tags and "iframe" not in p.tags and "link" not in p.tags
    assert all(u.startswith(("data:", "#")) for u in p.urls), [u for u in p.urls if not u.startswith(("data:", "#"))]
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", html_text, re.I)
    assert "onerror=" not in html_text.replace("onerror=alert(1)&gt;", "")


# ---------------------------------------------------------------------------- HTML

def test_html_is_self_contained_and_escapes_everything(sample):
    data = build_report(sample)
    for charts in ("svg", "img", "none"):
        text = render_html(data, charts=charts)
        assert_safe(text)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text          # shown, but as text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
        assert "Paula &lt;Preparer&gt;" in text and "Risk ML &lt;team&gt;" in text
    svg_page = render_html(data, charts="svg")
    assert svg_page.count("<svg ") >= 4 and "data:image" not in svg_page
    assert "<svg" not in render_html(data, charts="none")


def test_img_charts_are_wellformed_escaped_svg(sample):
    text = render_html(build_report(sample), charts="img")
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 4
    titles = []
    for b64 in images:
        doc = base64.b64decode(b64).decode("utf-8")
        root = ET.fromstring(doc)                                        # well-formed XML
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        titles += [t.text or "" for t in root.iter() if t.tag.endswith("text")]
    assert any(XSS_COLUMN in t for t in titles)                          # the name is drawn as text


def test_sections_in_order_with_their_content(sample):
    text = render_html(build_report(sample))
    ids = [i for i in parse(text).ids if not i.startswith("run-")]
    assert ids == ["verdict", "checklist", "runs", "handoff", "evidence", "signatures", "audit", "manifest"]
    assert "Fraud scoring Q3" in text and "NOT READY" in text
    head = sample.verify_audit().head_hash
    assert head in text and str(sample.verify_audit().count) in text
    train_sha = sha256_file(sample.path.parent / "data" / "train.csv")
    for needle in ("Population stability index", "DRIFT", "fall outside [0, 120]", "row 4: -4", "row 10: 212",
                   "changed", "Sign-off stage", "reviewed", "authorship",
                   "baseline accuracy 0.6 is below the minimum 0.7", train_sha, numpy.__version__,
                   "Scoring card payments &lt;b&gt;only&lt;/b&gt;.", "weighted score 62.00 / 100",
                   "<b>62.00</b> / 100"):
        assert needle in text, needle
    assert "62.00%" not in text                      # a score out of 100, not a percentage


def test_verdict_names_every_failing_gate(sample):
    v = build_report(sample).verdict
    assert v["status"] == "not_ready" and v["ready"] is False and v["technical_ready"] is False
    states = {c["key"]: c["state"] for c in v["checks"]}
    assert {k: states.pop(k) for k in ("checklist", "handoff", "drift", "validation", "evidence", "audit",
                                       "signoff")} == {"checklist": "fail", "handoff": "fail", "drift": "fail",
                                                       "validation": "fail", "evidence": "fail", "audit": "pass",
                                                       "signoff": "warn"}
    assert set(states.values()) <= {"none"}           # gates of kinds without runs have nothing to judge
    text = " ".join(v["reasons"])
    for needle in ("Checklist", "Production handoff", "dataset drift detected, 60.0% of columns drifted",
                   "3 violation(s) (2 medium, 1 high)", "changed", "stage: reviewed"):
        assert needle in text, needle
    counted = {c["key"]: c["counted"] for c in v["checks"] if c.get("counted")}
    assert counted == {"drift": "run #1 (newest linked as evidence)", "validation": "run #2 (newest)"}


def _ready_assessment(tmp_path):
    items = [replace(i, status="done") for i in templates.load("seed").items]
    store = create_assessment(tmp_path / "ready.preflight", name="Ready one", items=items)
    record_real_runs(store, tmp_path / "data", drifted=False)
    signing.save_handoff(store, GOOD_HANDOFF)
    for name, role in (("Ann", "preparer"), ("Rob", "reviewer"), ("Amy", "approver")):
        signing.add_user(store, name, role, PASSWORD, admin_password=PASSWORD)
    return store


def test_ready_then_an_edit_invalidates_the_signatures(tmp_path):
    store = _ready_assessment(tmp_path)
    assert build_report(store).verdict["status"] == "pending_signoff"
    for uid, meaning in ((1, "authorship"), (2, "review"), (3, "approval")):
        signing.sign(store, uid, PASSWORD, meaning)
    data = build_report(store)
    assert data.verdict["status"] == "ready" and data.stage == "approved"
    drift = next(c for c in data.verdict["checks"] if c["key"] == "drift")
    assert drift["state"] == "warn" and "multivariate" in drift["reasons"][0]  # warns, does not block
    assert "no dataset drift" in drift["detail"] or "0.0% of columns" in drift["detail"], drift["detail"]
    assert "READY FOR PRODUCTION" in render_html(data)
    store.update_item(store.items()[0].id, notes="edited after approval")
    data = build_report(store)
    assert data.stage == "unsigned" and data.verdict["status"] == "pending_signoff"
    assert [s["valid"] for s in data.signatures] == [False, False, False]
    text = render_html(data)
    assert text.count("INVALID") == 3 and "notes: empty -&gt; edited after approval" in text
    store.close()


def test_older_or_odd_runs_do_not_break_the_report(tmp_path):
    store = create_assessment(tmp_path / "odd.preflight", name="Odd")
    store.add_run("drift", settings={}, inputs=[], result={}, started_utc="2025-01-01T00:00:00Z")
    store.add_run("drift", settings={}, inputs={"reference": "c" * 64}, started_utc="2025-01-01T00:00:00Z",
                  result={"columns": [{"name": "x"}, "junk", {"name": "y", "drifted": True, "histogram": {}}],
                          "multivariate": None, "dataset_drift": None})
    store.add_run("validation", settings={}, inputs=[], result={"violations": [{"check": "range"}]},
                  started_utc="2025-01-01T00:00:00Z")
    store.add_run("shadow_test", settings={"split": 0.1}, inputs=[], result={"p_value": 0.2, "nested": {"a": 1}},
                  summary={"promote": True}, started_utc="2025-01-01T00:00:00Z")
    data = build_report(store)
    text = render_html(data)
    assert "shadow_test" not in registry.kinds()    # no renderer of its own: the generic view
    assert "Shadow test run #4" in text and "promote" in text and "nested" in text
    assert "c" * 64 in text and "Drift run #2" in text
    assert data.verdict["status"] == "not_ready"
    assert next(c for c in data.verdict["checks"] if c["key"] == "drift")["state"] == "warn"
    store.close()


def test_a_failing_renderer_falls_back_to_the_generic_view(tmp_path):
    @registry.register("exploding-kind")
    def render(run):
        raise KeyError("missing")
    try:
        store = create_assessment(tmp_path / "x.preflight", name="X")
        store.add_run("exploding-kind", settings={}, inputs=[], result={"ok": 1}, summary={"n": 2},
                      started_utc="2025-01-01T00:00:00Z")
        text = render_html(build_report(store))
        assert "could not be shown in full" in text and "KeyError" in text
        store.close()
    finally:
        registry._RENDERERS.pop("exploding-kind")
    assert {"drift", "validation"} <= set(registry.kinds())


# ---------------------------------------------------------------------------- JSON

def test_json_is_the_complete_roundtripping_copy(sample):
    data = build_report(sample)
    doc = report_json(data)
    rebuilt = score([Item(**i) for i in doc["checklist"]["items"]], doc["checklist"]["readiness_threshold"])
    assert rebuilt.to_dict() == {k: v for k, v in doc["checklist"]["score"].items()
                                 if k not in ("done_weight", "applicable_weight", "reasons")}
    assert rebuilt.weighted_score == data.score["weighted_score"]
    events = doc["audit"]["events"]
    assert len(events) == sample.verify_audit().count
    check = verify_chain(events)
    assert check.ok and check.head_hash == doc["audit"]["verification"]["head_hash"]
    stored = sample.runs()
    assert [r["result"] for r in doc["runs"]] == [json.loads(dumps(r["result"])) for r in stored]
    income = next(c for c in doc["runs"][0]["result"]["columns"] if c["name"] == "income")
    hist = income["histogram"]
    assert income["drifted"] is True and len(hist["current"]) == len(hist["edges"]) - 1
    assert 0.95 * 1500 < sum(hist["current"]) <= 1500
    assert doc["evidence"]["reverification"][0]["status"] == "changed"
    assert [s["meaning"] for s in doc["signatures"]["signatures"]] == ["authorship", "review"]
    assert doc["signatures"]["signatures"][0]["user_name"] == "Paula <Preparer>"
    assert doc["handoff"]["validation"]["failed"] == ["baseline_accuracy", "security_scan"]
    m = doc["manifest"]
    assert m["libraries"]["numpy"] == numpy.__version__ and m["python"] == ".".join(map(str, sys.version_info[:3]))
    folder = sample.path.parent / "data"
    train, prod = sha256_file(folder / "train.csv"), sha256_file(folder / "prod-<week>.csv")
    assert [i["sha256"] for r in m["runs"] for i in r["inputs"]] == [train, prod, prod]
    assert m["runs"][0]["settings"] == DriftSettings().to_dict()


def test_write_report_files_and_refusals(sample, tmp_path):
    out = tmp_path / "r.json"
    write_report(sample, out, generated_utc="2025-05-01T00:00:00Z")
    assert json.loads(out.read_text())["generated_utc"] == "2025-05-01T00:00:00Z"
    data = build_report(sample)
    write_data(data, tmp_path / "r.html")
    assert_safe((tmp_path / "r.html").read_text(encoding="utf-8"))
    with pytest.raises(PreflightError, match="no PDF writer"):
        write_data(data, tmp_path / "r.pdf", {})
    with pytest.raises(PreflightError, match="suffix"):
        write_data(data, tmp_path / "r.docx")
    with pytest.raises(PreflightError, match="does not exist"):
        write_data(data, tmp_path / "nope" / "r.html")
    seen = {}
    write_data(data, tmp_path / "r.pdf", {".pdf": lambda html, path, footer: (
        seen.update(html=html, footer=footer), Path(path).write_bytes(b"%PDF-1.4"))})
    assert "data:image/svg+xml;base64," in seen["html"] and "<svg " not in seen["html"]
    assert (tmp_path / "r.pdf").read_bytes() == b"%PDF-1.4"
    with pytest.raises(PreflightError, match="produced no file"):
        write_data(data, tmp_path / "r.pdf", {".pdf": lambda html, path, footer: None})
    assert (tmp_path / "r.pdf").read_bytes() == b"%PDF-1.4" and len(list(tmp_path.glob(".*tmp*"))) == 0


# ---------------------------------------------------------------------------- CLI and PDF

def cli(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=120)


def run_cli(capsys, *args):
    from core import cli as core_cli
    code = core_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_error(result, needle):
    code, _out, err = result
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err


def test_cli_writes_html_and_json_and_refuses_bad_input(sample, tmp_path, capsys, monkeypatch):
    from core import cli as core_cli
    sample.close()
    f = tmp_path / "sample.preflight"
    code, out, err = run_cli(capsys, "report", f, "--out", tmp_path / "r.html", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["status"] == "not_ready" and info["format"] == "html" and info["bytes"] > 10_000
    assert info["content_id"] in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert_safe((tmp_path / "r.html").read_text(encoding="utf-8"))
    code, out, _ = run_cli(capsys, "report", f, "--out", tmp_path / "r.json")
    assert code == 0 and "NOT READY" in out
    assert json.loads((tmp_path / "r.json").read_text())["assessment"]["name"] == "Fraud scoring Q3"
    assert_error(run_cli(capsys, "report", f, "--out", tmp_path / "r.txt"), "unsupported report format")
    junk = tmp_path / "junk.preflight"
    junk.write_text("not a database")
    assert_error(run_cli(capsys, "report", junk, "--out", tmp_path / "j.html"), "not a Preflight assessment")
    assert_error(run_cli(capsys, "report", tmp_path / "missing.preflight", "--out", tmp_path / "m.html"),
                 "no such file")
    assert_error(run_cli(capsys, "report", f, "--out", tmp_path / "no-dir" / "m.html"), "does not exist")
    monkeypatch.setattr(core_cli, "EXTRA_WRITERS", {})
    assert_error(run_cli(capsys, "report", f, "--out", tmp_path / "r.pdf"), "no PDF writer")
    assert not (tmp_path / "r.pdf").exists()


def test_cli_pdf_renders_headless(sample, tmp_path):
    sample.close()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    out = tmp_path / "r.pdf"
    proc = cli("report", tmp_path / "sample.preflight", "--out", out, env=env)
    assert proc.returncode == 0, proc.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", raw))
    assert pages > 2 and len(raw) > 20_000
    png = tmp_path / "page"
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(out), str(png)], check=True,
                       timeout=60)
    elif shutil.which("gs"):
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=png16m", "-r40", "-dFirstPage=1",
                        "-dLastPage=1", f"-sOutputFile={png}-1.png", str(out)], check=True, timeout=60)
    else:
        pytest.skip("neither pdftoppm nor ghostscript is installed")
    pages_png = list(tmp_path.glob("page*.png"))
    assert pages_png and pages_png[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_with_many_inputs_lists_the_first_ones_and_says_how_many():
    from core.render.registry import MAX_INPUT_ROWS, inputs_table

    inputs = [{"role": "source", "path": f"src/m{i}.py", "sha256": f"{i:064x}", "size": i} for i in range(60)]
    html = inputs_table(inputs)
    assert html.count("src/m") == MAX_INPUT_ROWS and "src/m59.py" not in html and "src/m0.py" in html
    assert f"The first {MAX_INPUT_ROWS} of 60 input files" in html
    assert "of 60 input files" not in inputs_table(inputs[:MAX_INPUT_ROWS])

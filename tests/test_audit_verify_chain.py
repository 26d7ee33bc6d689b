"""resources/verify_chain.py (standard library only, the README's recipe) agrees with audit verify, and a
file after ordinary CLI use verifies clean: no false alarms."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli as core_cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "resources" / "verify_chain.py"


def run(capsys, *args):
    code = core_cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def script(path, *extra):
    out = subprocess.run([sys.executable, "-I", "-S", str(SCRIPT), str(path), *extra], capture_output=True,
                         text=True)
    return out.returncode, out.stdout


@pytest.fixture
def used(tmp_path, capsys):
    """A file after ordinary use: new, drift and validate runs recorded, checklist export/import, reports."""
    rng = random.Random(3)
    for name, shift in (("ref", 0.0), ("cur", 1.5)):
        lines = ["age,income,colour"] + [f"{rng.gauss(40 + 8 * shift, 6):.2f},{rng.gauss(5e4, 9e3):.1f},"
                                         f"{rng.choice('rgb')}" for _ in range(150)]
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
    f = tmp_path / "used.preflight"
    assert run(capsys, "new", f, "--template", "seed")[0] == 0
    assert run(capsys, "drift", tmp_path / "ref.csv", tmp_path / "cur.csv", "--assessment", f,
               "--no-multivariate")[0] in (0, 1)
    assert run(capsys, "validate", tmp_path / "cur.csv", "--infer-from", tmp_path / "ref.csv",
               "--assessment", f)[0] in (0, 1)
    assert run(capsys, "checklist", "export", f, "--out", tmp_path / "c.json")[0] == 0
    items = json.loads((tmp_path / "c.json").read_text())
    first = items[0] if isinstance(items, list) else items["items"][0]
    first["status"] = "done"
    (tmp_path / "c.json").write_text(json.dumps(items))
    assert run(capsys, "checklist", "import", f, tmp_path / "c.json")[0] == 0
    assert run(capsys, "report", f, "--out", tmp_path / "r.json")[0] in (0, 1)
    assert run(capsys, "report", f, "--out", tmp_path / "r.html")[0] in (0, 1)
    return f


def test_ordinary_use_verifies_clean_and_the_script_agrees(capsys, used, tmp_path):
    code, out, _ = run(capsys, "audit", "verify", used, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["problems"] == [] and doc["replay_from"] == 1
    head = json.loads((tmp_path / "r.json").read_text())["audit_head"]
    assert head == {"seq": doc["head_seq"], "hash": doc["head_hash"]}  # reports change nothing
    rc, text = script(used, f"{head['seq']}:{head['hash']}")
    assert rc == 0 and text.strip() == f"intact: {doc['count']} events, head {doc['head_seq']}:{doc['head_hash']}"


@pytest.mark.parametrize("sql", [
    "UPDATE audit_events SET actor='mallory' WHERE seq=2",
    "DELETE FROM audit_events WHERE seq=3",
    "DELETE FROM audit_events WHERE seq=(SELECT MAX(seq) FROM audit_events)",
    "UPDATE audit_events SET changes=replace(changes, '\"open\"', '\"done\"') WHERE seq=2",
])
def test_the_script_and_audit_verify_agree_on_a_tampered_chain(capsys, used, sql):
    conn = sqlite3.connect(str(used))
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")
    conn.execute(sql)
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "audit", "verify", used, "--json")
    doc = json.loads(out)
    rc, text = script(used)
    assert code == rc == 1 and "chain" in {p["check"] for p in doc["problems"]}
    assert text.startswith("BROKEN")
    if doc["first_bad_seq"] is not None and "at event" in text:
        assert text.split()[3] == str(doc["first_bad_seq"])
